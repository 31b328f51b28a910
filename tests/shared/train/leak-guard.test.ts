/**
 * Tensor leak guard over 20 epochs: a tiny model on tiny data through everything an epoch does (augmentation with
 * mixup, AdamW with decay and clipping, a cosine schedule with warm-up, balanced class weights, validation,
 * checkpoints every epoch and periodic ones): the live tensor count (and their bytes) after every epoch equals
 * the count after the first. One tensor left behind per step or per epoch fails it.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createStep, emptyPipeline, type AugmentPipeline } from '../../../shared/augment'
import { Trainer } from '../../../shared/train'
import { ofType, recorder, syntheticData, tinyModel } from './helpers'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const pipeline: AugmentPipeline = {
  ...emptyPipeline(),
  steps: [createStep('mixup', 'mix', { p: 1 }), createStep('horizontalFlip', 'flip'), createStep('normalize', 'norm', { params: { mean: [0.3], std: [0.25] } })],
}

describe('tensor leak guard', () => {
  it('keeps tf.memory() flat from epoch 1 to epoch 20', { timeout: 90_000 }, async () => {
    const data = syntheticData(16, 8)
    const after: { tensors: number; bytes: number }[] = []
    const rec = recorder((m) => {
      if (m.type === 'checkpoint') after.push({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes })
    })
    const trainer = new Trainer({
      model: tinyModel(),
      data,
      pipeline,
      config: {
        epochs: 20,
        batchSize: 8,
        seed: 'leak-guard',
        learningRate: 0.01,
        optimizer: { type: 'adamw' },
        weightDecay: 0.01,
        clipGradNorm: 5,
        classWeighting: 'balanced',
        schedule: { type: 'cosine', warmupEpochs: 1 },
        checkpoint: { keepEvery: 5 },
      },
      sink: rec,
    })
    const out = await trainer.run()
    expect(out.status).toBe('done')
    expect(ofType(rec.messages, 'epoch').map((e) => e.epoch)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(after).toHaveLength(20)
    const first = after[0]!
    for (const [i, m] of after.entries()) expect({ epoch: i + 1, ...m }).toEqual({ epoch: i + 1, ...first })
    trainer.dispose()
  })
})
