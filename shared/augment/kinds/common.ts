/** Shared schema pieces and validation messages for augmentation kinds. */
import { z } from 'zod'
import type { Rng } from '../../random'
import type { SampleContext } from '../types'

export type AddIssue = (path: (string | number)[], message: string) => void

/** Formats a received value for a message: numbers as written, arrays in brackets, strings quoted. */
export function fmt(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value)
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(fmt).join(', ')}]`
  if (value === undefined) return 'nothing'
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

export interface Bound {
  readonly min?: number
  readonly max?: number
  /** min itself is not allowed: (min, ... */
  readonly minOpen?: boolean
  readonly maxOpen?: boolean
  readonly integer?: boolean
}

export function intervalText(b: Bound): string {
  const lo = b.min === undefined ? '(-inf' : `${b.minOpen ? '(' : '['}${b.min}`
  const hi = b.max === undefined ? '+inf)' : `${b.max}${b.maxOpen ? ')' : ']'}`
  return `${lo}, ${hi}`
}

function inBound(v: number, b: Bound): boolean {
  if (b.min !== undefined && (b.minOpen ? !(v > b.min) : !(v >= b.min))) return false
  if (b.max !== undefined && (b.maxOpen ? !(v < b.max) : !(v <= b.max))) return false
  return true
}

/** "<name> must be in (0, 1], received 1.2" (or "must be an integer in ..."). */
export function checkNumber(add: AddIssue, path: (string | number)[], name: string, value: number, b: Bound): void {
  if ((b.integer && !Number.isInteger(value)) || !inBound(value, b)) {
    add(path, `${name} must be ${b.integer ? 'an integer in' : 'in'} ${intervalText(b)}, received ${fmt(value)}`)
  }
}

/** Checks both ends of a [min, max] range against the bound, then their order. */
export function checkRange(
  add: AddIssue,
  key: string,
  name: string,
  range: readonly [number, number],
  b: Bound,
): void {
  const [lo, hi] = range
  checkNumber(add, [key, 0], `${name} min`, lo, b)
  checkNumber(add, [key, 1], `${name} max`, hi, b)
  if (lo > hi) add([key], `${name} min must not exceed ${name} max, received [${fmt(lo)}, ${fmt(hi)}]`)
}

/** [min, max] pair of finite numbers. */
export const rangeSchema = z.tuple([z.number(), z.number()])

/**
 * Adds semantic checks to a (strict object) schema. Zod runs them only when the shape is right, so `check`
 * can trust the types. Messages go into the issue as written; validatePipeline prefixes the kind label.
 */
export function refined<T extends z.ZodType>(schema: T, check: (params: z.output<T>, add: AddIssue) => void): T {
  return schema.superRefine((value, ctx) => {
    check(value as z.output<T>, (path, message) => ctx.addIssue({ code: 'custom', message, path }))
  }) as T
}

/** Uniform draw from a [min, max] range (degenerate ranges return min without consuming randomness). */
export function drawRange(rng: Rng, range: readonly [number, number]): number {
  return range[0] === range[1] ? range[0] : rng.uniform(range[0], range[1])
}

/** Partner for mixup/cutmix: another sample of the batch, uniformly; itself only in a batch of one. */
export function drawPartner(rng: Rng, ctx: SampleContext): number {
  if (ctx.batchSize <= 1) return ctx.index
  const j = rng.int(0, ctx.batchSize - 2)
  return j >= ctx.index ? j + 1 : j
}

export function clampInt(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}
