/**
 * The layer registry: one definition per layer kind serves parameter validation, shape inference, parameter and
 * FLOP counts, receptive-field math, UI metadata (labels, families, parameter forms, norm axes), the tfjs
 * constructor, how the kind reads a TF.js layer (`fromTfjs`, used by the importer) and the PyTorch emitter
 * (`toPytorch`, shared/export/pytorch). Nothing else in the code base switches on layer kinds.
 *
 * The registry imports tfjs for types only: `toTfjs` receives the tfjs namespace in its context, so shape math
 * (the editor, the CLI) never loads tfjs.
 */
import type * as tfTypes from '@tensorflow/tfjs'
import type { TfjsImport } from './tfjs-config'
import type { ParamValue, Params, Shape } from './types'

export type LayerFamily =
  | 'input'
  | 'convolution'
  | 'pooling'
  | 'dense'
  | 'normalization'
  | 'regularization'
  | 'activation'
  | 'merge'
  | 'reshape'
  | 'output'

/** Describes one parameter: drives validation messages and the inspector form. */
export type ParamSpec =
  | ({ type: 'int'; min?: number; max?: number } & ParamSpecCommon)
  | ({ type: 'number'; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } & ParamSpecCommon)
  | ({ type: 'bool' } & ParamSpecCommon)
  | ({ type: 'enum'; options: readonly string[] } & ParamSpecCommon)
  /** A positive integer or a pair `[h, w]` of positive integers (tfjs accepts both for kernels/strides). */
  | ({ type: 'intPair'; min?: number } & ParamSpecCommon)
  /** A list of positive integers (the Input shape). */
  | ({ type: 'shape' } & ParamSpecCommon)

export interface ParamSpecCommon {
  label: string
  help?: string
  /** For the UI: show this field only when it returns true (e.g. `stddev` only for the `normal` initializer). */
  visibleWhen?: (params: Params) => boolean
}

/** Which axes of an N,C,H,W activation a normalization layer computes its statistics over (for the UI picture). */
export interface NormAxes {
  /** Axes reduced when computing mean and variance. `C` with `channelGroups` means "over the channels of one group". */
  reduce: readonly ('N' | 'C' | 'H' | 'W')[]
  channelGroups?: boolean
  /** Shape of the learned scale/shift: per channel (`C`), or per element of the feature map (`CHW`). */
  affine: 'C' | 'CHW'
  summary: string
}

/** One spatial step of a layer for receptive-field arithmetic (per axis: height, width). */
export interface RfStep {
  kernel: [number, number]
  stride: [number, number]
  dilation: [number, number]
  padding: 'same' | 'valid'
}

export interface ParamCount {
  trainable: number
  nonTrainable: number
}

export interface TfjsContext {
  /** The tfjs namespace (`import * as tf from '@tensorflow/tfjs'`), injected by the compiler. */
  tf: typeof tfTypes
  /** Layer name to give the tfjs layer (derived from the node id). */
  name: string
  /** Seed for this layer's random initializers (from the compile seed and the layer name); unseeded when absent. */
  seed?: number
  inputShapes: Shape[]
  outputShape: Shape
  /**
   * Custom layer classes by TF.js class name (shared/tfjs/layers: CUSTOM_LAYERS), injected so the registry does
   * not import tfjs at runtime. Kinds build them with `customLayer`.
   */
  custom: ReadonlyMap<string, CustomLayerClass>
}

/** A custom tfjs layer class (its constructor takes the layer's own args; `customLayer` passes them through). */
export type CustomLayerClass = (new (args: never) => tfTypes.layers.Layer) & { readonly className: string }

/** Builds the custom layer `className` from the context's map; a clear error when it is not registered. */
export function customLayer(ctx: Pick<TfjsContext, 'custom'>, className: string, args: Record<string, unknown>): tfTypes.layers.Layer {
  const C = ctx.custom.get(className)
  if (!C) throw new Error(`The custom TF.js layer ${className} is not registered (shared/tfjs/layers/index.ts: CUSTOM_LAYERS)`)
  return new (C as unknown as new (a: Record<string, unknown>) => tfTypes.layers.Layer)(args)
}

/** How a studio (tfjs) weight's values are rearranged into its PyTorch tensor. */
export type PytorchLayout =
  /** Same shape, same order (biases, per-channel gamma/beta, moving statistics, flat LayerNorm affine). */
  | 'copy'
  /** Conv2D kernel [kh, kw, in, out] -> [out, in, kh, kw]. */
  | 'conv2d'
  /** DepthwiseConv2D kernel [kh, kw, C, mult] -> [C * mult, 1, kh, kw] (groups = C; output channel c * mult + m). */
  | 'depthwise2d'
  /** Dense kernel [in, out] -> [out, in]. */
  | 'dense'
  /** A per-element affine of a feature map [H, W, C] -> [C, H, W] (LayerNorm over an image). */
  | 'hwc'

export interface PytorchWeight {
  /** The weight's name inside the studio layer (the tfjs variable name after `<layer>/`): kernel, bias, gamma, ... */
  readonly studio: string
  /** Its key in the module's state_dict, relative to the module (`weight`, `0.running_mean`). */
  readonly torch: string
  /** Its shape in the studio (tfjs) layout. */
  readonly shape: Shape
  readonly layout: PytorchLayout
}

export interface PytorchContext {
  /** Input shapes in the studio's layout (channels-last [H, W, C], or [D]); PyTorch tensors are [N, C, H, W] / [N, D]. */
  inputShapes: Shape[]
  outputShape: Shape
}

/** The PyTorch side of a layer: the module to build, the forward expression and where the studio's weights go. */
export interface PytorchLayer {
  /** Python expression building the `nn.Module` (`nn.Conv2d(3, 32, ...)`); absent for layers computed inline (Add, Flatten). */
  readonly module?: string
  /**
   * Python expression of the output, from `m` (the module, e.g. `self.conv1`) and the inputs' expressions in
   * input-index order. Tensors are channels-first ([N, C, H, W]) or flat ([N, D]). The generated model.py defines
   * the helpers an expression may use (`F`, `torch`, `math`, `avg_pool_same`, `Affine`).
   */
  readonly forward: (m: string, inputs: readonly string[]) => string
  /** The studio weights, in the layer's weight order, and where each goes. */
  readonly weights?: readonly PytorchWeight[]
  /** state_dict entries without a studio weight (BatchNorm's `num_batches_tracked`), with the value to write. */
  readonly extra?: Readonly<Record<string, number>>
  /**
   * The studio initializer of the module's kernel (the key in `weights` whose layout is not `copy`), so a fresh
   * PyTorch model starts from the same distribution; fans as tfjs computes them from the studio kernel shape.
   */
  readonly init?: { readonly torch: string; readonly initializer: string; readonly stddev: number; readonly fanIn: number; readonly fanOut: number }
}

export interface LayerDef<P extends Params = Params> {
  kind: string
  family: LayerFamily
  /** Short human label for the palette. */
  label: string
  /** One or two sentences for the inspector. */
  description: string
  /** Number of incoming edges accepted. Merges have `max: Infinity`. */
  arity: { min: number; max: number }
  defaults: P
  /** Ordered parameter descriptors (the inspector form and the per-field validation). */
  params: { [K in keyof P]: ParamSpec }
  /** Cross-field validation after per-field checks passed; returns messages without the layer prefix. */
  validate?: (p: P) => string[]
  /** Output shape from input shapes. Throws `ShapeError` (message without the layer prefix) when impossible. */
  inferShape: (p: P, inputs: readonly Shape[]) => Shape
  paramCount: (p: P, inputs: readonly Shape[]) => ParamCount
  /** Forward FLOPs for one image (see FLOP_CONVENTION). */
  flops: (p: P, inputs: readonly Shape[], output: Shape) => number
  /**
   * Receptive-field step: a spatial window, `'global'` (every output sees the whole input: Dense, Flatten, GAP),
   * or `'identity'` (element-wise layers, merges).
   */
  receptiveField: (p: P) => RfStep | 'global' | 'identity'
  normAxes?: NormAxes
  /** Build the tfjs layer. Not used for `Input` (the compiler calls `tf.input`). */
  toTfjs: (p: P, ctx: TfjsContext) => tfTypes.layers.Layer
  /** How this kind reads a TF.js layer (import-tfjs.ts); kinds without it cannot be imported. */
  fromTfjs?: TfjsImport<P>
  /** The PyTorch module, forward expression and weight mapping (the PyTorch export, shared/export/pytorch). */
  toPytorch: (p: P, ctx: PytorchContext) => PytorchLayer
}

/** Thrown by `inferShape` when the inputs do not fit; the message says why, in words, quoting the shapes. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ShapeError'
  }
}

export const FLOP_CONVENTION =
  'FLOPs per image, forward pass: a multiply-add counts as 2 FLOPs (so conv/dense = 2 x MACs), bias adds 1 per ' +
  'output, activations 1 per element, BatchNorm 2 per element (folded scale and shift), LayerNorm/InstanceNorm/' +
  'GroupNorm 5 per element, pooling 1 per window element, Add (n-1) per element; Dropout, Flatten, Concatenate 0.'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const registry = new Map<string, LayerDef<any>>()

/** Register a layer kind. Throws if the kind is already registered or the defaults do not validate. */
export function defineLayer<P extends Params>(def: LayerDef<P>): LayerDef<P> {
  if (registry.has(def.kind)) throw new Error(`Layer kind "${def.kind}" is already registered`)
  for (const key of Object.keys(def.defaults)) {
    if (!(key in def.params)) throw new Error(`Layer kind "${def.kind}": default "${key}" has no parameter spec`)
  }
  const imp = def.fromTfjs
  if (imp?.classNames && !imp.read) throw new Error(`Layer kind "${def.kind}": fromTfjs names classes but has no read`)
  for (const other of registry.values()) {
    const o = other.fromTfjs
    if (!imp || !o) continue
    const cls = (imp.classNames ?? []).find((c) => o.classNames?.includes(c) && !imp.when && !o.when)
    if (cls) throw new Error(`Layer kind "${def.kind}": the TF.js class ${cls} is already read by "${other.kind}" (give one a when)`)
    const act = (imp.activations ?? []).find((a) => o.activations?.includes(a))
    if (act) throw new Error(`Layer kind "${def.kind}": the TF.js activation '${act}' already means "${other.kind}"`)
  }
  registry.set(def.kind, def as unknown as LayerDef)
  const check = validateParams(def.kind, def.defaults, def.kind)
  if (check.errors.length > 0) {
    registry.delete(def.kind)
    throw new Error(`Layer kind "${def.kind}" has invalid defaults: ${check.errors.join('; ')}`)
  }
  return def
}

export function getLayer(kind: string): LayerDef | undefined {
  return registry.get(kind)
}

export function listLayers(): LayerDef[] {
  return [...registry.values()]
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'string') return JSON.stringify(v)
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

function isPositiveInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min
}

/** Check one value against its spec; returns the problem (without prefix) or undefined. */
export function checkParam(name: string, spec: ParamSpec, v: unknown): string | undefined {
  const got = `received ${describeValue(v)}`
  switch (spec.type) {
    case 'int': {
      const min = spec.min ?? Number.NEGATIVE_INFINITY
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || (spec.max !== undefined && v > spec.max)) {
        const what =
          spec.min === 1 && spec.max === undefined
            ? 'a positive integer'
            : spec.min === 0 && spec.max === undefined
              ? 'a non-negative integer'
              : `an integer${spec.min !== undefined ? ` >= ${spec.min}` : ''}${spec.max !== undefined ? ` <= ${spec.max}` : ''}`
        return `${name} must be ${what}, ${got}`
      }
      return undefined
    }
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${name} must be a number, ${got}`
      if (spec.min !== undefined && (spec.minExclusive ? v <= spec.min : v < spec.min))
        return `${name} must be ${spec.minExclusive ? '>' : '>='} ${spec.min}, ${got}`
      if (spec.max !== undefined && (spec.maxExclusive ? v >= spec.max : v > spec.max))
        return `${name} must be ${spec.maxExclusive ? '<' : '<='} ${spec.max}, ${got}`
      return undefined
    }
    case 'bool':
      return typeof v === 'boolean' ? undefined : `${name} must be true or false, ${got}`
    case 'enum':
      return typeof v === 'string' && spec.options.includes(v)
        ? undefined
        : `${name} must be one of ${spec.options.map((o) => `'${o}'`).join(', ')}, ${got}`
    case 'intPair': {
      const min = spec.min ?? 1
      const ok =
        isPositiveInt(v, min) || (Array.isArray(v) && v.length === 2 && v.every((x: unknown) => isPositiveInt(x, min)))
      const what = min === 1 ? 'a positive integer' : `an integer >= ${min}`
      return ok ? undefined : `${name} must be ${what} or a pair [h, w] of them, ${got}`
    }
    case 'shape': {
      const ok = Array.isArray(v) && (v.length === 1 || v.length === 3) && v.every((x: unknown) => isPositiveInt(x, 1))
      return ok ? undefined : `${name} must be [H, W, C] or [D] with positive integers, ${got}`
    }
  }
}

export interface ValidatedParams<P extends Params = Params> {
  /** Defaults merged with the given values (only meaningful when `errors` is empty). */
  params: P
  /** Full messages, e.g. `Conv2D "conv3": kernelSize must be a positive integer or a pair [h, w] of them, received -1`. */
  errors: string[]
  /** Unknown parameter names and similar non-fatal remarks. */
  warnings: string[]
}

/**
 * Merge defaults and validate. `label` is the node's display name used in messages
 * (`Conv2D "conv3": ...`).
 */
export function validateParams(kind: string, given: Params, label: string): ValidatedParams {
  const def = registry.get(kind)
  if (!def) return { params: given, errors: [`Unknown layer kind "${kind}" (node "${label}")`], warnings: [] }
  const prefix = `${kind} "${label}": `
  const params: Params = { ...def.defaults, ...given }
  const errors: string[] = []
  const warnings: string[] = []
  for (const [name, spec] of Object.entries(def.params) as [string, ParamSpec][]) {
    const problem = checkParam(name, spec, params[name])
    if (problem) errors.push(prefix + problem)
  }
  for (const name of Object.keys(given)) {
    if (!(name in def.params)) warnings.push(`${prefix}unknown parameter "${name}" is ignored`)
  }
  if (errors.length === 0 && def.validate) errors.push(...def.validate(params).map((m) => prefix + m))
  return { params, errors, warnings }
}

// ---- small helpers shared by layer definitions ----

export function pair(v: ParamValue | undefined): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1])]
  return [Number(v), Number(v)]
}

export function product(shape: Shape): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`
}

/** Output length of a conv/pool along one axis (TF semantics: 'same' = ceil(in / stride)). */
export function convOutLength(input: number, kernel: number, stride: number, dilation: number, padding: 'same' | 'valid'): number {
  if (padding === 'same') return Math.ceil(input / stride)
  const effective = dilation * (kernel - 1) + 1
  return Math.floor((input - effective) / stride) + 1
}
