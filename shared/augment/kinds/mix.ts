/**
 * Sample-mixing kinds: mixup and CutMix. Both produce soft labels whose rows still sum to 1.
 * Spec part (no TF.js); the batched apply is in ../apply/mix.ts.
 */
import { z } from 'zod'
import type { AugmentKindSpec, PixelBox } from '../types'
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

export const mixup: AugmentKindSpec<'mixup', MixParams, MixupSample> = {
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
  role: 'augment',
  expectsUnitRange: false,
  sample: (rng, p, ctx) => {
    const partner = drawPartner(rng.fork('partner'), ctx)
    return { partner, lambda: rng.fork('lambda').beta(p.alpha, p.alpha) }
  },
}

export const cutmix: AugmentKindSpec<'cutmix', MixParams, CutmixSample> = {
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
  role: 'augment',
  expectsUnitRange: false,
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
}
