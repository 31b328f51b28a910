import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUGMENT_KINDS, AugmentValidationError, applyPipeline, augmentBatch, createStep, samplePipeline } from '../../../shared/augment'
import type { AugmentPipeline, BatchParams } from '../../../shared/augment'
import { expectNoLeak, oneHot, pipelineOf, ramp, useCpuBackend } from './helpers'

beforeAll(useCpuBackend)

const ctx = { batchSize: 6, height: 12, width: 10, channels: 3 }

/** Every kind once, with probabilities that leave a mix of applied and skipped samples. */
function fullPipeline(): AugmentPipeline {
  return pipelineOf(
    ...AUGMENT_KINDS.map((k) =>
      createStep(k, `step-${k}`, {
        p: k === 'normalize' ? 1 : 0.6,
        params: k === 'normalize' ? { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } : {},
      }),
    ),
  )
}

function run(pipeline: AugmentPipeline, seed: number | string, step = 0) {
  const images = ramp(ctx.batchSize, ctx.height, ctx.width, ctx.channels)
  const labels = oneHot([0, 1, 2, 3, 4, 0], 5)
  const out = augmentBatch({ images, labels, pipeline, seed, step })
  const result = { images: out.images.arraySync(), labels: out.labels.arraySync(), params: out.params }
  tf.dispose([images, labels, out.images, out.labels])
  return result
}

describe('determinism', () => {
  it('same seed and step: identical params and identical pixels', () => {
    const a = run(fullPipeline(), 'seed-a', 3)
    const b = run(fullPipeline(), 'seed-a', 3)
    expect(a.params).toEqual(b.params)
    expect(a.images).toEqual(b.images)
    expect(a.labels).toEqual(b.labels)
  })

  it('different seeds or steps give different params and pixels', () => {
    const a = run(fullPipeline(), 'seed-a', 3)
    const b = run(fullPipeline(), 'seed-b', 3)
    const c = run(fullPipeline(), 'seed-a', 4)
    expect(b.params.steps).not.toEqual(a.params.steps)
    expect(c.params.steps).not.toEqual(a.params.steps)
    expect(b.images).not.toEqual(a.images)
    expect(c.images).not.toEqual(a.images)
  })

  it('the record is plain JSON and replays to the same pixels', () => {
    const pipeline = fullPipeline()
    const params = samplePipeline(11, pipeline, ctx, 2)
    const copy = JSON.parse(JSON.stringify(params)) as BatchParams
    expect(copy).toEqual(params)
    expect(params.steps.map((s) => s.kind)).toEqual([...AUGMENT_KINDS])
    expect(params).toMatchObject({ format: 1, seed: 11, batchIndex: 2, ctx })
    const fresh = run(pipeline, 11, 2)
    expectNoLeak(() => {
      const images = ramp(ctx.batchSize, ctx.height, ctx.width, ctx.channels)
      const labels = oneHot([0, 1, 2, 3, 4, 0], 5)
      const out = applyPipeline(images, labels, pipeline, copy)
      expect(out.images.arraySync()).toEqual(fresh.images)
      expect(out.labels.arraySync()).toEqual(fresh.labels)
      tf.dispose([images, labels, out.images, out.labels])
    })
  })
})

describe('stable streams', () => {
  it("adding, removing or reordering steps does not change another step's draws", () => {
    const rot = createStep('rotation', 'rot', { p: 0.5 })
    const crop = createStep('randomCrop', 'crop')
    const flip = createStep('horizontalFlip', 'flip')
    const alone = samplePipeline(5, pipelineOf(rot), ctx, 1).steps[0]
    const withOthers = samplePipeline(5, pipelineOf(crop, flip, rot), ctx, 1).steps[2]
    const reordered = samplePipeline(5, pipelineOf(rot, flip), ctx, 1).steps[0]
    expect(withOthers).toEqual(alone)
    expect(reordered).toEqual(alone)
  })

  it("changing p keeps the parameters of samples that stay applied", () => {
    const lo = samplePipeline(5, pipelineOf(createStep('rotation', 'r', { p: 0.3 })), ctx).steps[0]?.samples ?? []
    const hi = samplePipeline(5, pipelineOf(createStep('rotation', 'r', { p: 1 })), ctx).steps[0]?.samples ?? []
    lo.forEach((s, i) => {
      if (s.applied) expect(hi[i]).toEqual(s)
    })
    expect(hi.every((s) => s.applied)).toBe(true)
  })

  it('probability is honoured per sample', () => {
    const big = { ...ctx, batchSize: 400 }
    const samples = samplePipeline('p', pipelineOf(createStep('horizontalFlip', 'f', { p: 0.25 })), big).steps[0]?.samples ?? []
    const rate = samples.filter((s) => s.applied).length / samples.length
    expect(rate).toBeGreaterThan(0.18)
    expect(rate).toBeLessThan(0.32)
  })

  it('disabled steps are skipped and absent from the record', () => {
    const pipeline = pipelineOf(createStep('horizontalFlip', 'f', { p: 1, enabled: false }), createStep('verticalFlip', 'v', { p: 0 }))
    const params = samplePipeline(1, pipeline, ctx)
    expect(params.steps.map((s) => s.id)).toEqual(['v'])
    const out = run(pipeline, 1)
    const input = ramp(ctx.batchSize, ctx.height, ctx.width, ctx.channels)
    expect(out.images).toEqual(input.arraySync())
    input.dispose()
  })
})

describe('tensors', () => {
  it('a full pipeline leaks no tensors, keeps inputs alive and returns new tensors', () => {
    const images = ramp(ctx.batchSize, ctx.height, ctx.width, ctx.channels)
    const labels = oneHot([0, 1, 2, 3, 4, 0], 5)
    expectNoLeak(() => {
      for (const pipeline of [fullPipeline(), pipelineOf()]) {
        const out = augmentBatch({ images, labels, pipeline, seed: 9, step: 1 })
        expect(out.images).not.toBe(images)
        expect(out.labels).not.toBe(labels)
        tf.dispose([out.images, out.labels])
        expect(images.isDisposed).toBe(false)
        expect(labels.isDisposed).toBe(false)
      }
    })
    tf.dispose([images, labels])
  })

  it('label rows still sum to 1 after mixup and cutmix together', () => {
    const out = run(pipelineOf(createStep('mixup', 'm', { p: 1 }), createStep('cutmix', 'c', { p: 1 })), 'mix')
    for (const row of out.labels) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5)
    expect(out.labels.some((row) => row.filter((v) => v > 1e-6).length > 1)).toBe(true)
  })

  it('refuses mismatched records, shapes and dtypes with clear messages', () => {
    const pipeline = pipelineOf(createStep('horizontalFlip', 'f'))
    const images = ramp(ctx.batchSize, ctx.height, ctx.width, ctx.channels)
    const labels = oneHot([0, 1, 2, 3, 4, 0], 5)
    const other = samplePipeline(1, pipelineOf(createStep('verticalFlip', 'v')), ctx)
    expect(() => applyPipeline(images, labels, pipeline, other)).toThrow(
      'Augmentation record does not match the pipeline: record has steps [verticalFlip#v], pipeline has enabled steps [horizontalFlip#f]',
    )
    const wrongCtx = samplePipeline(1, pipeline, { ...ctx, batchSize: 2 })
    expect(() => applyPipeline(images, labels, pipeline, wrongCtx)).toThrow(
      'Augmentation: images must have shape [2, 12, 10, 3] (N, H, W, C), received [6, 12, 10, 3]',
    )
    const ints = images.toInt()
    expect(() => augmentBatch({ images: ints, labels, pipeline, seed: 1 })).toThrow(/must be float32 in \[0, 1\], received dtype int32/)
    expect(() => augmentBatch({ images, labels: labels.slice([0, 0], [3, 5]), pipeline, seed: 1 })).toThrow(/labels must have shape \[6, K\]/)
    expect(() => samplePipeline(1, pipeline, { ...ctx, width: 0 })).toThrow('Augmentation context: width must be a positive integer, received 0')
    tf.dispose([images, labels, ints])
  })

  it('samplePipeline refuses invalid pipelines, including shape-dependent checks', () => {
    const bad = pipelineOf(createStep('randomResizedCrop', 'c', { params: { scale: [1.2, 1] } }))
    expect(() => samplePipeline(1, bad, ctx)).toThrow(AugmentValidationError)
    expect(() => samplePipeline(1, bad, ctx)).toThrow('Random resized crop: scale min must be in (0, 1], received 1.2')
    const norm = pipelineOf(createStep('normalize', 'n', { params: { mean: [0.1, 0.2], std: [1, 1] } }))
    expect(() => samplePipeline(1, norm, ctx)).toThrow('Normalize: mean must have 1 or 3 values (one per channel), received [0.1, 0.2]')
  })
})
