/**
 * What the Compare charts draw (pure): the reduced curves of `runs.curves` (shared/compare/curves, computed next to
 * the database) turned into one chart's series. Without grouping, one line per run and metric in the run's colour.
 * Grouped, each group is its mean line with a band (min-max or mean +- std, user's choice) in the group's colour,
 * and, on demand, its runs as thin lines under it. A chart with many lines keeps its legend for the groups (or for
 * the first runs) only.
 */
import { bandOf, columnsToSlots, CURVE_AXIS_LABELS, type BandKind, type CurveAxis, type Curves } from '@shared/compare'
import type { ChartFill, ChartSeries } from '../charts/LineChart'

export type XAxis = CurveAxis

export const X_LABEL: Record<XAxis, string> = CURVE_AXIS_LABELS

/** Runs shown in a legend at most (more lines than this: the legend names none of them). */
export const LEGEND_RUNS = 20

export interface CurveSpec {
  /** Metric name, e.g. `train/loss`. */
  readonly name: string
  /** Suffix in the legend, e.g. `train` or `val`. */
  readonly label: string
  readonly dash?: boolean
  /** Apply the smoothing slider to this metric (noisy per-step metrics). */
  readonly smooth?: boolean
}

export interface PlanGroup {
  readonly key: string
  readonly label: string
  readonly color: string
}

export interface ChartPlan {
  readonly x: number[]
  readonly series: ChartSeries[]
  readonly fills: ChartFill[]
}

export interface PlanOptions {
  readonly colorOfRun: (runId: number) => string
  readonly labelOfRun: (runId: number) => string
  /** Values multiplied by this (100 for accuracies shown in %). */
  readonly scale?: number
  /** Grouped: groups in the order of `result.groups`, with their label and colour. */
  readonly groups?: readonly PlanGroup[]
  readonly band?: BandKind
  /** Grouped: also draw the groups' runs (thin, in the group's colour). */
  readonly showRuns?: boolean
}

/** `#rrggbb` with an alpha, as rgba(); other colours are returned as they are. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color)
  if (!m) return color
  const n = parseInt(m[1] as string, 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}

export function planChart(result: Curves, specs: readonly CurveSpec[], o: PlanOptions): ChartPlan {
  const k = o.scale ?? 1
  const scaled = (v: readonly (number | null)[]) => (k === 1 ? v.slice() : v.map((x) => (x === null ? null : x * k)))
  const series: ChartSeries[] = []
  const fills: ChartFill[] = []
  if (!o.groups) {
    const legend = result.runs.length <= LEGEND_RUNS
    for (const run of result.runs) {
      for (const spec of specs) {
        const v = run.series[spec.name]
        if (!v) continue
        series.push({ label: `${o.labelOfRun(run.runId)} · ${spec.label}`, color: o.colorOfRun(run.runId), values: scaled(v), dash: spec.dash ?? false, width: spec.dash ? 1.8 : 1.5, legend })
      }
    }
    return { x: result.x, series, fills }
  }
  const byKey = new Map(o.groups.map((g) => [g.key, g]))
  const runsOf = new Map(result.runs.map((r) => [r.runId, r]))
  for (const g of result.groups) {
    const meta = byKey.get(g.key)
    if (!meta) continue
    for (const spec of specs) {
      if (o.showRuns) {
        for (const id of g.runIds) {
          const v = runsOf.get(id)?.series[spec.name]
          if (v) series.push({ label: `${o.labelOfRun(id)} · ${spec.label}`, color: withAlpha(meta.color, 0.45), values: scaled(v), dash: spec.dash ?? false, width: 1, legend: false })
        }
      }
      const stats = g.series[spec.name]
      if (!stats) continue
      // A group's values come one per pixel column; the chart's x has two slots a column.
      const band = bandOf(stats, o.band ?? 'minmax')
      const upper = series.length
      series.push({ label: `${meta.label} · ${spec.label} (upper)`, color: meta.color, values: scaled(columnsToSlots(band.upper)), width: 0, legend: false, points: false })
      series.push({ label: `${meta.label} · ${spec.label} (lower)`, color: meta.color, values: scaled(columnsToSlots(band.lower)), width: 0, legend: false, points: false })
      fills.push({ upper, lower: upper + 1, color: withAlpha(meta.color, spec.dash ? 0.12 : 0.2) })
      series.push({ label: `${meta.label} (${g.runIds.length} runs) · ${spec.label}`, color: meta.color, values: scaled(columnsToSlots(stats.mean)), dash: spec.dash ?? false, width: 2 })
    }
  }
  return { x: result.x, series, fills }
}

/** True when positive values span at least `decades` powers of ten (a log scale reads better). */
export function spansDecades(values: Iterable<number | null>, decades = 2): boolean {
  let lo = Infinity
  let hi = 0
  for (const v of values) {
    if (v === null || !(v > 0)) continue
    lo = Math.min(lo, v)
    hi = Math.max(hi, v)
  }
  return Number.isFinite(lo) && hi / lo >= Math.pow(10, decades)
}
