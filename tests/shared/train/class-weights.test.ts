/** Balanced class weights: the weights even out the classes' total weight, and the Trainer's loss uses them only when asked. */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { balancedClassWeights, batchToTensors, classCounts, classImbalance, InMemoryDataSource, logitsFunction, parseTrainingConfig, softmaxCrossEntropy, Trainer, weightedSoftmaxCrossEntropy } from '../../../shared/train'
import type { TrainingConfigInput } from '../../../shared/train'
import { CLASSES, ofType, recorder, syntheticData, tinyModel } from './helpers'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('balancedClassWeights', () => {
  it('gives every present class the same total weight (N / (C * n_c)), an absent class 0', () => {
    const counts = [6, 2, 0]
    const w = Array.from(balancedClassWeights(counts))
    expect(w[0]).toBeCloseTo(8 / 18, 6)
    expect(w[1]).toBeCloseTo(8 / 6, 6)
    expect(w[2]).toBe(0)
    // The effective class frequencies (images x weight) are equal.
    expect(counts[0]! * w[0]!).toBeCloseTo(counts[1]! * w[1]!, 6)
  })

  it('classCounts counts labels per class', () => {
    expect(classCounts([0, 2, 2, 1, 2], 4)).toEqual([1, 1, 3, 0])
  })
})

describe('weightedSoftmaxCrossEntropy', () => {
  it('equals the plain loss for equal weights and sum(w l) / sum(w) otherwise', () => {
    const labels = tf.tensor2d([[1, 0], [1, 0], [0, 1]])
    const logits = tf.tensor2d([[2, 0], [0.5, 0.1], [0.3, 1.2]])
    const plain = softmaxCrossEntropy(labels, logits).dataSync()[0]!
    expect(weightedSoftmaxCrossEntropy(labels, logits, tf.tensor1d([3, 3])).dataSync()[0]).toBeCloseTo(plain, 6)
    const ce = (z: number[], k: number) => -(z[k]! - Math.log(z.reduce((a, b) => a + Math.exp(b), 0)))
    const l = [ce([2, 0], 0), ce([0.5, 0.1], 0), ce([0.3, 1.2], 1)]
    const w = [0.5, 0.5, 2]
    const want = (w[0]! * l[0]! + w[1]! * l[1]! + w[2]! * l[2]!) / (w[0]! + w[1]! + w[2]!)
    expect(weightedSoftmaxCrossEntropy(labels, logits, tf.tensor1d([0.5, 2])).dataSync()[0]).toBeCloseTo(want, 5)
    expect(want).not.toBeCloseTo(plain, 2)
  })
})

describe('Trainer with classWeighting', () => {
  // 24 images of syntheticData's bands: 18 of class 0, 4 of class 1, 2 of class 2.
  it('the default config has no class weighting (identical to before); balanced changes the first step\'s loss to the weighted one', async () => {
    const base = syntheticData(60, 0)
    const all = base.labels('train')
    const want = [18, 4, 2]
    const taken = [0, 0, 0]
    const pick: number[] = []
    for (let i = 0; i < all.length; i++) {
      const c = all[i]!
      if (taken[c]! < want[c]!) {
        taken[c]! += 1
        pick.push(i)
      }
    }
    const batch = await base.batch('train', Int32Array.from(pick))
    const data = new InMemoryDataSource({ classes: base.classes, imageShape: base.imageShape, train: { images: batch.images, labels: batch.labels } })
    expect(classCounts(data.labels('train'), CLASSES)).toEqual(want)

    const config: TrainingConfigInput = { epochs: 1, batchSize: 24, seed: 1, learningRate: 0.01, optimizer: { type: 'sgd' }, checkpoint: { keepEvery: 0 } }
    const parsed = parseTrainingConfig(config)
    expect(parsed.ok && 'classWeighting' in parsed.config).toBe(false)
    expect(parseTrainingConfig({ ...config, classWeighting: 'inverse' })).toEqual({ ok: false, errors: ['classWeighting must be "balanced" (or left out), received "inverse"'] })

    const firstLoss = async (extra: Partial<TrainingConfigInput>) => {
      const rec = recorder()
      const t = new Trainer({ model: tinyModel(), data, config: { ...config, ...extra }, sink: rec, checkpoints: false })
      await t.run()
      t.dispose()
      return ofType(rec.messages, 'step')[0]!.dataLoss
    }
    // What the first (full-batch) step should see, from a fresh model with the same seeded initial weights.
    const { images, labels } = batchToTensors({ images: batch.images, labels: batch.labels }, data.imageShape, CLASSES)
    const logits = logitsFunction(tinyModel()).fn(images, true)
    const plain = softmaxCrossEntropy(labels, logits).dataSync()[0]!
    const weighted = weightedSoftmaxCrossEntropy(labels, logits, tf.tensor1d(balancedClassWeights(want))).dataSync()[0]!
    expect(Math.abs(weighted - plain)).toBeGreaterThan(1e-3)

    expect(await firstLoss({})).toBeCloseTo(plain, 4)
    expect(await firstLoss({ classWeighting: 'balanced' })).toBeCloseTo(weighted, 4)
  })
})

describe('classImbalance', () => {
  it('says the largest and smallest class in words, and when they are unbalanced', () => {
    expect(classImbalance([613, 120, 59], ['star', 'sun', 'moon'])).toMatchObject({ unbalanced: true, words: '613 vs 59 images (“star” vs “moon”): classes are unbalanced' })
    // Equal counts name no pair of classes (the largest and the smallest would be the same one).
    expect(classImbalance([5, 5, 5], ['a', 'b', 'c'])).toMatchObject({ unbalanced: false, words: '5 images in every class: classes are balanced' })
    expect(classImbalance([100, 90], ['a', 'b'])!.unbalanced).toBe(false)
    expect(classImbalance([5], ['a'])).toBeNull()
  })
})
