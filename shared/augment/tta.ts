/**
 * Test-time augmentation tensors: the views of a batch and the merge of their predictions (TF.js). The spec,
 * its schema, the view list and the crop boxes are pure and live in tta-spec.ts (re-exported here).
 */
import * as tf from '@tensorflow/tfjs'
import { pixelBoxToCropBox } from './ops'
import { parseTtaSpec, ttaCropBox, ttaViewList, type TtaSpec } from './tta-spec'

export { describeTta, NO_TTA, pipelineTta, TEN_CROP, TTA_CROP_MODES, parseTtaSpec, ttaCropBox, ttaSpecSchema, ttaViewList } from './tta-spec'
export type { TtaCropPosition, TtaSpec, TtaView } from './tta-spec'

/**
 * All views of a batch [N,H,W,C] as one tensor [V*N, outH, outW, C] (view-major, see module doc). Crops are
 * resized (bilinear) to `outputSize`, default the input size. The caller disposes the result.
 */
export function ttaViews(spec: TtaSpec, images: tf.Tensor4D, outputSize?: [number, number]): tf.Tensor4D {
  const valid = parseTtaSpec(spec)
  const [n, h, w] = images.shape
  const out: [number, number] = outputSize ?? [h, w]
  const views = ttaViewList(valid)
  return tf.tidy(() => {
    const boxes = views.flatMap((v) => {
      const box = pixelBoxToCropBox(ttaCropBox(v, h, w), h, w)
      return Array.from({ length: n }, () => box)
    })
    const boxInd = tf.tensor1d(views.flatMap(() => Array.from({ length: n }, (_, i) => i)), 'int32')
    const crops = tf.image.cropAndResize(images, boxes, boxInd, out, 'bilinear')
    if (!views.some((v) => v.flipped)) return crops
    const flippedMask = tf.tensor4d(views.flatMap((v) => new Array<number>(n).fill(v.flipped ? 1 : 0)), [views.length * n, 1, 1, 1], 'bool')
    return tf.where(tf.broadcastTo(flippedMask, crops.shape), tf.image.flipLeftRight(crops), crops) as tf.Tensor4D
  })
}

/** Averages view-major predictions [V*N, K] to [N, K]. */
export function ttaMerge(predictions: tf.Tensor2D, viewCount: number): tf.Tensor2D {
  const [rows, k] = predictions.shape
  if (!Number.isInteger(viewCount) || viewCount < 1 || rows % viewCount !== 0) {
    throw new Error(`ttaMerge: ${rows} prediction rows are not a whole number of ${viewCount} views`)
  }
  return tf.tidy(() => tf.mean(predictions.reshape([viewCount, rows / viewCount, k]), 0) as tf.Tensor2D)
}

/**
 * Test-time augmentation of a classifier: the softmax probabilities [N, K] of a batch [N,H,W,C] averaged over
 * the spec's views, p(y|x) = (1/V) sum_v softmax(f(view_v(x))). `logits` maps a batch of views to logits (one
 * forward pass over all V*N views). This is the one place TTA predictions are averaged: the run detail's
 * evaluation, `studio evaluate` and the evaluation of an exported model all come here (shared/train evaluate).
 */
export function ttaProbabilities(logits: (views: tf.Tensor4D) => tf.Tensor2D, images: tf.Tensor4D, spec: TtaSpec): tf.Tensor2D {
  const viewCount = ttaViewList(parseTtaSpec(spec)).length
  return tf.tidy(() => {
    const views = ttaViews(spec, images)
    return ttaMerge(tf.softmax(logits(views)), viewCount)
  })
}
