/**
 * A scatter plot (SVG) for trade-offs: one point per run or group, a highlighted line through the points of the
 * Pareto front (given, computed by the caller), hover names the point and its values, clicking a point opens it.
 * An x axis whose positive values span two decades or more (parameters, FLOPs) is logarithmic. Export: the SVG
 * as drawn, with the theme's colours written in.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { ExportButtons } from './ExportButtons'
import { niceTicks } from './svg'
import { formatValue } from './ticks'

export interface ScatterPoint {
  readonly id: number
  readonly label: string
  readonly x: number
  readonly y: number
  readonly color: string
  /** On the Pareto front: drawn larger, ringed. */
  readonly front?: boolean
}

export interface ScatterChartProps {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly points: readonly ScatterPoint[]
  /** The front's points in drawing order. */
  readonly front: readonly { readonly x: number; readonly y: number }[]
  readonly formatX?: (v: number) => string
  readonly formatY?: (v: number) => string
  readonly onOpen?: (id: number) => void
  readonly height?: number
  readonly width?: number
  readonly testId?: string
  readonly exportName?: string
}

/** The SVG element's markup with the page's CSS variables replaced by their values (an exported file has no stylesheet). */
export function svgMarkup(svg: SVGSVGElement): string {
  const style = getComputedStyle(document.documentElement)
  const clone = svg.cloneNode(true) as SVGSVGElement
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg')
  return clone.outerHTML.replace(/var\((--[a-z0-9-]+)\)/gi, (_, name: string) => style.getPropertyValue(name).trim() || '#888')
}

export function ScatterChart(props: ScatterChartProps) {
  const svg = useRef<SVGSVGElement>(null)
  const [hover, setHover] = useState<ScatterPoint | null>(null)
  const box = useRef<HTMLDivElement>(null)
  const [measured, setMeasured] = useState(640)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const ro = new ResizeObserver(() => setMeasured(Math.max(320, Math.floor(el.clientWidth))))
    ro.observe(el)
    return () => ro.disconnect()
  }, [])
  // Drawn at the width it has (text stays at its size), not scaled up from a fixed view box.
  const W = props.width ?? measured
  const H = props.height ?? 320
  const m = { left: 64, right: 16, top: 28, bottom: 44 }
  const pw = W - m.left - m.right
  const ph = H - m.top - m.bottom
  const fx = props.formatX ?? formatValue
  const fy = props.formatY ?? formatValue
  const scale = useMemo(() => {
    const xs = props.points.map((p) => p.x)
    const ys = props.points.map((p) => p.y)
    let x0 = Math.min(...xs)
    let x1 = Math.max(...xs)
    let y0 = Math.min(...ys)
    let y1 = Math.max(...ys)
    const logX = x0 > 0 && x1 / x0 >= 100
    if (logX) {
      x0 = Math.pow(10, Math.floor(Math.log10(x0)))
      x1 = Math.pow(10, Math.ceil(Math.log10(x1)))
    } else {
      const px = x1 === x0 ? Math.abs(x0) * 0.1 || 1 : (x1 - x0) * 0.06
      x0 -= px
      x1 += px
    }
    const py = y1 === y0 ? Math.abs(y0) * 0.1 || 1 : (y1 - y0) * 0.08
    y0 -= py
    y1 += py
    const tx = (v: number) => (logX ? Math.log10(v) : v)
    return {
      logX,
      x0,
      x1,
      y0,
      y1,
      px: (v: number) => m.left + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0))) * pw,
      py: (v: number) => m.top + ph - ((v - y0) / (y1 - y0)) * ph,
    }
  }, [props.points, pw, ph])
  const xTicks = niceTicks(scale.x0, scale.x1, 6, scale.logX).filter((t) => t >= scale.x0 && t <= scale.x1)
  const yTicks = niceTicks(scale.y0, scale.y1, 5).filter((t) => t >= scale.y0 && t <= scale.y1)
  const frontPath = props.front.map((p, i) => `${i === 0 ? 'M' : 'L'}${scale.px(p.x).toFixed(1)},${scale.py(p.y).toFixed(1)}`).join(' ')
  return (
    <figure className="chart scatter" data-testid={props.testId} data-points={props.points.length} data-front={props.front.length}>
      <figcaption>
        <span>{props.title}</span>
        {props.exportName !== undefined && <ExportButtons name={props.exportName} svg={() => (svg.current ? svgMarkup(svg.current) : '')} testId={props.testId ? `${props.testId}-export` : undefined} />}
      </figcaption>
      <div ref={box} className="scatter-box">
      <svg ref={svg} width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title} fontFamily="Inter, system-ui, sans-serif" fontSize="11">
        <title>{props.title}</title>
        <rect width={W} height={H} fill="var(--bg-elev)" />
        {yTicks.map((t) => (
          <g key={`y${t}`}>
            <line x1={m.left} x2={m.left + pw} y1={scale.py(t)} y2={scale.py(t)} stroke="var(--border)" />
            <text x={m.left - 6} y={scale.py(t) + 4} textAnchor="end" fill="var(--text-muted)">
              {fy(t)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <g key={`x${t}`}>
            <line x1={scale.px(t)} x2={scale.px(t)} y1={m.top} y2={m.top + ph} stroke="var(--border)" />
            <text x={scale.px(t)} y={m.top + ph + 15} textAnchor="middle" fill="var(--text-muted)">
              {fx(t)}
            </text>
          </g>
        ))}
        <rect x={m.left} y={m.top} width={pw} height={ph} fill="none" stroke="var(--border)" />
        <text x={m.left + pw / 2} y={H - 8} textAnchor="middle" fill="var(--text-muted)">
          {props.xLabel}
          {scale.logX ? ' (log scale)' : ''}
        </text>
        <text transform={`translate(14 ${m.top + ph / 2}) rotate(-90)`} textAnchor="middle" fill="var(--text-muted)">
          {props.yLabel}
        </text>
        {props.front.length > 1 && <path d={frontPath} fill="none" stroke="var(--accent)" strokeWidth={2} strokeDasharray="6 3" data-testid="pareto-line" />}
        {props.points.map((p) => (
          <circle
            key={p.id}
            cx={scale.px(p.x)}
            cy={scale.py(p.y)}
            r={p.front ? 6 : 4.5}
            fill={p.color}
            fillOpacity={p.front ? 1 : 0.75}
            stroke={p.front ? 'var(--text)' : 'none'}
            strokeWidth={p.front ? 1.5 : 0}
            style={{ cursor: props.onOpen ? 'pointer' : 'default' }}
            data-testid="scatter-point"
            data-front={p.front ? 'true' : 'false'}
            data-label={p.label}
            onMouseEnter={() => setHover(p)}
            onMouseLeave={() => setHover((h) => (h?.id === p.id ? null : h))}
            onClick={() => props.onOpen?.(p.id)}
          >
            <title>{`${p.label}: ${props.xLabel} ${fx(p.x)}, ${props.yLabel} ${fy(p.y)}${p.front ? ' (on the Pareto front)' : ''}`}</title>
          </circle>
        ))}
      </svg>
      </div>
      <div className="pc-readout" data-testid={props.testId ? `${props.testId}-readout` : undefined}>
        {hover ? (
          <>
            <b>{hover.label}</b>
            <span>
              {props.xLabel} {fx(hover.x)}
            </span>
            <span>
              {props.yLabel} {fy(hover.y)}
            </span>
            {hover.front && <span>on the Pareto front</span>}
            {props.onOpen && <span className="muted">click to open</span>}
          </>
        ) : (
          <span>Hover a point to name its run; the dashed line is the Pareto front (no other point is better on both axes).</span>
        )}
      </div>
    </figure>
  )
}
