/**
 * The procedure tools see the inputs the real run sees (issue 11): with a normalizing pipeline, the initial-loss
 * check feeds the model exactly what the Trainer's validation feeds it, the LR sweep and the range test exactly
 * what the Trainer trains on at each step (augmentation included), and overfitting the normalized images
 * without augmentation. The model's first layer is a probe that records every input it is called with, in
 * both the Trainer and the tool, so nothing here re-implements either path.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createStep, emptyPipeline } from '../../../shared/augment'
import type { AugmentPipeline } from '../../../shared/augment'
import { checkInitialLoss, checkRegularizationRaisesLoss, lrRangeTest, lrSweep, overfitTinySubset } from '../../../shared/procedure'
import { epochOrder, InMemoryDataSource, Trainer } from '../../../shared/train'
import type { TrainingConfigInput } from '../../../shared/train'
import { CLASSES, SIZE, syntheticData } from '../train/helpers'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

interface Seen {
  readonly training: boolean
  readonly values: Float32Array
}

/** An identity layer that records each input it sees (and whether it ran in training mode). */
class InputProbe extends tf.layers.Layer {
  static className = 'InputProbe'
  readonly seen: Seen[] = []
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs
    this.seen.push({ training: kwargs.training === true, values: x.dataSync() as Float32Array })
    return tf.clone(x)
  }
}

/** Input -> probe -> flatten -> dense logits (seeded). */
function probedModel(): { model: tf.LayersModel; probe: InputProbe } {
  const input = tf.input({ shape: [SIZE, SIZE, 1] })
  const probe = new InputProbe({ name: 'probe' })
  const h = tf.layers.flatten().apply(probe.apply(input)) as tf.SymbolicTensor
  const out = tf.layers.dense({ units: CLASSES, kernelInitializer: tf.initializers.randomNormal({ stddev: 0.01, seed: 5 }) }).apply(h) as tf.SymbolicTensor
  return { model: tf.model({ inputs: input, outputs: out }), probe }
}

/** Mean 0.5 and std 0.01: a large shift and scale, far from raw [0, 1] pixels. */
const normalize = createStep('normalize', 'norm', { params: { mean: [0.5], std: [0.01] } })
const normalizing: AugmentPipeline = { ...emptyPipeline(), steps: [normalize] }
const augmenting: AugmentPipeline = {
  ...emptyPipeline(),
  steps: [createStep('horizontalFlip', 'flip'), createStep('randomResizedCrop', 'crop', { params: { scale: [0.5, 1] } }), normalize],
}

const SEED = 'inputs'

/** The inputs the real Trainer's model sees: per training step (observeBatch) and in validation (the probe). */
async function trainerInputs(data: InMemoryDataSource, pipeline: AugmentPipeline, config: TrainingConfigInput): Promise<{ steps: Float32Array[]; validation: Seen[] }> {
  const { model, probe } = probedModel()
  const steps: Float32Array[] = []
  const trainer = new Trainer({
    model,
    data,
    pipeline,
    config,
    checkpoints: false,
    sink: { post: () => undefined },
    yieldToHost: async () => undefined,
    observeBatch: ({ images }) => steps.push(images.dataSync() as Float32Array),
  })
  expect((await trainer.run()).status).toBe('done')
  trainer.dispose()
  model.dispose()
  return { steps, validation: probe.seen.filter((s) => !s.training) }
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

describe('procedure tools see the run’s inputs', () => {
  it('the initial-loss and regularization checks feed the model what the Trainer’s validation feeds it (normalized), not raw pixels', async () => {
    const base = syntheticData(16, 0, 3)
    const b = await base.batch('train', Int32Array.from({ length: 16 }, (_, i) => i))
    // The same 16 images as training and validation split: validation's input is the eval-time input of the batch.
    const data = new InMemoryDataSource({ classes: base.classes, imageShape: base.imageShape, train: b, val: b })
    const run = await trainerInputs(data, normalizing, { epochs: 1, batchSize: 16, evalBatchSize: 16, seed: SEED, learningRate: 0.01, optimizer: { type: 'sgd' } })
    expect(run.validation).toHaveLength(1)
    const expected = (run.validation[0] as Seen).values
    // Far from [0, 1]: the pipeline's shift and scale are in there.
    expect(Math.min(...expected)).toBeLessThan(-10)

    const { model, probe } = probedModel()
    try {
      const r = await checkInitialLoss(model, data, { batches: 1, batchSize: 16, pipeline: normalizing })
      expect(probe.seen.length).toBeGreaterThan(0)
      for (const s of probe.seen) {
        expect(s.training).toBe(false)
        expect(same(s.values, expected)).toBe(true)
      }
      expect(r.samples).toBe(16)
      // The regularization check's loss too.
      const calls = probe.seen.length
      await checkRegularizationRaisesLoss(model, data, { batchSize: 16, pipeline: normalizing })
      expect(probe.seen.length).toBe(calls + 1)
      expect(same((probe.seen.at(-1) as Seen).values, expected)).toBe(true)
    } finally {
      model.dispose()
    }
  })

  it('the LR sweep and the range test train on what the Trainer trains on at each step (augmentation and normalize)', async () => {
    const data = syntheticData(20, 0, 4)
    const config: TrainingConfigInput = { epochs: 2, batchSize: 6, seed: SEED, learningRate: 0.01, optimizer: { type: 'sgd' } }
    const run = await trainerInputs(data, augmenting, config)
    expect(run.steps).toHaveLength(8) // 4 steps per epoch (the last holds 2), 2 epochs

    const sweep = probedModel()
    try {
      const r = await lrSweep(sweep.model, data, { rates: [1e-6, 1e-7], iterations: 6, batchSize: 6, seed: SEED, pipeline: augmenting, optimizer: { type: 'sgd' } })
      expect(r.runs.map((x) => x.curve.length)).toEqual([6, 6])
      const seen = sweep.probe.seen
      // The initial loss (step 1's batch before its update), then 6 steps per rate: all in training mode.
      expect(seen.map((s) => s.training)).toEqual(new Array(13).fill(true))
      expect(same((seen[0] as Seen).values, run.steps[0] as Float32Array)).toBe(true)
      for (let rate = 0; rate < 2; rate++) {
        for (let s = 0; s < 6; s++) expect(same((seen[1 + rate * 6 + s] as Seen).values, run.steps[s] as Float32Array), `rate ${rate}, step ${s}`).toBe(true)
      }
      // Like with like: the initial loss is the first point's data loss (same batch, same mode, same weights).
      for (const x of r.runs) expect(x.curve[0]?.dataLoss).toBe(r.initialLoss)
    } finally {
      sweep.model.dispose()
    }

    const range = probedModel()
    try {
      await lrRangeTest(range.model, data, { steps: 8, batchSize: 6, minLr: 1e-8, maxLr: 1e-6, seed: SEED, pipeline: augmenting, optimizer: { type: 'sgd' } })
      const seen = range.probe.seen
      expect(seen).toHaveLength(8)
      seen.forEach((s, i) => expect(same(s.values, run.steps[i] as Float32Array), `range step ${i}`).toBe(true))
    } finally {
      range.model.dispose()
    }
  })

  it('overfitting trains on the normalized images without augmentation, and starts from the first step’s loss', async () => {
    const base = syntheticData(12, 0, 5)
    const b = await base.batch('train', Int32Array.from({ length: 12 }, (_, i) => i))
    const data = new InMemoryDataSource({ classes: base.classes, imageShape: base.imageShape, train: b, val: b })
    // The Trainer's validation input of the 12 images (index order), with the augmenting pipeline: normalize only.
    const run = await trainerInputs(data, augmenting, { epochs: 1, batchSize: 12, evalBatchSize: 12, seed: SEED, learningRate: 0.01, optimizer: { type: 'sgd' } })
    const evalInput = (run.validation[0] as Seen).values
    const size = SIZE * SIZE
    const { model, probe } = probedModel()
    try {
      const r = await overfitTinySubset(model, data, { examples: 12, maxSteps: 3, lr: 1e-4, targetLoss: 1e-9, seed: SEED, pipeline: augmenting })
      expect(r.steps).toBe(3)
      expect(r.initialLoss).toBe(r.curve[0]?.dataLoss)
      const train = probe.seen.filter((s) => s.training)
      expect(train).toHaveLength(3)
      train.forEach((s, step) => {
        // Full batch, a fresh permutation every pass (as the Trainer orders an epoch): sample i is image order[i].
        const order = epochOrder(SEED, step, 12)
        for (let i = 0; i < 12; i++) {
          const k = order[i] as number
          expect(same(s.values.subarray(i * size, (i + 1) * size), evalInput.subarray(k * size, (k + 1) * size)), `step ${step}, sample ${i}`).toBe(true)
        }
      })
    } finally {
      model.dispose()
    }
  })
})
