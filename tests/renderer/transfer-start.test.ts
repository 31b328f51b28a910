/**
 * Starting a run from another run's checkpoint (transfer learning) through the Train controller: the source
 * checkpoint and graph (Train or CLI snapshot) travel to the worker as `init` with their buffers transferred, the
 * run's snapshot records the source, the worker's report lands in summary.transfer, and resuming keeps the plan.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CheckpointInfo, Run } from '@shared/api'
import type { CheckpointMeta } from '@shared/train/messages'
import { toyConvnet } from '@shared/graph/templates'
import { TrainingController, useTraining, type RunSnapshot, type TrainApi } from '../../renderer/src/train/controller'
import { scriptedTrainWorker } from './worker-stand-ins'
import { DEFAULT_FORM, validateForm } from '../../renderer/src/train/form'

const SOURCE_GRAPH = { format: 1, name: 'source design' }
// The target fits the 8x8x1, 2-class dataset below (the controller checks that before it creates the run).
const TARGET_GRAPH = toyConvnet([8, 8, 1], 2)
const meta = (step: number, epoch: number) => ({ format: 1, step, epoch, stepInEpoch: 0, stepsPerEpoch: 4, totalSteps: 8 }) as unknown as CheckpointMeta
const training = validateForm({ ...DEFAULT_FORM, epochs: '2', batchSize: '8' }).config as RunSnapshot['training']

function baseRun(id: number, config: unknown, status: Run['status']): Run {
  return {
    id, projectId: 2, groupId: null, name: `Run ${id}`, status, backend: 'wasm', appVersion: 'test', createdAt: '', startedAt: null, endedAt: null,
    durationMs: 0, bestValAccuracy: null, bestEpoch: null, finalLoss: null, starred: false, tags: [], notes: null, datasetId: 3, architectureVersionId: 11,
    config: config as Run['config'], summary: null,
  }
}

/** Run 7: the source, written by the CLI (`graph.document`). Run 9: the transfer run. Checkpoint 40: run 7's best. */
function fakeApi(opts: { sourceConfig?: unknown; targetCheckpoints?: CheckpointInfo[] } = {}) {
  const calls: { method: string; input: Record<string, unknown> }[] = []
  let created: unknown = null
  const rec = (method: string, result: (input: Record<string, unknown>) => unknown) =>
    vi.fn(async (input: Record<string, unknown>) => {
      calls.push({ method, input })
      return result(input)
    })
  const sourceCheckpoint: CheckpointInfo = { id: 40, runId: 7, kind: 'best', epoch: 1, step: 25, bytes: 1, metrics: null, createdAt: '' }
  const api = {
    runs: {
      create: rec('runs.create', (i) => {
        created = i.config
        return baseRun(9, i.config, 'queued')
      }),
      get: rec('runs.get', (i) => (i.id === 7 ? baseRun(7, opts.sourceConfig ?? { graph: { template: 'tiny', document: SOURCE_GRAPH }, dataset: { name: 'digits' }, training: {} }, 'completed') : { ...baseRun(9, created, 'stopped'), summary: { transfer: { copied: ['conv1'] } } })),
      update: rec('runs.update', () => baseRun(9, created, 'running')),
      appendMetrics: rec('runs.appendMetrics', () => ({ written: 0 })),
      truncateMetrics: rec('runs.truncateMetrics', () => ({ removed: 0 })),
      metrics: rec('runs.metrics', () => ({})),
      saveCheckpoint: rec('runs.saveCheckpoint', () => []),
      checkpoints: rec('runs.checkpoints', () => opts.targetCheckpoints ?? []),
      loadCheckpoint: rec('runs.loadCheckpoint', (i) => {
        const c = i.id === 40 ? sourceCheckpoint : opts.targetCheckpoints!.find((x) => x.id === i.id)!
        return { ...c, meta: meta(c.step, c.epoch), weights: new TextEncoder().encode(i.id === 40 ? 'source-w' : 'target-w'), optimizer: new TextEncoder().encode('opt') }
      }),
    },
    datasets: {
      get: rec('datasets.get', () => ({ id: 3, name: 'Digits', classes: ['0', '1'], size: { height: 8, width: 8 }, channels: 1, splitTotals: { train: 16, val: 0, test: 0 }, split: null, stats: null, cachePath: 'datasets/3/images.u8' })),
      readSplit: rec('datasets.readSplit', () => ({ total: 16, offset: 0, indices: Array.from({ length: 16 }, (_, k) => k), labels: Array.from({ length: 16 }, (_, k) => k % 2) })),
    },
    architectures: { get: rec('architectures.get', () => ({ architecture: { id: 1, name: 'Target' }, version: { id: 11, version: 1, document: TARGET_GRAPH } })) },
    pipelines: { get: rec('pipelines.get', () => null) },
  } as unknown as TrainApi
  return { api, calls, created: () => created as RunSnapshot }
}


function setup(opts: Parameters<typeof fakeApi>[0] = {}) {
  const f = fakeApi(opts)
  const w = scriptedTrainWorker()
  const controller = new TrainingController({ api: f.api, createWorker: () => w.port, dataFileUrl: (p) => `http://host/files/${p}`, appVersion: () => 'test' })
  return { controller, w, ...f }
}

const text = (b: ArrayBuffer) => new TextDecoder().decode(new Uint8Array(b))
const request = { projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: training, backend: 'wasm' as const }

beforeEach(() => {
  vi.useFakeTimers()
  useTraining.setState({ live: null, busy: false })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('transfer start (controller)', () => {
  it('sends the source checkpoint and its graph (CLI snapshot) to the worker as init, buffers transferred, and records the source in the snapshot', async () => {
    const { controller, w, calls, created } = setup()
    await controller.start({ ...request, transfer: { fromCheckpointId: 40, sourceRunId: 7, freeze: { mode: 'all-but-last', k: 1 }, pretrainedLrMultiplier: 0.1 } })
    expect(created().transfer).toEqual({
      sourceRunId: 7,
      sourceRunName: 'Run 7',
      sourceProjectId: 2,
      checkpointId: 40,
      checkpointKind: 'best',
      checkpointEpoch: 1,
      checkpointStep: 25,
      freeze: { mode: 'all-but-last', k: 1 },
      pretrainedLrMultiplier: 0.1,
    })
    expect(created().architecture.document).toEqual(TARGET_GRAPH)
    // The run's own training config is unchanged: the freeze groups are added by the worker.
    expect(created().training.groups).toEqual([])
    const { transfer } = w.posts[0]!
    const start = w.requests[0]!
    expect(start.graph).toEqual(TARGET_GRAPH)
    expect(start.resume).toBeUndefined()
    expect(start.init).toMatchObject({ freeze: { mode: 'all-but-last', k: 1 }, pretrainedLrMultiplier: 0.1, seed: training.seed })
    expect(start.init!.source!.graph).toEqual(SOURCE_GRAPH)
    expect(text(start.init!.source!.checkpoint.weights)).toBe('source-w')
    expect(start.init!.source!.checkpoint.meta).toMatchObject({ step: 25, epoch: 1 })
    expect(transfer).toContain(start.init!.source!.checkpoint.weights)
    expect(transfer).toContain(start.init!.source!.checkpoint.optimizerState)
    expect(calls.findIndex((c) => c.method === 'runs.loadCheckpoint')).toBeLessThan(calls.findIndex((c) => c.method === 'runs.create'))

    w.emit({
      type: 'transfer',
      report: { copied: ['conv1'], reinitialized: ['out'], skipped: [], head: 'out' },
      plan: { layers: [{ layer: 'conv1', state: 'frozen', lrMultiplier: 0, params: 80 }, { layer: 'out', state: 'new', lrMultiplier: 1, params: 20 }], groups: [{ match: '^conv1/', lrMultiplier: 0, frozen: true }] },
      time: 1,
    })
    await controller.settled()
    const update = calls.filter((c) => c.method === 'runs.update').at(-1)!
    expect((update.input.summary as Record<string, unknown>).transfer).toMatchObject({ copied: ['conv1'], reinitialized: ['out'], head: 'out', groups: [{ match: '^conv1/', frozen: true }] })
  })

  it('reads a Train-view snapshot (architecture.document) too, and refuses a source without a design or a checkpoint of another run', async () => {
    const a = setup({ sourceConfig: { kind: 'cnn-studio/train', architecture: { name: 'S', version: 2, document: SOURCE_GRAPH }, training: {} } })
    await a.controller.start({ ...request, transfer: { fromCheckpointId: 40, freeze: { mode: 'none' }, pretrainedLrMultiplier: 0.5 } })
    expect(a.w.requests[0]!.init!.source!.graph).toEqual(SOURCE_GRAPH)

    const b = setup({ sourceConfig: { optimizer: { kind: 'sgd', lr: 0.1 } } })
    await expect(b.controller.start({ ...request, transfer: { fromCheckpointId: 40, freeze: { mode: 'none' }, pretrainedLrMultiplier: 1 } })).rejects.toThrow(/no design snapshot/)
    expect(b.calls.some((c) => c.method === 'runs.create')).toBe(false)

    const c = setup()
    await expect(c.controller.start({ ...request, transfer: { fromCheckpointId: 40, sourceRunId: 8, freeze: { mode: 'none' }, pretrainedLrMultiplier: 1 } })).rejects.toThrow(/belongs to run 7, not to run 8/)
  })

  it('a start without transfer sends no init (unchanged behaviour)', async () => {
    const { controller, w, created } = setup()
    await controller.start(request)
    expect(w.requests[0]!.init).toBeUndefined()
    expect(created().transfer).toBeUndefined()
  })

  it('resuming a transfer run keeps the freeze plan; weights come from its own checkpoint, and the earlier report stays', async () => {
    const first = setup()
    await first.controller.start({ ...request, transfer: { fromCheckpointId: 40, freeze: { mode: 'all-but-last', k: 1 }, pretrainedLrMultiplier: 0.1 } })
    const snap = first.created()
    const target: CheckpointInfo = { id: 50, runId: 9, kind: 'last', epoch: 1, step: 4, bytes: 1, metrics: null, createdAt: '' }
    const r = setup({ targetCheckpoints: [target] })
    r.api.runs.get = vi.fn(async () => ({ ...baseRun(9, snap, 'stopped'), summary: { transfer: { copied: ['conv1'] } } })) as never
    await r.controller.resumeRun(9)
    const start = r.w.requests[0]!
    expect(text(start.resume!.weights)).toBe('target-w')
    expect(start.init).toEqual({ freeze: { mode: 'all-but-last', k: 1 }, pretrainedLrMultiplier: 0.1, seed: training.seed })
    expect(r.calls.filter((c) => c.method === 'runs.loadCheckpoint').map((c) => c.input.id)).toEqual([50])
    r.w.emit({ type: 'transfer', report: null, plan: { layers: [], groups: [{ match: '^conv1/', lrMultiplier: 0, frozen: true }] }, time: 1 })
    r.w.exit()
    await r.controller.settled()
    const last = r.calls.filter((c) => c.method === 'runs.update').at(-1)!
    expect((last.input.summary as Record<string, unknown>).transfer).toEqual({ copied: ['conv1'] })
  })
})
