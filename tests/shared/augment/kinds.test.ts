/**
 * One fixture per augmentation kind, checking its effect on a small synthetic image exactly where possible,
 * plus contract tests run over every registered kind. The completeness test fails when a kind has no fixture.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  AUGMENT_KINDS,
  applyPipeline,
  augmentBatch,
  augmentRegistry,
  createStep,
  listAugmentKinds,
  samplePipeline,
  validatePipeline,
} from '../../../shared/augment'
import type { AugmentKind, AugmentStep, BatchParams, PixelBox, SampleRecord } from '../../../shared/augment'
import { hsvToRgb, rgbToHsv } from '../../../shared/augment/ops'
import { expectClose, expectNoLeak, oneHot, pipelineOf, px, ramp, rampValues, recordFor, useCpuBackend } from './helpers'

beforeAll(useCpuBackend)

/** A hand-written per-sample record (any fields; the kind reads what it needs). */
type HandRecord = { readonly applied: false } | ({ readonly applied: true } & Record<string, unknown>)

/** Applies a hand-written record of one step; returns plain arrays and disposes everything it made. */
function applyRecord(
  step: AugmentStep,
  samples: HandRecord[],
  imageValues: number[],
  shape: [number, number, number, number],
  labelRows?: number[][],
): { images: number[][][][]; labels: number[][] } {
  const images = tf.tensor4d(imageValues, shape)
  const labels = labelRows ? tf.tensor2d(labelRows) : oneHot(new Array<number>(shape[0]).fill(0), 2)
  const out = applyPipeline(images, labels, pipelineOf(step), recordFor(step, samples, shape))
  const result = { images: px(out.images), labels: out.labels.arraySync() }
  tf.dispose([images, labels, out.images, out.labels])
  return result
}

/** Runs augmentBatch once and returns arrays plus the record. */
function runBatch(step: AugmentStep, imageValues: number[], shape: [number, number, number, number], classes?: number[], seed = 1) {
  const images = tf.tensor4d(imageValues, shape)
  const labels = oneHot(classes ?? new Array<number>(shape[0]).fill(0), 4)
  const out = augmentBatch({ images, labels, pipeline: pipelineOf(step), seed, step: 0 })
  const result = { images: px(out.images), labels: out.labels.arraySync(), record: out.params.steps[0]?.samples ?? [], input: px(images) }
  tf.dispose([images, labels, out.images, out.labels])
  return result
}

const on = { applied: true } as const
const off = { applied: false } as const

const fixtures: { [K in AugmentKind]: () => void } = {
  horizontalFlip: () => {
    // 1 x 2 x 3 x 1: each row's columns reversed.
    const { images } = applyRecord(createStep('horizontalFlip', 'f', { p: 1 }), [on], [1, 2, 3, 4, 5, 6], [1, 2, 3, 1])
    expect(images).toEqual([[[[3], [2], [1]], [[6], [5], [4]]]])
    // Sampled: each sample is either exactly flipped or exactly unchanged, as its record says.
    const r = runBatch(createStep('horizontalFlip', 'f', { p: 0.5 }), rampValues(16, 3, 4, 2), [16, 3, 4, 2])
    expect(r.record.some((s) => s.applied)).toBe(true)
    expect(r.record.some((s) => !s.applied)).toBe(true)
    r.record.forEach((s, n) => {
      const src = r.input[n] as number[][][]
      expect(r.images[n]).toEqual(s.applied ? src.map((row) => [...row].reverse()) : src)
    })
  },

  verticalFlip: () => {
    const { images } = applyRecord(createStep('verticalFlip', 'v', { p: 1 }), [on, off], [1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1])
    expect(images).toEqual([
      [[[3], [4]], [[1], [2]]],
      [[[5], [6]], [[7], [8]]],
    ])
  },

  randomResizedCrop: () => {
    // scale 1, ratio 1 on a square image: the crop is the full image, so output = input (up to resampling).
    const full = runBatch(
      createStep('randomResizedCrop', 'c', { params: { scale: [1, 1], ratio: [1, 1] } }),
      rampValues(3, 6, 6, 3),
      [3, 6, 6, 3],
    )
    for (const s of full.record) expect(s).toEqual({ applied: true, top: 0, left: 0, height: 6, width: 6 })
    expectClose(full.images, full.input, 1e-6)

    // Hand box: a 3x3 window at (1, 2) of a 5x5 image, resized to 5x5 with align-corners sampling:
    // output corners are the window's corner pixels, and the centre is the window's centre pixel.
    const step = createStep('randomResizedCrop', 'c')
    const values = Array.from({ length: 25 }, (_, i) => i)
    const { images } = applyRecord(step, [{ applied: true, top: 1, left: 2, height: 3, width: 3 }], values, [1, 5, 5, 1])
    const img = images[0] as number[][][]
    expect(img[0]?.[0]?.[0]).toBeCloseTo(7, 5)
    expect(img[0]?.[4]?.[0]).toBeCloseTo(9, 5)
    expect(img[4]?.[0]?.[0]).toBeCloseTo(17, 5)
    expect(img[4]?.[4]?.[0]).toBeCloseTo(19, 5)
    expect(img[2]?.[2]?.[0]).toBeCloseTo(13, 5)

    // Sampled boxes respect image bounds, scale and ratio (up to rounding of the sides).
    const r = runBatch(createStep('randomResizedCrop', 'c', { params: { scale: [0.3, 0.6], ratio: [0.75, 1.333] } }), rampValues(64, 20, 20, 1), [64, 20, 20, 1])
    for (const s of r.record as (SampleRecord & Partial<PixelBox>)[]) {
      const b = s as PixelBox
      expect(b.top).toBeGreaterThanOrEqual(0)
      expect(b.left).toBeGreaterThanOrEqual(0)
      expect(b.top + b.height).toBeLessThanOrEqual(20)
      expect(b.left + b.width).toBeLessThanOrEqual(20)
      const area = (b.height * b.width) / 400
      expect(area).toBeGreaterThan(0.3 * 0.75)
      expect(area).toBeLessThan(0.6 * 1.3)
      expect(b.width / b.height).toBeGreaterThan(0.75 * 0.8)
      expect(b.width / b.height).toBeLessThan(1.333 * 1.25)
    }
  },

  randomCrop: () => {
    // padding 2, window at (0, 0) of the padded image = content shifted by +2, +2 with fill 0.5.
    const step = createStep('randomCrop', 'rc', { params: { padding: 2, fill: 0.5 } })
    const values = Array.from({ length: 16 }, (_, i) => i / 16)
    const shifted = applyRecord(step, [{ applied: true, top: 0, left: 0 }, { applied: true, top: 2, left: 2 }], [...values, ...values], [2, 4, 4, 1])
    const expected = Array.from({ length: 4 }, (_, y) =>
      Array.from({ length: 4 }, (_, x) => [y >= 2 && x >= 2 ? (values[(y - 2) * 4 + (x - 2)] as number) : 0.5]),
    )
    expect(shifted.images[0]).toEqual(expected)
    // (padding, padding) is no shift at all.
    expect(shifted.images[1]).toEqual(Array.from({ length: 4 }, (_, y) => Array.from({ length: 4 }, (_, x) => [values[y * 4 + x]])))

    // Reflect mode mirrors without repeating the edge: padded rows are [2, 1 | 0, 1, 2, 3 | 2, 1].
    const reflect = createStep('randomCrop', 'rc', { params: { padding: 2, paddingMode: 'reflect' } })
    const rows = Array.from({ length: 16 }, (_, i) => Math.floor(i / 4) / 10) // pixel value = row / 10
    const r = applyRecord(reflect, [{ applied: true, top: 0, left: 2 }], rows, [1, 4, 4, 1])
    expectClose(r.images, [0.2, 0.1, 0, 0.1].flatMap((v) => [v, v, v, v]), 1e-7)

    // Sampled offsets stay within [0, 2 * padding].
    const s = runBatch(createStep('randomCrop', 'rc', { params: { padding: 3 } }), rampValues(32, 5, 5, 1), [32, 5, 5, 1])
    for (const rec of s.record as unknown as { top: number; left: number }[]) {
      expect(rec.top).toBeGreaterThanOrEqual(0)
      expect(rec.top).toBeLessThanOrEqual(6)
      expect(rec.left).toBeGreaterThanOrEqual(0)
      expect(rec.left).toBeLessThanOrEqual(6)
    }
  },

  rotation: () => {
    // 90 degrees counter-clockwise on a 3x3 image equals numpy's rot90: out[y][x] = in[x][W-1-y].
    // Batch of two with different angles: guards against the tfjs 4.22 CPU Transform bug (only image 0 warped).
    const values = Array.from({ length: 9 }, (_, i) => i + 1)
    const step = createStep('rotation', 'r', { params: { fill: -1 } })
    const { images } = applyRecord(step, [{ applied: true, angle: 0 }, { applied: true, angle: 90 }, { applied: true, angle: 180 }], [...values, ...values, ...values], [3, 3, 3, 1])
    const grid = (f: (y: number, x: number) => number) => Array.from({ length: 3 }, (_, y) => Array.from({ length: 3 }, (_, x) => [f(y, x)]))
    expectClose(images[0], grid((y, x) => values[y * 3 + x] as number), 1e-5)
    expectClose(images[1], grid((y, x) => values[x * 3 + (2 - y)] as number), 1e-5)
    expectClose(images[2], grid((y, x) => values[(2 - y) * 3 + (2 - x)] as number), 1e-5)
    // 45 degrees on 7x7: the corners come from outside the image and take the fill value.
    const r45 = applyRecord(step, [{ applied: true, angle: 45 }], new Array<number>(49).fill(0.5), [1, 7, 7, 1])
    expect(r45.images[0]?.[0]?.[0]?.[0]).toBe(-1)
    expect(r45.images[0]?.[3]?.[3]?.[0]).toBeCloseTo(0.5, 6)
    // Sampled angles lie in the range.
    const s = runBatch(createStep('rotation', 'r', { p: 1, params: { degrees: [-10, 20] } }), rampValues(16, 4, 4, 1), [16, 4, 4, 1])
    for (const rec of s.record as unknown as { angle: number }[]) {
      expect(rec.angle).toBeGreaterThanOrEqual(-10)
      expect(rec.angle).toBeLessThanOrEqual(20)
    }
  },

  translation: () => {
    // dx = 1 (right), dy = -1 (up) on 3x4: out[y][x] = in[y+1][x-1], fill elsewhere. Exact.
    const values = Array.from({ length: 12 }, (_, i) => i / 12)
    const step = createStep('translation', 't', { params: { fill: 0.25 } })
    const { images } = applyRecord(step, [{ applied: true, dx: 1, dy: -1 }], values, [1, 3, 4, 1])
    const expected = Array.from({ length: 3 }, (_, y) =>
      Array.from({ length: 4 }, (_, x) => [Math.fround(y + 1 < 3 && x - 1 >= 0 ? (values[(y + 1) * 4 + (x - 1)] as number) : 0.25)]),
    )
    expect(images[0]).toEqual(expected)
    // Sampled shifts are whole pixels within the fraction range.
    const s = runBatch(createStep('translation', 't', { p: 1, params: { x: [-0.25, 0.25], y: [0, 0.5] } }), rampValues(16, 8, 8, 1), [16, 8, 8, 1])
    for (const rec of s.record as unknown as { dx: number; dy: number }[]) {
      expect(Number.isInteger(rec.dx) && Math.abs(rec.dx) <= 2).toBe(true)
      expect(Number.isInteger(rec.dy) && rec.dy >= 0 && rec.dy <= 4).toBe(true)
    }
  },

  colorJitter: () => {
    const id = { brightness: 1, contrast: 1, saturation: 1, hue: 0 }
    const step = createStep('colorJitter', 'cj')
    const values = rampValues(2, 2, 3, 3)
    // Brightness factor multiplies (no clipping needed below 1).
    const b = applyRecord(step, [{ applied: true, ...id, brightness: 0.5 }, off], values, [2, 2, 3, 3])
    expectClose(b.images[0], values.slice(0, 18).map((v) => v * 0.5), 1e-7)
    expect(b.images[1]?.flat(2)).toEqual(values.slice(18).map(Math.fround))
    // Brightness above 1 clips at 1.
    const bright = applyRecord(step, [{ applied: true, ...id, brightness: 3 }], [0.5, 0.2, 0.1], [1, 1, 1, 3])
    expectClose(bright.images, [1, 0.6, 0.3], 1e-6)
    // Contrast 0: every pixel becomes the mean grey of its image.
    const c = applyRecord(step, [{ applied: true, ...id, contrast: 0 }], values.slice(0, 18), [1, 2, 3, 3])
    const greys = [0, 1, 2, 3, 4, 5].map((i) => 0.299 * (values[3 * i] as number) + 0.587 * (values[3 * i + 1] as number) + 0.114 * (values[3 * i + 2] as number))
    const meanGrey = greys.reduce((s, v) => s + v, 0) / 6
    expectClose(c.images, new Array<number>(18).fill(meanGrey), 1e-6)
    // Saturation 0: each pixel becomes its grey value in all channels.
    const s = applyRecord(step, [{ applied: true, ...id, saturation: 0 }], values.slice(0, 18), [1, 2, 3, 3])
    expectClose(s.images, greys.flatMap((g) => [g, g, g]), 1e-6)
    // Hue +1/3 turn: red -> green, green -> blue, blue -> red.
    const h = applyRecord(step, [{ applied: true, ...id, hue: 1 / 3 }], [1, 0, 0, 0, 1, 0, 0, 0, 1], [1, 1, 3, 3])
    expectClose(h.images, [0, 1, 0, 0, 0, 1, 1, 0, 0], 1e-5)
    // Hue shift keeps value (max channel) and saturation.
    const h2 = applyRecord(step, [{ applied: true, ...id, hue: 0.1 }], [0.8, 0.4, 0.2], [1, 1, 1, 3])
    const out = h2.images.flat(3)
    expect(Math.max(...out)).toBeCloseTo(0.8, 5)
    expect((Math.max(...out) - Math.min(...out)) / Math.max(...out)).toBeCloseTo(0.75, 5)
  },

  grayscale: () => {
    const values = rampValues(1, 2, 2, 3)
    const { images } = applyRecord(createStep('grayscale', 'g'), [on], values, [1, 2, 2, 3])
    const greys = [0, 1, 2, 3].map((i) => 0.299 * (values[3 * i] as number) + 0.587 * (values[3 * i + 1] as number) + 0.114 * (values[3 * i + 2] as number))
    expectClose(images, greys.flatMap((g) => [g, g, g]), 1e-6)
    // Agrees with tf.image.rgbToGrayscale (which uses 0.2989 / 0.5870 / 0.1140) to 1e-3.
    const tfGrey = tf.tidy(() => tf.image.rgbToGrayscale(tf.tensor4d(values, [1, 2, 2, 3])).arraySync())
    expectClose(tfGrey, greys, 1e-3)
    // Single-channel images are already grey: unchanged.
    const one = applyRecord(createStep('grayscale', 'g'), [on], [0.1, 0.2, 0.3, 0.4], [1, 2, 2, 1])
    expect(one.images.flat(3)).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround))
  },

  cutout: () => {
    // Hand boxes: exactly those pixels take the fill value.
    const step = createStep('cutout', 'co', { params: { fill: 0 } })
    const ones = new Array<number>(2 * 4 * 5).fill(1)
    const { images } = applyRecord(
      step,
      [{ applied: true, boxes: [{ top: 1, left: 2, height: 2, width: 3 }] }, off],
      ones,
      [2, 4, 5, 1],
    )
    const expected = Array.from({ length: 4 }, (_, y) => Array.from({ length: 5 }, (_, x) => [y >= 1 && y < 3 && x >= 2 ? 0 : 1]))
    expect(images[0]).toEqual(expected)
    expect(images[1]?.flat(2)).toEqual(new Array<number>(20).fill(1))
    // Sampled: the output is zero exactly inside the recorded boxes and unchanged elsewhere.
    const r = runBatch(createStep('cutout', 'co', { p: 1, params: { count: 2, size: [0.2, 0.5] } }), rampValues(8, 10, 12, 3).map((v) => v * 0.5 + 0.5), [8, 10, 12, 3])
    r.record.forEach((s, n) => {
      const boxes = (s as unknown as { boxes: PixelBox[] }).boxes
      expect(boxes).toHaveLength(2)
      for (let y = 0; y < 10; y++) {
        for (let x = 0; x < 12; x++) {
          const inside = boxes.some((b) => y >= b.top && y < b.top + b.height && x >= b.left && x < b.left + b.width)
          expect(r.images[n]?.[y]?.[x]).toEqual(inside ? [0, 0, 0] : r.input[n]?.[y]?.[x])
        }
      }
      for (const b of boxes) {
        expect(b.top >= 0 && b.left >= 0 && b.top + b.height <= 10 && b.left + b.width <= 12).toBe(true)
      }
    })
  },

  mixup: () => {
    const shape: [number, number, number, number] = [6, 3, 3, 2]
    const r = runBatch(createStep('mixup', 'mx', { params: { alpha: 0.4 } }), rampValues(...shape), shape, [0, 1, 2, 3, 0, 1])
    const classes = [0, 1, 2, 3, 0, 1]
    r.record.forEach((s, i) => {
      const rec = s as unknown as { partner: number; lambda: number }
      expect(rec.partner).not.toBe(i)
      expect(rec.lambda).toBeGreaterThanOrEqual(0)
      expect(rec.lambda).toBeLessThanOrEqual(1)
      // Image is the lambda blend of the two inputs.
      const want = (r.input[i] as number[][][]).flat(2).map((v, k) => rec.lambda * v + (1 - rec.lambda) * ((r.input[rec.partner] as number[][][]).flat(2)[k] as number))
      expectClose(r.images[i], want, 1e-6)
      // Label row: lambda on own class, 1 - lambda on the partner's class, sum 1.
      const row = r.labels[i] as number[]
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
      const want2 = [0, 0, 0, 0]
      const own = classes[i] as number
      const other = classes[rec.partner] as number
      want2[own] = (want2[own] ?? 0) + rec.lambda
      want2[other] = (want2[other] ?? 0) + 1 - rec.lambda
      expectClose(row, want2, 1e-6)
    })
  },

  cutmix: () => {
    // Each image is a constant (its index / 10), so the fraction of its own pixels is measurable.
    const N = 8
    const H = 10
    const W = 10
    const values = Array.from({ length: N * H * W }, (_, i) => Math.floor(i / (H * W)) / 10)
    const r = runBatch(createStep('cutmix', 'cm', { params: { alpha: 1 } }), values, [N, H, W, 1], [0, 1, 2, 3, 0, 1, 2, 3])
    r.record.forEach((s, i) => {
      const rec = s as unknown as { partner: number; lambda: number; box: PixelBox }
      expect(rec.partner).not.toBe(i)
      const pixels = (r.images[i] as number[][][]).flat(2)
      const own = pixels.filter((v) => v === Math.fround(i / 10)).length / (H * W)
      // lambda equals the fraction of pixels kept, which is 1 - pasted box area.
      expect(rec.lambda).toBeCloseTo(own, 10)
      expect(rec.lambda).toBeCloseTo(1 - (rec.box.height * rec.box.width) / (H * W), 12)
      // Pasted pixels are exactly inside the box and come from the partner.
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const inside = y >= rec.box.top && y < rec.box.top + rec.box.height && x >= rec.box.left && x < rec.box.left + rec.box.width
          expect(r.images[i]?.[y]?.[x]?.[0]).toBe(Math.fround((inside ? rec.partner : i) / 10))
        }
      }
      const row = r.labels[i] as number[]
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
      expect(row[i % 4]).toBeCloseTo(rec.lambda + (rec.partner % 4 === i % 4 ? 1 - rec.lambda : 0), 6)
    })
  },

  randAugment: () => {
    // Image 0 drew cutout, then colour jitter (contrast 0.5); image 1 was not applied. The ops run in the drawn
    // order: cutout's black box is then pulled towards the image mean by the contrast change.
    const shape: [number, number, number, number] = [2, 4, 4, 3]
    const values = rampValues(...shape)
    const box: PixelBox = { top: 1, left: 1, height: 2, width: 2 }
    const jitter = { brightness: 1, contrast: 0.5, saturation: 1, hue: 0 }
    const step = createStep('randAugment', 'r', { params: { ops: ['colorJitter', 'cutout'], n: 2, magnitude: 10 } })
    const { images } = applyRecord(step, [{ applied: true, ops: [{ kind: 'cutout', sample: { boxes: [box] } }, { kind: 'colorJitter', sample: jitter }] }, off], values, shape)
    // The same two ops as ordinary steps with their magnitude-10 params.
    const cut = createStep('cutout', 'c', { p: 1, params: { size: [0.4, 0.4], count: 1, fill: 0, placement: 'anywhere' } })
    const col = createStep('colorJitter', 'j', { p: 1, params: { brightness: [0.1, 1.9], contrast: [0.1, 1.9], saturation: [0.1, 1.9], hue: [0, 0] } })
    const x = tf.tensor4d(values, shape)
    const y = oneHot([0, 0], 2)
    const record: BatchParams = {
      format: 1,
      seed: 0,
      batchIndex: 0,
      ctx: { batchSize: 2, height: 4, width: 4, channels: 3 },
      steps: [
        { id: 'c', kind: 'cutout', samples: [{ applied: true, boxes: [box] } as SampleRecord, off] },
        { id: 'j', kind: 'colorJitter', samples: [{ applied: true, ...jitter } as SampleRecord, off] },
      ],
    }
    const expected = applyPipeline(x, y, pipelineOf(cut, col), record)
    expect(images).toEqual(px(expected.images))
    expect(images[1]).toEqual(px(x)[1])
    // The box is no longer black: the order cutout -> jitter was kept.
    expect((images[0] as number[][][])[1]![1]![0]).toBeGreaterThan(0)
    tf.dispose([x, y, expected.images, expected.labels])
  },

  normalize: () => {
    const values = rampValues(2, 2, 2, 3)
    const mean = [0.4, 0.5, 0.6]
    const std = [0.2, 0.25, 0.5]
    const step = createStep('normalize', 'n', { params: { mean, std } })
    const { images } = applyRecord(step, [on, on], values, [2, 2, 2, 3])
    expectClose(images, values.map((v, i) => (v - (mean[i % 3] as number)) / (std[i % 3] as number)), 1e-6)
    // One value broadcasts to all channels.
    const single = applyRecord(createStep('normalize', 'n', { params: { mean: [0.5], std: [0.5] } }), [on], values.slice(0, 12), [1, 2, 2, 3])
    expectClose(single.images, values.slice(0, 12).map((v) => (v - 0.5) / 0.5), 1e-6)
  },
}

describe('registry', () => {
  it('every kind has a fixture (completeness)', () => {
    const missing = AUGMENT_KINDS.filter((k) => typeof (fixtures as Partial<Record<string, unknown>>)[k] !== 'function')
    expect(missing, `kinds without a fixture in kinds.test.ts: ${missing.join(', ')}`).toEqual([])
    expect(Object.keys(fixtures).sort()).toEqual([...AUGMENT_KINDS].sort())
    expect(Object.keys(augmentRegistry).sort()).toEqual([...AUGMENT_KINDS].sort())
  })

  it('every entry is consistent: kind key, label, docs naming real params, valid defaults', () => {
    for (const info of listAugmentKinds()) {
      expect(augmentRegistry[info.kind].kind).toBe(info.kind)
      expect(info.label.length).toBeGreaterThan(0)
      expect(info.description.length).toBeGreaterThan(20)
      expect(info.paramDocs.map((d) => d.name).sort()).toEqual(Object.keys(info.defaults).sort())
      for (const d of info.paramDocs) expect(d.doc.length).toBeGreaterThan(5)
      const v = validatePipeline(pipelineOf(createStep(info.kind, 'a')), { height: 8, width: 8, channels: 3 })
      expect(v.ok, JSON.stringify(v)).toBe(true)
    }
  })
})

describe('fixtures', () => {
  for (const kind of AUGMENT_KINDS) {
    it(`${kind}: effect on a synthetic image`, () => {
      const fixture = (fixtures as Partial<Record<AugmentKind, () => void>>)[kind]
      if (!fixture) throw new Error(`no fixture for ${kind}`)
      expectNoLeak(fixture)
    })
  }
})

describe('contract over every kind', () => {
  const shape: [number, number, number, number] = [4, 8, 8, 3]

  for (const kind of AUGMENT_KINDS) {
    it(`${kind}: p = 0 is identity, shapes and dtypes kept, records are JSON, deterministic, no leaks`, () => {
      expectNoLeak(() => {
        const images = ramp(...shape)
        const labels = oneHot([0, 1, 2, 0], 3)
        const p1 = kind === 'normalize' ? 1 : 1
        const step = createStep(kind, 'k', { p: p1, params: kind === 'normalize' ? { mean: [0.5], std: [0.25] } : {} })

        if (kind !== 'normalize') {
          const zero = augmentBatch({ images, labels, pipeline: pipelineOf({ ...step, p: 0 }), seed: 3 })
          expect(zero.images.arraySync()).toEqual(images.arraySync())
          expect(zero.labels.arraySync()).toEqual(labels.arraySync())
          expect(zero.params.steps[0]?.samples.every((s) => !s.applied)).toBe(true)
          tf.dispose([zero.images, zero.labels])
        }

        const a = augmentBatch({ images, labels, pipeline: pipelineOf(step), seed: 3, step: 2 })
        const b = augmentBatch({ images, labels, pipeline: pipelineOf(step), seed: 3, step: 2 })
        expect(a.images.shape).toEqual(shape)
        expect(a.images.dtype).toBe('float32')
        expect(a.labels.shape).toEqual([4, 3])
        expect(a.params).toEqual(b.params)
        expect(JSON.parse(JSON.stringify(a.params))).toEqual(a.params)
        expect(a.images.arraySync()).toEqual(b.images.arraySync())
        expect(a.labels.arraySync()).toEqual(b.labels.arraySync())
        for (const row of a.labels.arraySync()) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5)
        tf.dispose([a.images, a.labels, b.images, b.labels, images, labels])
      })
    })
  }

  it('sampled params alone reproduce the pixels (replay through JSON)', () => {
    const steps = AUGMENT_KINDS.map((k, i) => createStep(k, `s${i}`, { p: k === 'normalize' ? 1 : 0.7 }))
    const pipeline = pipelineOf(...steps)
    expectNoLeak(() => {
      const images = ramp(...shape)
      const labels = oneHot([0, 1, 2, 0], 3)
      const record = samplePipeline('replay', pipeline, { batchSize: 4, height: 8, width: 8, channels: 3 }, 5)
      const a = applyPipeline(images, labels, pipeline, JSON.parse(JSON.stringify(record)))
      const b = augmentBatch({ images, labels, pipeline, seed: 'replay', step: 5 })
      expect(a.images.arraySync()).toEqual(b.images.arraySync())
      expect(a.labels.arraySync()).toEqual(b.labels.arraySync())
      tf.dispose([a.images, a.labels, b.images, b.labels, images, labels])
    })
  })
})

describe('ops', () => {
  it('HSV round trip is the identity', () => {
    expectNoLeak(() => {
      const values = rampValues(1, 7, 7, 3).map((v, i) => (i % 5 === 0 ? 0 : v))
      const back = tf.tidy(() => {
        const x = tf.tensor4d(values, [1, 7, 7, 3])
        const [h, s, v] = rgbToHsv(x)
        return hsvToRgb(h, s, v).arraySync()
      })
      expectClose(back, values, 1e-5)
    })
  })
})
