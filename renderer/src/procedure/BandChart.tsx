/**
 * A uPlot line chart with shaded x ranges (the diagnosis' evidence): each band is filled behind the series with
 * its severity's color and outlined at its edges. Same data layout as charts/LineChart (columnar, null gaps).
 */
import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { ChartSeries } from '../charts/LineChart'
import type { Band } from './logic'

export interface BandChartProps {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly x: readonly number[]
  readonly series: readonly ChartSeries[]
  readonly bands: readonly Band[]
  readonly height?: number
  readonly logY?: boolean
  readonly formatX?: (v: number) => string
  readonly formatY?: (v: number) => string
  readonly testId?: string
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

export function BandChart(props: BandChartProps) {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const bands = useRef(props.bands)
  bands.current = props.bands
  const shape = `${props.series.map((s) => `${s.label}|${s.color}|${s.dash ? 1 : 0}`).join(',')}|${props.logY}|${props.height}`

  useEffect(() => {
    const el = host.current
    if (!el) return
    const axis = { stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--border'), width: 1 }, ticks: { stroke: cssVar('--border'), width: 1 } }
    const fmtY = props.formatY ?? ((v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : v.toPrecision(3)))
    const fmtX = props.formatX ?? ((v: number) => (Number.isInteger(v) ? String(v) : ''))
    const colors = { error: cssVar('--danger', '#e5484d'), warning: cssVar('--warning', '#f5a524'), info: cssVar('--accent', '#4c8dff') }
    const drawBands = (u: uPlot) => {
      const ctx = u.ctx
      const { top, height } = u.bbox
      ctx.save()
      for (const b of bands.current) {
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
    const opts: uPlot.Options = {
      width: el.clientWidth || 400,
      height: props.height ?? 200,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { distr: props.logY ? 3 : 1 } },
      axes: [
        { ...axis, label: props.xLabel, labelSize: 18, values: (_u, vals) => vals.map((v) => fmtX(v)) },
        { ...axis, label: props.yLabel, labelSize: 18, size: 52, values: (_u, vals) => vals.map((v) => fmtY(v)) },
      ],
      hooks: { drawClear: [drawBands] },
      series: [
        { label: props.xLabel, value: (_u, v) => (v == null ? '—' : fmtX(v)) },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash ? [5, 4] : undefined,
          spanGaps: true,
          points: { show: props.x.length <= 12, size: 5 },
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : fmtY(v)),
        })),
      ],
    }
    const u = new uPlot(opts, [props.x as number[], ...props.series.map((s) => s.values as (number | null)[])], el)
    plot.current = u
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: props.height ?? 200 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      u.destroy()
      plot.current = null
    }
  }, [shape])

  useEffect(() => {
    plot.current?.setData([props.x as number[], ...props.series.map((s) => s.values as (number | null)[])])
  }, [props.x, props.series])
  useEffect(() => {
    plot.current?.redraw(false)
  }, [props.bands])

  return (
    <figure className="chart" data-testid={props.testId} data-bands={props.bands.length}>
      <figcaption>{props.title}</figcaption>
      <div ref={host} className="chart-plot" />
    </figure>
  )
}
