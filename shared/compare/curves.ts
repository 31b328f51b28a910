/**
 * Curves of many runs on one x axis, pure (the runs service computes them next to the database, so only what a
 * chart can draw crosses to the renderer):
 * - alignment: a run's points placed by step, epoch, relative wall time (seconds since the run's first point) or
 *   examples seen (step x batch size, so runs with different batch sizes line up);
 * - a grid of pixel columns over the chart's x range, two slots per column (its left and right half);
 * - one run's curve on the grid by min/max per pixel column (each column keeps its lowest and highest point, in
 *   the order they occur: spikes survive, the output has at most two values per column);
 * - a group's curve: each run's points averaged per slot (linearly interpolated between its points where a slot
 *   holds none, never extrapolated past its first or last point), then per pixel column (one value: the mean of
 *   its two slots), then mean, sample standard deviation, min and max over the group's runs at each column;
 * - values as a chart needs them and as they are sent: float32 bytes (packCurve; a pixel is coarser by far).
 */
import type { SeriesColumns } from './series'

export const CURVE_AXES = ['step', 'epoch', 'time', 'examples'] as const
export type CurveAxis = (typeof CURVE_AXES)[number]

export const CURVE_AXIS_LABELS: Record<CurveAxis, string> = { step: 'Step', epoch: 'Epoch', time: 'Wall time (s)', examples: 'Examples seen' }

/** What alignment needs of a run beside its points. */
export interface AlignContext {
  /** The run's batch size (examples per step); null when its snapshot records none. */
  readonly batchSize: number | null
  /** The earliest time (ms) of any of the run's series: relative wall time counts from it. */
  readonly startTime: number
}

/**
 * The x value of each point on `axis`; null when the run cannot be placed there (examples seen without a batch
 * size). Steps count optimizer steps, so examples seen is step x batch size (a partial last batch counts whole).
 */
export function alignX(s: Pick<SeriesColumns, 'step' | 'epoch' | 'time'>, axis: CurveAxis, ctx: AlignContext): number[] | null {
  switch (axis) {
    case 'step':
      return s.step.slice()
    case 'epoch':
      return s.epoch.slice()
    case 'time':
      return s.time.map((t) => (t - ctx.startTime) / 1000)
    case 'examples':
      return ctx.batchSize !== null && ctx.batchSize > 0 ? s.step.map((v) => v * (ctx.batchSize as number)) : null
  }
}

/** `columns` equal pixel columns over [from, to]. */
export interface CurveGrid {
  readonly from: number
  readonly to: number
  readonly columns: number
}

/** The grid's slot positions: two per column, at a quarter and three quarters of its width. */
export function gridSlots(grid: CurveGrid): number[] {
  const w = (grid.to - grid.from) / grid.columns
  const out = new Array<number>(grid.columns * 2)
  for (let c = 0; c < grid.columns; c++) {
    out[2 * c] = grid.from + (c + 0.25) * w
    out[2 * c + 1] = grid.from + (c + 0.75) * w
  }
  return out
}

/** The slot (0 .. 2 columns - 1) holding x; x outside [from, to] is clamped to the first / last slot. */
export function slotOf(grid: CurveGrid, x: number): number {
  const span = grid.to - grid.from
  if (!(span > 0)) return 0
  const s = Math.floor(((x - grid.from) / span) * grid.columns * 2)
  return Math.min(Math.max(s, 0), grid.columns * 2 - 1)
}

/** The grid spanning every given x (null when there is none). A single x gets a unit-wide range around it. */
export function gridOver(xs: Iterable<readonly number[]>, columns: number): CurveGrid | null {
  if (!(Number.isInteger(columns) && columns >= 1)) throw new Error(`A curve grid needs a whole number of columns >= 1, received ${columns}`)
  let lo = Infinity
  let hi = -Infinity
  for (const a of xs) {
    for (const x of a) {
      if (!Number.isFinite(x)) continue
      if (x < lo) lo = x
      if (x > hi) hi = x
    }
  }
  if (!Number.isFinite(lo)) return null
  if (lo === hi) return { from: lo - 0.5, to: hi + 0.5, columns }
  return { from: lo, to: hi, columns }
}

/**
 * One run's curve on the grid by min/max per pixel column (see the module comment): a column with one point puts
 * it in the slot of its half; with more, its minimum and maximum go to the left and right slot in the order they
 * occur (a flat column shows its value in both). Slots of empty columns are null.
 */
export function minMaxPerColumn(xs: readonly number[], ys: readonly (number | null)[], grid: CurveGrid): (number | null)[] {
  const out = new Array<number | null>(grid.columns * 2).fill(null)
  const lo = new Array<number>(grid.columns).fill(-1)
  const hi = new Array<number>(grid.columns).fill(-1)
  const count = new Array<number>(grid.columns).fill(0)
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i]
    if (y === null || y === undefined || !Number.isFinite(y)) continue
    const c = slotOf(grid, xs[i] as number) >> 1
    count[c] = (count[c] as number) + 1
    if (lo[c] === -1 || y < (ys[lo[c] as number] as number)) lo[c] = i
    if (hi[c] === -1 || y > (ys[hi[c] as number] as number)) hi[c] = i
  }
  for (let c = 0; c < grid.columns; c++) {
    const n = count[c] as number
    if (n === 0) continue
    const a = lo[c] as number
    const b = hi[c] as number
    if (n === 1) {
      out[slotOf(grid, xs[a] as number)] = ys[a] as number
      continue
    }
    const [first, second] = a <= b ? [a, b] : [b, a]
    out[2 * c] = ys[first] as number
    out[2 * c + 1] = ys[second] as number
  }
  return out
}

/**
 * A run's value at every slot for averaging: the mean of its points in the slot, else the linear interpolation
 * between its nearest points on either side; null before its first and after its last point. `xs` ascending.
 */
export function resampleOnGrid(xs: readonly number[], ys: readonly (number | null)[], grid: CurveGrid): (number | null)[] {
  const slots = grid.columns * 2
  const sum = new Array<number>(slots).fill(0)
  const cnt = new Array<number>(slots).fill(0)
  const px: number[] = []
  const py: number[] = []
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i]
    const x = xs[i] as number
    if (y === null || y === undefined || !Number.isFinite(y) || !Number.isFinite(x)) continue
    const s = slotOf(grid, x)
    sum[s] = (sum[s] as number) + y
    cnt[s] = (cnt[s] as number) + 1
    px.push(x)
    py.push(y)
  }
  const out = new Array<number | null>(slots).fill(null)
  if (px.length === 0) return out
  const first = slotOf(grid, px[0] as number)
  const last = slotOf(grid, px[px.length - 1] as number)
  const centres = gridSlots(grid)
  let j = 0 // px[j] is the first point at or after the slot's centre
  for (let s = first; s <= last; s++) {
    if ((cnt[s] as number) > 0) {
      out[s] = (sum[s] as number) / (cnt[s] as number)
      continue
    }
    const x = centres[s] as number
    while (j < px.length && (px[j] as number) < x) j++
    if (j === 0 || j >= px.length) continue
    const x0 = px[j - 1] as number
    const x1 = px[j] as number
    const y0 = py[j - 1] as number
    const y1 = py[j] as number
    out[s] = x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0)
  }
  return out
}

/** Mean, sample standard deviation (n - 1; 0 for one run), min and max over runs at each slot, and how many runs had a value. */
export interface BandStats {
  readonly mean: (number | null)[]
  readonly std: (number | null)[]
  readonly min: (number | null)[]
  readonly max: (number | null)[]
  readonly n: number[]
}

export function aggregateSlots(curves: readonly (readonly (number | null)[])[], slots: number): BandStats {
  const mean = new Array<number | null>(slots).fill(null)
  const std = new Array<number | null>(slots).fill(null)
  const min = new Array<number | null>(slots).fill(null)
  const max = new Array<number | null>(slots).fill(null)
  const n = new Array<number>(slots).fill(0)
  for (let s = 0; s < slots; s++) {
    let k = 0
    let m = 0
    let m2 = 0
    let lo = Infinity
    let hi = -Infinity
    for (const c of curves) {
      const v = c[s]
      if (v === null || v === undefined) continue
      k++
      const d = v - m
      m += d / k // Welford: stable for many runs
      m2 += d * (v - m)
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    n[s] = k
    if (k === 0) continue
    mean[s] = m
    std[s] = k > 1 ? Math.sqrt(m2 / (k - 1)) : 0
    min[s] = lo
    max[s] = hi
  }
  return { mean, std, min, max, n }
}

/** The band a group is drawn with: min-max over its runs, or mean +- one standard deviation. */
export type BandKind = 'minmax' | 'std'

export function bandOf(stats: Pick<BandStats, 'mean' | 'std' | 'min' | 'max'>, kind: BandKind): { lower: (number | null)[]; upper: (number | null)[] } {
  if (kind === 'minmax') return { lower: stats.min, upper: stats.max }
  return {
    lower: stats.mean.map((m, i) => (m === null ? null : m - (stats.std[i] as number))),
    upper: stats.mean.map((m, i) => (m === null ? null : m + (stats.std[i] as number))),
  }
}

/** A run's resampled slots (resampleOnGrid) as one value per pixel column: the mean of the column's two slots, or the one that has a value. */
export function perColumn(slots: readonly (number | null)[]): (number | null)[] {
  const out = new Array<number | null>(slots.length >> 1)
  for (let c = 0; c < out.length; c++) {
    const a = slots[2 * c] ?? null
    const b = slots[2 * c + 1] ?? null
    out[c] = a === null ? b : b === null ? a : (a + b) / 2
  }
  return out
}

/** A group's curve: one value per pixel column of its mean, sample std, min and max over its runs. */
export interface GroupCurve {
  readonly mean: (number | null)[]
  readonly std: (number | null)[]
  readonly min: (number | null)[]
  readonly max: (number | null)[]
}

/** A group's curve as `runs.curves` sends it: each statistic packed (packCurve). */
export interface PackedGroupCurve {
  readonly mean: Uint8Array
  readonly std: Uint8Array
  readonly min: Uint8Array
  readonly max: Uint8Array
}

const FLOAT32_MAX = 3.4028234663852886e38

/**
 * Curve values as `runs.curves` sends them: float32, little-endian, 4 bytes a value, NaN where there is none. A
 * chart needs no more than float32's 7 significant digits, and bytes cross the browser host in the binary envelope
 * (shared/api/wire) and Electron's IPC as they are: a 200-run grouped overlay was 9 MB of JSON (stringify, parse
 * and their garbage most of its time), it is 4 MB of bytes. Beyond float32's range a value is capped at its
 * largest (a diverged curve stays at the top, not gone); non-finite values are no value.
 */
export function packCurve(values: ArrayLike<number | null>): Uint8Array {
  const out = new Uint8Array(4 * values.length)
  const view = new DataView(out.buffer)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    view.setFloat32(4 * i, v === null || v === undefined || !Number.isFinite(v) ? Number.NaN : v > FLOAT32_MAX ? FLOAT32_MAX : v < -FLOAT32_MAX ? -FLOAT32_MAX : v, true)
  }
  return out
}

/** The values of packCurve's bytes (NaN as null); throws on a length that is not whole float32s. */
export function unpackCurve(bytes: Uint8Array): (number | null)[] {
  if (bytes.byteLength % 4 !== 0) throw new Error(`A packed curve has ${bytes.byteLength} bytes, not a whole number of float32 values`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) // any offset: envelope parts need not be aligned
  const out = new Array<number | null>(bytes.byteLength >> 2)
  for (let i = 0; i < out.length; i++) {
    const v = view.getFloat32(4 * i, true)
    out[i] = Number.isNaN(v) ? null : v
  }
  return out
}

/** The group curve of runs' per-column curves (perColumn), packed to send (packCurve). */
export function packGroupCurve(curves: readonly (readonly (number | null)[])[], columns: number): PackedGroupCurve {
  const s = aggregateSlots(curves, columns)
  return { mean: packCurve(s.mean), std: packCurve(s.std), min: packCurve(s.min), max: packCurve(s.max) }
}

/** Curves of many runs on one axis (`runs.curves`'s answer), with their values either packed or as numbers. */
export interface CurvesOf<RunValues, GroupValues> {
  readonly axis: CurveAxis
  /** The x of every slot (two per pixel column); empty when no run has a point of the asked names. */
  readonly x: number[]
  /** Each run's curve by min/max per pixel column on the shared slots. */
  readonly runs: { readonly runId: number; readonly series: Record<string, RunValues> }[]
  /** Each group's mean, std, min and max over its runs, one value per pixel column. */
  readonly groups: { readonly key: string; readonly runIds: number[]; readonly series: Record<string, GroupValues> }[]
  /** Runs that could not be placed on the axis (examples seen without a recorded batch size). */
  readonly unaligned: number[]
  /** Points read from the database. */
  readonly points: number
}

/** What `runs.curves` sends. */
export type PackedCurves = CurvesOf<Uint8Array, PackedGroupCurve>
/** What a chart draws from (unpackCurves of what `runs.curves` sent). */
export type Curves = CurvesOf<(number | null)[], GroupCurve>

const mapValues = <A, B>(o: Record<string, A>, f: (a: A) => B): Record<string, B> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]))

export function unpackCurves(r: PackedCurves): Curves {
  return {
    ...r,
    runs: r.runs.map((run) => ({ runId: run.runId, series: mapValues(run.series, unpackCurve) })),
    groups: r.groups.map((g) => ({
      key: g.key,
      runIds: g.runIds,
      series: mapValues(g.series, (c) => ({ mean: unpackCurve(c.mean), std: unpackCurve(c.std), min: unpackCurve(c.min), max: unpackCurve(c.max) })),
    })),
  }
}

/** Per-column values on the grid's slots (each column's value in both its slots), for a chart whose x is the slots. */
export function columnsToSlots(values: readonly (number | null)[]): (number | null)[] {
  const out = new Array<number | null>(values.length * 2)
  for (let c = 0; c < values.length; c++) out[2 * c] = out[2 * c + 1] = values[c] ?? null
  return out
}
