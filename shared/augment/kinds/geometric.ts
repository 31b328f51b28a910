/**
 * Geometric kinds: flips, random resized crop, padded random crop, rotation, translation.
 * Spec part (no TF.js); the batched apply is in ../apply/geometric.ts.
 */
import { z } from 'zod'
import type { AugmentKindSpec, PixelBox } from '../types'
import { checkNumber, checkRange, drawRange, rangeSchema, refined } from './common'

// ---------------------------------------------------------------- flips

export const flipSchema = z.strictObject({})
export type FlipParams = z.infer<typeof flipSchema>
export type FlipSample = Record<string, never>

export const horizontalFlip: AugmentKindSpec<'horizontalFlip', FlipParams, FlipSample> = {
  kind: 'horizontalFlip',
  label: 'Horizontal flip',
  description: 'Mirrors the image left to right (reverses the columns). Use the probability to flip about half the images.',
  defaultP: 0.5,
  defaults: {},
  paramDocs: [],
  schema: flipSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: false,
  sample: () => ({}),
}

export const verticalFlip: AugmentKindSpec<'verticalFlip', FlipParams, FlipSample> = {
  kind: 'verticalFlip',
  label: 'Vertical flip',
  description: 'Mirrors the image top to bottom (reverses the rows). Only for data without a natural "up".',
  defaultP: 0.5,
  defaults: {},
  paramDocs: [],
  schema: flipSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: false,
  sample: () => ({}),
}

// ---------------------------------------------------------------- random resized crop

const interpolationSchema = z.enum(['bilinear', 'nearest'])

export const randomResizedCropSchema = refined(
  z.strictObject({ scale: rangeSchema, ratio: rangeSchema, interpolation: interpolationSchema }),
  (p, add) => {
    checkRange(add, 'scale', 'scale', p.scale, { min: 0, max: 1, minOpen: true })
    checkRange(add, 'ratio', 'ratio', p.ratio, { min: 0, minOpen: true })
  },
)
export type RandomResizedCropParams = z.infer<typeof randomResizedCropSchema>
/** The crop window in input pixels; it is resized back to the full image size. */
export type RandomResizedCropSample = PixelBox

export const randomResizedCrop: AugmentKindSpec<'randomResizedCrop', RandomResizedCropParams, RandomResizedCropSample> = {
  kind: 'randomResizedCrop',
  label: 'Random resized crop',
  description:
    'Crops a random window (area fraction from scale, width/height from ratio) and resizes it back to the image size, ' +
    'as in Inception/ResNet training. Ten tries, then a centre crop, like torchvision.',
  defaultP: 1,
  defaults: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3], interpolation: 'bilinear' },
  paramDocs: [
    { name: 'scale', label: 'Area scale', type: 'range', min: 0, max: 1, step: 0.01, doc: 'Fraction of the image area the crop covers, drawn uniformly from [min, max]; in (0, 1].' },
    { name: 'ratio', label: 'Aspect ratio', type: 'range', min: 0.1, max: 10, step: 0.01, doc: 'Crop width / height, drawn log-uniformly from [min, max].' },
    { name: 'interpolation', label: 'Interpolation', type: 'enum', options: ['bilinear', 'nearest'], doc: 'Resampling when resizing the crop back.' },
  ],
  schema: randomResizedCropSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: false,
  sample: (rng, p, ctx) => {
    const { height: H, width: W } = ctx
    const area = H * W
    const logRatio: [number, number] = [Math.log(p.ratio[0]), Math.log(p.ratio[1])]
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * drawRange(rng, p.scale)
      const aspect = Math.exp(drawRange(rng, logRatio))
      const width = Math.round(Math.sqrt(target * aspect))
      const height = Math.round(Math.sqrt(target / aspect))
      if (width > 0 && width <= W && height > 0 && height <= H) {
        return { top: rng.int(0, H - height), left: rng.int(0, W - width), height, width }
      }
    }
    // Fallback: centre crop with the ratio clamped into range.
    const inRatio = W / H
    let width = W
    let height = H
    if (inRatio < p.ratio[0]) height = Math.max(1, Math.min(H, Math.round(width / p.ratio[0])))
    else if (inRatio > p.ratio[1]) width = Math.max(1, Math.min(W, Math.round(height * p.ratio[1])))
    return { top: Math.floor((H - height) / 2), left: Math.floor((W - width) / 2), height, width }
  },
}

// ---------------------------------------------------------------- random crop with padding

export const randomCropSchema = refined(
  z.strictObject({ padding: z.number(), paddingMode: z.enum(['constant', 'reflect']), fill: z.number() }),
  (p, add) => {
    checkNumber(add, ['padding'], 'padding', p.padding, { min: 0, integer: true })
  },
)
export type RandomCropParams = z.infer<typeof randomCropSchema>
/** Top-left corner of the H x W window inside the padded image; (padding, padding) means no shift. */
export interface RandomCropSample {
  readonly top: number
  readonly left: number
}

export const randomCrop: AugmentKindSpec<'randomCrop', RandomCropParams, RandomCropSample> = {
  kind: 'randomCrop',
  label: 'Random crop',
  description:
    'Pads the image by `padding` pixels on each side, then takes a random window of the original size ' +
    '(the CIFAR "pad 4 and crop" recipe). The image shifts by up to `padding` pixels.',
  defaultP: 1,
  defaults: { padding: 4, paddingMode: 'constant', fill: 0 },
  paramDocs: [
    { name: 'padding', label: 'Padding', type: 'integer', min: 0, max: 64, step: 1, unit: 'px', doc: 'Pixels added on each side before cropping; the maximum shift.' },
    { name: 'paddingMode', label: 'Padding mode', type: 'enum', options: ['constant', 'reflect'], doc: 'constant: fill value; reflect: mirror the image without repeating the edge (padding must be smaller than the image).' },
    { name: 'fill', label: 'Fill value', type: 'number', step: 0.01, doc: 'Value of padded pixels in constant mode.' },
  ],
  schema: randomCropSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: true,
  checkContext: (p, ctx) =>
    p.paddingMode === 'reflect' && (p.padding >= ctx.height || p.padding >= ctx.width)
      ? [`padding must be smaller than the image (${ctx.height}x${ctx.width}) in reflect mode, received ${p.padding}`]
      : [],
  sample: (rng, p) => ({ top: rng.int(0, 2 * p.padding), left: rng.int(0, 2 * p.padding) }),
}

// ---------------------------------------------------------------- rotation

export const rotationSchema = refined(
  z.strictObject({ degrees: rangeSchema, fill: z.number(), interpolation: interpolationSchema }),
  (p, add) => checkRange(add, 'degrees', 'degrees', p.degrees, { min: -180, max: 180 }),
)
export type RotationParams = z.infer<typeof rotationSchema>
/** Angle in degrees, positive = counter-clockwise on screen, about the image centre. */
export interface RotationSample {
  readonly angle: number
}

/** Output->input matrix [a0,a1,a2,b0,b1,b2] for a counter-clockwise rotation about the pixel centre. */
export function rotationMatrix(angleDeg: number, height: number, width: number): number[] {
  const t = (angleDeg * Math.PI) / 180
  const cos = Math.cos(t)
  const sin = Math.sin(t)
  const cx = (width - 1) / 2
  const cy = (height - 1) / 2
  return [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy]
}

export const rotation: AugmentKindSpec<'rotation', RotationParams, RotationSample> = {
  kind: 'rotation',
  label: 'Rotation',
  description: 'Rotates about the image centre by an angle drawn uniformly from the range (positive = counter-clockwise). Corners take the fill value.',
  defaultP: 0.5,
  defaults: { degrees: [-15, 15], fill: 0, interpolation: 'bilinear' },
  paramDocs: [
    { name: 'degrees', label: 'Angle', type: 'range', min: -180, max: 180, step: 1, unit: 'deg', doc: 'Rotation angle range in degrees, within [-180, 180].' },
    { name: 'fill', label: 'Fill value', type: 'number', step: 0.01, doc: 'Value of pixels rotated in from outside the image.' },
    { name: 'interpolation', label: 'Interpolation', type: 'enum', options: ['bilinear', 'nearest'], doc: 'Resampling of the rotated image.' },
  ],
  schema: rotationSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: true,
  // RandAugment's rotate: up to 30 degrees either way at full strength.
  atMagnitude: (m) => ({ degrees: [-30 * m, 30 * m], fill: 0, interpolation: 'bilinear' }),
  sample: (rng, p) => ({ angle: drawRange(rng, p.degrees) }),
}

// ---------------------------------------------------------------- translation

export const translationSchema = refined(
  z.strictObject({ x: rangeSchema, y: rangeSchema, fill: z.number() }),
  (p, add) => {
    checkRange(add, 'x', 'x shift', p.x, { min: -1, max: 1 })
    checkRange(add, 'y', 'y shift', p.y, { min: -1, max: 1 })
  },
)
export type TranslationParams = z.infer<typeof translationSchema>
/** Shift in whole pixels; positive dx moves the content right, positive dy moves it down. */
export interface TranslationSample {
  readonly dx: number
  readonly dy: number
}

export const translation: AugmentKindSpec<'translation', TranslationParams, TranslationSample> = {
  kind: 'translation',
  label: 'Translation',
  description: 'Shifts the image by a fraction of its width and height (rounded to whole pixels); uncovered pixels take the fill value.',
  defaultP: 0.5,
  defaults: { x: [-0.1, 0.1], y: [-0.1, 0.1], fill: 0 },
  paramDocs: [
    { name: 'x', label: 'Horizontal shift', type: 'range', min: -1, max: 1, step: 0.01, doc: 'Shift as a fraction of the width (positive = right), drawn uniformly.' },
    { name: 'y', label: 'Vertical shift', type: 'range', min: -1, max: 1, step: 0.01, doc: 'Shift as a fraction of the height (positive = down), drawn uniformly.' },
    { name: 'fill', label: 'Fill value', type: 'number', step: 0.01, doc: 'Value of pixels shifted in from outside the image.' },
  ],
  schema: translationSchema,
  mixesLabels: false,
  role: 'augment',
  expectsUnitRange: true,
  // Up to 30% of the side either way at full strength.
  atMagnitude: (m) => ({ x: [-0.3 * m, 0.3 * m], y: [-0.3 * m, 0.3 * m], fill: 0 }),
  sample: (rng, p, ctx) => ({
    dx: Math.round(drawRange(rng, p.x) * ctx.width) || 0,
    dy: Math.round(drawRange(rng, p.y) * ctx.height) || 0,
  }),
}
