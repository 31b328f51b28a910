/**
 * Line charts on uPlot (made for many points): several series over one x axis, hover shows every series'
 * value at that x, optional log scale, colors from the theme. Data is columnar: x values and one y array per
 * series (null where a series has no value at that x).
 */
import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface ChartSeries {
  readonly label: string
  readonly color: string
  readonly values: readonly (number | null)[]
  readonly dash?: boolean
  readonly width?: number
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
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

export function LineChart(props: LineChartProps) {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const shape = `${props.series.map((s) => `${s.label}|${s.color}|${s.dash ? 1 : 0}`).join(',')}|${props.logY}|${props.logX}|${props.height}`

  useEffect(() => {
    const el = host.current
    if (!el) return
    const axis = { stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--border'), width: 1 }, ticks: { stroke: cssVar('--border'), width: 1 } }
    const fmtY = props.formatY ?? ((v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toPrecision(4)))
    const fmtX = props.formatX ?? ((v: number) => String(v))
    const opts: uPlot.Options = {
      width: el.clientWidth || 400,
      height: props.height ?? 220,
      legend: { live: true },
      cursor: { sync: { key: 'studio' }, drag: { x: true, y: false } },
      scales: { x: { time: false, distr: props.logX ? 3 : 1 }, y: { distr: props.logY ? 3 : 1 } },
      axes: [
        { ...axis, label: props.xLabel, labelSize: 18, values: (_u, vals) => vals.map((v) => fmtX(v)) },
        { ...axis, label: props.yLabel, labelSize: 18, size: 56, values: (_u, vals) => vals.map((v) => fmtY(v)) },
      ],
      series: [
        { label: props.xLabel, value: (_u, v) => (v == null ? '—' : fmtX(v)) },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash ? [5, 4] : undefined,
          spanGaps: true,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : fmtY(v)),
        })),
      ],
    }
    const u = new uPlot(opts, [props.x as number[], ...props.series.map((s) => s.values as (number | null)[])], el)
    plot.current = u
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
    plot.current?.setData([props.x as number[], ...props.series.map((s) => s.values as (number | null)[])])
  }, [props.x, props.series])

  return (
    <figure className="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={host} className="chart-plot" />
    </figure>
  )
}
