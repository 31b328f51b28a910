import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { adviceFor, freezePlan, modelFromCheckpoint, transferWeights } from '../../../shared/procedure'
import { initialLoss, InMemoryDataSource, Trainer } from '../../../shared/train'
import type { Checkpoint } from '../../../shared/train'
import { setupWasm } from '../tfjs/wasm-test-setup'
import { mnistSource } from '../train/mnist-data'
import { compileGraph } from '../../../shared/tfjs/compile'
import { GraphBuilder } from '../../../shared/graph'
import { syntheticData } from '../train/helpers'
import { smallCnn, smallCnnGraph } from './helpers'

beforeAll(async () => {
  await setupWasm()
})

const sink = { post: () => undefined }
const layerWeights = (m: tf.LayersModel, name: string) => m.getLayer(name).getWeights().map((w) => Array.from(w.dataSync()))

/** Digits 0-4 only, relabelled 0..4: the "new task" with 5 classes. */
async function firstFive(data: InMemoryDataSource, n: number): Promise<InMemoryDataSource> {
  const all = await data.batch('train', Int32Array.from({ length: data.count('train') }, (_, i) => i))
  const keep: number[] = []
  for (let i = 0; i < all.labels.length && keep.length < n; i++) if ((all.labels[i] as number) < 5) keep.push(i)
  const images = new Uint8Array(keep.length * 784)
  keep.forEach((k, j) => images.set(all.images.subarray(k * 784, (k + 1) * 784), j * 784))
  return new InMemoryDataSource({ classes: ['0', '1', '2', '3', '4'], imageShape: [28, 28, 1], train: { images, labels: keep.map((k) => all.labels[k] as number) } })
}

describe('transfer learning', () => {
  it('from a digits-trained checkpoint with frozen convolutions trains only the new head (bit for bit)', async () => {
    const digits = mnistSource(256, 0, 1)
    const source = compileGraph(smallCnnGraph(), { seed: 1 }).model
    const trainer = new Trainer({ model: source, data: digits, config: { epochs: 1, batchSize: 32, seed: 1, learningRate: 3e-3, optimizer: { type: 'adam' } }, sink, checkpoints: false })
    expect((await trainer.run()).status).toBe('done')
    const checkpoint: Checkpoint = await trainer.checkpoint()
    trainer.dispose()
    const trainedConv1 = layerWeights(source, 'conv1')
    source.dispose()

    // Checkpoint + its graph -> a 5-class target graph.
    const { model, report } = transferWeights({ checkpoint, graph: smallCnnGraph() }, smallCnnGraph(), { newClasses: 5 })
    try {
      expect(report.copied).toEqual(['conv1', 'conv2'])
      expect(report.reinitialized).toEqual(['output'])
      expect(report.head).toBe('output')
      expect(model.outputs[0]!.shape).toEqual([null, 5])
      expect(layerWeights(model, 'conv1')).toEqual(trainedConv1)
      const headBias = model.getLayer('output').getWeights()[1]!
      expect(Array.from(headBias.dataSync())).toEqual([0, 0, 0, 0, 0])

      const plan = freezePlan(model, { mode: 'all-but-last', k: 1 })
      expect(plan.layers.map((l) => [l.layer, l.state, l.lrMultiplier])).toEqual([
        ['conv1', 'frozen', 0],
        ['conv2', 'frozen', 0],
        ['output', 'new', 1],
      ])
      expect(plan.groups).toEqual([
        { match: '^conv1/', lrMultiplier: 0, frozen: true },
        { match: '^conv2/', lrMultiplier: 0, frozen: true },
      ])
      // The new head starts with the Output node's small init: the initial loss is about ln(5), as for a fresh design.
      const five = await firstFive(mnistSource(512, 0, 2), 96)
      const start = await initialLoss(model, five, 2, { batchSize: 48 })
      expect(Math.abs(start.loss - Math.log(5))).toBeLessThan(0.06) // a Xavier head: 0.12 off here, more on stronger features
      const before = { conv1: layerWeights(model, 'conv1'), conv2: layerWeights(model, 'conv2'), output: layerWeights(model, 'output') }
      const t2 = new Trainer({
        model,
        data: five,
        config: { epochs: 1, batchSize: 32, seed: 2, learningRate: 1e-2, optimizer: { type: 'sgd', momentum: 0.9 }, weightDecay: 1e-4, groups: plan.groups },
        sink,
        checkpoints: false,
      })
      expect(t2.plan.frozen.map((p) => p.name)).toEqual(['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias'])
      expect((await t2.run()).status).toBe('done')
      t2.dispose()
      expect(layerWeights(model, 'conv1')).toEqual(before.conv1)
      expect(layerWeights(model, 'conv2')).toEqual(before.conv2)
      const after = layerWeights(model, 'output')
      expect(after[0]).not.toEqual(before.output[0])
      expect(after[1]).not.toEqual(before.output[1])
    } finally {
      model.dispose()
    }
  })

  it('a frozen BatchNorm keeps its moving statistics bit for bit; unfrozen, they follow the new data', async () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 1] }, { id: 'input' })
    b.add('Conv2D', { filters: 4, kernelSize: 3, useBias: false }, { id: 'conv1' })
    b.add('BatchNorm', {}, { id: 'bn1' })
    b.add('ReLU', {}, { id: 'relu1' })
    b.add('Flatten', {}, { id: 'flatten' })
    b.add('Output', { units: 3 }, { id: 'output' })
    const graph = b.build()
    const stats = (m: tf.LayersModel) => layerWeights(m, 'bn1').slice(2) // moving mean, moving variance
    for (const spec of [{ mode: 'all-but-last', k: 1 }, { mode: 'none' }] as const) {
      const model = compileGraph(graph, { seed: 5 }).model
      try {
        const plan = freezePlan(model, spec)
        expect(plan.layers.find((l) => l.layer === 'bn1')!.state).toBe(spec.mode === 'none' ? 'fine-tune' : 'frozen')
        const before = stats(model)
        const head = layerWeights(model, 'output')
        const t = new Trainer({ model, data: syntheticData(32, 0), config: { epochs: 1, batchSize: 8, seed: 3, learningRate: 1e-2, optimizer: { type: 'adam' }, groups: plan.groups }, sink, checkpoints: false })
        expect((await t.run()).status).toBe('done')
        t.dispose()
        if (spec.mode === 'none') expect(stats(model)).not.toEqual(before)
        else expect(stats(model)).toEqual(before)
        expect(layerWeights(model, 'output')[0]).not.toEqual(head[0]) // the head trained either way
      } finally {
        model.dispose()
      }
    }
  })

  it('fine-tune plans use a smaller LR for pretrained layers; shape mismatches are skipped; the lectures table', () => {
    const src = smallCnn([28, 28, 1], 10)
    const target = smallCnn([32, 32, 1], 3) // conv kernels match, the head does not
    try {
      const { report } = transferWeights(src, target)
      expect(report.copied).toEqual(['conv1', 'conv2'])
      expect(report.reinitialized).toEqual(['output'])
      const fine = freezePlan(target, { mode: 'none' }, { pretrainedLrMultiplier: 0.1 })
      expect(fine.layers.map((l) => l.state)).toEqual(['fine-tune', 'fine-tune', 'new'])
      expect(fine.groups).toEqual([
        { match: '^conv1/', lrMultiplier: 0.1, frozen: false },
        { match: '^conv2/', lrMultiplier: 0.1, frozen: false },
      ])
      const some = freezePlan(target, { mode: 'layers', frozen: ['conv1'] })
      expect(some.layers.map((l) => l.state)).toEqual(['frozen', 'fine-tune', 'new'])
    } finally {
      src.dispose()
      target.dispose()
    }
    const other = smallCnn([28, 28, 3], 10) // conv1 has 3 input channels: skipped
    const src2 = smallCnn()
    try {
      const { report } = transferWeights(src2, other)
      expect(report.copied).toEqual(['conv2'])
      expect(report.skipped[0]).toMatchObject({ layer: 'conv1' })
      expect(report.skipped[0]!.reason).toMatch(/shapes differ/)
    } finally {
      other.dispose()
      src2.dispose()
    }
    expect(adviceFor('little', 'similar').title).toBe('Linear classifier on the final layer')
    expect(adviceFor('little', 'similar').freeze).toEqual({ mode: 'all-but-last', k: 1 })
    expect(adviceFor('little', 'different').title).toMatch(/another pretrained model or collect more data/)
    expect(adviceFor('lots', 'similar').title).toBe('Fine-tune all model layers')
    expect(adviceFor('lots', 'different').title).toMatch(/from scratch/)
  })

  it('modelFromCheckpoint refuses a checkpoint of another architecture', async () => {
    const m = smallCnn()
    const t = new Trainer({ model: m, data: mnistSource(32, 0, 3), config: { epochs: 1, batchSize: 32, seed: 1, learningRate: 1e-3, optimizer: { type: 'adam' } }, sink, checkpoints: false })
    const cp = await t.checkpoint()
    t.dispose()
    m.dispose()
    const n = tf.memory().numTensors
    expect(() => modelFromCheckpoint(cp, smallCnnGraph([28, 28, 1], 5))).toThrow(/shape|architecture/)
    const ok = modelFromCheckpoint(cp, smallCnnGraph())
    ok.dispose()
    expect(tf.memory().numTensors).toBe(n)
  })
})
