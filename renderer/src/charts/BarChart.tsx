/**
 * Grouped bar chart on uPlot (uPlot.paths.bars): one group per category, one bar per series. Hover shows the
 * hovered category's value for every series in the legend. Colors come from the caller (theme variables).
 *
 * uPlot has one x array for all series, so each series gets its own x positions inside its category
 * (category index + offset) and nulls elsewhere; the bar width follows the smallest x gap.
 */
import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface BarSeries {
  readonly label: string
  readonly color: string
  readonly values: readonly number[]
}

export interface BarChartProps {
  readonly title: string
  readonly categories: readonly string[]
  readonly series: readonly BarSeries[]
  readonly yLabel: string
  readonly height?: number
  readonly formatY?: (v: number) => string
  /** Changes when colors must be re-read (theme). */
  readonly styleKey?: string
  readonly testId?: string
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

export function BarChart(props: BarChartProps) {
  const host = useRef<HTMLDivElement>(null)
  const { categories, series } = props
  const key = JSON.stringify([categories, series, props.height, props.styleKey])

  useEffect(() => {
    const el = host.current
    if (!el) return
    const k = categories.length
    const s = series.length
    const width = 0.8 / Math.max(1, s)
    const x: number[] = []
    const ys: (number | null)[][] = series.map(() => [])
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < s; j++) {
        x.push(i + (j - (s - 1) / 2) * width)
        series.forEach((ser, m) => ys[m]!.push(m === j ? (ser.values[i] ?? 0) : null))
      }
    }
    const categoryOf = (idx: number | null | undefined) => (idx == null ? -1 : Math.floor(idx / Math.max(1, s)))
    const fmtY = props.formatY ?? ((v: number) => v.toLocaleString('en-US'))
    const axis = { stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--border'), width: 1 }, ticks: { stroke: cssVar('--border'), width: 1 } }
    const step = Math.max(1, Math.ceil(k / 24))
    const bars = uPlot.paths.bars!({ size: [0.88, 64], radius: [0.15, 0] })
    const opts: uPlot.Options = {
      width: el.clientWidth || 400,
      height: props.height ?? 240,
      legend: { live: true },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.5, k - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.08)] } },
      axes: [
        {
          ...axis,
          grid: { show: false },
          splits: () => Array.from({ length: Math.ceil(k / step) }, (_, i) => i * step),
          values: (_u, vals) => vals.map((v) => {
            const name = categories[Math.round(v)] ?? ''
            return name.length > 12 ? `${name.slice(0, 11)}…` : name
          }),
        },
        { ...axis, label: props.yLabel, labelSize: 18, size: 52, values: (_u, vals) => vals.map((v) => fmtY(v)) },
      ],
      series: [
        // Not hovering: the legend shows each series' total.
        { label: 'Class', value: (_u, _v, _s, idx) => (idx == null ? 'all' : (categories[categoryOf(idx)] ?? '—')) },
        ...series.map((ser, m) => ({
          label: ser.label,
          stroke: ser.color,
          fill: ser.color,
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) => {
            const c = categoryOf(idx)
            return c < 0 ? fmtY(series[m]!.values.reduce((a, b) => a + b, 0)) : fmtY(series[m]!.values[c] ?? 0)
          },
        })),
      ],
    }
    const u = new uPlot(opts, [x, ...ys] as uPlot.AlignedData, el)
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: props.height ?? 240 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      u.destroy()
    }
  }, [key])

  return (
    <figure className="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={host} className="chart-plot" />
    </figure>
  )
}
