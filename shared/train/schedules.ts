/**
 * Learning-rate schedules as pure functions of (step, stepsPerEpoch, totalSteps, spec).
 *
 * `step` is the 0-based index of the update about to be applied (the first update uses step 0). The value
 * returned is the multiplier of the base learning rate (times `baseLr`, default 1), so the same spec previews
 * and trains identically.
 *
 * Kinds (CS231n lecture 7 / seed features section 6), one `defineSchedule` each below (./schedule-registry); to add
 * one, write its definition here, append it to SCHEDULE_KINDS and add its case to
 * tests/shared/train/schedule-registry.test.ts:
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
import { fmtValue, int, num } from './fields'
import type { FormField } from './optimizer-registry'
import { defineSchedule, getSchedule } from './schedule-registry'

export { fmtValue }

const gamma = (what: string, fallback: number) => num(what, (v) => v > 0 && v <= 1, 'in (0, 1]').default(fallback)

export const constant = defineSchedule({
  type: 'constant',
  label: 'Constant',
  description: 'The base learning rate throughout (after the warmup).',
  formula: '1',
  schema: z.strictObject({ type: z.literal('constant') }),
  hyperparameters: [],
  factor: () => 1,
  nonIncreasing: true,
  fields: [],
  describe: () => 'constant',
})

export const step = defineSchedule({
  type: 'step',
  label: 'Step decay',
  description: 'Multiply the learning rate by a factor every few epochs (Krizhevsky et al.: x0.1 when the validation error stalls).',
  formula: 'gamma ^ floor(epoch / everyEpochs), whole epochs',
  schema: z.strictObject({ type: z.literal('step'), everyEpochs: int('step schedule everyEpochs', 1), gamma: gamma('step schedule gamma', 0.1) }),
  hyperparameters: [
    { name: 'everyEpochs', label: 'Decay every (epochs)', default: null, help: 'Epochs between two decays.' },
    { name: 'gamma', label: 'Factor', default: 0.1, help: 'Multiplier applied at each decay.' },
  ],
  factor: ({ spec, epochs }) => Math.pow(spec.gamma, Math.floor(Math.floor(epochs) / spec.everyEpochs)),
  nonIncreasing: true,
  fields: [
    { param: 'everyEpochs', formKey: 'stepEvery', label: 'Decay every', unit: 'epochs', default: '10', says: 'step schedule everyEpochs' },
    { param: 'gamma', formKey: 'stepGamma', label: 'Factor', default: '0.1', hint: '×0.1 is Krizhevsky’s', says: 'step schedule gamma' },
  ],
  cliDefaults: (epochs) => ({ everyEpochs: Math.max(1, Math.round(epochs / 3)), gamma: 0.1 }),
  describe: (s) => `×${s.gamma} every ${s.everyEpochs} epochs`,
})

export const exponential = defineSchedule({
  type: 'exponential',
  label: 'Exponential decay',
  description: 'Multiply the learning rate by a factor after every epoch (GoogLeNet: x0.97).',
  formula: 'gamma ^ floor(epoch)',
  schema: z.strictObject({ type: z.literal('exponential'), gamma: gamma('exponential schedule gamma', 0.97) }),
  hyperparameters: [{ name: 'gamma', label: 'Factor', default: 0.97, help: 'Multiplier per epoch.' }],
  factor: ({ spec, epochs }) => Math.pow(spec.gamma, Math.floor(epochs)),
  nonIncreasing: true,
  fields: [{ param: 'gamma', formKey: 'expGamma', label: 'Factor per epoch', default: '0.97', says: 'exponential schedule gamma' }],
  cliName: 'exp',
  describe: (s) => `×${s.gamma} per epoch`,
})

export const cosine = defineSchedule({
  type: 'cosine',
  label: 'Cosine',
  description: 'Half a cosine from the base rate down to a final factor over the steps after the warmup (Loshchilov & Hutter, SGDR).',
  formula: 'min + (1 - min) (1 + cos(pi p)) / 2, p = progress after warmup in [0, 1]',
  schema: z.strictObject({
    type: z.literal('cosine'),
    minFactor: num('cosine schedule minFactor', (v) => v >= 0 && v <= 1, 'in [0, 1]').default(0),
  }),
  hyperparameters: [{ name: 'minFactor', label: 'Final factor', default: 0, help: 'Fraction of the base rate at the end.' }],
  factor: ({ spec, progress }) => spec.minFactor + ((1 - spec.minFactor) * (1 + Math.cos(Math.PI * progress))) / 2,
  nonIncreasing: true,
  fields: [{ param: 'minFactor', formKey: 'cosineMin', label: 'Final factor', default: '0', hint: '0 decays to zero', says: 'cosine schedule minFactor' }],
  describe: (s) => `cosine to ×${s.minFactor}`,
})

export const inverseTime = defineSchedule({
  type: 'inverseTime',
  label: '1/t decay',
  description: 'Divide the base rate by 1 + k times the epochs done (fractional).',
  formula: '1 / (1 + k t), t in epochs (fractional)',
  schema: z.strictObject({ type: z.literal('inverseTime'), k: num('1/t schedule k', (v) => v > 0, '> 0') }),
  hyperparameters: [{ name: 'k', label: 'k', default: null, help: 'Decay rate per epoch.' }],
  factor: ({ spec, epochs }) => 1 / (1 + spec.k * epochs),
  nonIncreasing: true,
  fields: [{ param: 'k', formKey: 'invK', label: 'k', default: '0.5', hint: 'lr / (1 + k·epoch)', says: '1/t schedule k' }],
  cliName: 'inv',
  describe: (s) => `1/(1 + ${s.k}·epoch)`,
})

export const sqrt = defineSchedule({
  type: 'sqrt',
  label: 'sqrt(1 − t/T)',
  description: 'The square root of the remaining fraction of the steps after the warmup.',
  formula: 'sqrt(1 - p), p = progress after warmup',
  schema: z.strictObject({ type: z.literal('sqrt') }),
  hyperparameters: [],
  factor: ({ progress }) => Math.sqrt(Math.max(0, 1 - progress)),
  nonIncreasing: true,
  fields: [],
  describe: () => 'sqrt(1 − t/T)',
})

/** Every kind, in the order of the form's list; the config union is built from it. */
export const SCHEDULE_KINDS = [constant, step, exponential, cosine, inverseTime, sqrt] as const
export type ScheduleType = (typeof SCHEDULE_KINDS)[number]['type']
/** The saved Train form's keys for schedule hyperparameters. */
export type ScheduleFormKey = (typeof SCHEDULE_KINDS)[number]['fields'][number]['formKey']
export const SCHEDULE_TYPES = SCHEDULE_KINDS.map((d) => d.type) as [ScheduleType, ...ScheduleType[]]
/** Every form field of every kind (warmupEpochs, common to all, is the form's own). */
export const SCHEDULE_FORM_FIELDS = SCHEDULE_KINDS.flatMap((d) => d.fields as readonly FormField<ScheduleFormKey>[])

/** Linear warmup over the first epochs, common to every kind. */
const warmupEpochs = num('warmupEpochs', (v) => v >= 0, '>= 0').default(0)

type WithWarmup<T extends readonly { readonly schema: z.ZodObject }[]> = {
  -readonly [I in keyof T]: z.ZodObject<T[I]['schema']['shape'] & { warmupEpochs: typeof warmupEpochs }, z.core.$strict>
}

export const scheduleSpecSchema = z.discriminatedUnion(
  'type',
  SCHEDULE_KINDS.map((d) => d.schema.extend({ warmupEpochs })) as unknown as WithWarmup<typeof SCHEDULE_KINDS>,
  { error: (iss) => `schedule type must be one of ${SCHEDULE_TYPES.join(', ')}, received ${fmtValue((iss.input as { type?: unknown } | undefined)?.type ?? iss.input)}` },
)

export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>
export type ScheduleSpecInput = z.input<typeof scheduleSpecSchema>

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
  const def = getSchedule(spec.type)
  if (!def) throw new Error(`learningRateAt: unknown schedule type ${fmtValue(spec.type)}`)
  // Hyperparameters left out of an input spec count as their defaults.
  const full = { ...Object.fromEntries(def.hyperparameters.map((h) => [h.name, h.default])), ...spec }
  const f = def.factor({ spec: full, epochs, progress: p })
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

/** The registry's lookups, from here so that the kinds are registered whenever they are used. */
export { getSchedule, listSchedules, scheduleByCliName } from './schedule-registry'
