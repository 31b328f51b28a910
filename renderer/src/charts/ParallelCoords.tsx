/**
 * Parallel coordinates (SVG; uPlot has none): one vertical axis per hyperparameter and one for the metric, one
 * polyline per run in its color. Axes whose positive values span two decades or more (learning rates, weight
 * decays) are logarithmic. Hovering a line raises it and shows its values.
 */
import { useEffect, useMemo, useRef, useState } from 'react'

export interface PcAxis {
  readonly key: string
  readonly label: string
  /** One value per line (null: the run has none; its line breaks there). */
  readonly values: readonly (number | null)[]
  readonly format?: (v: number) => string
  /** Drawn last and emphasized (the metric). */
  readonly metric?: boolean
}

export interface PcLine {
  readonly id: number
  readonly label: string
  readonly color: string
  readonly emphasized?: boolean
}

export interface ParallelCoordsProps {
  readonly axes: readonly PcAxis[]
  readonly lines: readonly PcLine[]
  readonly height?: number
  readonly testId?: string
}

interface Scale {
  readonly log: boolean
  readonly lo: number
  readonly hi: number
  readonly ticks: number[]
}

function scaleOf(values: readonly (number | null)[]): Scale {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v))
  if (xs.length === 0) return { log: false, lo: 0, hi: 1, ticks: [] }
  let lo = Math.min(...xs)
  let hi = Math.max(...xs)
  const log = lo > 0 && hi / lo >= 100
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1
    if (!log) {
      lo -= pad
      hi += pad
    }
  }
  const ticks = log ? logTicks(lo, hi) : [lo, (lo + hi) / 2, hi]
  return { log, lo, hi, ticks }
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = []
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const v = Math.pow(10, e)
    if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v)
  }
  return out.length >= 2 ? out : [lo, hi]
}

/** 0 (bottom) .. 1 (top). */
function unit(s: Scale, v: number): number {
  if (s.log) return s.hi === s.lo ? 0.5 : (Math.log(v) - Math.log(s.lo)) / (Math.log(s.hi) - Math.log(s.lo))
  return s.hi === s.lo ? 0.5 : (v - s.lo) / (s.hi - s.lo)
}

const defaultFormat = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(3))))

export function ParallelCoords(props: ParallelCoordsProps) {
  const host = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(640)
  const [hover, setHover] = useState<number | null>(null)
  const height = props.height ?? 260
  useEffect(() => {
    const el = host.current
    if (!el) return
    const ro = new ResizeObserver(() => setWidth(Math.max(320, el.clientWidth)))
    ro.observe(el)
    return () => ro.disconnect()
  }, [])
  const scales = useMemo(() => props.axes.map((a) => scaleOf(a.values)), [props.axes])
  const padX = 70
  const top = 34
  const bottom = 24
  const plotH = height - top - bottom
  const n = props.axes.length
  const xAt = (i: number) => (n <= 1 ? width / 2 : padX + (i * (width - 2 * padX)) / (n - 1))
  const yAt = (i: number, v: number) => top + (1 - unit(scales[i] as Scale, v)) * plotH
  const order = [...props.lines.keys()].sort((a, b) => {
    const ea = props.lines[a]?.emphasized ? 1 : 0
    const eb = props.lines[b]?.emphasized ? 1 : 0
    return ea - eb || (a === hover ? 1 : b === hover ? -1 : 0)
  })
  const pathOf = (li: number): string => {
    let d = ''
    let pen = false
    props.axes.forEach((a, i) => {
      const v = a.values[li]
      if (v === null || v === undefined || !Number.isFinite(v)) {
        pen = false
        return
      }
      d += `${pen ? 'L' : 'M'}${xAt(i).toFixed(1)},${yAt(i, v).toFixed(1)}`
      pen = true
    })
    return d
  }
  const anyEmph = props.lines.some((l) => l.emphasized)
  const hovered = hover !== null ? props.lines[hover] : undefined
  return (
    <div ref={host} className="pc-host" data-testid={props.testId}>
      <svg width={width} height={height} role="img" aria-label={`Parallel coordinates of ${props.lines.length} runs over ${props.axes.map((a) => a.label).join(', ')}`}>
        {props.axes.map((a, i) => {
          const s = scales[i] as Scale
          const fmt = a.format ?? defaultFormat
          return (
            <g key={a.key} className={`pc-axis${a.metric ? ' metric' : ''}`}>
              <line x1={xAt(i)} x2={xAt(i)} y1={top} y2={top + plotH} />
              <text className="pc-label" x={xAt(i)} y={14} textAnchor="middle">
                {a.label}
                {s.log ? ' (log)' : ''}
              </text>
              {s.ticks.map((t) => (
                <g key={t}>
                  <line className="pc-tick" x1={xAt(i) - 4} x2={xAt(i)} y1={yAt(i, t)} y2={yAt(i, t)} />
                  <text className="pc-tick-label" x={xAt(i) - 7} y={yAt(i, t) + 3.5} textAnchor="end">
                    {fmt(t)}
                  </text>
                </g>
              ))}
            </g>
          )
        })}
        {order.map((li) => {
          const l = props.lines[li] as PcLine
          const faded = (anyEmph && !l.emphasized) || (hover !== null && hover !== li)
          return (
            <path
              key={l.id}
              d={pathOf(li)}
              className="pc-line"
              stroke={l.color}
              strokeWidth={hover === li ? 3 : l.emphasized ? 2.2 : 1.4}
              strokeOpacity={faded ? 0.28 : 0.95}
              fill="none"
              onMouseEnter={() => setHover(li)}
              onMouseLeave={() => setHover(null)}
            >
              <title>{`${l.label}\n${props.axes.map((a) => `${a.label}: ${a.values[li] ?? '—'}`).join('\n')}`}</title>
            </path>
          )
        })}
      </svg>
      <div className="pc-readout" aria-live="polite">
        {hovered ? (
          <>
            <span className="run-swatch" style={{ background: hovered.color }} />
            <b>{hovered.label}</b>
            {props.axes.map((a) => {
              const v = a.values[hover as number]
              return (
                <span key={a.key}>
                  {a.label} <b>{v === null || v === undefined ? '—' : (a.format ?? defaultFormat)(v)}</b>
                </span>
              )
            })}
          </>
        ) : (
          <span className="muted">Hover a line to read a run’s values.</span>
        )}
      </div>
    </div>
  )
}
