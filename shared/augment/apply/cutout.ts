/** Batched TF.js apply of cutout (spec part: ../kinds/cutout.ts). */
import * as tf from '@tensorflow/tfjs'
import type { AugmentApplyFn } from '../types'
import { boxMask } from '../ops'
import type { CutoutParams, CutoutSample } from '../kinds/cutout'

export const applyCutout: AugmentApplyFn<CutoutParams, CutoutSample> = ({ images, labels }, p, samples, ctx) => {
  const mask = boxMask(samples.map((s) => (s.applied ? s.boxes : [])), ctx.height, ctx.width)
  const inside = tf.broadcastTo(tf.cast(mask, 'bool'), images.shape)
  return { images: tf.where(inside, tf.fill(images.shape, p.fill, 'float32'), images) as tf.Tensor4D, labels }
}
