/**
 * Learning-rate schedules as pure functions of (step, stepsPerEpoch, totalSteps, spec).
 *
 * `step` is the 0-based index of the update about to be applied (the first update uses step 0). The value
 * returned is the multiplier of the base learning rate (times `baseLr`, default 1), so the same spec previews
 * and trains identically.
 *
 * Kinds (CS231n lecture 7 / seed features section 6):
 * - constant:     1
 * - step:         gamma ^ floor(epoch / everyEpochs)               (Krizhevsky: x0.1 every k epochs)
 * - exponential:  gamma ^ floor(epoch)                              (GoogLeNet: x0.97 per epoch)
 * - cosine:       min + (1 - min) * (1 + cos(pi * p)) / 2           (p = progress after warmup, in [0, 1])
 * - inverseTime:  1 / (1 + k * t)                                   (t in epochs, fractional)
 * - sqrt:         sqrt(1 - p)                                        (p = progress after warmup)
 * where epoch = step / stepsPerEpoch (whole epochs for step/exponential). With `warmupEpochs` > 0 the first
 * W = round(warmupEpochs * stepsPerEpoch) steps ramp linearly: factor (step + 1) / W (so step 0 is not 0 and
 * step W - 1 reaches the full rate), multiplied into the schedule's value; cosine and sqrt then decay over the
 * remaining T - W steps, the epoch-based kinds keep counting epochs from the start of training.
 */
import { z } from 'zod'

const finitePositive = (what: string) =>
  z.number({ error: (iss) => `${what} must be a number, received ${fmtValue(iss.input)}` }).refine((v) => Number.isFinite(v) && v > 0, {
    error: (iss) => `${what} must be > 0, received ${fmtValue(iss.input)}`,
  })

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

const warmupEpochs = z
  .number({ error: (iss) => `warmupEpochs must be a number, received ${fmtValue(iss.input)}` })
  .refine((v) => Number.isFinite(v) && v >= 0, { error: (iss) => `warmupEpochs must be >= 0, received ${fmtValue(iss.input)}` })
  .default(0)

const gamma = (what: string) =>
  z
    .number({ error: (iss) => `${what} must be a number, received ${fmtValue(iss.input)}` })
    .refine((v) => v > 0 && v <= 1, { error: (iss) => `${what} must be in (0, 1], received ${fmtValue(iss.input)}` })

export const scheduleSpecSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('constant'), warmupEpochs }),
    z.strictObject({
      type: z.literal('step'),
      everyEpochs: z
        .number({ error: (iss) => `step schedule everyEpochs must be a number, received ${fmtValue(iss.input)}` })
        .refine((v) => Number.isInteger(v) && v >= 1, { error: (iss) => `step schedule everyEpochs must be an integer >= 1, received ${fmtValue(iss.input)}` }),
      gamma: gamma('step schedule gamma').default(0.1),
      warmupEpochs,
    }),
    z.strictObject({ type: z.literal('exponential'), gamma: gamma('exponential schedule gamma').default(0.97), warmupEpochs }),
    z.strictObject({
      type: z.literal('cosine'),
      minFactor: z
        .number({ error: (iss) => `cosine schedule minFactor must be a number, received ${fmtValue(iss.input)}` })
        .refine((v) => v >= 0 && v <= 1, { error: (iss) => `cosine schedule minFactor must be in [0, 1], received ${fmtValue(iss.input)}` })
        .default(0),
      warmupEpochs,
    }),
    z.strictObject({ type: z.literal('inverseTime'), k: finitePositive('1/t schedule k'), warmupEpochs }),
    z.strictObject({ type: z.literal('sqrt'), warmupEpochs }),
  ],
  { error: (iss) => `schedule type must be one of constant, step, exponential, cosine, inverseTime, sqrt, received ${fmtValue((iss.input as { type?: unknown } | undefined)?.type ?? iss.input)}` },
)

export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>
export type ScheduleSpecInput = z.input<typeof scheduleSpecSchema>
export type ScheduleType = ScheduleSpec['type']

/** Number of warmup steps of a spec for a given epoch length. */
export function warmupSteps(spec: ScheduleSpecInput, stepsPerEpoch: number): number {
  return Math.max(0, Math.round((spec.warmupEpochs ?? 0) * stepsPerEpoch))
}

/**
 * Learning rate at `step` (0-based) = baseLr * schedule factor * warmup factor. Pure. Steps past
 * `totalSteps` are clamped to the last step.
 */
export function learningRateAt(step: number, stepsPerEpoch: number, totalSteps: number, spec: ScheduleSpecInput, baseLr = 1): number {
  if (!(stepsPerEpoch >= 1)) throw new Error(`learningRateAt: stepsPerEpoch must be >= 1, received ${fmtValue(stepsPerEpoch)}`)
  const T = Math.max(1, totalSteps)
  const s = Math.min(Math.max(0, step), T - 1)
  const W = Math.min(warmupSteps(spec, stepsPerEpoch), T)
  const warm = W > 0 && s < W ? (s + 1) / W : 1
  const epochs = s / stepsPerEpoch
  // Progress through the decay phase, 0 at the first step after warmup, 1 at the step after the last.
  const p = T - W > 0 ? Math.max(0, s - W) / (T - W) : 0
  let f: number
  switch (spec.type) {
    case 'constant':
      f = 1
      break
    case 'step':
      f = Math.pow(spec.gamma ?? 0.1, Math.floor(Math.floor(epochs) / spec.everyEpochs))
      break
    case 'exponential':
      f = Math.pow(spec.gamma ?? 0.97, Math.floor(epochs))
      break
    case 'cosine': {
      const min = spec.minFactor ?? 0
      f = min + ((1 - min) * (1 + Math.cos(Math.PI * p))) / 2
      break
    }
    case 'inverseTime':
      f = 1 / (1 + spec.k * epochs)
      break
    case 'sqrt':
      f = Math.sqrt(Math.max(0, 1 - p))
      break
  }
  return baseLr * f * warm
}

export interface CurvePoint {
  readonly step: number
  /** Fractional epoch at this step (step / stepsPerEpoch). */
  readonly epoch: number
  readonly lr: number
}

/**
 * `points` samples of the schedule over `epochs` epochs for the UI preview (first and last step always
 * included; steps are integers, evenly spread, no duplicates).
 */
export function scheduleCurve(spec: ScheduleSpecInput, stepsPerEpoch: number, epochs: number, points = 200, baseLr = 1): CurvePoint[] {
  const total = Math.max(1, Math.round(stepsPerEpoch * epochs))
  const n = Math.max(2, Math.min(Math.floor(points), total))
  const out: CurvePoint[] = []
  let last = -1
  for (let i = 0; i < n; i++) {
    const step = n === 1 ? 0 : Math.round((i * (total - 1)) / (n - 1))
    if (step === last) continue
    last = step
    out.push({ step, epoch: step / stepsPerEpoch, lr: learningRateAt(step, stepsPerEpoch, total, spec, baseLr) })
  }
  return out
}
