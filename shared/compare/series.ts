/**
 * Metric series helpers shared by the runs service and the Compare UI: which direction is "best" for a metric,
 * and downsampling long curves for overlays.
 */

/** Columnar points of one metric (same shape as the runs contract's MetricSeries). */
export interface SeriesColumns {
  readonly step: number[]
  readonly epoch: number[]
  readonly value: number[]
  readonly time: number[]
}

const HIGHER_IS_BETTER = /(^|[/_.-])(acc|accuracy|top\d+|precision|recall|f1|auc|iou|map|images_per_sec|throughput)($|[/_.-])/i

/**
 * 'max' when a larger value is better (accuracy, precision, recall, F1, AUC, IoU, throughput: names containing
 * those words as a segment, e.g. `val/acc`, `epoch/train_acc`), otherwise 'min' (losses, errors, and anything else).
 */
export function metricGoal(name: string): 'max' | 'min' {
  return HIGHER_IS_BETTER.test(name) ? 'max' : 'min'
}

/**
 * Min/max-per-bucket downsampling (keeps spikes, unlike averaging or striding):
 * the first and the last point are always kept; the points between them are cut into
 * `floor((maxPoints - 2) / 2)` buckets of consecutive points (by index, so by step for the usual evenly logged
 * series), and each bucket contributes its minimum and its maximum point (one point when they coincide), in
 * step order. The result has at most `maxPoints` points and is a subset of the input (values are never
 * interpolated). Series with `maxPoints` points or fewer are returned as they are. `maxPoints` must be >= 4.
 */
export function downsampleMinMax<S extends SeriesColumns>(series: S, maxPoints: number): SeriesColumns {
  const n = series.step.length
  if (n <= maxPoints) return series
  if (!(maxPoints >= 4)) throw new Error(`downsampleMinMax: maxPoints must be >= 4, received ${maxPoints}`)
  const keep = pickMinMax(series.value, maxPoints)
  const pick = (a: readonly number[]) => keep.map((i) => a[i] as number)
  return { step: pick(series.step), epoch: pick(series.epoch), value: pick(series.value), time: pick(series.time) }
}

/** Indices kept by `downsampleMinMax` (ascending). */
export function pickMinMax(values: ArrayLike<number>, maxPoints: number): number[] {
  const n = values.length
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i)
  const buckets = Math.floor((maxPoints - 2) / 2)
  const inner = n - 2
  const out: number[] = [0]
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets)
    const to = 1 + Math.floor(((b + 1) * inner) / buckets) // exclusive
    if (to <= from) continue
    let lo = from
    let hi = from
    for (let i = from + 1; i < to; i++) {
      const v = values[i] as number
      if (v < (values[lo] as number)) lo = i
      if (v > (values[hi] as number)) hi = i
    }
    if (lo === hi) out.push(lo)
    else out.push(Math.min(lo, hi), Math.max(lo, hi))
  }
  out.push(n - 1)
  return out
}

/**
 * Exponential moving average for noisy training curves, as TensorBoard does it: debiased so the start of the
 * curve is not dragged towards 0, and gaps (null) are kept as gaps without resetting the average.
 * `weight` 0 leaves values unchanged; 0.99 is very smooth.
 */
export function emaSmooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999)
  if (w === 0) return values.slice()
  let last = 0
  let n = 0
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null
    last = last * w + (1 - w) * v
    n += 1
    return last / (1 - Math.pow(w, n))
  })
}
