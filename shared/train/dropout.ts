/**
 * Replayable dropout. tfjs' Dropout layer draws its mask from `tf.dropout(x, rate, noiseShape, this.seed)`; with
 * no seed that is tfjs' own unseeded generator, so a run with Dropout would neither repeat nor resume bit-exactly.
 * Before each training step the trainer gives every Dropout layer a seed that is a function of the run seed, the
 * layer name and the global step only: the same run draws the same masks, and a resumed run draws the masks the
 * uninterrupted run drew at that step. (tfjs generates the uniform noise on the CPU, so the masks do not depend on
 * the backend.)
 */
import type * as tf from '@tensorflow/tfjs'
import { cyrb128 } from '../random/hash'

type Seedable = tf.layers.Layer & { seed?: number }

/** The model's Dropout layers (those whose mask tfjs draws with the layer's `seed`). */
export function dropoutLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() === 'Dropout')
}

/** Seeds `layers` for the global step `step` (0-based) of a run with seed `seed`. */
export function seedDropout(layers: readonly tf.layers.Layer[], seed: number | string, step: number): void {
  for (const l of layers) (l as Seedable).seed = cyrb128(`${String(seed)}/dropout/${l.name}/${step}`)[0]
}
