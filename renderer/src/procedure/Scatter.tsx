/** A small SVG scatter: the search metric against one hyperparameter (log x for ranges over two decades). */
import { fmt } from './logic'

export interface ScatterPoint {
  readonly x: number
  readonly y: number
  readonly best?: boolean
  readonly round: number
}

export function Scatter({ title, points, xLabel, yLabel, formatY, testId }: { title: string; points: readonly ScatterPoint[]; xLabel: string; yLabel: string; formatY?: (v: number) => string; testId?: string }) {
  const W = 260
  const H = 170
  const m = { l: 44, r: 10, t: 8, b: 30 }
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
  const xs = pts.map((p) => p.x)
  const ys = pts.map((p) => p.y)
  let x0 = Math.min(...xs)
  let x1 = Math.max(...xs)
  const log = x0 > 0 && x1 / x0 >= 100
  let y0 = Math.min(...ys)
  let y1 = Math.max(...ys)
  if (!(x1 > x0)) {
    x0 = log ? x0 / 2 : x0 - 1
    x1 = log ? x1 * 2 : x1 + 1
  }
  if (!(y1 > y0)) {
    y0 -= 0.5
    y1 += 0.5
  }
  const padY = (y1 - y0) * 0.08
  y0 -= padY
  y1 += padY
  const tx = (v: number) => (log ? Math.log10(v) : v)
  const px = (v: number) => m.l + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0) || 1)) * (W - m.l - m.r)
  const py = (v: number) => m.t + (1 - (v - y0) / (y1 - y0)) * (H - m.t - m.b)
  const fy = formatY ?? ((v: number) => fmt(v))
  const xTicks = log ? Array.from({ length: Math.floor(Math.log10(x1)) - Math.ceil(Math.log10(x0)) + 1 }, (_, i) => Math.pow(10, Math.ceil(Math.log10(x0)) + i)) : [x0, (x0 + x1) / 2, x1]
  const yTicks = [y0 + padY, (y0 + y1) / 2, y1 - padY]
  return (
    <figure className="proc-scatter" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={title}>
        <rect x={m.l} y={m.t} width={W - m.l - m.r} height={H - m.t - m.b} className="sc-frame" />
        {yTicks.map((t, i) => (
          <g key={`y${i}`}>
            <line x1={m.l} x2={W - m.r} y1={py(t)} y2={py(t)} className="sc-grid" />
            <text x={m.l - 4} y={py(t) + 3} textAnchor="end" className="sc-tick">
              {fy(t)}
            </text>
          </g>
        ))}
        {xTicks.map((t, i) => (
          <text key={`x${i}`} x={px(t)} y={H - m.b + 12} textAnchor="middle" className="sc-tick">
            {fmt(t, 2)}
          </text>
        ))}
        <text x={(m.l + W - m.r) / 2} y={H - 4} textAnchor="middle" className="sc-label">
          {xLabel}
          {log ? ' (log)' : ''}
        </text>
        <text x={10} y={(m.t + H - m.b) / 2} textAnchor="middle" className="sc-label" transform={`rotate(-90 10 ${(m.t + H - m.b) / 2})`}>
          {yLabel}
        </text>
        {pts.map((p, i) => (
          <circle key={i} cx={px(p.x)} cy={py(p.y)} r={p.best ? 5 : 3.5} className={`sc-pt round-${Math.min(p.round, 3)}${p.best ? ' best' : ''}`}>
            <title>{`${xLabel} ${fmt(p.x)} → ${fy(p.y)}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  )
}

/** A mini histogram (bars over [min, max]) for the init lab. */
export function MiniHistogram({ counts, className }: { counts: readonly number[]; className?: string }) {
  const W = 120
  const H = 36
  const max = Math.max(1, ...counts)
  const bw = W / Math.max(1, counts.length)
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} className={`mini-hist ${className ?? ''}`} aria-hidden="true">
      <line x1={0} x2={W} y1={H - 0.5} y2={H - 0.5} className="mh-axis" />
      {counts.map((c, i) => {
        const h = c === 0 ? 0 : Math.max(1, Math.sqrt(c / max) * (H - 2))
        return <rect key={i} x={i * bw + 0.5} y={H - 1 - h} width={Math.max(0.5, bw - 1)} height={h} />
      })}
    </svg>
  )
}
