/**
 * The TF.js-free half of the augmentation previewer: pixel conversions for display and the per-tile descriptions
 * of the replay record (the one augmentBatch returned with the pixels; nothing is sampled twice). The UI thread
 * imports this (not preview-core.ts, which brings TF.js and the training path); preview-core.ts re-exports it.
 */
import { getKindSpec, isAugmentKind, type AugmentPipeline, type BatchParams } from '@shared/augment/spec-only'

export type ImageShape = readonly [number, number, number]

/**
 * How a float image is shown: values in [0, 1] as they are; after a step whose kind says how to undo it for
 * display (`displayInverse`: Normalize), the last such step is undone (x * std + mean) so the picture is
 * recognisable. Display only: the tensor is untouched.
 */
export function displayDenormalization(pipeline: AugmentPipeline | null): { mean: number[]; std: number[] } | null {
  const last = pipeline?.steps.filter((s) => s.enabled && getKindSpec(s.kind).displayInverse !== undefined).at(-1)
  if (!last) return null
  return getKindSpec(last.kind).displayInverse!(last.params)
}

/** True when the preview draws some tiles undone for display (see displayDenormalization). */
export function drawsUndone(pipeline: AugmentPipeline | null): boolean {
  return displayDenormalization(pipeline) !== null
}

/** RGBA bytes of image `index` of a float NHWC batch (grayscale replicated), clipped to [0, 1]. */
export function floatImageToRgba(
  data: Float32Array,
  index: number,
  imageShape: ImageShape,
  denorm: { mean: readonly number[]; std: readonly number[] } | null = null,
): Uint8ClampedArray<ArrayBuffer> {
  const [h, w, c] = imageShape
  const out = new Uint8ClampedArray(h * w * 4)
  const base = index * h * w * c
  const mean = (k: number) => (denorm ? (denorm.mean.length === 1 ? denorm.mean[0]! : denorm.mean[k]!) : 0)
  const std = (k: number) => (denorm ? (denorm.std.length === 1 ? denorm.std[0]! : denorm.std[k]!) : 1)
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) {
      const ch = c === 1 ? 0 : k
      const v = data[base + p * c + ch]! * std(ch) + mean(ch)
      out[p * 4 + k] = Math.round(Math.min(1, Math.max(0, v)) * 255)
    }
    out[p * 4 + 3] = 255
  }
  return out
}

/** RGBA bytes of image `index` of a uint8 NHWC batch (the unaugmented source). */
export function uint8ImageToRgba(data: Uint8Array, index: number, imageShape: ImageShape): Uint8ClampedArray<ArrayBuffer> {
  const [h, w, c] = imageShape
  const out = new Uint8ClampedArray(h * w * 4)
  const base = index * h * w * c
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) out[p * 4 + k] = data[base + p * c + (c === 1 ? 0 : k)]!
    out[p * 4 + 3] = 255
  }
  return out
}

/** One tile's applied parameters, one line per enabled step, e.g. "Random resized crop: top 3, left 0, 24×20". */
export function describeSample(record: BatchParams | null, sampleIndex: number, labels: ReadonlyMap<string, string>): string[] {
  if (!record) return ['No enabled step: the image is used as it is']
  return record.steps.map((step) => {
    const label = labels.get(step.id) ?? step.kind
    const s = step.samples[sampleIndex]
    if (!s || !s.applied) return `${label}: not applied`
    const { applied: _applied, ...rest } = s as { applied: true } & Record<string, unknown>
    const text = formatValue(rest)
    return text ? `${label}: ${text}` : `${label}: applied`
  })
}

function num(v: number): string {
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3)
}

function isBox(v: Record<string, unknown>): boolean {
  return ['top', 'left', 'height', 'width'].every((k) => typeof v[k] === 'number') && Object.keys(v).length === 4
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number') return num(v)
  if (typeof v === 'string' || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(formatValue).join('; ')
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (isBox(o)) return `${num(o['width'] as number)}×${num(o['height'] as number)} at (${num(o['left'] as number)}, ${num(o['top'] as number)})`
    // An op a composition kind drew (RandAugment): the op's label and what it drew.
    if (isAugmentKind(o['kind']) && typeof o['sample'] === 'object' && Object.keys(o).length === 2) {
      const drawn = formatValue(o['sample'])
      return `${getKindSpec(o['kind']).label}${drawn ? ` ${drawn}` : ''}`
    }
    return Object.entries(o)
      .map(([k, x]) => `${k} ${formatValue(x)}`)
      .join(', ')
  }
  return ''
}
