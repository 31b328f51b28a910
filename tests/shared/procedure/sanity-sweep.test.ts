import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  checkInitialLoss,
  checkRegularizationRaisesLoss,
  classifyLossCurve,
  lrRangeTest,
  lrSweep,
  overfitTinySubset,
  reinitialize,
} from '../../../shared/procedure'
import { InMemoryDataSource } from '../../../shared/train'
import { setupWasm } from '../tfjs/wasm-test-setup'
import { mnistSource } from '../train/mnist-data'
import { smallCnn } from './helpers'

let mnist: InMemoryDataSource

beforeAll(async () => {
  await setupWasm()
  mnist = mnistSource(512, 0, 0)
})

const weightsOf = (m: tf.LayersModel) => Promise.all(m.weights.map(async (w) => Array.from(await w.read().data())))

describe('sanity checks', () => {
  it('initial loss of an untrained 10-class CNN (small-scale head) is within 0.1 of ln(10)', async () => {
    const model = smallCnn([28, 28, 1], 10, { kernelInitializer: 'normal', stddev: 0.01 })
    try {
      const r = await checkInitialLoss(model, mnist, { batches: 4 })
      expect(Math.abs(r.loss - Math.log(10))).toBeLessThan(0.1)
      expect(r).toMatchObject({ plausible: true, verdict: 'ok', severity: 'ok', samples: 256, classes: 10 })
      expect(r.expected).toBeCloseTo(2.302585, 5)
      expect(r.message).toMatch(/ln\(10\)/)
      expect(r.causes).toEqual([])
      // Raising L2 raises the (regularized) loss.
      const reg = await checkRegularizationRaisesLoss(model, mnist)
      expect(reg.rises).toBe(true)
      expect(reg.rows.map((x) => x.weightDecay)).toEqual([0, 1e-3, 1e-1, 1])
      expect(reg.rows[0]!.penalty).toBe(0)
      expect(reg.rows[3]!.loss).toBeGreaterThan(reg.rows[0]!.loss)
    } finally {
      model.dispose()
    }
  })

  it('a badly scaled head is flagged with its likely cause', async () => {
    const model = smallCnn([28, 28, 1], 10, { kernelInitializer: 'normal', stddev: 1 })
    try {
      const r = await checkInitialLoss(model, mnist, { batches: 2 })
      expect(r.plausible).toBe(false)
      expect(r.verdict).toBe('too-high')
      expect(r.severity).toBe('major')
      expect(r.logitStd).toBeGreaterThan(1)
      expect(r.causes[0]).toMatch(/initialization scale/)
    } finally {
      model.dispose()
    }
  })

  it('overfits 20 MNIST images to a training loss < 0.05 (no regularization, no augmentation)', async () => {
    const before = tf.memory().numTensors
    const r = await overfitTinySubset(() => smallCnn(), mnist, { examples: 20, lr: 3e-3, maxSteps: 300 })
    expect(r.success).toBe(true)
    expect(r.finalLoss).toBeLessThan(0.05)
    expect(r.examples).toBe(20)
    expect(r.steps).toBeLessThan(300)
    expect(r.initialLoss).toBeGreaterThan(2)
    expect(r.cause).toBeNull()
    expect(r.message).toMatch(/Overfit 20 examples/)
    expect(tf.memory().numTensors).toBe(before) // factory model disposed, nothing leaked
  })

  it('names the cause when it cannot overfit: broken labels, LR too low, LR too high', async () => {
    // The same 10 images twice with different labels.
    const b = await mnist.batch('train', Int32Array.from({ length: 10 }, (_, i) => i))
    const images = new Uint8Array(20 * 784)
    images.set(b.images, 0)
    images.set(b.images, 10 * 784)
    const labels = Int32Array.from({ length: 20 }, (_, i) => (i < 10 ? (b.labels[i] as number) : ((b.labels[i - 10] as number) + 1) % 10))
    const broken = new InMemoryDataSource({ classes: mnist.classes, imageShape: [28, 28, 1], train: { images, labels } })
    const r1 = await overfitTinySubset(() => smallCnn(), broken, { lr: 1e-2, maxSteps: 40 })
    expect(r1.success).toBe(false)
    expect(r1.cause).toBe('labels-broken')
    const r2 = await overfitTinySubset(() => smallCnn(), mnist, { lr: 1e-7, maxSteps: 15 })
    expect(r2.cause).toBe('lr-too-low')
    expect(r2.message).toMatch(/too low/)
    const r3 = await overfitTinySubset(() => smallCnn(), mnist, { lr: 10, optimizer: { type: 'sgd' }, maxSteps: 15 })
    expect(r3.cause).toBe('lr-too-high')
  })
})

describe('learning-rate sweep', () => {
  it('flags 1e-1 as too high for Adam on a small CNN, recommends a stable rate, restores the initial weights', async () => {
    const model = smallCnn()
    reinitialize(model, { type: 'kaiming' }, 'sweep') // seeded: the same curves every run
    try {
      const w0 = await weightsOf(model)
      const before = tf.memory().numTensors
      const r = await lrSweep(model, mnist, { iterations: 40, optimizer: { type: 'adam' } })
      expect(r.runs.map((x) => x.lr)).toEqual([1e-1, 1e-2, 1e-3, 1e-4, 1e-5])
      const kinds = Object.fromEntries(r.runs.map((x) => [x.lr, x.classification.kind]))
      const verdicts = Object.fromEntries(r.runs.map((x) => [x.lr, x.verdict]))
      console.log(r.explanation)
      expect(verdicts[0.1]).toBe('too-high')
      expect(kinds[1e-5]).toBe('flat')
      expect(verdicts[1e-5]).toBe('too-low')
      expect(r.recommended).not.toBeNull()
      expect([1e-2, 1e-3]).toContain(r.recommended)
      expect(r.explanation).toMatch(/0\.1 (exploded|stayed flat although)/)
      expect(r.runs.find((x) => x.lr === 0.01)!.curve.length).toBe(40)
      expect(await weightsOf(model)).toEqual(w0)
      expect(tf.memory().numTensors).toBe(before)
      // The range test: recommends a rate where the loss falls fastest, restores the weights.
      const rt = await lrRangeTest(model, mnist, { steps: 40, minLr: 1e-5, maxLr: 1, optimizer: { type: 'adam' } })
      expect(rt.recommended).not.toBeNull()
      expect(rt.recommended!).toBeGreaterThan(1e-5)
      expect(rt.recommended!).toBeLessThanOrEqual(rt.lrAtMinimum!)
      expect(await weightsOf(model)).toEqual(w0)
    } finally {
      model.dispose()
    }
  })

  it('classifies curves: NaN or > 3x initial exploded, < 10% decrease flat, otherwise decreasing', () => {
    expect(classifyLossCurve([2.3, 2.2, NaN], 2.3).kind).toBe('exploded')
    expect(classifyLossCurve([2.3, 5, 7.5], 2.3).kind).toBe('exploded')
    expect(classifyLossCurve(Array.from({ length: 100 }, (_, i) => 2.3 - 0.001 * i), 2.3).kind).toBe('flat')
    const d = classifyLossCurve(Array.from({ length: 100 }, (_, i) => 0.3 + 2 * Math.exp(-i / 20)), 2.3)
    expect(d.kind).toBe('decreasing')
    expect(d.unstable).toBe(false)
    const u = classifyLossCurve(Array.from({ length: 100 }, (_, i) => (i < 50 ? 2.3 - 0.035 * i : 0.55 + 0.03 * (i - 50))), 2.3)
    expect(u.kind).toBe('decreasing')
    expect(u.unstable).toBe(true)
  })
})
