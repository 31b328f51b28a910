/**
 * `studio evaluate` in-process: a tiny network trained one epoch on 500 MNIST digits with a pipeline that asks for
 * flip test-time augmentation. The command prints and stores the accuracy with and without TTA; the TTA number is
 * checked against probabilities of the image and of its mirror averaged here by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datasetsContract, runsContract } from '@shared/api'
import { runCli } from '../../main/cli/index'
import type { EvaluateOutput, ExportedEvaluateOutput } from '../../main/cli/evaluate'
import { snapshotGraph } from '../../main/services/export-model'
import { openDatasetSource } from '../../main/train/dataset-source'
import { compileGraph } from '../../shared/tfjs/compile'
import { batchToTensors, restoreCheckpoint, type CheckpointMeta } from '../../shared/train'
import { clientFor, openStudio } from './helpers'
import { capture, mnistDataDir } from './cli-train-fixtures'

let dataDir = ''
let graphFile = ''
let cleanup = () => {}
beforeAll(async () => {
  ;({ dir: dataDir, graphFile, cleanup } = await mnistDataDir())
  const pipelineFile = join(dataDir, 'flip-tta.json')
  writeFileSync(pipelineFile, JSON.stringify({ format: 1, steps: [], tta: { crops: 'full', cropFractions: [1], flip: true } }))
  for (const extra of [['--pipeline', pipelineFile, '--name', 'with tta'], ['--name', 'plain']]) {
    const io = capture()
    const code = await runCli(['train', '--graph', graphFile, '--dataset', '1', '--epochs', '1', '--batch', '50', '--lr', '0.003', '--seed', '7', ...extra, '--json', '--data-dir', dataDir], io)
    if (code !== 0) throw new Error(`train failed (${code}): ${io.err}`)
  }
}, 120_000)
afterAll(() => cleanup())

/** Accuracy of the checkpoint on the val split with the probabilities of each image and its mirror averaged, by hand. */
async function flipAveragedAccuracy(runId: number, checkpointId: number): Promise<{ plain: number; tta: number; changed: number }> {
  const studio = openStudio(dataDir)
  try {
    const runs = clientFor(studio, runsContract)
    const run = await runs.get({ id: runId })
    const dataset = await clientFor(studio, datasetsContract).get({ id: run.datasetId! })
    const ckpt = await runs.loadCheckpoint({ id: checkpointId })
    const { model } = compileGraph(snapshotGraph({ runId, config: run.config, fallbackDocument: undefined }))
    const bytes = ckpt.weights
    restoreCheckpoint(model, null, { meta: ckpt.meta as CheckpointMeta, weights: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, optimizerState: new ArrayBuffer(0) })
    const data = openDatasetSource(studio.db, studio.paths, dataset)
    const n = data.count('val')
    const batch = await data.batch('val', Int32Array.from({ length: n }, (_, i) => i))
    const { images, labels } = batchToTensors(batch, data.imageShape, 10)
    const mirrored = tf.reverse(images, 2)
    const p = (model.predict(images) as tf.Tensor2D).arraySync()
    const q = (model.predict(mirrored) as tf.Tensor2D).arraySync()
    const y = Array.from(batch.labels)
    const argmax = (v: number[]) => v.indexOf(Math.max(...v))
    let plain = 0
    let tta = 0
    let changed = 0
    for (let i = 0; i < n; i++) {
      const avg = p[i]!.map((v, k) => (v + q[i]![k]!) / 2)
      if (argmax(p[i]!) === y[i]) plain++
      if (argmax(avg) === y[i]) tta++
      if (argmax(avg) !== argmax(p[i]!)) changed++
    }
    tf.dispose([images, labels, mirrored])
    model.dispose()
    return { plain: plain / n, tta: tta / n, changed }
  } finally {
    studio.close()
  }
}

describe('studio evaluate', () => {
  it('prints and stores the accuracy with and without the pipeline test-time augmentation', async () => {
    const io = capture()
    const code = await runCli(['evaluate', '1', '--json', '--data-dir', dataDir], io)
    expect(code, io.err).toBe(0)
    const out = JSON.parse(io.out) as EvaluateOutput
    expect(out).toMatchObject({ runId: 1, split: 'val', count: 50, checkpoint: { kind: 'best', epoch: 1 }, tta: { views: 2, description: '2 views: flip' } })
    const hand = await flipAveragedAccuracy(1, out.checkpoint.id)
    // MNIST digits are not mirror-symmetric: averaging with the mirror changes some predictions.
    expect(hand.changed).toBeGreaterThan(0)
    expect(out.accuracy).toBeCloseTo(hand.plain, 10)
    expect(out.tta!.accuracy).toBeCloseTo(hand.tta, 10)

    const studio = openStudio(dataDir)
    try {
      const [stored] = await clientFor(studio, runsContract).evaluations({ runId: 1 })
      expect(stored).toMatchObject({ id: out.evaluationId, split: 'val', count: 50, tta: { status: 'applied', views: 2, description: '2 views: flip' } })
      expect(stored!.accuracy).toBeCloseTo(out.accuracy, 10)
      expect(stored!.tta.status === 'applied' && stored!.tta.accuracy).toBeCloseTo(out.tta!.accuracy, 10)
    } finally {
      studio.close()
    }

    const text = capture()
    expect(await runCli(['evaluate', '1', '--split', 'test', '--data-dir', dataDir], text), text.err).toBe(0)
    expect(text.out).toMatch(/TEST split: 50 images/)
    expect(text.out).toMatch(/Accuracy +\d+\.\d\d%/)
    expect(text.out).toMatch(/Accuracy with TTA +\d+\.\d\d% .*2 views: flip, probabilities averaged/)
  }, 120_000)

  it('says when the run has no test-time augmentation, and refuses bad input with a clear message', async () => {
    const io = capture()
    expect(await runCli(['evaluate', '2', '--data-dir', dataDir], io), io.err).toBe(0)
    expect(io.out).toMatch(/Run 2 "plain", checkpoint best/)
    expect(io.out).toMatch(/no test-time augmentation in this run's pipeline/)
    const json = capture()
    expect(await runCli(['evaluate', '2', '--json', '--data-dir', dataDir], json)).toBe(0)
    expect((JSON.parse(json.out) as EvaluateOutput).tta).toBeNull()

    const bad = capture()
    expect(await runCli(['evaluate', '99', '--data-dir', dataDir], bad)).toBe(2)
    expect(bad.err).toMatch(/Unknown run 99/)
    const split = capture()
    expect(await runCli(['evaluate', '1', '--split', 'train', '--data-dir', dataDir], split)).toBe(2)
    expect(split.err).toMatch(/--split must be val or test, received "train"/)
  }, 120_000)

  it('an exported model carries the TTA spec and its evaluation applies it: the same two numbers as the run', async () => {
    const run = capture()
    expect(await runCli(['evaluate', '1', '--json', '--data-dir', dataDir], run), run.err).toBe(0)
    const fromRun = JSON.parse(run.out) as EvaluateOutput
    const folder = join(dataDir, 'exported-tta')
    const studio = openStudio(dataDir)
    try {
      await clientFor(studio, runsContract).exportModel({ checkpointId: fromRun.checkpoint.id, folder })
    } finally {
      studio.close()
    }
    const meta = (JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as { userDefinedMetadata: { cnnStudio: Record<string, unknown> } }).userDefinedMetadata.cnnStudio
    expect(meta).toMatchObject({ runId: 1, checkpointId: fromRun.checkpoint.id, preprocess: null, tta: { spec: { crops: 'full', cropFractions: [1], flip: true }, views: 2, description: '2 views: flip' } })

    const io = capture()
    expect(await runCli(['evaluate', '--model', folder, '--dataset', '1', '--json', '--data-dir', dataDir], io), io.err).toBe(0)
    const out = JSON.parse(io.out) as ExportedEvaluateOutput
    expect(out).toMatchObject({ exportedFrom: { runId: 1, checkpointId: fromRun.checkpoint.id }, dataset: { id: 1 }, split: 'val', count: 50, tta: { views: 2, description: '2 views: flip' } })
    expect(out.accuracy).toBeCloseTo(fromRun.accuracy, 10)
    expect(out.tta!.accuracy).toBeCloseTo(fromRun.tta!.accuracy, 10)
    expect(out.tta!.loss).toBeCloseTo(fromRun.tta!.loss, 5)
    const text = capture()
    expect(await runCli(['evaluate', '--model', folder, '--dataset', '1', '--data-dir', dataDir], text), text.err).toBe(0)
    expect(text.out).toMatch(/Accuracy with TTA +\d+\.\d\d% .*2 views: flip/)

    const missing = capture()
    expect(await runCli(['evaluate', '--model', folder, '--data-dir', dataDir], missing)).toBe(2)
    expect(missing.err).toMatch(/--model needs --dataset/)
    const notExported = capture()
    expect(await runCli(['evaluate', '--model', join(dataDir, 'nowhere'), '--dataset', '1', '--data-dir', dataDir], notExported)).toBe(2)
    expect(notExported.err).toMatch(/does not hold a readable exported model/)
  }, 120_000)
})
