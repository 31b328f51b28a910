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
