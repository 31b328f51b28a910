/**
 * Line charts on uPlot (made for many points): several series over one x axis, hover shows every series'
 * value at that x, optional log scale, colors from the theme. Data is columnar: x values and one y array per
 * series (null where a series has no value at that x).
 */
import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { ExportButtons, exportTheme } from './ExportButtons'
import { lineChartSvg } from './svg'
import { cappedRange, formatValue, tickLabels } from './ticks'

export interface ChartSeries {
  readonly label: string
  readonly color: string
  readonly values: readonly (number | null)[]
  readonly dash?: boolean
  /** 0: not drawn (the edge of a filled band). */
  readonly width?: number
  /** Listed in the legend (default true; a band's edges and the individual runs under a group are not). */
  readonly legend?: boolean
  /** Point markers for this series (default: the chart's choice, and always where it has a dozen values or fewer). */
  readonly points?: boolean
}

/** The area between two series (indices into `series`), filled: a group's band. */
export interface ChartFill {
  readonly upper: number
  readonly lower: number
  readonly color: string
}

/** A shaded x range behind the series (e.g. the evidence of a curve diagnosis), colored by severity. */
export interface ChartBand {
  readonly from: number
  readonly to: number
  readonly severity: 'error' | 'warning' | 'info'
}

export interface LineChartProps {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly x: readonly number[]
  readonly series: readonly ChartSeries[]
  readonly height?: number
  readonly logY?: boolean
  readonly logX?: boolean
  readonly formatX?: (v: number) => string
  readonly formatY?: (v: number) => string
  readonly testId?: string
  readonly bands?: readonly ChartBand[]
  /** Draw point markers (default: only when there are a dozen points or fewer, so short series stay visible). */
  readonly points?: boolean
  /**
   * Top of the y range at most (e.g. a few times the initial loss): a curve that shoots past it leaves the top of
   * the plot instead of flattening the others. Null: not known yet (the data range).
   */
  readonly yMax?: number | null
  readonly fills?: readonly ChartFill[]
  /** Offer SVG and PNG export under this name. */
  readonly exportName?: string
}

/** uPlot's columns: non-finite values (and values a log axis cannot show) become gaps. */
function plotData(props: LineChartProps): uPlot.AlignedData {
  const ok = props.logY ? (v: number | null): v is number => v !== null && Number.isFinite(v) && v > 0 : (v: number | null): v is number => v !== null && Number.isFinite(v)
  return [props.x as number[], ...props.series.map((s) => s.values.map((v) => (ok(v) ? v : null)))]
}

function cssVar(name: string, fallback = '#888'): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color)
  if (!m) return color
  const n = parseInt(m[1] as string, 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}

/** Fills each band behind the series, outlined at its edges. */
function drawBands(u: uPlot, bands: readonly ChartBand[]): void {
  if (bands.length === 0) return
  const colors = { error: cssVar('--danger', '#e5484d'), warning: cssVar('--warning', '#f5a524'), info: cssVar('--accent', '#4c8dff') }
  const ctx = u.ctx
  const { top, height } = u.bbox
  ctx.save()
  for (const b of bands) {
    const x0 = u.valToPos(b.from, 'x', true)
    const x1 = u.valToPos(b.to, 'x', true)
    const left = Math.max(u.bbox.left, Math.min(x0, x1))
    const right = Math.min(u.bbox.left + u.bbox.width, Math.max(x0, x1, left + 2))
    const c = colors[b.severity]
    ctx.fillStyle = withAlpha(c, 0.16)
    ctx.fillRect(left, top, right - left, height)
    ctx.strokeStyle = withAlpha(c, 0.7)
    ctx.lineWidth = 1
    ctx.setLineDash([4, 3])
    ctx.beginPath()
    ctx.moveTo(left, top)
    ctx.lineTo(left, top + height)
    ctx.moveTo(right, top)
    ctx.lineTo(right, top + height)
    ctx.stroke()
  }
  ctx.restore()
}

/**
 * What the last finished draw showed, on the chart's element (read by the e2e tests: what the user sees, not the
 * props): the points, the y range and the tick labels of both axes.
 */
function markDrawn(el: HTMLElement | null, u: uPlot): void {
  if (!el) return
  const ticks = (i: number) => ((u.axes[i] as { _values?: unknown[] | null } | undefined)?._values ?? []).map(String).join('|')
  el.setAttribute('data-drawn-points', String(u.data[0]?.length ?? 0))
  el.setAttribute('data-y-range', `${u.scales.y?.min ?? ''},${u.scales.y?.max ?? ''}`)
  el.setAttribute('data-x-ticks', ticks(0))
  el.setAttribute('data-y-ticks', ticks(1))
}

/** True when at most `max` of the values are numbers. */
function fewValues(values: readonly (number | null)[], max: number): boolean {
  let n = 0
  for (const v of values) if (v !== null && Number.isFinite(v) && ++n > max) return false
  return true
}

export function LineChart(props: LineChartProps) {
  const figure = useRef<HTMLElement>(null)
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const bands = useRef(props.bands ?? [])
  bands.current = props.bands ?? []
  const yMax = useRef(props.yMax ?? null)
  yMax.current = props.yMax ?? null
  /** The data and bands the plot has (so an effect does not hand uPlot what it already holds). */
  const shown = useRef<{ x: readonly number[]; series: readonly ChartSeries[]; bands: LineChartProps['bands'] } | null>(null)
  const showPoints = props.points ?? props.x.length <= 12
  const capped = props.yMax !== undefined
  // A series with a dozen values or fewer among many x (a 1-epoch run's single validation point) gets markers,
  // or it would draw nothing at all.
  const seriesPoints = props.series.map((s) => s.points ?? (showPoints || fewValues(s.values, 12)))
  const fillKey = (props.fills ?? []).map((f) => `${f.upper}-${f.lower}-${f.color}`).join(',')
  const shape = `${props.series.map((s, i) => `${s.label}|${s.color}|${s.dash ? 1 : 0}|${s.width ?? ''}|${s.legend === false ? 0 : 1}|${seriesPoints[i] ? 1 : 0}`).join(',')}|${props.logY}|${props.logX}|${props.height}|${showPoints}|${capped}|${fillKey}`

  useEffect(() => {
    const el = host.current
    if (!el) return
    const axis = { stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--border'), width: 1 }, ticks: { stroke: cssVar('--border'), width: 1 } }
    const fmtY = props.formatY ?? formatValue
    const fmtX = props.formatX ?? ((v: number) => String(v))
    const opts: uPlot.Options = {
      width: el.clientWidth || 400,
      height: props.height ?? 220,
      legend: { live: true },
      bands: (props.fills ?? []).map((f) => ({ series: [f.upper + 1, f.lower + 1] as [number, number], fill: f.color })),
      cursor: { sync: { key: 'studio' }, drag: { x: true, y: false } },
      scales: {
        x: { time: false, distr: props.logX ? 3 : 1 },
        y: { distr: props.logY ? 3 : 1, ...(capped ? { range: (_u: uPlot, min: number | null, max: number | null) => cappedRange(min, max, yMax.current, props.logY === true) ?? [null, null] } : {}) },
      },
      hooks: {
        drawClear: [(u) => drawBands(u, bands.current)],
        draw: [(u) => markDrawn(figure.current, u)],
      },
      axes: [
        { ...axis, label: props.xLabel, labelSize: 18, values: (_u, vals) => tickLabels(vals, fmtX) },
        { ...axis, label: props.yLabel, labelSize: 18, size: 56, values: (_u, vals) => tickLabels(vals, fmtY) },
      ],
      series: [
        { label: props.xLabel, value: (_u, v) => (v == null ? '—' : fmtX(v)) },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash ? [5, 4] : undefined,
          spanGaps: true,
          ...(s.legend === false ? { class: 'u-no-legend' } : {}),
          points: { show: seriesPoints[i], size: 6 },
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : fmtY(v)),
        })),
      ],
    }
    const u = new uPlot(opts, plotData(props), el)
    plot.current = u
    shown.current = { x: props.x, series: props.series, bands: props.bands }
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: props.height ?? 220 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      u.destroy()
      plot.current = null
    }
    // Rebuild only when the set of series or the scales change; data updates go through setData below.
  }, [shape])

  useEffect(() => {
    const now = shown.current
    if (!plot.current || !now || (now.x === props.x && now.series === props.series)) return
    plot.current.setData(plotData(props))
    shown.current = { ...now, x: props.x, series: props.series }
  }, [props.x, props.series])
  useEffect(() => {
    const now = shown.current
    if (!plot.current || !now || now.bands === props.bands) return
    // redraw(false) alone would cancel a pending axis layout (a new plot's, or one after setData/setSize): uPlot
    // then draws axes it never measured, throws ("object null is not iterable") and never draws again.
    plot.current.redraw(false, true)
    shown.current = { ...now, bands: props.bands }
  }, [props.bands])

  const toSvg = () => {
    const u = plot.current
    const xs = props.x.filter(Number.isFinite)
    const xRange: [number, number] = [u?.scales.x?.min ?? Math.min(...xs), u?.scales.x?.max ?? Math.max(...xs)]
    const yRange: [number, number] = [u?.scales.y?.min ?? 0, u?.scales.y?.max ?? 1]
    return lineChartSvg({
      title: props.title,
      xLabel: props.xLabel,
      yLabel: props.yLabel,
      x: props.x,
      series: props.series.map((s, i) => ({ ...s, points: seriesPoints[i] ?? false })),
      ...(props.fills ? { fills: props.fills } : {}),
      xRange,
      yRange,
      ...(props.logY ? { logY: true } : {}),
      ...(props.formatX ? { formatX: props.formatX } : {}),
      ...(props.formatY ? { formatY: props.formatY } : {}),
      width: Math.max(480, host.current?.clientWidth ?? 720),
      height: (props.height ?? 220) + 60,
      theme: exportTheme(),
    })
  }

  return (
    <figure ref={figure} className="chart" data-testid={props.testId} {...(props.bands ? { 'data-bands': props.bands.length } : {})} {...(props.fills ? { 'data-fills': props.fills.length } : {})}>
      <figcaption>
        <span>{props.title}</span>
        {props.exportName !== undefined && <ExportButtons name={props.exportName} svg={toSvg} testId={props.testId ? `${props.testId}-export` : undefined} />}
      </figcaption>
      <div ref={host} className="chart-plot" />
    </figure>
  )
}
