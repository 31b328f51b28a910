/**
 * The one seeded random generator of CNN Studio.
 *
 * Algorithm: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, period >= 2^32,
 * passes PractRand/BigCrush), seeded by hashing the seed with cyrb128 and warmed up 12 rounds.
 *
 * Streams: `fork(label)` derives a child stream from the parent's *seed key* and the label, never from the
 * parent's current position. So `rng.fork('step:3')` is the same stream no matter how many numbers the
 * parent (or any sibling) has drawn; children with different labels are independent for practical purposes.
 * Use labels like `batch:12`, `step:<id>`, `sample:5` to get per-step and per-sample streams that stay put
 * when other parts of the program change.
 *
 * No code in the project should call Math.random; take an Rng instead.
 */
import { cyrb128, splitmix32 } from './hash'

export type Seed = number | string
/** Serializable generator state (four uint32 words of sfc32 plus the fork key). */
export interface RngState {
  readonly key: readonly [number, number, number, number]
  readonly words: readonly [number, number, number, number]
}

const TWO_POW_32 = 4294967296
const TWO_POW_53 = 9007199254740992

function keyFromSeed(seed: Seed): [number, number, number, number] {
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new Error(`Random seed must be a finite number or a string, received ${String(seed)}`)
    if (Number.isInteger(seed) && Math.abs(seed) <= 0xffffffff) {
      // Integers get a cheap, collision-free path: splitmix32 chain over the value.
      const a = splitmix32(seed >>> 0)
      const b = splitmix32(a ^ (seed < 0 ? 0x5bd1e995 : 0))
      const c = splitmix32(b)
      const d = splitmix32(c)
      return [a, b, c, d]
    }
    return cyrb128(`n:${seed}`)
  }
  return cyrb128(`s:${seed}`)
}

export class Rng {
  readonly #key: [number, number, number, number]
  #a: number
  #b: number
  #c: number
  #d: number

  private constructor(key: [number, number, number, number], words?: readonly [number, number, number, number]) {
    this.#key = key
    if (words) {
      ;[this.#a, this.#b, this.#c, this.#d] = words
    } else {
      ;[this.#a, this.#b, this.#c, this.#d] = key
      for (let i = 0; i < 12; i++) this.uint32()
    }
  }

  /** A generator seeded from a number or a string. Same seed, same sequence, on every platform. */
  static create(seed: Seed): Rng {
    return new Rng(keyFromSeed(seed))
  }

  /** Restores a generator saved with `state()` (e.g. to resume a data-order stream). */
  static fromState(state: RngState): Rng {
    return new Rng([...state.key], state.words)
  }

  state(): RngState {
    return { key: [...this.#key], words: [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0] }
  }

  /** A child stream determined only by this stream's seed key and the label (see module doc). */
  fork(label: string | number): Rng {
    const [k0, k1, k2, k3] = this.#key
    return new Rng(cyrb128(`${k0}.${k1}.${k2}.${k3}/${typeof label}:${label}`))
  }

  /** Next raw 32-bit unsigned integer (sfc32 step). */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Uniform float in [0, 1) with 53 bits of resolution. */
  float(): number {
    const hi = this.uint32() >>> 5 // 27 bits
    const lo = this.uint32() >>> 6 // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53
  }

  /** Uniform float in [min, max). */
  uniform(min = 0, max = 1): number {
    if (!(min <= max)) throw new Error(`uniform: min must not exceed max, received [${min}, ${max}]`)
    return min + (max - min) * this.float()
  }

  /** Uniform integer in [min, max], both inclusive, without modulo bias. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
      throw new Error(`int: expected integers min <= max, received [${min}, ${max}]`)
    }
    const range = max - min + 1
    if (range > TWO_POW_32) {
      // Wide ranges: 53-bit float is uniform enough and never exceeds max.
      return min + Math.floor(this.float() * range)
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % range)
    let u = this.uint32()
    while (u >= limit) u = this.uint32()
    return min + (u % range)
  }

  /** true with probability p (p clamped to [0, 1]); p = 1 is always true, p = 0 always false. */
  bernoulli(p: number): boolean {
    return this.float() < p
  }

  /** Log-uniform float in [min, max), min > 0: uniform in log space (learning rates, weight decay). */
  logUniform(min: number, max: number): number {
    if (!(min > 0) || !(max >= min)) throw new Error(`logUniform: expected 0 < min <= max, received [${min}, ${max}]`)
    return Math.exp(this.uniform(Math.log(min), Math.log(max)))
  }

  /** Normal sample (Box-Muller; one of the pair is discarded so the state stays four words). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.float() // (0, 1]
    const u2 = this.float()
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
  }

  /** Gamma(shape, scale) sample (Marsaglia-Tsang; shape < 1 via the u^(1/shape) boost). */
  gamma(shape: number, scale = 1): number {
    return Math.exp(this.logGamma(shape)) * scale
  }

  /**
   * log of a Gamma(shape, 1) sample. Working in log space keeps tiny shapes (alpha = 0.1 mixup) from
   * underflowing to 0, which would otherwise make Beta samples 0/0.
   */
  logGamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new Error(`gamma: shape must be > 0, received ${shape}`)
    if (shape < 1) {
      const u = 1 - this.float() // (0, 1]
      return this.logGamma(shape + 1) + Math.log(u) / shape
    }
    const d = shape - 1 / 3
    const c = 1 / Math.sqrt(9 * d)
    for (;;) {
      let x: number
      let v: number
      do {
        x = this.normal()
        v = 1 + c * x
      } while (v <= 0)
      v = v * v * v
      const u = 1 - this.float()
      const x2 = x * x
      if (u < 1 - 0.0331 * x2 * x2) return Math.log(d * v)
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return Math.log(d * v)
    }
  }

  /** Beta(a, b) sample in [0, 1], via two gammas (computed in log space). */
  beta(a: number, b: number): number {
    if (!(a > 0) || !(b > 0)) throw new Error(`beta: a and b must be > 0, received (${a}, ${b})`)
    const lx = this.logGamma(a)
    const ly = this.logGamma(b)
    // x / (x + y) = 1 / (1 + exp(ly - lx)), stable for any magnitudes.
    const diff = ly - lx
    return diff > 0 ? Math.exp(-diff) / (1 + Math.exp(-diff)) : 1 / (1 + Math.exp(diff))
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      const tmp = items[i] as T
      items[i] = items[j] as T
      items[j] = tmp
    }
    return items
  }

  /** A shuffled copy. */
  shuffled<T>(items: readonly T[]): T[] {
    return this.shuffle(items.slice())
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i))
  }

  /** One element chosen uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('choice: cannot choose from an empty list')
    return items[this.int(0, items.length - 1)] as T
  }
}

/** Shorthand for `Rng.create(seed)`. */
export function createRng(seed: Seed): Rng {
  return Rng.create(seed)
}
