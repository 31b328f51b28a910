/**
 * Per-channel mean and standard deviation of a set of images, for Normalize. Pure TypeScript (no tfjs), so
 * the dataset cache can run it over raw Uint8 HWC buffers (N*H*W*C bytes, channel-interleaved) in any process.
 *
 * Numerics: Uint8 input is counted into a 256-bin histogram per channel (exact integer counts in float64),
 * then mean and variance are computed from the histogram in two passes (exact mean, no cancellation).
 * Float input uses Welford's update per value. Partial results combine with Chan's parallel formula, so
 * streaming over chunks or merging accumulators from several workers gives the same answer.
 * The std is the population std (divide by n), as torchvision's usual recipe computes it.
 */

export interface ChannelStats {
  readonly channels: number
  /** Number of values per channel (pixels). */
  readonly count: number
  readonly mean: number[]
  readonly std: number[]
}

export interface StatsOptions {
  /** Multiplier applied to Uint8 values, default 1/255 (so the stats match images in [0, 1]). */
  readonly scale?: number
}

interface Moments {
  n: number
  mean: number
  m2: number
}

function mergeMoments(a: Moments, b: Moments): Moments {
  if (b.n === 0) return { ...a }
  if (a.n === 0) return { ...b }
  const n = a.n + b.n
  const delta = b.mean - a.mean
  return { n, mean: a.mean + (delta * b.n) / n, m2: a.m2 + b.m2 + (delta * delta * a.n * b.n) / n }
}

/** Streaming accumulator: add chunks (whole pixels), then read `result()`. */
export class ChannelStatsAccumulator {
  readonly channels: number
  readonly scale: number
  readonly #hist: Float64Array
  #float: Moments[]

  constructor(channels: number, options: StatsOptions = {}) {
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`Channel stats: channels must be a positive integer, received ${channels}`)
    const scale = options.scale ?? 1 / 255
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`Channel stats: scale must be > 0, received ${scale}`)
    this.channels = channels
    this.scale = scale
    this.#hist = new Float64Array(256 * channels)
    this.#float = Array.from({ length: channels }, () => ({ n: 0, mean: 0, m2: 0 }))
  }

  /** Adds channel-interleaved Uint8 values (HWC, any number of whole pixels); scaled by `scale`. */
  addUint8(data: Uint8Array | Uint8ClampedArray): this {
    const C = this.channels
    if (data.length % C !== 0) throw new Error(`Channel stats: buffer length ${data.length} is not a multiple of ${C} channels`)
    const hist = this.#hist
    for (let c = 0; c < C; c++) {
      const base = c * 256
      for (let i = c; i < data.length; i += C) {
        const bin = base + (data[i] as number)
        hist[bin] = (hist[bin] as number) + 1
      }
    }
    return this
  }

  /** Adds channel-interleaved float values as they are (no scale). Non-finite values are refused. */
  addFloat(data: ArrayLike<number>): this {
    const C = this.channels
    if (data.length % C !== 0) throw new Error(`Channel stats: buffer length ${data.length} is not a multiple of ${C} channels`)
    for (let c = 0; c < C; c++) {
      const m = this.#float[c] as Moments
      let { n, mean, m2 } = m
      for (let i = c; i < data.length; i += C) {
        const x = data[i] as number
        if (!Number.isFinite(x)) throw new Error(`Channel stats: value at index ${i} is not finite, received ${x}`)
        n += 1
        const d = x - mean
        mean += d / n
        m2 += d * (x - mean)
      }
      this.#float[c] = { n, mean, m2 }
    }
    return this
  }

  /** Folds another accumulator (same channels and scale) into this one. */
  merge(other: ChannelStatsAccumulator): this {
    if (other.channels !== this.channels || other.scale !== this.scale) {
      throw new Error(`Channel stats: cannot merge ${other.channels} channels (scale ${other.scale}) into ${this.channels} (scale ${this.scale})`)
    }
    const hist = other.#hist
    for (let i = 0; i < hist.length; i++) this.#hist[i] = (this.#hist[i] as number) + (hist[i] as number)
    this.#float = this.#float.map((m, c) => mergeMoments(m, other.#float[c] as Moments))
    return this
  }

  #histMoments(c: number): Moments {
    const base = c * 256
    let n = 0
    let sum = 0
    for (let v = 0; v < 256; v++) {
      const k = this.#hist[base + v] as number
      n += k
      sum += k * v
    }
    if (n === 0) return { n: 0, mean: 0, m2: 0 }
    const meanRaw = sum / n
    let m2Raw = 0
    for (let v = 0; v < 256; v++) {
      const k = this.#hist[base + v] as number
      if (k > 0) m2Raw += k * (v - meanRaw) * (v - meanRaw)
    }
    return { n, mean: meanRaw * this.scale, m2: m2Raw * this.scale * this.scale }
  }

  result(): ChannelStats {
    const moments = this.#float.map((f, c) => mergeMoments(this.#histMoments(c), f))
    const count = moments[0]?.n ?? 0
    if (count === 0) throw new Error('Channel stats: no pixels were added')
    return {
      channels: this.channels,
      count,
      mean: moments.map((m) => m.mean),
      std: moments.map((m) => Math.sqrt(Math.max(0, m.m2 / m.n))),
    }
  }
}

/**
 * Mean and std per channel of Uint8 HWC images (N*H*W*C bytes). With the default scale 1/255 the results are in
 * the same units as the float images the pipeline augments, ready for Normalize.
 */
export function channelStats(
  data: Uint8Array | Uint8ClampedArray,
  shape: { readonly height: number; readonly width: number; readonly channels: number },
  options: StatsOptions = {},
): ChannelStats {
  const per = shape.height * shape.width * shape.channels
  if (!(per > 0) || data.length % per !== 0) {
    throw new Error(`Channel stats: buffer length ${data.length} is not a whole number of ${shape.height}x${shape.width}x${shape.channels} images`)
  }
  return new ChannelStatsAccumulator(shape.channels, options).addUint8(data).result()
}
