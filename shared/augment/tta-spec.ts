/**
 * Test-time augmentation (TTA): several views of each test image whose predictions are averaged,
 * y = E_z[f(x, z)] (CS231n lecture 6: "10 crops": 4 corners + centre, each also flipped, at several scales).
 *
 * Layout of `ttaViews(spec, images)`: a Tensor4D [V*N, outH, outW, C], VIEW-MAJOR: row v*N + n is view v of
 * image n, so `predictions.reshape([V, N, K]).mean(0)` averages over views (that is what `ttaMerge` does).
 * View order (see `ttaViewList`): for each crop fraction (outer), flip off then on, then crops in the order
 * centre, top-left, top-right, bottom-left, bottom-right (or just 'full').
 *
 * This module is the pure part (spec, schema, view list, crop boxes; no TF.js); the view tensors and the merge
 * of predictions are in tta.ts.
 */
import { z } from 'zod'
import type { PixelBox } from './types'
import { checkNumber, refined } from './kinds/common'

export const TTA_CROP_MODES = ['full', 'center', 'fiveCrop'] as const
export type TtaCropPosition = 'full' | 'center' | 'topLeft' | 'topRight' | 'bottomLeft' | 'bottomRight'

export const ttaSpecSchema = refined(
  z.strictObject({
    /** full: the whole image; center: one centre crop; fiveCrop: centre + 4 corners. */
    crops: z.enum(TTA_CROP_MODES),
    /** Crop side as a fraction of the image side, one entry per scale (e.g. 224/256 = 0.875). Ignored for 'full'. */
    cropFractions: z.array(z.number()),
    /** Add the horizontally flipped version of every view. */
    flip: z.boolean(),
  }),
  (p, add) => {
    if (p.cropFractions.length === 0) add(['cropFractions'], 'cropFractions must list at least one fraction, received []')
    p.cropFractions.forEach((f, i) => checkNumber(add, ['cropFractions', i], `cropFractions[${i}]`, f, { min: 0, max: 1, minOpen: true }))
  },
)
export type TtaSpec = z.infer<typeof ttaSpecSchema>

/** The classic 10-crop: centre + 4 corners at 224/256 of the side, each also flipped. */
export const TEN_CROP: TtaSpec = { crops: 'fiveCrop', cropFractions: [0.875], flip: true }
/** No TTA: one view, the image itself. */
export const NO_TTA: TtaSpec = { crops: 'full', cropFractions: [1], flip: false }

export interface TtaView {
  readonly index: number
  readonly crop: TtaCropPosition
  readonly fraction: number
  readonly flipped: boolean
}

/** Validates a TTA spec; throws with messages quoting the received values. */
export function parseTtaSpec(input: unknown): TtaSpec {
  const r = ttaSpecSchema.safeParse(input, { reportInput: true })
  if (!r.success) throw new Error(r.error.issues.map((i) => `Test-time augmentation: ${i.message}`).join('\n'))
  return r.data
}

/** The views a spec produces, in output order. */
export function ttaViewList(spec: TtaSpec): TtaView[] {
  const positions: TtaCropPosition[] =
    spec.crops === 'full' ? ['full'] : spec.crops === 'center' ? ['center'] : ['center', 'topLeft', 'topRight', 'bottomLeft', 'bottomRight']
  const fractions = spec.crops === 'full' ? [1] : spec.cropFractions
  const views: TtaView[] = []
  for (const fraction of fractions) {
    for (const flipped of spec.flip ? [false, true] : [false]) {
      for (const crop of positions) views.push({ index: views.length, crop, fraction, flipped })
    }
  }
  return views
}

/** Pixel box of a view's crop in an H x W image. */
export function ttaCropBox(view: Pick<TtaView, 'crop' | 'fraction'>, height: number, width: number): PixelBox {
  if (view.crop === 'full') return { top: 0, left: 0, height, width }
  const h = Math.max(1, Math.min(height, Math.round(view.fraction * height)))
  const w = Math.max(1, Math.min(width, Math.round(view.fraction * width)))
  const top = view.crop === 'center' ? Math.floor((height - h) / 2) : view.crop.startsWith('top') ? 0 : height - h
  const left = view.crop === 'center' ? Math.floor((width - w) / 2) : view.crop.endsWith('Left') ? 0 : width - w
  return { top, left, height: h, width: w }
}

/**
 * The TTA a pipeline asks evaluation to apply: its spec, or null when it has none or when the spec is the image
 * alone (one full, unflipped view: nothing to average).
 */
export function pipelineTta(pipeline: { readonly tta?: TtaSpec | undefined } | null | undefined): TtaSpec | null {
  const spec = pipeline?.tta
  if (spec === undefined) return null
  const views = ttaViewList(spec)
  return views.length === 1 && views[0]?.crop === 'full' && !views[0].flipped ? null : spec
}

/** The views of a spec in people's words, e.g. "2 views: flip", "10 views: centre + 4 corners at 87.5%, each also flipped". */
export function describeTta(spec: TtaSpec): string {
  const n = ttaViewList(spec).length
  const scales = spec.cropFractions.map((f) => `${Number((f * 100).toFixed(1))}%`).join(', ')
  const crops = spec.crops === 'full' ? null : spec.crops === 'center' ? `centre crop at ${scales}` : `centre + 4 corners at ${scales}`
  const what = crops === null ? (spec.flip ? 'flip' : 'the image') : spec.flip ? `${crops}, each also flipped` : crops
  return `${n} view${n === 1 ? '' : 's'}: ${what}`
}
