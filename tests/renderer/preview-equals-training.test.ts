/**
 * The augmentation previewer shows what training does to a batch: the function the preview worker calls produces,
 * for a seed, a step and a batch, pixel for pixel the tensor the real Trainer fed the model at that step (captured
 * through the Trainer's observeBatch hook, not re-implemented here).
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { augmentBatch, createStep, type AugmentPipeline } from '@shared/augment'
import { batchToTensors, InMemoryDataSource, Trainer, type DataBatch } from '@shared/train'
import { describeSample, displayDenormalization, floatImageToRgba, previewBatch, type ImageShape } from '../../renderer/src/data/preview-core'

const H = 12
const W = 10
const C = 3
const SHAPE: ImageShape = [H, W, C]
const CLASSES = ['cat', 'dog', 'fox']
const BATCH = 6

function source(count: number): InMemoryDataSource {
  let s = 12345
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) & 0xff
  const images = new Uint8Array(count * H * W * C)
  for (let i = 0; i < images.length; i++) images[i] = rnd()
  const labels = Array.from({ length: count }, (_, i) => i % CLASSES.length)
  return new InMemoryDataSource({ classes: CLASSES, imageShape: SHAPE, train: { images, labels } })
}

const pipeline: AugmentPipeline = {
  format: 1,
  steps: [
    createStep('randomResizedCrop', 'crop', { params: { scale: [0.3, 1] } }),
    createStep('horizontalFlip', 'flip'),
    createStep('colorJitter', 'jitter', { p: 0.9 }),
    createStep('rotation', 'rot', { p: 0.7, params: { degrees: [-20, 20] } }),
    createStep('cutout', 'cut', { p: 0.6 }),
    createStep('mixup', 'mix', { p: 0.3 }),
    createStep('normalize', 'norm', { params: { mean: [0.5, 0.4, 0.3], std: [0.25, 0.2, 0.3] } }),
  ],
}

interface Seen {
  readonly step: number
  readonly batch: DataBatch
  readonly images: Float32Array
  readonly labels: Float32Array
}

/** Runs the real Trainer (2 epochs) and records, per global step, the data batch and the exact tensors it trained on. */
async function trainAndCapture(data: InMemoryDataSource, seed: number): Promise<Seen[]> {
  const input = tf.input({ shape: [H, W, C] })
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor
  const out = tf.layers.dense({ units: CLASSES.length, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(flat) as tf.SymbolicTensor
  const model = tf.model({ inputs: input, outputs: out })
  const seen: Seen[] = []
  const trainer = new Trainer({
    model,
    data,
    pipeline,
    config: { epochs: 2, batchSize: BATCH, seed, learningRate: 0.01, optimizer: { type: 'sgd' } },
    checkpoints: false,
    sink: { post: () => undefined },
    yieldToHost: async () => undefined,
    observeBatch: ({ step, batch, images, labels }) => {
      seen.push({ step, batch, images: images.dataSync() as Float32Array, labels: labels.dataSync() as Float32Array })
    },
  })
  const outcome = await trainer.run()
  trainer.dispose()
  model.dispose()
  expect(outcome.status).toBe('done')
  return seen
}

async function preview(batch: Parameters<typeof previewBatch>[0], seed: number, step: number, p: AugmentPipeline | null = pipeline) {
  const out = previewBatch(batch, SHAPE, CLASSES.length, p, seed, step)
  const result = { images: (await out.images.data()) as Float32Array, labels: (await out.labels.data()) as Float32Array }
  out.images.dispose()
  out.labels.dispose()
  return result
}

beforeAll(async () => {
  await tf.setBackend('cpu')
  await tf.ready()
})

describe('augmentation preview = training', () => {
  const data = source(20)

  it('previewing step j of seed S gives, byte for byte, the tensors the real Trainer trained on at step j', async () => {
    for (const seed of [0, 7, 123456]) {
      const seen = await trainAndCapture(data, seed)
      // 20 images in batches of 6: 4 steps per epoch (the last one holds 2), 2 epochs.
      expect(seen.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
      expect(seen.map((s) => s.batch.labels.length)).toEqual([6, 6, 6, 2, 6, 6, 6, 2])
      const before = tf.memory().numTensors
      for (const s of seen) {
        const prev = await preview(s.batch, seed, s.step)
        expect(prev.images.length).toBe(s.batch.labels.length * H * W * C)
        // Pixel for pixel: identical float32 values, not approximately equal.
        expect(Buffer.from(prev.images.buffer).equals(Buffer.from(s.images.buffer)), `seed ${seed}, step ${s.step}`).toBe(true)
        expect(Array.from(prev.labels)).toEqual(Array.from(s.labels))
      }
      expect(tf.memory().numTensors).toBe(before)
      // The comparison can fail: the previewer's neighbouring step gives other pixels for the same batch.
      const s2 = seen[2] as Seen
      const off = await preview(s2.batch, seed, s2.step + 1)
      expect(Buffer.from(off.images.buffer).equals(Buffer.from(s2.images.buffer))).toBe(false)
    }
  })

  it('the replay record shown on hover is the one augmentBatch applied, returned by the same call', async () => {
    const batch = await data.batch('train', Int32Array.from([3, 1, 4, 1, 5, 9]))
    const t = batchToTensors(batch, SHAPE, CLASSES.length)
    const out = augmentBatch({ images: t.images, labels: t.labels, pipeline, seed: 42, step: 3 })
    const prev = previewBatch(batch, SHAPE, CLASSES.length, pipeline, 42, 3)
    expect(prev.params).toEqual(out.params)
    expect(Buffer.from(prev.images.dataSync().buffer).equals(Buffer.from(out.images.dataSync().buffer))).toBe(true)
    const plain = previewBatch(batch, SHAPE, CLASSES.length, null, 42, 3)
    expect(plain.params).toBeNull()
    tf.dispose([t.images, t.labels, out.images, out.labels, prev.images, prev.labels, plain.images, plain.labels])
    const labels = new Map(pipeline.steps.map((s) => [s.id, s.kind]))
    const lines = describeSample(out.params, 0, labels)
    expect(lines).toHaveLength(pipeline.steps.length)
    expect(lines[0]).toMatch(/^randomResizedCrop: \d+×\d+ at \(\d+, \d+\)$/)
    expect(lines.at(-1)).toBe('normalize: applied')
  })

  it('different seeds and different steps give different pixels; the same seed and step repeat', async () => {
    const batch = await data.batch('train', Int32Array.from([0, 1, 2, 3, 4, 5]))
    const a = await preview(batch, 1, 0)
    const b = await preview(batch, 2, 0)
    const c = await preview(batch, 1, 1)
    const again = await preview(batch, 1, 0)
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(false)
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(c.images.buffer))).toBe(false)
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(again.images.buffer))).toBe(true)
  })

  it('without enabled steps the preview is the source scaled to [0, 1]; display undoes normalize only for drawing', async () => {
    const batch = await data.batch('train', Int32Array.from([0, 1]))
    const plain = await preview(batch, 5, 0, { format: 1, steps: [createStep('horizontalFlip', 'f', { enabled: false })] })
    expect(Array.from(plain.images.slice(0, 5))).toEqual(Array.from(batch.images.slice(0, 5)).map((v) => Math.fround(v / 255)))
    const normOnly: AugmentPipeline = { format: 1, steps: [createStep('normalize', 'n', { params: { mean: [0.5], std: [0.25] } })] }
    const normed = await preview(batch, 5, 0, normOnly)
    const rgba = floatImageToRgba(normed.images, 1, SHAPE, displayDenormalization(normOnly))
    const offset = H * W * C
    for (let p = 0; p < 4; p++) expect(rgba[p * 4]).toBe(batch.images[offset + p * C])
  })
})
