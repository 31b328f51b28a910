import type { NormAxes } from '@shared/graph'

/**
 * The lectures' normalization picture: an activation block N x C x (H,W) drawn as a cube; the cells that share
 * one mean/variance are highlighted (BatchNorm: one channel over the batch; LayerNorm: one sample; InstanceNorm:
 * one sample and channel; GroupNorm: one sample and a group of channels).
 */
export function NormFigure({ axes, groups }: { axes: NormAxes; groups?: number }) {
  const N = 6
  const C = 6
  const cell = 14
  const depth = 3
  const dx = 7
  const dy = -6
  const ox = 26
  const oy = 34
  const n0 = 1
  const c0 = 2
  const groupSize = axes.channelGroups ? Math.max(1, Math.round(C / Math.min(C, Math.max(1, groups ?? 3)))) : 1
  const gStart = Math.floor(c0 / groupSize) * groupSize
  const lit = (n: number, c: number) => {
    const nOk = axes.reduce.includes('N') || n === n0
    const cOk = axes.reduce.includes('C') ? (axes.channelGroups ? c >= gStart && c < gStart + groupSize : true) : c === c0
    return nOk && cOk
  }
  const front = []
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      front.push(<rect key={`f${n}-${c}`} x={ox + n * cell} y={oy + c * cell} width={cell} height={cell} className={lit(n, c) ? 'nf-lit' : 'nf-cell'} />)
  // Top face (one strip per sample column, depth = H,W) and right face (one strip per channel row).
  const top = []
  for (let n = 0; n < N; n++)
    for (let d = 0; d < depth; d++) {
      const x = ox + n * cell + d * dx
      const y = oy + d * dy
      top.push(<polygon key={`t${n}-${d}`} points={`${x},${y} ${x + cell},${y} ${x + cell + dx},${y + dy} ${x + dx},${y + dy}`} className={lit(n, 0) ? 'nf-lit' : 'nf-cell'} />)
    }
  const side = []
  for (let c = 0; c < C; c++)
    for (let d = 0; d < depth; d++) {
      const x = ox + N * cell + d * dx
      const y = oy + c * cell + d * dy
      side.push(<polygon key={`s${c}-${d}`} points={`${x},${y} ${x + dx},${y + dy} ${x + dx},${y + cell + dy} ${x},${y + cell}`} className={lit(N - 1, c) ? 'nf-lit' : 'nf-cell'} />)
    }
  const w = ox + N * cell + depth * dx + 24
  const h = oy + C * cell + 22
  return (
    <figure className="norm-figure">
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`Statistics computed ${axes.summary}`}>
        {top}
        {side}
        {front}
        <text x={ox + (N * cell) / 2} y={h - 6} textAnchor="middle" className="nf-axis">N (batch)</text>
        <text x={12} y={oy + (C * cell) / 2} textAnchor="middle" className="nf-axis" transform={`rotate(-90 12 ${oy + (C * cell) / 2})`}>C</text>
        <text x={ox + N * cell + depth * dx + 2} y={oy + depth * dy - 2} className="nf-axis">H,W</text>
      </svg>
      <figcaption>
        One mean and variance {axes.summary}
        {axes.channelGroups ? ` (${groups ?? '?'} groups)` : ''}; learned scale and shift per {axes.affine === 'C' ? 'channel' : 'element (C x H x W)'}.
      </figcaption>
    </figure>
  )
}
