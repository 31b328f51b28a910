/** Batched TF.js apply of mixup and CutMix (spec part: ../kinds/mix.ts). */
import * as tf from '@tensorflow/tfjs'
import type { AugmentApplyFn, AugmentTensors, SampleRecord } from '../types'
import { boxMask, perSample, selectApplied } from '../ops'
import type { CutmixSample, MixParams, MixupSample } from '../kinds/mix'

/** Gathers partner rows and mixes labels: lambda y_i + (1 - lambda) y_partner. */
function mixLabels(labels: tf.Tensor2D, samples: readonly SampleRecord<MixupSample | CutmixSample>[]): tf.Tensor2D {
  const partners = tf.tensor1d(samples.map((s, i) => (s.applied ? s.partner : i)), 'int32')
  const lam = tf.tensor2d(samples.map((s) => (s.applied ? s.lambda : 1)), [samples.length, 1])
  return tf.add(tf.mul(labels, lam), tf.mul(tf.gather(labels, partners), tf.sub(1, lam))) as tf.Tensor2D
}

function partnerImages(images: tf.Tensor4D, samples: readonly SampleRecord<MixupSample | CutmixSample>[]): tf.Tensor4D {
  return tf.gather(images, tf.tensor1d(samples.map((s, i) => (s.applied ? s.partner : i)), 'int32')) as tf.Tensor4D
}

export const applyMixup: AugmentApplyFn<MixParams, MixupSample> = ({ images, labels }, _p, samples): AugmentTensors => {
  const lam = perSample(samples.map((s) => (s.applied ? s.lambda : 1)))
  const mixed = tf.add(tf.mul(images, lam), tf.mul(partnerImages(images, samples), tf.sub(1, lam))) as tf.Tensor4D
  return { images: selectApplied(samples, mixed, images), labels: mixLabels(labels, samples) }
}

export const applyCutmix: AugmentApplyFn<MixParams, CutmixSample> = ({ images, labels }, _p, samples, ctx): AugmentTensors => {
  const mask = boxMask(samples.map((s) => (s.applied ? [s.box] : [])), ctx.height, ctx.width)
  const inside = tf.broadcastTo(tf.cast(mask, 'bool'), images.shape)
  return {
    images: tf.where(inside, partnerImages(images, samples), images) as tf.Tensor4D,
    labels: mixLabels(labels, samples),
  }
}
