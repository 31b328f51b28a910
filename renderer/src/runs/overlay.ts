/**
 * Overlay curves of several runs on one x axis (pure): each run's series is placed on the chosen axis (step,
 * epoch, or wall time in seconds since the run's first point), optionally smoothed, and all series are aligned
 * on the union of their x values (null where a series has no point), which is what uPlot draws.
 */
import type { RunSeries } from '@shared/api'
import { emaSmooth } from '@shared/compare'

export type XAxis = 'step' | 'epoch' | 'time'

export const X_LABEL: Record<XAxis, string> = { step: 'Step', epoch: 'Epoch', time: 'Wall time (s)' }

export interface CurveSpec {
  /** Metric name, e.g. `train/loss`. */
  readonly name: string
  /** Suffix in the legend, e.g. `train` or `val`. */
  readonly label: string
  readonly dash?: boolean
  /** Apply the smoothing slider to this metric (noisy per-step metrics). */
  readonly smooth?: boolean
}

export interface OverlaySeries {
  readonly runId: number
  readonly name: string
  readonly label: string
  readonly color: string
  readonly dash: boolean
  readonly values: (number | null)[]
}

export interface Overlay {
  readonly x: number[]
  readonly series: OverlaySeries[]
}

/** The earliest time of any of a run's series (ms): wall time is counted from it. */
export function runStartTime(run: RunSeries): number {
  let t0 = Infinity
  for (const s of Object.values(run.series)) if (s.time.length > 0) t0 = Math.min(t0, s.time[0] as number)
  return Number.isFinite(t0) ? t0 : 0
}

export function buildOverlay(
  runs: readonly RunSeries[],
  specs: readonly CurveSpec[],
  axis: XAxis,
  options: { smoothing: number; colorOf: (runId: number) => string; labelOf: (runId: number) => string },
): Overlay {
  const raw: { runId: number; spec: CurveSpec; xs: number[]; ys: (number | null)[] }[] = []
  for (const run of runs) {
    const t0 = runStartTime(run)
    for (const spec of specs) {
      const s = run.series[spec.name]
      if (!s || s.value.length === 0) continue
      const xs = axis === 'step' ? s.step : axis === 'epoch' ? s.epoch : s.time.map((t) => (t - t0) / 1000)
      const ys = spec.smooth && options.smoothing > 0 ? emaSmooth(s.value, options.smoothing) : s.value.slice()
      raw.push({ runId: run.runId, spec, xs, ys })
    }
  }
  const all = new Set<number>()
  for (const r of raw) for (const x of r.xs) all.add(x)
  const x = [...all].sort((a, b) => a - b)
  const at = new Map<number, number>()
  x.forEach((v, i) => at.set(v, i))
  const series = raw.map((r) => {
    const values = new Array<number | null>(x.length).fill(null)
    r.xs.forEach((xv, i) => {
      values[at.get(xv) as number] = r.ys[i] ?? null
    })
    return {
      runId: r.runId,
      name: r.spec.name,
      label: `${options.labelOf(r.runId)} · ${r.spec.label}`,
      color: options.colorOf(r.runId),
      dash: r.spec.dash ?? false,
      values,
    }
  })
  return { x, series }
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
