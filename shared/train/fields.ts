/**
 * Zod field builders whose messages name the field and quote the received value
 * (`beta1 must be in [0, 1), received 1`), shared by the training config and the optimizer / schedule definitions.
 */
import { z } from 'zod'

/** Short human rendering of a received value for messages. */
export function fmtValue(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v)
  if (typeof v === 'string') return JSON.stringify(v)
  if (v === undefined) return 'nothing'
  try {
    const s = JSON.stringify(v)
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s
  } catch {
    return String(v)
  }
}

/** A finite number passing `ok`; `rule` says what `ok` means (`in [0, 1)`). */
export const num = (what: string, ok: (v: number) => boolean, rule: string) =>
  z
    .number({ error: (iss) => `${what} must be a number, received ${fmtValue(iss.input)}` })
    .refine((v) => Number.isFinite(v) && ok(v), { error: (iss) => `${what} must be ${rule}, received ${fmtValue(iss.input)}` })

export const int = (what: string, min: number) => num(what, (v) => Number.isInteger(v) && v >= min, `an integer >= ${min}`)

export const bool = (what: string) => z.boolean({ error: (iss) => `${what} must be true or false, received ${fmtValue(iss.input)}` })
