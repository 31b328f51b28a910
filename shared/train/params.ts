/**
 * Which model variables the optimizer updates, with what learning-rate multiplier and whether weight decay
 * applies. Names are the variables' canonical names (`<layer>/<weight>`, tfjs' `originalName`, without the
 * `_1` suffix tfjs adds when a second model reuses layer names), so a fresh model built from the same graph
 * gets the same names.
 */
import type * as tf from '@tensorflow/tfjs'
import type { ParamGroup } from './config'

/** Layer classes whose weights are normalization gamma/beta (never decayed by default). */
export const NORM_LAYER_CLASSES: ReadonlySet<string> = new Set([
  'BatchNormalization',
  'LayerNormalization',
  'InstanceNormalization',
  'GroupNormalization',
])

export interface ParamInfo {
  /** Canonical variable name (see module doc). */
  readonly name: string
  readonly layerName: string
  readonly layerClass: string
  readonly shape: readonly number[]
  readonly variable: tf.Variable
  /** True for biases and normalization parameters (rank <= 1 or a normalization layer). */
  readonly biasOrNorm: boolean
}

export interface PlannedParam extends ParamInfo {
  readonly lrMultiplier: number
  /** Weight decay applies to this variable. */
  readonly decay: boolean
}

export interface ParamPlan {
  /** Variables the optimizer updates, in model order. */
  readonly params: readonly PlannedParam[]
  /** Trainable variables frozen by a group (not updated, no gradient computed). */
  readonly frozen: readonly ParamInfo[]
  /** Weights of layers with trainable = false and non-trainable weights (BN moving statistics). */
  readonly nonTrainable: readonly string[]
}

interface LayerVariableLike {
  readonly name: string
  readonly originalName?: string
  readonly shape: number[]
  read(): tf.Variable
}

/** Canonical name of a layer variable. */
export function variableName(v: { name: string; originalName?: string }): string {
  return v.originalName ?? v.name
}

/** All trainable variables of the model (layers with trainable = false contribute none), in model order. */
export function trainableParams(model: tf.LayersModel): ParamInfo[] {
  const out: ParamInfo[] = []
  const seen = new Set<string>()
  for (const layer of model.layers) {
    for (const w of layer.trainableWeights as unknown as LayerVariableLike[]) {
      const variable = w.read()
      if (seen.has(variable.name)) continue
      seen.add(variable.name)
      const name = variableName(w)
      const leaf = name.slice(name.lastIndexOf('/') + 1)
      const layerClass = layer.getClassName()
      out.push({
        name,
        layerName: layer.name,
        layerClass,
        shape: [...w.shape],
        variable,
        biasOrNorm: w.shape.length <= 1 || NORM_LAYER_CLASSES.has(layerClass) || /^(bias|beta|gamma)(_\d+)?$/.test(leaf),
      })
    }
  }
  return out
}

export interface PlanOptions {
  readonly groups?: readonly ParamGroup[]
  /** Apply weight decay to biases and normalization gamma/beta too (default false). */
  readonly decayBiasAndNorm?: boolean
}

/** Splits the model's trainable variables into updated (with multipliers, decay flags) and frozen. */
export function planParams(model: tf.LayersModel, options: PlanOptions = {}): ParamPlan {
  const groups = (options.groups ?? []).map((g) => ({ ...g, re: new RegExp(g.match) }))
  const params: PlannedParam[] = []
  const frozen: ParamInfo[] = []
  for (const p of trainableParams(model)) {
    const g = groups.find((gr) => gr.re.test(p.name))
    if (g?.frozen === true || g?.lrMultiplier === 0) {
      frozen.push(p)
      continue
    }
    params.push({ ...p, lrMultiplier: g?.lrMultiplier ?? 1, decay: options.decayBiasAndNorm === true || !p.biasOrNorm })
  }
  const all = model.weights as unknown as LayerVariableLike[]
  const trainable = new Set((model.trainableWeights as unknown as LayerVariableLike[]).map((w) => w.read().name))
  const nonTrainable = all.filter((w) => !trainable.has(w.read().name)).map((w) => variableName(w))
  return { params, frozen, nonTrainable }
}
