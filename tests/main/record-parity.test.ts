/**
 * One run, recorded the same way by the app and by the CLI: the same tiny run (tiny design, 400 MNIST digits,
 * 2 epochs, seeded, WASM under Node) through
 *  - the app's path: the Train section's TrainingController (orchestration, the live view, the recorder over the
 *    API client) driving the training worker's work (renderer/src/train/worker-run.ts) in this process, and
 *  - the CLI's path: main/train/session.ts (what `studio train` runs),
 * both over a real runs service on a real SQLite file in a temp folder (direct clients). The recorded run
 * documents (config snapshot, run row, summary, metric names, steps and values, checkpoints and their kinds) must be
 * identical except ids, timestamps, wall times and where the design came from (a saved design vs a file).
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { architecturesContract, datasetsContract, pipelinesContract, projectsContract, runsContract, type Run } from '@shared/api'
import { createStep, emptyPipeline } from '../../shared/augment/index'
import { parseGraphDocument } from '../../shared/graph/index'
import { parseTrainingConfig, type TrainingConfig } from '../../shared/train/index'
import { SUMMARY_KEYS } from '../../shared/train/recorder'
import { selectBackend } from '../../main/train/backend'
import { runTrainingSession } from '../../main/train/session'
import type { Studio } from '../../main/studio'
import { TrainingController, useTraining, type TrainApi } from '../../renderer/src/train/controller'
import type { TrainMethods } from '../../renderer/src/train/protocol'
import { WorkerRun } from '../../renderer/src/train/worker-run'
import type { WorkerLike } from '../../renderer/src/workers/client'
import { serve } from '../../renderer/src/workers/serve'
import { channelWorker } from '../renderer/worker-stand-ins'
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

const training = (): TrainingConfig => {
  const r = parseTrainingConfig({ epochs: 2, batchSize: 50, seed: 11, learningRate: 2e-3, optimizer: { type: 'adam' }, checkpoint: { keepEvery: 1 } })
  if (!r.ok) throw new Error(r.errors.join('; '))
  return r.config
}
const pipeline = () => ({ ...emptyPipeline(), steps: [createStep('normalize', 'norm', { params: { mean: [0.13], std: [0.31] } })] })

/** The training worker's work in this process, served over a real MessageChannel as the worker serves it. */
function inProcessWorker(): WorkerLike {
  const train = WorkerRun.train({
    async startBackend(choice) {
      if (choice !== 'wasm' && choice !== 'cpu') throw new Error(`${choice} is not a Node backend`)
      const b = await selectBackend(choice)
      return { backend: b.backend as 'wasm' | 'cpu', reason: b.fallback ?? 'chosen by you', adapter: null, tried: [{ backend: choice, error: b.fallback }], wasmThreads: b.threads ?? null, crossOriginIsolated: null }
    },
    fetchData: async (path) => new Uint8Array(readFileSync(path)),
  })
  return channelWorker((port) => serve<TrainMethods>({ train }, { port }))
}

async function trainThroughApp(projectId: number, name: string): Promise<number> {
  const arch = await clientFor(studio, architecturesContract).create({ projectId, name: 'tiny.json', document: JSON.parse(tinyGraphJson()) })
  const pipe = await clientFor(studio, pipelinesContract).create({ projectId, name: 'norm.json', document: pipeline() })
  const api: TrainApi = {
    runs: clientFor(studio, runsContract),
    datasets: clientFor(studio, datasetsContract),
    architectures: clientFor(studio, architecturesContract),
    pipelines: clientFor(studio, pipelinesContract),
  }
  const controller = new TrainingController({
    api,
    createWorker: inProcessWorker,
    dataFileUrl: (p) => studio.paths.resolve(p),
    appVersion: () => studio.info.version,
    // The CLI asks for no mid-epoch checkpoints (a run it trains is not resumed by it).
    checkpointEveryMs: 0,
  })
  const ended = new Promise<void>((resolve) => {
    const off = useTraining.subscribe((s) => {
      if (s.live?.phase === 'ended') {
        off()
        resolve()
      }
    })
  })
  const run = await controller.start({ projectId, architectureId: arch.architectureId, datasetId: 1, pipelineId: pipe.pipelineId, config: training(), backend: 'wasm', name })
  await ended
  await controller.settled()
  expect(useTraining.getState().live).toMatchObject({ outcome: 'completed', persistError: null })
  return run.id
}

async function trainThroughCli(projectId: number, name: string): Promise<number> {
  const dataset = await clientFor(studio, datasetsContract).get({ id: 1 })
  const result = await runTrainingSession({
    studio,
    projectId,
    dataset,
    graph: { document: parseGraphDocument(tinyGraphJson()), template: null, file: '/designs/tiny.json' },
    pipeline: { document: pipeline(), file: '/pipelines/norm.json' },
    training: training(),
    backend: 'wasm',
    name,
    origin: 'cli',
  })
  return result.run.id
}

/** Everything recorded about a run, less ids, timestamps and wall times (those are checked for presence). */
async function recorded(runId: number) {
  const runs = clientFor(studio, runsContract)
  const run: Run = await runs.get({ id: runId })
  expect(run.startedAt).not.toBeNull()
  expect(run.endedAt).not.toBeNull()
  expect(run.durationMs).toBeGreaterThan(0)
  const config = structuredClone(run.config) as Record<string, Record<string, unknown>>
  // Where the design and pipeline came from: a saved design (ids, versions) or a file (path), and the writer.
  for (const part of [config.architecture!, config.pipeline!]) for (const k of ['id', 'versionId', 'version', 'template', 'file']) delete part[k]
  delete config.origin
  const summary = structuredClone(run.summary) as Record<string, unknown>
  expect(summary.imagesPerSec).toBeGreaterThan(0)
  summary.imagesPerSec = 'wall time'
  const timings = summary.timings as Record<string, number>
  summary.timings = Object.keys(timings).sort()
  const metrics = await runs.metrics({ runId })
  const series = Object.fromEntries(
    Object.entries(metrics).map(([name, s]) => [name, { step: s.step, epoch: s.epoch, value: name === 'images_per_sec' || name === 'epoch/seconds' ? 'wall time' : s.value }]),
  )
  const checkpoints = (await runs.checkpoints({ runId })).map((c) => ({ kind: c.kind, epoch: c.epoch, step: c.step, metrics: c.metrics, bytes: c.bytes }))
  checkpoints.sort((a, b) => a.step - b.step || a.kind.localeCompare(b.kind))
  const row = { status: run.status, name: run.name, backend: run.backend, bestValAccuracy: run.bestValAccuracy, bestEpoch: run.bestEpoch, finalLoss: run.finalLoss, datasetId: run.datasetId }
  return { row, config, summary, series, checkpoints, origin: (run.config as { origin?: string }).origin }
}

describe('the app and the CLI record a run the same way', () => {
  it('records identical documents for the same tiny run', async () => {
    const projects = clientFor(studio, projectsContract)
    const app = await recorded(await trainThroughApp((await projects.create({ name: 'App' })).id, 'tiny'))
    const cli = await recorded(await trainThroughCli((await projects.create({ name: 'CLI' })).id, 'tiny'))
    expect([app.origin, cli.origin]).toEqual(['app', 'cli'])

    // What the run looks like, so that the comparison below compares something.
    expect(app.row).toMatchObject({ status: 'completed', backend: 'wasm', bestEpoch: expect.any(Number) })
    expect(Object.keys(app.summary).sort()).toEqual(expect.arrayContaining([...SUMMARY_KEYS, 'backend', 'backendReason', 'params', 'trainCount', 'valCount', 'initialLoss']))
    expect(app.summary).toMatchObject({ status: 'completed', steps: 16, totalSteps: 16, epochsDone: 2, trainCount: 400, valCount: 50, lastCheckpoint: { epoch: 2, step: 16 } })
    expect(app.summary.timings).toEqual(['backendMs', 'compileMs', 'dataMs', 'firstStepMs'])
    expect(Object.keys(app.series).sort()).toEqual(['epoch/seconds', 'epoch/train_acc', 'epoch/train_loss', 'images_per_sec', 'lr', 'train/acc', 'train/loss', 'val/acc', 'val/loss'])
    expect(app.series['train/loss']!.step).toEqual(Array.from({ length: 16 }, (_, i) => i + 1))
    expect(app.series['val/acc']!.step).toEqual([8, 16])
    expect(app.checkpoints.map((c) => c.kind)).toEqual(expect.arrayContaining(['last', 'periodic', 'best']))
    expect(app.config).toMatchObject({ kind: 'cnn-studio/train', architecture: { name: 'tiny.json' }, pipeline: { name: 'norm.json' }, backendRequested: 'wasm' })

    expect(app.config).toEqual(cli.config)
    expect(app.row).toEqual(cli.row)
    expect(app.summary).toEqual(cli.summary)
    expect(app.series).toEqual(cli.series)
    expect(app.checkpoints).toEqual(cli.checkpoints)
  }, 180_000)
})
