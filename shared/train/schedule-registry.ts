/**
 * The learning-rate schedule registry: one definition per schedule kind (`defineSchedule`) serves the config
 * schema (the `schedule` union of the training config, each kind with the common `warmupEpochs`), the factor of the
 * base learning rate at each step, the Train form's fields, the command line's names, the labels of the run views
 * and the data a code generator needs. The kinds are in ./schedules.
 */
import type { z } from 'zod'
import type { FormField, Hyperparameter } from './optimizer-registry'

/** Where a step is, for a schedule's factor. */
export interface ScheduleContext<S> {
  readonly spec: S
  /** Epochs done at this step (fractional: step / stepsPerEpoch), counted from the start of training. */
  readonly epochs: number
  /** Progress through the decay phase: 0 at the first step after warmup, 1 at the step after the last. */
  readonly progress: number
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ScheduleSchema = z.ZodObject<{ type: z.ZodLiteral<any> } & z.ZodRawShape>

export interface ScheduleDef<Z extends ScheduleSchema = ScheduleSchema, K extends string = string> {
  readonly type: z.output<Z>['type'] & string
  /** What the Train form's list and the Compare view say (`Cosine`). */
  readonly label: string
  readonly description: string
  /** The factor as a formula (docs, generated code comments). */
  readonly formula: string
  /** Its own fields; the registry adds `warmupEpochs` to every kind. */
  readonly schema: Z
  /** Hyperparameters besides warmupEpochs; `default` null = required. */
  readonly hyperparameters: readonly Hyperparameter[]
  /** Multiplier of the base learning rate, before warmup. Pure. */
  factor(ctx: ScheduleContext<z.output<Z>>): number
  /** Never rises after warmup (the contract test checks it). */
  readonly nonIncreasing: boolean
  /** The Train form's fields (also the command line's values, from their defaults). */
  readonly fields: readonly FormField<K>[]
  /** `studio train --schedule` name when it is not the type (`exp`). */
  readonly cliName?: string
  /** Values the command line sets from the run's length (step decay every third of the epochs). */
  cliDefaults?(epochs: number): Partial<z.output<Z>>
  /** The spec in a few words (`cosine to ×0`), without the warmup. */
  describe(spec: z.output<Z>): string
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyScheduleDef = ScheduleDef<any, any>

const registry = new Map<string, AnyScheduleDef>()

/** Register a schedule kind. Throws when the type is taken or the form's default fields do not validate. */
export function defineSchedule<Z extends ScheduleSchema, K extends string = never>(def: ScheduleDef<Z, K>): ScheduleDef<Z, K> {
  const where = `Schedule kind "${def.type}"`
  if (registry.has(def.type)) throw new Error(`${where} is already registered`)
  const names = Object.keys(def.schema.shape).filter((k) => k !== 'type')
  for (const n of names) if (!def.hyperparameters.some((h) => h.name === n)) throw new Error(`${where}: schema field "${n}" is not described in hyperparameters`)
  for (const f of def.fields) if (!names.includes(f.param)) throw new Error(`${where}: field for unknown hyperparameter "${f.param}"`)
  const spec = { type: def.type, ...Object.fromEntries(def.fields.map((f) => [f.param, Number(f.default)])) }
  const r = def.schema.safeParse(spec)
  if (!r.success) throw new Error(`${where}: its default fields do not validate: ${r.error.issues.map((i) => i.message).join('; ')}`)
  registry.set(def.type, def)
  return def
}

export function getSchedule(type: string): AnyScheduleDef | undefined {
  return registry.get(type)
}

export function listSchedules(): AnyScheduleDef[] {
  return [...registry.values()]
}

/** The kind `studio train --schedule <name>` means. */
export function scheduleByCliName(name: string): AnyScheduleDef | undefined {
  return listSchedules().find((d) => (d.cliName ?? d.type) === name)
}
