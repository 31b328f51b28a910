/**
 * Frozen BatchNorm layers run in inference mode. tfjs' BatchNormalization updates its moving mean and variance
 * in every training-mode call, whatever its trainable flag; freezing a layer (transfer learning) must keep
 * everything it learned, its statistics included (as Keras does for trainable = false). `holdMovingStatistics`
 * makes the given layers normalize with their moving statistics, and leave them untouched, while `fn` runs.
 */
import type * as tf from '@tensorflow/tfjs'
import { variableName } from './params'

const HOLD = Symbol('studio.holdMovingStatistics')

type Call = tf.layers.Layer['call']
type Holdable = tf.layers.Layer & { [HOLD]?: { held: boolean } }

/** Wraps the layer's `call` once so that a held layer sees `training: false`. */
function holdState(layer: tf.layers.Layer): { held: boolean } {
  const l = layer as Holdable
  const existing = l[HOLD]
  if (existing !== undefined) return existing
  const state = { held: false }
  const call: Call = layer.call.bind(layer)
  layer.call = (inputs, kwargs) => call(inputs, state.held ? { ...kwargs, training: false } : kwargs)
  l[HOLD] = state
  return state
}

/**
 * The BatchNormalization layers of `model` that are frozen: trainable = false, or every trainable weight (gamma
 * and/or beta) frozen by a group (`frozen` holds canonical variable names, `<layer>/<weight>`). A BatchNorm
 * without gamma and beta cannot be frozen by a group and keeps updating its statistics.
 */
export function frozenBatchNorms(model: tf.LayersModel, frozen: ReadonlySet<string>): tf.layers.Layer[] {
  return model.layers.filter((l) => {
    if (l.getClassName() !== 'BatchNormalization') return false
    if (!l.trainable) return true
    const ws = l.trainableWeights
    return ws.length > 0 && ws.every((w) => frozen.has(variableName(w)))
  })
}

/** Runs `fn` with `layers` in inference mode (moving statistics fixed); restores them after, also on a throw. */
export function holdMovingStatistics<T>(layers: readonly tf.layers.Layer[], fn: () => T): T {
  const states = layers.map(holdState)
  const before = states.map((s) => s.held)
  for (const s of states) s.held = true
  try {
    return fn()
  } finally {
    states.forEach((s, i) => (s.held = before[i] as boolean))
  }
}
