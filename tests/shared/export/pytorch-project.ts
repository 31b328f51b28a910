/**
 * A tiny exported project for the train.py tests: the augment, data and train parts of the export, a run.json,
 * split.json, a dataset cache written by the studio's CacheWriter, and a hand-written model.py (a real nn.Module
 * with BatchNorm, NCHW in, logits out: the interface of the model part).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CacheWriter } from '../../../main/datasets/cache'
import { augmentPart } from '../../../shared/export/pytorch/augment'
import { dataPart } from '../../../shared/export/pytorch/data'
import { trainPart } from '../../../shared/export/pytorch/train'
import type { TrainingConfigInput } from '../../../shared/train/config'
import { writeExport } from './torch-python'

export const SHAPE = [8, 8, 1] as const
export const SPLIT = { train: 30, val: 12, test: 6 }

export const MODEL_PY = `import torch.nn as nn


def build_model():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 3))
`

export const TRAINING: TrainingConfigInput = {
  epochs: 2,
  batchSize: 8,
  seed: 7,
  learningRate: 0.05,
  optimizer: { type: 'sgd', momentum: 0.9, nesterov: true },
  schedule: { type: 'cosine', warmupEpochs: 0.5 },
  weightDecay: 1e-4,
  clipGradNorm: 1,
}

/** Writes the project; returns its folder. */
export function tinyProject(training: TrainingConfigInput = TRAINING): string {
  const n = SPLIT.train + SPLIT.val + SPLIT.test
  const snapshot = {
    kind: 'cnn-studio/train',
    dataset: { shape: [...SHAPE], classes: ['a', 'b', 'c'], counts: { ...SPLIT } },
    pipeline: {
      document: {
        format: 1,
        steps: [
          { id: 'flip', kind: 'horizontalFlip', enabled: true, p: 0.5, params: {} },
          { id: 'norm', kind: 'normalize', enabled: true, p: 1, params: { mean: [0.5], std: [0.25] } },
        ],
      },
    },
    training,
  }
  const input = { snapshot, graph: {} as never, split: null, run: null }
  const dir = writeExport([augmentPart, dataPart, trainPart].flatMap((p) => p.files(input)), 'pt-train-')
  writeFileSync(join(dir, 'run.json'), JSON.stringify(snapshot, null, 2))
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
  writeFileSync(join(dir, 'split.json'), JSON.stringify({ train: range(0, SPLIT.train), val: range(SPLIT.train, SPLIT.val), test: range(SPLIT.train + SPLIT.val, SPLIT.test) }))
  writeFileSync(join(dir, 'model.py'), MODEL_PY)
  mkdirSync(join(dir, 'data'))
  // Three classes told apart by how many columns are bright, with some noise.
  const per = SHAPE[0] * SHAPE[1] * SHAPE[2]
  const writer = new CacheWriter(join(dir, 'data', 'images.u8'))
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const c = i % 3
    labels[i] = c
    writer.append(Uint8Array.from({ length: per }, (_, k) => (k % 8 < 2 * (c + 1) ? 200 : 20) + ((i * 7 + k) % 30)))
  }
  writer.commit(labels)
  return dir
}

export interface MetricPoint {
  readonly name: string
  readonly step: number
  readonly epoch: number
  readonly value: number
  readonly time: number
  readonly wall: number
}
