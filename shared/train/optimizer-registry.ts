/**
 * The optimizer registry: one definition per optimizer kind (`defineOptimizer`) serves the config schema (the
 * `optimizer` union of the training config), the per-variable state slots (the checkpoint's optimizer state), the
 * update rule, the weight-decay convention, the Train form's choices and fields, the command line's choices and
 * flags, the labels of the run views, and the data a code generator needs (hyperparameter names and defaults,
 * decay convention, slot names). Nothing else switches on optimizer kinds. The kinds are in ./optimizer-kinds.
 *
 * Like the layer registry this module imports tfjs for types only: `update` receives the tfjs namespace in its
 * context, so the command line can list the kinds without loading tfjs.
 */
import type * as tfTypes from '@tensorflow/tfjs'
import type { z } from 'zod'

/**
 * How `TrainingConfig.weightDecay` (lambda) acts on the decayed variables (not biases and normalization
 * gamma/beta unless `decayBiasAndNorm`):
 * - 'l2': coupled, lambda * w is added to the gradient before the update (the gradient of lambda/2 ||W||^2 added
 *   to the loss; the reported loss includes that term). PyTorch's `weight_decay` of SGD and Adam.
 * - 'decoupled': w <- w - a * lambda * w_old after the update, outside it (Loshchilov & Hutter). PyTorch's AdamW.
 */
export type WeightDecayConvention = 'l2' | 'decoupled'

/** One hyperparameter of a kind (its config field), for forms, the Compare view, the command line and code generators. */
export interface Hyperparameter {
  /** Field name in the optimizer spec (`beta1`). */
  readonly name: string
  /** What people read (`β1`). */
  readonly label: string
  /** Value the schema fills in when the field is left out; null when it must be given. */
  readonly default: number | boolean | null
  readonly help: string
}

/** A text field of the Train form that sets one hyperparameter. */
export interface FormField<K extends string = string> {
  /** Hyperparameter it sets. */
  readonly param: string
  /**
   * Key of the field in the saved Train form. Kinds that share a key share the typed text (Adam's and AdamW's β1);
   * a key shared by two kinds must have the same default text.
   */
  readonly formKey: K
  readonly label: string
  /** Text of a fresh form (also the command line's value when its flag is not given). */
  readonly default: string
  readonly hint?: string
  readonly unit?: string
  /** The name the schema's messages start with (default `param`), so the form can put them next to this field. */
  readonly says?: string
}

/**
 * An entry of the Train form's and the command line's optimizer list. A kind has one or more (SGD: plain, with
 * momentum, with Nesterov momentum): `preset` fixes some hyperparameters, `fields` are typed in.
 */
export interface OptimizerChoice<S, K extends string = string> {
  /** Saved in the Train form and accepted by `studio train --optimizer`. */
  readonly value: string
  readonly label: string
  readonly preset: Partial<S>
  readonly fields: readonly FormField<K>[]
}

/** What `update` gets for one variable. */
export interface UpdateContext<S> {
  readonly tf: typeof tfTypes
  readonly spec: S
  /** The variable's current value. */
  readonly w: tfTypes.Tensor
  /** Its gradient (clipped, and with the coupled L2 term for 'l2' kinds). */
  readonly g: tfTypes.Tensor
  /** Effective learning rate: scheduled rate times the variable's group multiplier. */
  readonly lr: number
  /** Number of this update, counted from 1. */
  readonly t: number
  /** The variable's state slots (named by `slots`); assign the new values. */
  readonly slots: Readonly<Record<string, tfTypes.Variable>>
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptimizerSchema = z.ZodObject<{ type: z.ZodLiteral<any> } & z.ZodRawShape>

export interface OptimizerDef<Z extends OptimizerSchema = OptimizerSchema, K extends string = string> {
  readonly type: z.output<Z>['type'] & string
  /** Short name (`Adam`), the run list's Optimizer column. */
  readonly label: string
  /** One or two sentences for people. */
  readonly description: string
  /** The paper, for people and generated code comments. */
  readonly reference: string
  /** The update as a formula in words (docs, generated code comments). */
  readonly formula: string
  /** A strict object with the `type` literal and the hyperparameters (with defaults). */
  readonly schema: Z
  readonly hyperparameters: readonly Hyperparameter[]
  readonly weightDecay: WeightDecayConvention
  /** Learning rate the command line uses when `--lr` is not given. */
  readonly defaultLearningRate: number
  /** Names of the per-variable state tensors (zero at the start, saved in checkpoints), for this spec. */
  slots(spec: z.output<Z>): readonly string[]
  /** New value of the variable, before a decoupled decay; assigns the slots. Runs inside the caller's tidy. */
  update(ctx: UpdateContext<z.output<Z>>): tfTypes.Tensor
  /** The spec in a few words for the run's overview (`Adam (β1 0.9, β2 0.999)`). */
  describe(spec: z.output<Z>): string
  readonly choices: readonly OptimizerChoice<z.output<Z>, K>[]
  /**
   * The matching `torch.optim` class and its constructor arguments (PyTorch names), when PyTorch has the same
   * update and decay convention; null when a generated script must write the update itself.
   */
  readonly torch: { readonly className: string; args(spec: z.output<Z>): Record<string, number | boolean | readonly number[]> } | null
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizerDef = OptimizerDef<any, any>

const registry = new Map<string, AnyOptimizerDef>()
const choiceOwners = new Map<string, AnyOptimizerDef>()
const formDefaults = new Map<string, string>()

/**
 * Register an optimizer kind. Throws when the type or a choice value is taken, a form key is shared with another
 * default, the schema's defaults do not match `hyperparameters`, or a choice's preset does not validate.
 */
export function defineOptimizer<Z extends OptimizerSchema, K extends string = never>(def: OptimizerDef<Z, K>): OptimizerDef<Z, K> {
  const where = `Optimizer kind "${String(def.type)}"`
  if (registry.has(def.type)) throw new Error(`${where} is already registered`)
  const defaults = def.schema.safeParse({ type: def.type })
  if (!defaults.success) throw new Error(`${where}: its schema needs more than the type: ${defaults.error.issues.map((i) => i.message).join('; ')}`)
  const filled = defaults.data as Record<string, unknown>
  const names = Object.keys(def.schema.shape).filter((k) => k !== 'type')
  for (const n of names) {
    const h = def.hyperparameters.find((x) => x.name === n)
    if (!h) throw new Error(`${where}: schema field "${n}" is not described in hyperparameters`)
    if (filled[n] !== h.default) throw new Error(`${where}: hyperparameter "${n}" defaults to ${String(h.default)} but the schema fills ${String(filled[n])}`)
  }
  for (const h of def.hyperparameters) if (!names.includes(h.name)) throw new Error(`${where}: hyperparameter "${h.name}" is not in the schema`)
  if (def.choices.length === 0) throw new Error(`${where} needs at least one choice for the form and the command line`)
  for (const c of def.choices) {
    if (choiceOwners.has(c.value)) throw new Error(`${where}: choice "${c.value}" is already taken`)
    for (const f of c.fields) {
      if (!names.includes(f.param)) throw new Error(`${where}: choice "${c.value}" has a field for unknown hyperparameter "${f.param}"`)
      const other = formDefaults.get(f.formKey)
      if (other !== undefined && other !== f.default) throw new Error(`${where}: form field "${f.formKey}" defaults to "${f.default}" here and "${other}" elsewhere`)
    }
    const spec = specOfChoiceWith(def, c, (f) => Number(f.default))
    const r = def.schema.safeParse(spec)
    if (!r.success) throw new Error(`${where}: choice "${c.value}" with its default fields does not validate: ${r.error.issues.map((i) => i.message).join('; ')}`)
  }
  registry.set(def.type, def)
  for (const c of def.choices) {
    choiceOwners.set(c.value, def)
    for (const f of c.fields) formDefaults.set(f.formKey, f.default)
  }
  return def
}

function specOfChoiceWith(def: AnyOptimizerDef, choice: OptimizerChoice<unknown>, value: (f: FormField) => unknown): Record<string, unknown> {
  const spec: Record<string, unknown> = { type: def.type, ...(choice.preset as object) }
  for (const f of choice.fields) spec[f.param] = value(f)
  return spec
}

export function getOptimizer(type: string): AnyOptimizerDef | undefined {
  return registry.get(type)
}

/** The registered kinds, in registration order. */
export function listOptimizers(): AnyOptimizerDef[] {
  return [...registry.values()]
}

/** Every choice of every kind, in order (the form's list, the command line's `--optimizer` values). */
export function optimizerChoices(): { readonly def: AnyOptimizerDef; readonly choice: OptimizerChoice<Record<string, unknown>> }[] {
  return listOptimizers().flatMap((def) => def.choices.map((choice: OptimizerChoice<Record<string, unknown>>) => ({ def, choice })))
}

export function findOptimizerChoice(value: string): { readonly def: AnyOptimizerDef; readonly choice: OptimizerChoice<Record<string, unknown>> } | undefined {
  return optimizerChoices().find((c) => c.choice.value === value)
}

/**
 * The spec input of a choice: its preset plus each field's value from `value` (the typed text as a number in the
 * form, a flag or the field's default on the command line). Validate it with the config schema.
 */
export function specOfChoice(value: string, fieldValue: (f: FormField) => unknown): Record<string, unknown> {
  const hit = findOptimizerChoice(value)
  if (!hit) throw new Error(`Unknown optimizer choice ${JSON.stringify(value)}; known: ${optimizerChoices().map((c) => c.choice.value).join(', ')}`)
  return specOfChoiceWith(hit.def, hit.choice, fieldValue)
}

/**
 * The choice a spec corresponds to: the first choice of its kind whose preset it matches (an SGD spec with
 * momentum 0.9 is "SGD + momentum"). Hyperparameters left out count as their defaults. Undefined for an unknown type.
 */
export function choiceOfSpec(spec: { readonly type?: unknown } & Record<string, unknown>): OptimizerChoice<Record<string, unknown>> | undefined {
  const def = typeof spec.type === 'string' ? registry.get(spec.type) : undefined
  if (!def) return undefined
  const full: Record<string, unknown> = { ...Object.fromEntries(def.hyperparameters.map((h: Hyperparameter) => [h.name, h.default])), ...spec }
  const choices = def.choices as readonly OptimizerChoice<Record<string, unknown>>[]
  return choices.find((c) => Object.entries(c.preset).every(([k, v]) => full[k] === v)) ?? choices[choices.length - 1]
}
