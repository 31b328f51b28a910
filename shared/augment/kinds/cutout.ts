/**
 * Cutout / random erasing: fill random boxes with a constant.
 * Spec part (no TF.js); the batched apply is in ../apply/cutout.ts.
 */
import { z } from 'zod'
import type { AugmentKindSpec, PixelBox } from '../types'
import { checkNumber, checkRange, clampInt, drawRange, rangeSchema, refined } from './common'

export const cutoutSchema = refined(
  z.strictObject({
    size: rangeSchema,
    count: z.number(),
    fill: z.number(),
    placement: z.enum(['anywhere', 'inside']),
  }),
  (p, add) => {
    checkRange(add, 'size', 'size', p.size, { min: 0, max: 1, minOpen: true })
    checkNumber(add, ['count'], 'count', p.count, { min: 1, max: 16, integer: true })
  },
)
export type CutoutParams = z.infer<typeof cutoutSchema>
/** The erased boxes (already clipped to the image). */
export interface CutoutSample {
  readonly boxes: readonly PixelBox[]
}

export const cutout: AugmentKindSpec<'cutout', CutoutParams, CutoutSample> = {
  kind: 'cutout',
  label: 'Cutout',
  description:
    'Sets `count` random boxes to the fill value (Cutout / random erasing). Each box has sides `size` x image side. ' +
    '"anywhere" centres boxes anywhere and clips them at the border (Cutout); "inside" keeps them whole (random erasing).',
  defaultP: 0.5,
  defaults: { size: [0.25, 0.5], count: 1, fill: 0, placement: 'anywhere' },
  paramDocs: [
    { name: 'size', label: 'Box size', type: 'range', min: 0.01, max: 1, step: 0.01, doc: 'Box side as a fraction of the image side, drawn uniformly per box; in (0, 1].' },
    { name: 'count', label: 'Boxes', type: 'integer', min: 1, max: 16, step: 1, doc: 'Number of boxes per image (they may overlap).' },
    { name: 'fill', label: 'Fill value', type: 'number', step: 0.01, doc: 'Value written into the boxes (0 = black before normalize).' },
    { name: 'placement', label: 'Placement', type: 'enum', options: ['anywhere', 'inside'], doc: 'anywhere: centre anywhere, clipped at the border; inside: box entirely inside the image.' },
  ],
  schema: cutoutSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: true,
  // One box of up to 40% of the side at full strength.
  atMagnitude: (m) => ({ size: [Math.max(0.01, 0.4 * m), Math.max(0.01, 0.4 * m)], count: 1, fill: 0, placement: 'anywhere' }),
  sample: (rng, p, ctx) => {
    const { height: H, width: W } = ctx
    const boxes: PixelBox[] = []
    for (let i = 0; i < p.count; i++) {
      const s = drawRange(rng, p.size)
      const h = Math.max(1, Math.min(H, Math.round(s * H)))
      const w = Math.max(1, Math.min(W, Math.round(s * W)))
      if (p.placement === 'inside') {
        boxes.push({ top: rng.int(0, H - h), left: rng.int(0, W - w), height: h, width: w })
      } else {
        const cy = rng.int(0, H - 1)
        const cx = rng.int(0, W - 1)
        const y0 = cy - Math.floor(h / 2)
        const x0 = cx - Math.floor(w / 2)
        const top = clampInt(y0, 0, H)
        const left = clampInt(x0, 0, W)
        boxes.push({ top, left, height: clampInt(y0 + h, 0, H) - top, width: clampInt(x0 + w, 0, W) - left })
      }
    }
    return { boxes }
  },
}
