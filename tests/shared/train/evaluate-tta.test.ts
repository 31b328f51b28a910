/**
 * Test-time augmentation in evaluation: a tiny real TF.js model that is not mirror-symmetric, so the flip view
 * changes its probabilities; the averaged probabilities must be the mean of the per-view probabilities computed
 * by hand, and evaluate() must report both the plain and the TTA numbers.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { describeTta, pipelineTta, TEN_CROP, ttaProbabilities, ttaViewList, ttaViews, type TtaSpec } from '../../../shared/augment'
import { createRng } from '../../../shared/random'
import { evaluate, InMemoryDataSource, logitsFunction } from '../../../shared/train'

const H = 4
const W = 4
const FLIP: TtaSpec = { crops: 'full', cropFractions: [1], flip: true }

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** Logit weights per pixel (y, x) and class: class 0 leans right, class 1 left, class 2 on rows. */
function weightOf(y: number, x: number, k: number): number {
  const s = x - 1.5
  const t = y - 1.5
  return k === 0 ? 2 * s + t : k === 1 ? -s : 0.2 * t
}
const BIAS = [0, 0, 0.5]

/** Flatten -> Dense(3, softmax) with the weights above. */
function tinyModel(): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [H, W, 1] }), tf.layers.dense({ units: 3, activation: 'softmax' })] })
  const kernel: number[][] = []
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) kernel.push([0, 1, 2].map((k) => weightOf(y, x, k)))
  model.layers[1]!.setWeights([tf.tensor2d(kernel), tf.tensor1d(BIAS)])
  return model
}

/** Softmax probabilities of one image (pixel values in [0,1], row-major), by hand. */
function handProbs(pixels: (y: number, x: number) => number): number[] {
  const z = [0, 1, 2].map((k) => {
    let sum = BIAS[k]!
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) sum += pixels(y, x) * weightOf(y, x, k)
    return sum
  })
  const m = Math.max(...z)
  const e = z.map((v) => Math.exp(v - m))
  const total = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / total)
}

/** The model's logits (its softmax Dense read before the softmax). */
const logitsOf = (model: tf.LayersModel) => (views: tf.Tensor4D) => logitsFunction(model).fn(views, false)

const argmax = (p: readonly number[]) => p.indexOf(Math.max(...p))

function images(n: number, seed: string): Uint8Array {
  const rng = createRng(seed)
  return Uint8Array.from({ length: n * H * W }, () => rng.int(0, 256))
}

describe('test-time augmentation in evaluation', () => {
  it('averages the softmax probabilities of the views: flip averaging equals the by-hand mean of the two views', () => {
    const model = tinyModel()
    const n = 12
    const bytes = images(n, 'tta-probs')
    const px = (i: number) => (y: number, x: number) => (bytes[i * H * W + y * W + x] as number) / 255
    const x = tf.tensor4d(Float32Array.from(bytes, (v) => v / 255), [n, H, W, 1])
    const avg = ttaProbabilities(logitsOf(model), x, FLIP).arraySync()
    let changed = 0
    for (let i = 0; i < n; i++) {
      const plain = handProbs(px(i))
      const mirrored = handProbs((y, xx) => px(i)(y, W - 1 - xx))
      const mean = plain.map((p, k) => (p + (mirrored[k] as number)) / 2)
      for (let k = 0; k < 3; k++) expect(avg[i]![k]).toBeCloseTo(mean[k]!, 5)
      // The model is asymmetric: the mirror view moves the probabilities.
      expect(Math.abs((mirrored[0] as number) - (plain[0] as number))).toBeGreaterThan(1e-3)
      if (argmax(mean) !== argmax(plain)) changed++
    }
    expect(changed).toBeGreaterThan(0)
    tf.dispose([x])
    model.dispose()
  })

  it('averages all ten crops: equal to the mean of each view run through the model on its own', () => {
    const model = tinyModel()
    const n = 3
    const x = tf.tensor4d(Float32Array.from(images(n, 'ten-crop'), (v) => v / 255), [n, H, W, 1])
    const V = ttaViewList(TEN_CROP).length
    expect(V).toBe(10)
    const avg = ttaProbabilities(logitsOf(model), x, TEN_CROP).arraySync()
    const views = ttaViews(TEN_CROP, x)
    const perView = Array.from({ length: V }, (_, v) => (model.predict(views.slice([v * n, 0, 0, 0], [n, H, W, 1])) as tf.Tensor2D).arraySync())
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) {
        const mean = perView.reduce((a, p) => a + p[i]![k]!, 0) / V
        expect(avg[i]![k]).toBeCloseTo(mean, 5)
      }
    }
    // Not all views agree (else averaging would be untested).
    expect(Math.max(...perView.map((p) => p[0]![0]!)) - Math.min(...perView.map((p) => p[0]![0]!))).toBeGreaterThan(1e-3)
    tf.dispose([x, views])
    model.dispose()
  })

  it('evaluate reports accuracy and loss with and without TTA, each matching the by-hand numbers', async () => {
    const model = tinyModel()
    const n = 40
    const bytes = images(n, 'tta-eval')
    const px = (i: number) => (y: number, x: number) => (bytes[i * H * W + y * W + x] as number) / 255
    const plain = Array.from({ length: n }, (_, i) => handProbs(px(i)))
    const tta = plain.map((p, i) => {
      const m = handProbs((y, x) => px(i)(y, W - 1 - x))
      return p.map((v, k) => (v + (m[k] as number)) / 2)
    })
    // The true class is the flip-averaged prediction: TTA gets all right, the plain model misses some.
    const labels = Int32Array.from(tta, argmax)
    const data = new InMemoryDataSource({ classes: ['a', 'b', 'c'], imageShape: [H, W, 1], train: { images: bytes, labels }, val: { images: bytes, labels } })
    const pipeline = { format: 1 as const, steps: [], tta: FLIP }
    const r = await evaluate(model, data, 'val', { batchSize: 16, pipeline, tta: pipelineTta(pipeline) })
    const plainAcc = plain.filter((p, i) => argmax(p) === labels[i]).length / n
    expect(plainAcc).toBeLessThan(1)
    expect(r.accuracy).toBeCloseTo(plainAcc, 10)
    expect(r.loss).toBeCloseTo(plain.reduce((a, p, i) => a - Math.log(p[labels[i]!]!), 0) / n, 4)
    expect(r.tta).not.toBeNull()
    expect(r.tta!.views).toBe(2)
    expect(r.tta!.accuracy).toBe(1)
    expect(r.tta!.loss).toBeCloseTo(tta.reduce((a, p, i) => a - Math.log(p[labels[i]!]!), 0) / n, 4)
    expect(r.tta!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(n)
    // Without a TTA spec the result says so.
    expect((await evaluate(model, data, 'val', { pipeline })).tta).toBeNull()
    model.dispose()
  })

  it('a pipeline without TTA, or with the image alone as its one view, has none; the views are described in words', () => {
    expect(pipelineTta(null)).toBeNull()
    expect(pipelineTta({ tta: undefined })).toBeNull()
    expect(pipelineTta({ tta: { crops: 'full', cropFractions: [1], flip: false } })).toBeNull()
    expect(pipelineTta({ tta: FLIP })).toEqual(FLIP)
    expect(describeTta(FLIP)).toBe('2 views: flip')
    expect(describeTta(TEN_CROP)).toBe('10 views: centre + 4 corners at 87.5%, each also flipped')
    expect(describeTta({ crops: 'center', cropFractions: [0.875], flip: false })).toBe('1 view: centre crop at 87.5%')
  })
})
