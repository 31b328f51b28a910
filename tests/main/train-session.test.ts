/**
 * The Node training session without the CLI: a stop request mid-epoch ends the run 'stopped' with a resumable
 * 'last' checkpoint where it stopped; an augmentation pipeline is recorded; the CPU backend can be selected; the DataSource
 * never serves the test split (seeded initial weights: tests/shared/graph/format-compile.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datasetsContract, projectsContract, runsContract } from '@shared/api'
import { createStep, emptyPipeline } from '../../shared/augment/index'
import { parseGraphDocument } from '../../shared/graph/index'
import { parseTrainingConfig } from '../../shared/train/index'
import type { TrainingConfig } from '../../shared/train/index'
import { selectBackend } from '../../main/train/backend'
import { openDatasetSource } from '../../main/train/dataset-source'
import { prepareResume, runTrainingSession } from '../../main/train/session'
import { writeCheckpointFiles } from '../../main/store/checkpoint-files'
import type { Studio } from '../../main/studio'
import { clientFor, openStudio } from './helpers'
import { mnistDataDir, tinyGraphJson } from './cli-train-fixtures'

let studio: Studio
let cleanup = () => {}
beforeAll(async () => {
  const d = await mnistDataDir()
  cleanup = d.cleanup
  studio = openStudio(d.dir)
})
afterAll(() => {
  studio.close()
  cleanup()
})

const config = (over: object = {}): TrainingConfig => {
  const r = parseTrainingConfig({ epochs: 2, batchSize: 50, seed: 5, learningRate: 1e-3, optimizer: { type: 'adam' }, ...over })
  if (!r.ok) throw new Error(r.errors.join('; '))
  return r.config
}

describe('Node training session', () => {
  it('serves train and val from the cache and never the test split', async () => {
    const dataset = await clientFor(studio, datasetsContract).get({ id: 1 })
    const source = openDatasetSource(studio.db, studio.paths, dataset)
    expect([source.count('train'), source.count('val'), source.count('test')]).toEqual([400, 50, 0])
    await expect(source.batch('test', Int32Array.of(0))).rejects.toThrow(/test split is not served/)
    const b = await source.batch('val', Int32Array.of(0, 49))
    expect(b.images.length).toBe(2 * 784)
    const page = await clientFor(studio, datasetsContract).readSplit({ id: 1, split: 'val', offset: 49, limit: 1 })
    expect(b.labels[1]).toBe(page.labels[0])
  })

  it('can select the CPU backend', async () => {
    expect(await selectBackend('cpu')).toMatchObject({ backend: 'cpu', fallback: null })
  })

  it('stops mid-epoch on request: status stopped, last checkpoint where it stopped (pipeline recorded)', async () => {
    const project = await clientFor(studio, projectsContract).create({ name: 'Session' })
    const dataset = await clientFor(studio, datasetsContract).get({ id: 1 })
    const stop = new AbortController()
    const pipeline = { ...emptyPipeline(), steps: [createStep('normalize', 'norm', { params: { mean: [0.13], std: [0.31] } })] }
    const result = await runTrainingSession({
      studio,
      projectId: project.id,
      dataset,
      graph: { document: parseGraphDocument(tinyGraphJson()), template: null, file: '/somewhere/tiny.json' },
      pipeline: { document: pipeline, file: null },
      training: config(),
      backend: 'wasm',
      origin: 'test',
      signal: stop.signal,
      onMessage: (m) => {
        if (m.type === 'step' && m.step === 11) stop.abort()
      },
    })
    expect(result.outcome).toMatchObject({ status: 'stopped', step: 11, reason: 'Stopped by the user' })
    expect(result.backend.backend).toBe('wasm')
    const runs = clientFor(studio, runsContract)
    const run = await runs.get({ id: result.run.id })
    expect(run).toMatchObject({ status: 'stopped', backend: 'wasm', projectId: project.id, bestEpoch: 1 })
    expect(run.config).toMatchObject({ backendRequested: 'wasm', architecture: { name: 'tiny.json', file: '/somewhere/tiny.json', template: null }, pipeline: { document: { steps: [{ kind: 'normalize' }] } } })
    const checkpoints = await runs.checkpoints({ runId: run.id })
    expect(checkpoints.map((c) => [c.kind, c.epoch, c.step]).sort()).toEqual([['best', 1, 8], ['last', 1, 11]])
    const last = await runs.loadCheckpoint({ id: checkpoints.find((c) => c.kind === 'last')!.id })
    expect(last.meta).toMatchObject({ step: 11, epoch: 1, stepInEpoch: 3, stepsPerEpoch: 8 })
    const loss = (await runs.metrics({ runId: run.id, names: ['train/loss'] }))['train/loss']!
    expect(loss.step).toEqual(Array.from({ length: 11 }, (_, i) => i + 1))
  })

  it('resumes from where a checkpoint file is when a crash left its row behind it (killed between the rename and the row)', async () => {
    const project = await clientFor(studio, projectsContract).create({ name: 'Crash between file and row' })
    const dataset = await clientFor(studio, datasetsContract).get({ id: 1 })
    const stop = new AbortController()
    const result = await runTrainingSession({
      studio,
      projectId: project.id,
      dataset,
      graph: { document: parseGraphDocument(tinyGraphJson()), template: null, file: null },
      pipeline: null,
      training: config(),
      backend: 'wasm',
      origin: 'test',
      signal: stop.signal,
      onMessage: (m) => {
        if (m.type === 'step' && m.step === 11) stop.abort()
      },
    })
    const runs = clientFor(studio, runsContract)
    const runId = result.run.id
    const lastRow = (await runs.checkpoints({ runId })).find((c) => c.kind === 'last')!
    expect([lastRow.epoch, lastRow.step]).toEqual([1, 11])
    // What a process killed inside saveCheckpoint leaves: the metrics up to step 14 written (they go first), then
    // checkpoint-last.ckpt renamed over with the step-14 checkpoint, and no row update.
    const at11 = await runs.loadCheckpoint({ id: lastRow.id })
    await runs.appendMetrics({ runId, points: [12, 13, 14].map((step) => ({ name: 'train/loss', step, epoch: 2, value: 1, time: 0 })) })
    const meta = { ...(at11.meta as Record<string, unknown>), step: 14, epoch: 1, stepInEpoch: 6 }
    writeCheckpointFiles(studio.paths, { projectId: project.id, runId }, ['last'], 1, { meta, weights: at11.weights, optimizer: at11.optimizer })
    const plan = await prepareResume(studio, runId)
    expect(plan.resume.checkpoint?.meta.step).toBe(14)
    // The resume goes on from step 14 (the file), the history up to it kept: not cut back to the stale row's 11.
    expect(plan.resume.recorder).toMatchObject({ step: 14, lastCheckpoint: { epoch: 1, step: 14 } })
    expect((await runs.metrics({ runId, names: ['train/loss'] }))['train/loss']!.step).toEqual(Array.from({ length: 14 }, (_, i) => i + 1))
    // And the row now says where its file is.
    expect((await runs.checkpoints({ runId })).find((c) => c.kind === 'last')).toMatchObject({ id: lastRow.id, epoch: 1, step: 14 })
  })
})
