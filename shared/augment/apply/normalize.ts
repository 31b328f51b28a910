/** Batched TF.js apply of normalize (spec part: ../kinds/normalize.ts). */
import * as tf from '@tensorflow/tfjs'
import type { AugmentApplyFn } from '../types'
import { selectApplied } from '../ops'
import type { NormalizeParams } from '../kinds/normalize'

export const applyNormalize: AugmentApplyFn<NormalizeParams, Record<string, never>> = ({ images, labels }, p, samples, ctx) => {
  const expand = (v: readonly number[]) => (v.length === 1 ? new Array<number>(ctx.channels).fill(v[0] as number) : [...v])
  const mean = tf.tensor1d(expand(p.mean))
  const std = tf.tensor1d(expand(p.std))
  const out = tf.div(tf.sub(images, mean), std) as tf.Tensor4D
  return { images: selectApplied(samples, out, images), labels }
}
