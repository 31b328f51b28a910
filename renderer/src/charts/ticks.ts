/**
 * Pure helpers of the line charts (no DOM, tested in tests/renderer/chart-ticks.test.ts): tick labels, the
 * default number format, and the capped y range.
 */

/**
 * Axis tick labels. uPlot hands a log axis' unlabelled ticks (2, 3, ... 9 between the decades) in as null, and a
 * formatter would print them as "null" or throw: those ticks get an empty label.
 */
export function tickLabels(values: readonly (number | null | undefined)[], format: (v: number) => string): string[] {
  return values.map((v) => (v === null || v === undefined || !Number.isFinite(v) ? '' : format(v)))
}

/** Default value format: 4 significant digits, exponent form below 1e-3 and from 1000 up. */
export function formatValue(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(4)))
}

/**
 * The y range of a chart whose values may shoot up (a diverged curve): the data range with its top held at
 * `cap`, so the other curves keep their scale and the diverged one leaves the top of the plot. Null when there
 * is no data yet. A log range keeps positive bounds.
 */
export function cappedRange(dataMin: number | null, dataMax: number | null, cap: number | null, log: boolean): [number, number] | null {
  if (dataMin === null || dataMax === null || !Number.isFinite(dataMin) || !Number.isFinite(dataMax)) return null
  let hi = cap !== null && Number.isFinite(cap) && cap > 0 ? Math.min(dataMax, cap) : dataMax
  let lo = Math.min(dataMin, hi)
  if (log) {
    if (!(hi > 0)) return null
    if (!(lo > 0)) lo = hi / 10
    if (lo === hi) return [lo / 1.5, hi * 1.5]
    // A little room above and below in log space, then round bounds (one significant digit: 2, not 2.07).
    const pad = Math.pow(10, (Math.log10(hi) - Math.log10(lo)) * 0.05)
    return [roundTo1(lo / pad, Math.floor), roundTo1(hi * pad, Math.ceil)]
  }
  if (lo === hi) {
    const d = Math.abs(lo) * 0.1 || 1
    return [lo - d, hi + d]
  }
  const pad = (hi - lo) * 0.05
  hi += pad
  lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad
  return [lo, hi]
}

/** `v` rounded (down or up) to one significant digit. */
function roundTo1(v: number, round: (x: number) => number): number {
  const unit = Math.pow(10, Math.floor(Math.log10(v)))
  return round(v / unit) * unit
}
