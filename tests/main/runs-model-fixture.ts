/** A small graph-compiled model with non-trivial weights, and a run + checkpoint of it in a studio (tests only). */
import * as tf from '@tensorflow/tfjs'
import { projectsContract, runsContract } from '@shared/api'
import type { AugmentPipeline } from '@shared/augment/spec-only'
import { GraphBuilder, type GraphDocument } from '@shared/graph'
import { compileGraph } from '../../shared/tfjs/compile'
import { captureCheckpoint, InMemoryDataSource, TrainOptimizer } from '../../shared/train'
import { clientFor, openStudio, tempDataDir } from './helpers'

export const SIZE = 8
export const CLASSES = ['circle', 'square', 'star']

export function graph(): GraphDocument {
  const b = new GraphBuilder()
  b.add('Input', { shape: [SIZE, SIZE, 1] }, { id: 'input' })
  b.add('Conv2D', { filters: 4, kernelSize: 3, padding: 'same' }, { id: 'conv1' })
  b.add('BatchNorm', {}, { id: 'bn1' })
  b.add('ReLU', {}, { id: 'relu1' })
  b.add('MaxPool', {}, { id: 'pool1' })
  b.add('Flatten', {}, { id: 'flatten' })
  b.add('Output', { units: CLASSES.length }, { id: 'out' })
  return b.build()
}

/** Seeded pseudo-random values (no Math.random). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
}

/** compileGraph + every weight (BN moving statistics included) set to seeded values. */
export function modelWithWeights(doc: GraphDocument, seed = 3): tf.LayersModel {
  const { model } = compileGraph(doc)
  const rnd = seeded(seed)
  for (const w of model.weights) {
    const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1)
    const isVar = w.name.includes('moving_variance')
    w.write(tf.tensor(Float32Array.from({ length: n }, () => (isVar ? 0.5 + rnd() : rnd() - 0.5)), w.shape as number[]))
  }
  return model
}

export function dataSource(val = 30, test = 12): InMemoryDataSource {
  const rnd = seeded(9)
  const make = (n: number) => ({
    images: Uint8Array.from({ length: n * SIZE * SIZE }, () => Math.floor(rnd() * 256)),
    labels: Int32Array.from({ length: n }, (_, i) => i % CLASSES.length),
  })
  return new InMemoryDataSource({ classes: CLASSES, imageShape: [SIZE, SIZE, 1], train: make(6), val: make(val), test: make(test) })
}

/** A studio with a project, a run whose snapshot holds `doc` (and `pipeline` when given), and a 'best' checkpoint of `model`. */
export async function runWithCheckpoint(model: tf.LayersModel, doc: GraphDocument, pipeline: AugmentPipeline | null = null) {
  const t = tempDataDir()
  const studio = openStudio(t.dir)
  const project = await clientFor(studio, projectsContract).create({ name: 'p' })
  const runs = clientFor(studio, runsContract)
  const run = await runs.create({
    projectId: project.id,
    config: {
      kind: 'cnn-studio/train',
      architecture: { name: 'tiny', version: 1, document: doc },
      dataset: { name: 'shapes', classes: CLASSES },
      ...(pipeline ? { pipeline: { name: 'flip tta', document: pipeline } } : {}),
    },
  })
  const opt = new TrainOptimizer([], { spec: { type: 'sgd', momentum: 0, nesterov: false }, weightDecay: 0, clipGradNorm: null })
  const ckpt = await captureCheckpoint(model, opt, {
    step: 10,
    epoch: 2,
    stepInEpoch: 0,
    stepsPerEpoch: 5,
    totalSteps: 10,
    seed: 1,
    dataOrder: 'rng-fork-per-epoch',
    nextLr: 0.01,
    epochAccum: { lossSum: 0, correct: 0, samples: 0, steps: 0 },
    best: { valAcc: null, trainLoss: null, epoch: null },
    metrics: null,
  })
  const [info] = await runs.saveCheckpoint({
    runId: run.id,
    kinds: ['best'],
    epoch: 2,
    step: 10,
    meta: ckpt.meta,
    weights: new Uint8Array(ckpt.weights),
    optimizer: new Uint8Array(ckpt.optimizerState),
  })
  return { dir: t.dir, studio, runs, run, checkpoint: info!, close: () => (studio.close(), t.cleanup()) }
}
