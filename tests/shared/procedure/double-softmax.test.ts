/**
 * The initial-loss check catches a probability output (issue 11): when what the loss takes as logits is already a
 * softmax (a design ending in a Softmax the loss cannot see through), the loss applies a second softmax and
 * starts near ln(C) whatever the weights, so the ln(C) test alone says "as expected". The check must fail it
 * and say how to fix the design.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkInitialLoss, initialLossTolerance, looksLikeProbabilities } from '../../../shared/procedure'
import { logitsFunction } from '../../../shared/train'
import { CLASSES, SIZE, syntheticData } from '../train/helpers'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const data = syntheticData(32, 0, 9)

/** flatten -> dense(C) with a small head, optionally followed by `tail` layers. */
function model(activation: 'linear' | 'softmax', tail: (h: tf.SymbolicTensor) => tf.SymbolicTensor = (h) => h): tf.LayersModel {
  const input = tf.input({ shape: [SIZE, SIZE, 1] })
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor
  const out = tf.layers.dense({ units: CLASSES, activation, kernelInitializer: tf.initializers.randomNormal({ stddev: 0.01, seed: 2 }) }).apply(flat) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: tail(out) })
}

describe('initial-loss check: probabilities instead of logits', () => {
  it('fails a model whose output is a softmax the loss cannot see through, though the loss is about ln(C)', async () => {
    // Softmax head behind a Reshape: logitsFunction cannot recover the logits, the loss sees probabilities.
    const m = model('softmax', (h) => tf.layers.reshape({ targetShape: [CLASSES] }).apply(h) as tf.SymbolicTensor)
    try {
      expect(logitsFunction(m).outputIsSoftmax).toBe(false)
      const r = await checkInitialLoss(m, data, { batches: 1, batchSize: 32 })
      // The ln(C) test alone would pass: that is why the check must look at the outputs.
      expect(Math.abs(r.loss - Math.log(CLASSES))).toBeLessThan(initialLossTolerance(CLASSES))
      expect(r).toMatchObject({ verdict: 'probabilities', plausible: false, severity: 'major' })
      expect(r.message).toMatch(/outputs probabilities, not logits/)
      expect(r.message).toMatch(/double softmax/)
      expect(r.message).toMatch(/Output \(classifier\) node/)
      expect(r.causes.join(' ')).toMatch(/remove the Softmax/)
    } finally {
      m.dispose()
    }
  })

  it('fails a logits function that returns probabilities', async () => {
    const m = model('linear')
    try {
      const r = await checkInitialLoss(m, data, { batches: 1, batchSize: 32, logits: (x, training) => tf.softmax(m.apply(x, { training }) as tf.Tensor2D) })
      expect(r.verdict).toBe('probabilities')
      expect(r.plausible).toBe(false)
    } finally {
      m.dispose()
    }
  })

  it('passes the same model when its head gives logits (linear, or a softmax Dense the loss sees through)', async () => {
    for (const activation of ['linear', 'softmax'] as const) {
      const m = model(activation)
      try {
        const r = await checkInitialLoss(m, data, { batches: 1, batchSize: 32 })
        expect(r.verdict, activation).toBe('ok')
      } finally {
        m.dispose()
      }
    }
  })

  it('looksLikeProbabilities: rows >= 0 summing to 1, not just non-negative values', async () => {
    const probs = tf.tensor2d([[0.2, 0.3, 0.5], [1, 0, 0]])
    const relu = tf.tensor2d([[0.2, 0.3, 0.4], [1, 0, 0]])
    const logits = tf.tensor2d([[-0.5, 1, 0.5], [0, 0, 1]])
    expect(await looksLikeProbabilities(probs)).toBe(true)
    expect(await looksLikeProbabilities(relu)).toBe(false)
    expect(await looksLikeProbabilities(logits)).toBe(false)
    tf.dispose([probs, relu, logits])
  })
})
