/**
 * Photometric kinds: colour jitter and grayscale.
 * Spec part (no TF.js); the batched apply is in ../apply/color.ts.
 */
import { z } from 'zod'
import type { AugmentKindSpec } from '../types'
import { checkRange, drawRange, rangeSchema, refined } from './common'

export const colorJitterSchema = refined(
  z.strictObject({ brightness: rangeSchema, contrast: rangeSchema, saturation: rangeSchema, hue: rangeSchema }),
  (p, add) => {
    checkRange(add, 'brightness', 'brightness', p.brightness, { min: 0 })
    checkRange(add, 'contrast', 'contrast', p.contrast, { min: 0 })
    checkRange(add, 'saturation', 'saturation', p.saturation, { min: 0 })
    checkRange(add, 'hue', 'hue', p.hue, { min: -0.5, max: 0.5 })
  },
)
export type ColorJitterParams = z.infer<typeof colorJitterSchema>
/** Factors (1 = unchanged) and hue shift in turns (0 = unchanged). */
export interface ColorJitterSample {
  readonly brightness: number
  readonly contrast: number
  readonly saturation: number
  readonly hue: number
}

export const colorJitter: AugmentKindSpec<'colorJitter', ColorJitterParams, ColorJitterSample> = {
  kind: 'colorJitter',
  label: 'Colour jitter',
  description:
    'Random brightness, contrast, saturation and hue, applied in that fixed order and clipped to [0, 1] after each. ' +
    'Brightness multiplies pixels; contrast blends with the image mean grey; saturation blends with the grey image; ' +
    'hue rotates the HSV hue by a fraction of a turn. Saturation and hue need 3 channels and are skipped otherwise.',
  defaultP: 0.8,
  defaults: { brightness: [0.8, 1.2], contrast: [0.8, 1.2], saturation: [0.8, 1.2], hue: [-0.05, 0.05] },
  paramDocs: [
    { name: 'brightness', label: 'Brightness factor', type: 'range', min: 0, max: 3, step: 0.01, doc: 'Pixel multiplier drawn from [min, max]; 1 = unchanged.' },
    { name: 'contrast', label: 'Contrast factor', type: 'range', min: 0, max: 3, step: 0.01, doc: 'Blend factor with the mean grey of the image; 1 = unchanged, 0 = flat grey.' },
    { name: 'saturation', label: 'Saturation factor', type: 'range', min: 0, max: 3, step: 0.01, doc: 'Blend factor with the grey image; 1 = unchanged, 0 = grey.' },
    { name: 'hue', label: 'Hue shift', type: 'range', min: -0.5, max: 0.5, step: 0.01, unit: 'turn', doc: 'Hue rotation as a fraction of the colour wheel, within [-0.5, 0.5]; 0 = unchanged.' },
  ],
  schema: colorJitterSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: true,
  // Brightness, contrast and saturation factors within 1 +- 0.9 m (RandAugment's enhance ops), hue unchanged.
  atMagnitude: (m) => ({ brightness: [1 - 0.9 * m, 1 + 0.9 * m], contrast: [1 - 0.9 * m, 1 + 0.9 * m], saturation: [1 - 0.9 * m, 1 + 0.9 * m], hue: [0, 0] }),
  sample: (rng, p) => ({
    brightness: drawRange(rng, p.brightness),
    contrast: drawRange(rng, p.contrast),
    saturation: drawRange(rng, p.saturation),
    hue: drawRange(rng, p.hue),
  }),
}

export const grayscaleSchema = z.strictObject({})
export type GrayscaleParams = z.infer<typeof grayscaleSchema>

export const grayscale: AugmentKindSpec<'grayscale', GrayscaleParams, Record<string, never>> = {
  kind: 'grayscale',
  label: 'Grayscale',
  description:
    'Replaces RGB with its luma 0.299 R + 0.587 G + 0.114 B, copied to all three channels so the shape stays. ' +
    'Images with other channel counts are left unchanged.',
  defaultP: 0.1,
  defaults: {},
  paramDocs: [],
  schema: grayscaleSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: false,
  atMagnitude: () => ({}),
  sample: () => ({}),
}
