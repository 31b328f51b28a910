/** Sample-mixing kinds: mixup and CutMix. Both produce soft labels whose rows still sum to 1. */
import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import type { AugmentKindDef, AugmentTensors, PixelBox, SampleRecord } from '../types'
import { boxMask, perSample, selectApplied } from '../ops'
import { checkNumber, clampInt, drawPartner, refined } from './common'

const alphaSchema = refined(z.strictObject({ alpha: z.number() }), (p, add) =>
  checkNumber(add, ['alpha'], 'alpha', p.alpha, { min: 0, max: 100, minOpen: true }),
)
export type MixParams = z.infer<typeof alphaSchema>

/** Partner index in the batch and lambda, the weight of the sample's own image and label. */
export interface MixupSample {
  readonly partner: number
  readonly lambda: number
}

/** Partner, lambda = 1 - box area / image area (adjusted to the actual clipped box), and the pasted box. */
export interface CutmixSample {
  readonly partner: number
  readonly lambda: number
  readonly box: PixelBox
}

/** Gathers partner rows and mixes labels: lambda y_i + (1 - lambda) y_partner. */
function mixLabels(labels: tf.Tensor2D, samples: readonly SampleRecord<MixupSample | CutmixSample>[]): tf.Tensor2D {
  const partners = tf.tensor1d(samples.map((s, i) => (s.applied ? s.partner : i)), 'int32')
  const lam = tf.tensor2d(samples.map((s) => (s.applied ? s.lambda : 1)), [samples.length, 1])
  return tf.add(tf.mul(labels, lam), tf.mul(tf.gather(labels, partners), tf.sub(1, lam))) as tf.Tensor2D
}

function partnerImages(images: tf.Tensor4D, samples: readonly SampleRecord<MixupSample | CutmixSample>[]): tf.Tensor4D {
  return tf.gather(images, tf.tensor1d(samples.map((s, i) => (s.applied ? s.partner : i)), 'int32')) as tf.Tensor4D
}

export const mixup: AugmentKindDef<'mixup', MixParams, MixupSample> = {
  kind: 'mixup',
  label: 'Mixup',
  description:
    'Blends each image with a random other image of the batch: x = l x_i + (1 - l) x_j, and the same for the labels, ' +
    'with l ~ Beta(alpha, alpha) per sample. Small alpha (0.2) keeps most samples close to one image.',
  defaultP: 1,
  defaults: { alpha: 0.2 },
  paramDocs: [
    { name: 'alpha', label: 'Alpha', type: 'number', min: 0.01, max: 10, step: 0.05, doc: 'Beta(alpha, alpha) concentration, > 0. Below 1 favours l near 0 or 1; 1 is uniform.' },
  ],
  schema: alphaSchema,
  mixesLabels: true,
  sample: (rng, p, ctx) => {
    const partner = drawPartner(rng.fork('partner'), ctx)
    return { partner, lambda: rng.fork('lambda').beta(p.alpha, p.alpha) }
  },
  apply: ({ images, labels }, _p, samples): AugmentTensors => {
    const lam = perSample(samples.map((s) => (s.applied ? s.lambda : 1)))
    const mixed = tf.add(tf.mul(images, lam), tf.mul(partnerImages(images, samples), tf.sub(1, lam))) as tf.Tensor4D
    return { images: selectApplied(samples, mixed, images), labels: mixLabels(labels, samples) }
  },
}

export const cutmix: AugmentKindDef<'cutmix', MixParams, CutmixSample> = {
  kind: 'cutmix',
  label: 'CutMix',
  description:
    'Pastes a random box from another image of the batch. The box side is sqrt(1 - l) of the image side with ' +
    'l ~ Beta(alpha, alpha); after clipping at the border, l is recomputed as 1 - box area / image area, so the ' +
    'label weights match the pixels exactly.',
  defaultP: 1,
  defaults: { alpha: 1 },
  paramDocs: [
    { name: 'alpha', label: 'Alpha', type: 'number', min: 0.01, max: 10, step: 0.05, doc: 'Beta(alpha, alpha) concentration, > 0; 1 makes the box area uniform.' },
  ],
  schema: alphaSchema,
  mixesLabels: true,
  sample: (rng, p, ctx) => {
    const { height: H, width: W } = ctx
    const partner = drawPartner(rng.fork('partner'), ctx)
    const boxRng = rng.fork('box')
    const lambda0 = boxRng.beta(p.alpha, p.alpha)
    const cut = Math.sqrt(1 - lambda0)
    const h = Math.round(H * cut)
    const w = Math.round(W * cut)
    const cy = boxRng.int(0, H - 1)
    const cx = boxRng.int(0, W - 1)
    const y0 = cy - Math.floor(h / 2)
    const x0 = cx - Math.floor(w / 2)
    const top = clampInt(y0, 0, H)
    const left = clampInt(x0, 0, W)
    const box: PixelBox = { top, left, height: clampInt(y0 + h, 0, H) - top, width: clampInt(x0 + w, 0, W) - left }
    return { partner, lambda: 1 - (box.height * box.width) / (H * W), box }
  },
  apply: ({ images, labels }, _p, samples, ctx): AugmentTensors => {
    const mask = boxMask(samples.map((s) => (s.applied ? [s.box] : [])), ctx.height, ctx.width)
    const inside = tf.broadcastTo(tf.cast(mask, 'bool'), images.shape)
    return {
      images: tf.where(inside, partnerImages(images, samples), images) as tf.Tensor4D,
      labels: mixLabels(labels, samples),
    }
  },
}
