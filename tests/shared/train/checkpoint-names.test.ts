/**
 * restoreCheckpoint matches weights by name when the checkpoint holds exactly the model's canonical names, in
 * whatever order (a checkpoint converted from PyTorch lists them in its own order), and by position otherwise.
 */
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { GraphBuilder } from '@shared/graph'
import { compileGraph } from '../../../shared/tfjs/compile'
import { captureCheckpoint, restoreCheckpoint, TrainOptimizer, type Checkpoint } from '../../../shared/train'

function graph() {
  const b = new GraphBuilder()
  const x = b.add('Input', { shape: [6, 6, 2] }, { id: 'input' })
  const a = b.add('Conv2D', { filters: 3, kernelSize: 3 }, { id: 'a', from: x })
  const c = b.add('Conv2D', { filters: 3, kernelSize: 1 }, { id: 'c', from: x })
  b.add('Add', {}, { id: 'add', from: [a, c] })
  b.add('BatchNorm', {}, { id: 'bn' })
  b.add('Flatten', {}, { id: 'flat' })
  b.add('Output', { units: 2 }, { id: 'out' })
  return b.build()
}

const progress = {
  step: 0, epoch: 0, stepInEpoch: 0, stepsPerEpoch: 1, totalSteps: 1, seed: 0, dataOrder: 'rng-fork-per-epoch' as const, nextLr: 0,
  epochAccum: { lossSum: 0, correct: 0, samples: 0, steps: 0 }, best: { valAcc: null, trainLoss: null, epoch: null }, metrics: null,
}

/** The same checkpoint with its variables (and their values) in reverse order. */
function reversed(ckpt: Checkpoint): Checkpoint {
  const all = new Float32Array(ckpt.weights)
  const chunks: Float32Array[] = []
  let at = 0
  for (const v of ckpt.meta.variables) {
    const n = v.shape.reduce((a, b) => a * b, 1)
    chunks.push(all.slice(at, at + n))
    at += n
  }
  const out = new Float32Array(all.length)
  let o = 0
  for (const c of [...chunks].reverse()) {
    out.set(c, o)
    o += c.length
  }
  return { ...ckpt, meta: { ...ckpt.meta, variables: [...ckpt.meta.variables].reverse() }, weights: out.buffer }
}

describe('restoreCheckpoint', () => {
  it('restores by name a checkpoint whose variables come in another order', async () => {
    const doc = graph()
    const { model } = compileGraph(doc, { seed: 1 })
    tf.tidy(() => model.weights.forEach((w, i) => w.write(tf.fill(w.shape as number[], i + 0.5))))
    const opt = new TrainOptimizer([], { spec: { type: 'sgd', momentum: 0, nesterov: false }, weightDecay: 0, clipGradNorm: null })
    const ckpt = reversed(await captureCheckpoint(model, opt, progress))
    const fresh = compileGraph(doc, { seed: 2 }).model
    restoreCheckpoint(fresh, null, ckpt)
    for (const [i, w] of fresh.weights.entries()) expect(Array.from(new Set(w.read().dataSync())), w.originalName).toEqual([i + 0.5])

    // Names that are not the model's: by position, shapes checked (here they do not fit).
    const renamed = { ...ckpt, meta: { ...ckpt.meta, variables: ckpt.meta.variables.map((v) => ({ ...v, name: `old_${v.name}` })) } }
    expect(() => restoreCheckpoint(fresh, null, renamed)).toThrow(/has shape/)
    model.dispose()
    fresh.dispose()
  })
})
