import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CheckpointInfo, MetricSeries, Run } from '@shared/api'
import type { CheckpointMeta } from '@shared/train/messages'
import { toyConvnet } from '@shared/graph/templates'
import type { GraphDocument } from '@shared/graph/types'
import { ACTIVE_RUN_KEY, displayStatus, readActiveRun, resumePoint, TrainingController, useTraining, type ControllerDeps, type RunSnapshot, type SessionStore, type TrainApi } from '../../renderer/src/train/controller'
import type { TrainEvent } from '../../renderer/src/train/protocol'
import { scriptedTrainWorker } from './worker-stand-ins'
import { validateForm, DEFAULT_FORM } from '../../renderer/src/train/form'

type Call = { method: string; input: Record<string, unknown> }

const meta = (step: number, epoch: number): CheckpointMeta =>
  ({ format: 1, step, epoch, stepInEpoch: 0, stepsPerEpoch: 6, totalSteps: 18 }) as unknown as CheckpointMeta

function snapshot(): RunSnapshot {
  return {
    kind: 'cnn-studio/train',
    format: 1,
    architecture: { id: 1, name: 'Toy', versionId: 11, version: 1, document: { format: 1 } as never },
    dataset: { id: 3, name: 'MNIST', classes: ['0', '1'], shape: [28, 28, 1], trainSplit: 'train', valSplit: 'val', counts: { train: 44, val: 8, test: 8 }, split: null, mean: null, std: null },
    pipeline: null,
    training: validateForm({ ...DEFAULT_FORM, epochs: '3', batchSize: '8', keepEvery: '2' }).config as RunSnapshot['training'],
    seed: 1,
    backendRequested: 'wasm',
    appVersion: 'test',
  }
}

function run(status: Run['status'] = 'queued'): Run {
  return {
    id: 5, projectId: 2, groupId: null, name: 'Run 1', status, backend: 'wasm', appVersion: 'test', createdAt: '', startedAt: status === 'queued' ? null : 'x', endedAt: null,
    durationMs: 1000, bestValAccuracy: null, bestEpoch: null, finalLoss: null, starred: false, tags: [], notes: null, datasetId: 3, architectureVersionId: 11,
    config: snapshot(), summary: null,
  }
}

function fakeApi(opts: { document?: GraphDocument; checkpoints?: CheckpointInfo[]; metrics?: Record<string, MetricSeries>; status?: Run['status']; trial?: boolean; saveError?: string } = {}) {
  const calls: Call[] = []
  const rec = (method: string, result: (input: Record<string, unknown>) => unknown) =>
    vi.fn(async (input: Record<string, unknown>) => {
      calls.push({ method, input })
      return result(input)
    })
  const api = {
    runs: {
      create: rec('runs.create', () => run()),
      get: rec('runs.get', () => {
        const r = run(opts.status ?? 'running')
        return opts.trial ? { ...r, config: { ...snapshot(), trial: { search: 's', round: 0, id: 1, params: {}, designModified: false } } } : r
      }),
      update: rec('runs.update', () => run()),
      appendMetrics: rec('runs.appendMetrics', (i) => ({ written: (i.points as unknown[]).length })),
      truncateMetrics: rec('runs.truncateMetrics', () => ({ removed: 3 })),
      metrics: rec('runs.metrics', () => opts.metrics ?? {}),
      saveCheckpoint: rec('runs.saveCheckpoint', (i) => {
        if (opts.saveError) throw new Error(opts.saveError)
        return (i.kinds as string[]).map((kind) => ({ id: 1, runId: 5, kind, epoch: i.epoch, step: i.step, bytes: 1, metrics: null, createdAt: '' }))
      }),
      checkpoints: rec('runs.checkpoints', () => opts.checkpoints ?? []),
      loadCheckpoint: rec('runs.loadCheckpoint', (i) => {
        const c = (opts.checkpoints ?? []).find((x) => x.id === i.id)!
        return { ...c, meta: meta(c.step, c.epoch), weights: new TextEncoder().encode('abcd'), optimizer: new Uint8Array(0) }
      }),
    },
    datasets: {
      get: rec('datasets.get', () => ({ id: 3, name: 'MNIST', classes: ['0', '1'], size: { height: 28, width: 28 }, channels: 1, splitTotals: { train: 44, val: 8, test: 8 }, split: null, stats: null, cachePath: 'datasets/3/images.u8' })),
      readSplit: rec('datasets.readSplit', (i) => ({ total: i.split === 'train' ? 44 : 8, offset: 0, indices: Array.from({ length: i.split === 'train' ? 44 : 8 }, (_, k) => k), labels: Array.from({ length: i.split === 'train' ? 44 : 8 }, (_, k) => k % 2) })),
    },
    architectures: { get: rec('architectures.get', () => ({ architecture: { id: 1, name: 'Toy' }, version: { id: 11, version: 1, document: opts.document ?? toyConvnet([28, 28, 1], 2) } })) },
    pipelines: { get: rec('pipelines.get', () => null) },
  } as unknown as TrainApi
  return { api, calls }
}


const step = (s: number, epoch: number): TrainEvent => ({ type: 'step', step: s, epoch, loss: 2 / s, dataLoss: 2 / s, acc: 0.5, lr: 0.001, imagesPerSec: 100, time: 1000 + s })

function memorySession(initial: Record<string, string> = {}): SessionStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial))
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  }
}

function setup(opts: Parameters<typeof fakeApi>[0] = {}, session?: SessionStore, checkpointEveryMs?: number, backendDeps: Partial<Pick<ControllerDeps, 'studioSetting' | 'resolveBackend'>> = {}) {
  const { api, calls } = fakeApi(opts)
  const w = scriptedTrainWorker()
  const controller = new TrainingController({
    api,
    createWorker: () => w.port,
    dataFileUrl: (p) => `http://host/files/${p}`,
    appVersion: () => 'test',
    flushMs: 1000,
    publishMs: 100,
    session: session ?? null,
    ...(checkpointEveryMs === undefined ? {} : { checkpointEveryMs }),
    ...backendDeps,
  })
  return { controller, calls, w }
}

beforeEach(() => {
  vi.useFakeTimers()
  useTraining.setState({ live: null, busy: false, notice: null })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('TrainingController', () => {
  it('a run whose form says "Studio setting" records the setting, starts the backend it gives here and keeps why', async () => {
    const resolved: string[] = []
    const { controller, calls, w } = setup({}, undefined, undefined, {
      studioSetting: async () => 'auto',
      resolveBackend: async (choice) => {
        resolved.push(choice)
        return choice === 'auto' ? { backend: 'wasm', reason: 'auto: software WebGPU adapter (SwiftShader), WASM is faster here' } : { backend: choice, reason: 'chosen by you' }
      },
    })
    await controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'auto' })
    const create = calls.find((c) => c.method === 'runs.create')!
    expect((create.input.config as RunSnapshot).backendRequested).toBe('auto')
    expect(resolved).toEqual(['auto'])
    // The worker is told the backend Auto gives here, not 'auto' (which it would decide without the speed probe).
    expect(w.requests[0]!.backend).toBe('wasm')
    w.emit({ type: 'backend', backend: 'wasm', reason: 'auto: no WebGPU adapter here', adapter: null, tried: [{ backend: 'wasm', error: null }], wasmThreads: 2, crossOriginIsolated: true, ms: 5 })
    w.emit({ type: 'started', startStep: 0, startEpoch: 0, totalSteps: 18, stepsPerEpoch: 6, epochs: 3, updatedVariables: 4, frozenVariables: 0, time: 1 })
    await vi.advanceTimersByTimeAsync(1100)
    expect(calls.find((c) => c.method === 'runs.update' && c.input.backend === 'wasm')).toBeDefined()
    const summaries = calls.filter((c) => c.method === 'runs.update' && c.input.summary).map((c) => c.input.summary as { backendReason?: string })
    expect(summaries.at(-1)?.backendReason).toBe('auto: software WebGPU adapter (SwiftShader), WASM is faster here')
  })

  it('a run started while the studio setting is WebGPU records WebGPU as requested', async () => {
    const { controller, calls, w } = setup({}, undefined, undefined, {
      studioSetting: async () => 'webgpu',
      resolveBackend: async (choice) => ({ backend: choice, reason: 'chosen by you' }),
    })
    await controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'auto' })
    expect((calls.find((c) => c.method === 'runs.create')!.input.config as RunSnapshot).backendRequested).toBe('webgpu')
    expect(w.requests[0]!.backend).toBe('webgpu')
  })

  it('creates the run with the full snapshot, batches step metrics about once a second, and writes metrics before each checkpoint', async () => {
    const { controller, calls, w } = setup()
    await controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })
    const create = calls.find((c) => c.method === 'runs.create')!
    const config = create.input.config as RunSnapshot
    expect(config).toMatchObject({ kind: 'cnn-studio/train', architecture: { versionId: 11 }, dataset: { id: 3, shape: [28, 28, 1] }, backendRequested: 'wasm', appVersion: 'test', seed: 1 })
    expect(config.training).toMatchObject({ epochs: 3, batchSize: 8, optimizer: { type: 'adam' }, checkpoint: { keepEvery: 2 } })
    expect(create.input).toMatchObject({ architectureVersionId: 11, datasetId: 3, backend: 'wasm' })
    const start = w.requests[0]!
    expect(w.posts[0]!.message).toMatchObject({ kind: 'call', method: 'train' })
    expect(start.data.url).toBe('http://host/files/datasets/3/images.u8')
    expect(Array.from(start.data.train.indices).length).toBe(44)
    expect(start.resume).toBeUndefined()

    w.emit({ type: 'backend', backend: 'wasm', reason: 'chosen by you', adapter: null, tried: [], wasmThreads: 1, crossOriginIsolated: true, ms: 5 })
    w.emit({ type: 'started', startStep: 0, startEpoch: 0, totalSteps: 18, stepsPerEpoch: 6, epochs: 3, updatedVariables: 4, frozenVariables: 0, time: 1 })
    for (let s = 1; s <= 3; s++) w.emit(step(s, 1))
    await vi.advanceTimersByTimeAsync(500)
    expect(calls.filter((c) => c.method === 'runs.appendMetrics')).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(600)
    const first = calls.filter((c) => c.method === 'runs.appendMetrics')
    expect(first).toHaveLength(1)
    const points = first[0]!.input.points as { name: string; step: number }[]
    expect(points.filter((p) => p.name === 'train/loss').map((p) => p.step)).toEqual([1, 2, 3])
    expect(new Set(points.map((p) => p.name))).toEqual(new Set(['train/loss', 'train/acc', 'lr', 'images_per_sec']))
    expect(useTraining.getState().live).toMatchObject({ runId: 5, backend: 'wasm', phase: 'running', step: 3 })

    for (let s = 4; s <= 6; s++) w.emit(step(s, 1))
    w.emit({ type: 'epoch', epoch: 1, step: 6, trainLoss: 0.5, trainAcc: 0.6, valLoss: 0.4, valAcc: 0.7, lr: 0.001, seconds: 1, time: 2000 })
    w.emit({ type: 'checkpoint', epoch: 1, step: 6, best: true, keep: false, meta: meta(6, 1), weights: new ArrayBuffer(8), optimizerState: new ArrayBuffer(4), time: 2001 })
    await controller.settled()
    const order = calls.map((c) => c.method).filter((m) => m === 'runs.appendMetrics' || m === 'runs.saveCheckpoint')
    // One save for all kinds of the checkpoint (its bytes cross the API once), as bytes.
    expect(order).toEqual(['runs.appendMetrics', 'runs.appendMetrics', 'runs.saveCheckpoint'])
    const second = calls.filter((c) => c.method === 'runs.appendMetrics')[1]!.input.points as { name: string; step: number; epoch: number }[]
    expect(second.filter((p) => p.name === 'train/loss').map((p) => p.step)).toEqual([4, 5, 6])
    expect(second.filter((p) => p.name.startsWith('epoch/') || p.name.startsWith('val/')).map((p) => [p.name, p.step, p.epoch])).toEqual([
      ['epoch/train_loss', 6, 1],
      ['epoch/train_acc', 6, 1],
      ['val/loss', 6, 1],
      ['val/acc', 6, 1],
      ['epoch/seconds', 6, 1],
    ])
    const saves = calls.filter((c) => c.method === 'runs.saveCheckpoint').map((c) => [c.input.kinds, c.input.step])
    expect(saves).toEqual([[['last', 'best'], 6]])
    expect(calls.find((c) => c.method === 'runs.saveCheckpoint')!.input.weights).toEqual(new Uint8Array(8))
    expect(calls.filter((c) => c.method === 'runs.update').at(-1)!.input).toMatchObject({ bestValAccuracy: 0.7, bestEpoch: 1, finalLoss: 0.5 })

    // Epoch 2 is a keepEvery (2) epoch: a periodic checkpoint too.
    for (let s = 7; s <= 12; s++) w.emit(step(s, 2))
    w.emit({ type: 'epoch', epoch: 2, step: 12, trainLoss: 0.4, trainAcc: 0.7, valLoss: 0.5, valAcc: 0.6, lr: 0.001, seconds: 1, time: 3000 })
    w.emit({ type: 'checkpoint', epoch: 2, step: 12, best: false, keep: true, meta: meta(12, 2), weights: new ArrayBuffer(8), optimizerState: new ArrayBuffer(4), time: 3001 })
    w.emit({ type: 'stopped', reason: 'Stopped by the user', step: 12, epoch: 2, time: 3002 })
    w.exit()
    await controller.settled()
    expect(calls.filter((c) => c.method === 'runs.saveCheckpoint').slice(1).map((c) => c.input.kinds)).toEqual([['last', 'periodic']])
    expect(calls.filter((c) => c.method === 'runs.update').at(-1)!.input).toMatchObject({ status: 'stopped', bestValAccuracy: 0.7, bestEpoch: 1 })
    expect(w.port.terminate).toHaveBeenCalled()
    // Every step was written exactly once.
    const all = calls.filter((c) => c.method === 'runs.appendMetrics').flatMap((c) => c.input.points as { name: string; step: number }[])
    expect(all.filter((p) => p.name === 'train/loss').map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    expect(controller.active).toBe(false)
    expect(useTraining.getState().live).toMatchObject({ phase: 'ended', outcome: 'stopped' })
  })

  it('resumes an interrupted run from its latest checkpoint: drops the metrics after its step and continues the same run', async () => {
    const history: Record<string, MetricSeries> = {
      'train/loss': { step: [1, 2, 3, 4, 5, 6], epoch: [1, 1, 1, 1, 1, 1], value: [6, 5, 4, 3, 2, 1], time: [0, 0, 0, 0, 0, 0] },
      'epoch/train_loss': { step: [6], epoch: [1], value: [3], time: [0] },
      'val/acc': { step: [6], epoch: [1], value: [0.5], time: [0] },
    }
    const checkpoints: CheckpointInfo[] = [
      { id: 1, runId: 5, kind: 'best', epoch: 1, step: 6, bytes: 1, metrics: null, createdAt: '' },
      { id: 2, runId: 5, kind: 'last', epoch: 1, step: 6, bytes: 1, metrics: null, createdAt: '' },
    ]
    const { controller, calls, w } = setup({ checkpoints, metrics: history, status: 'running' })
    await controller.resumeRun(5)
    const methods = calls.map((c) => c.method)
    expect(methods.indexOf('runs.truncateMetrics')).toBeLessThan(methods.indexOf('runs.metrics'))
    expect(calls.find((c) => c.method === 'runs.truncateMetrics')!.input).toEqual({ runId: 5, afterStep: 6 })
    expect(calls.find((c) => c.method === 'runs.loadCheckpoint')!.input).toEqual({ id: 2 })
    expect(calls.some((c) => c.method === 'runs.create')).toBe(false)
    const start = w.requests[0]!
    expect(start.resume?.meta.step).toBe(6)
    expect(new Uint8Array(start.resume!.weights)).toEqual(new TextEncoder().encode('abcd'))
    expect(start.backend).toBe('wasm')
    expect(start.config).toEqual(snapshot().training)
    const live = useTraining.getState().live!
    expect(live.steps.step).toEqual([1, 2, 3, 4, 5, 6])
    expect(live.epochRows.map((r) => [r.epoch, r.valAcc])).toEqual([[1, 0.5]])
    expect(live.activeMs).toBe(1000)
    w.emit({ type: 'started', startStep: 6, startEpoch: 1, totalSteps: 18, stepsPerEpoch: 6, epochs: 3, updatedVariables: 4, frozenVariables: 0, time: 1 })
    w.emit(step(7, 2))
    w.emit({ type: 'done', reason: 'Finished', step: 18, epoch: 3, time: 2 })
    w.exit()
    await controller.settled()
    const appended = calls.filter((c) => c.method === 'runs.appendMetrics').flatMap((c) => c.input.points as { name: string; step: number }[])
    expect(appended.filter((p) => p.name === 'train/loss').map((p) => p.step)).toEqual([7])
    const updates = calls.filter((c) => c.method === 'runs.update').map((c) => c.input)
    expect(updates[0]).toMatchObject({ status: 'running' })
    expect(updates[0]).not.toHaveProperty('startedAt') // the run started before the interruption
    expect(updates.at(-1)).toMatchObject({ status: 'completed' })
  })

  it('starts over (metrics after step 0 dropped) when the run has no checkpoint yet', async () => {
    const { controller, calls, w } = setup({ checkpoints: [], status: 'running' })
    await controller.resumeRun(5)
    expect(calls.find((c) => c.method === 'runs.truncateMetrics')!.input).toEqual({ runId: 5, afterStep: 0 })
    expect(calls.some((c) => c.method === 'runs.loadCheckpoint')).toBe(false)
    expect(w.requests[0]!.resume).toBeUndefined()
  })

  it('asks the worker for a mid-epoch checkpoint every checkpointEveryMs of training (not while paused) and saves it as last', async () => {
    const { controller, calls, w } = setup({}, undefined, 5000)
    await controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })
    const asked = () => w.controls.filter((c) => c.type === 'checkpoint').length
    await vi.advanceTimersByTimeAsync(6000) // setup: not yet running
    expect(asked()).toBe(0)
    w.emit({ type: 'started', startStep: 0, startEpoch: 0, totalSteps: 18, stepsPerEpoch: 6, epochs: 3, updatedVariables: 4, frozenVariables: 0, time: 1 })
    for (let s = 1; s <= 3; s++) w.emit(step(s, 1))
    await vi.advanceTimersByTimeAsync(4000)
    expect(asked()).toBe(0)
    await vi.advanceTimersByTimeAsync(1500)
    expect(asked()).toBe(1)
    w.emit({ type: 'checkpoint', epoch: 0, step: 3, best: false, keep: false, requested: true, meta: meta(3, 0), weights: new ArrayBuffer(8), optimizerState: new ArrayBuffer(4), time: 4 })
    await controller.settled()
    expect(calls.filter((c) => c.method === 'runs.saveCheckpoint').map((c) => [c.input.kinds, c.input.step])).toEqual([[['last'], 3]])
    // The steps up to the checkpoint were written before it.
    const methods = calls.map((c) => c.method)
    expect(methods.lastIndexOf('runs.appendMetrics')).toBeLessThan(methods.indexOf('runs.saveCheckpoint'))
    w.emit({ type: 'paused', step: 3, epoch: 1, time: 5 })
    await vi.advanceTimersByTimeAsync(12_000)
    expect(asked()).toBe(1)
  })

  it('a stop whose checkpoint could not be saved is not marked stopped: the run says so and the error is shown', async () => {
    const { controller, calls, w } = setup({ saveError: 'The checkpoint (epoch 0) could not be written to the data folder, nothing was replaced: ENOSPC' })
    await controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })
    w.emit({ type: 'started', startStep: 0, startEpoch: 0, totalSteps: 18, stepsPerEpoch: 6, epochs: 3, updatedVariables: 4, frozenVariables: 0, time: 1 })
    for (let s = 1; s <= 3; s++) w.emit(step(s, 1))
    w.emit({ type: 'stop-checkpoint', meta: meta(3, 0), weights: new ArrayBuffer(8), optimizerState: new ArrayBuffer(4) })
    w.emit({ type: 'stopped', reason: 'Stopped by the user', step: 3, epoch: 0, time: 5 })
    w.exit()
    await controller.settled()
    const end = calls.filter((c) => c.method === 'runs.update').at(-1)!.input
    expect(end).toMatchObject({ status: 'failed', summary: { cause: 'checkpoint' } })
    expect((end.summary as { message: string }).message).toMatch(/could not be saved \(The checkpoint \(epoch 0\) could not be written.*ENOSPC\)/)
    const live = useTraining.getState().live!
    expect(live.outcome).toBe('failed')
    expect(live.message).toMatch(/^Stopped, but the checkpoint where it stopped could not be saved .*ENOSPC/)
  })

  it('a stop whose checkpoint the engine could not take is not marked stopped either: the run says why', async () => {
    const { controller, calls, w } = setup()
    await controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })
    w.emit({ type: 'started', startStep: 0, startEpoch: 0, totalSteps: 18, stepsPerEpoch: 6, epochs: 3, updatedVariables: 4, frozenVariables: 0, time: 1 })
    for (let s = 1; s <= 3; s++) w.emit(step(s, 1))
    w.emit({ type: 'stopped', reason: 'Stopped by the user', step: 3, epoch: 0, time: 5 })
    w.emit({ type: 'stop-checkpoint-failed', reason: 'WebGPU device was lost' })
    w.exit()
    await controller.settled()
    const end = calls.filter((c) => c.method === 'runs.update').at(-1)!.input
    expect(end).toMatchObject({ status: 'failed', summary: { cause: 'checkpoint' } })
    expect((end.summary as { message: string }).message).toMatch(/^Stopped, but the checkpoint where it stopped could not be saved \(the engine could not take it: WebGPU device was lost\)/)
    expect(useTraining.getState().live!.outcome).toBe('failed')
  })

  it('marks setup failures (no backend, incompatible design) as failed with the reason', async () => {
    const { controller, calls, w } = setup()
    await controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })
    w.fail('The design takes 32x32x3 inputs but the dataset’s images are 28x28x1')
    await controller.settled()
    expect(calls.filter((c) => c.method === 'runs.update').at(-1)!.input).toMatchObject({ status: 'failed', summary: { message: expect.stringContaining('32x32x3') } })
  })
})

describe('a design that does not fit the dataset', () => {
  it('creates no run and starts no worker, and says which node to change in the editor\'s words', async () => {
    const { controller, calls, w } = setup({ document: toyConvnet([28, 28, 1], 10) })
    await expect(controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })).rejects.toThrow(
      'The design “Toy” does not fit the dataset “MNIST”: Output (classifier) “fc”: set Classes to 2 (it gives 10 outputs; the dataset has 2 classes)',
    )
    expect(calls.some((c) => c.method === 'runs.create')).toBe(false)
    expect(w.posts).toEqual([])
    expect(useTraining.getState().busy).toBe(false)
  })
})

describe('resume after a reload of the tab (session storage)', () => {
  const started = (startStep: number): TrainEvent => ({ type: 'started', startStep, startEpoch: Math.floor(startStep / 6), totalSteps: 18, stepsPerEpoch: 6, epochs: 3, updatedVariables: 4, frozenVariables: 0, time: 1 })
  const cps: CheckpointInfo[] = [{ id: 2, runId: 5, kind: 'last', epoch: 1, step: 6, bytes: 1, metrics: null, createdAt: '' }]

  it('records the run while it trains, marks it paused on a user pause, and forgets it when it ends', async () => {
    const session = memorySession()
    const { controller, w } = setup({}, session)
    await controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })
    expect(readActiveRun(session)).toEqual({ runId: 5, paused: false })
    w.emit(started(0))
    w.emit({ type: 'paused', step: 2, epoch: 1, time: 5 })
    expect(readActiveRun(session)).toEqual({ runId: 5, paused: true })
    w.emit({ type: 'resumed', step: 2, epoch: 1, time: 6 })
    expect(readActiveRun(session)).toEqual({ runId: 5, paused: false })
    w.emit({ type: 'done', reason: 'Finished', step: 18, epoch: 3, time: 7 })
    w.exit()
    await controller.settled()
    expect(session.data.has(ACTIVE_RUN_KEY)).toBe(false)
  })

  it('forgets the run as soon as the user stops it, and after a failure', async () => {
    const session = memorySession()
    const a = setup({}, session)
    await a.controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })
    a.controller.stop()
    expect(session.data.has(ACTIVE_RUN_KEY)).toBe(false)
    const b = setup({}, session)
    await b.controller.start({ projectId: 2, architectureId: 1, datasetId: 3, pipelineId: null, config: snapshot().training, backend: 'wasm' })
    expect(readActiveRun(session)?.runId).toBe(5)
    b.w.fail('no backend')
    await b.controller.settled()
    expect(session.data.has(ACTIVE_RUN_KEY)).toBe(false)
  })

  it('after a reload, resumes the recorded run from its latest checkpoint once, with a notice', async () => {
    const session = memorySession({ [ACTIVE_RUN_KEY]: JSON.stringify({ runId: 5, paused: false }) })
    const { controller, calls, w } = setup({ checkpoints: cps, status: 'running' }, session)
    const r = await controller.resumeAfterReload()
    expect(r).toEqual({ runId: 5, epoch: 1, step: 6, stepInEpoch: 0 })
    expect(calls.find((c) => c.method === 'runs.truncateMetrics')!.input).toEqual({ runId: 5, afterStep: 6 })
    expect(w.requests[0]!.resume?.meta.step).toBe(6)
    expect(controller.isLive(5)).toBe(true)
    expect(useTraining.getState().notice).toEqual({ runId: 5, text: 'Resumed after the reload from the checkpoint of epoch 1' })
    expect(readActiveRun(session)).toEqual({ runId: 5, paused: false })
    // Once per page.
    expect(await controller.resumeAfterReload()).toBeNull()
    expect(w.requests).toHaveLength(1)
  })

  it('leaves a paused run, a run no longer running, and an empty or unreadable record alone (manual Resume)', async () => {
    for (const [record, status] of [
      [JSON.stringify({ runId: 5, paused: true }), 'paused'],
      [JSON.stringify({ runId: 5, paused: true }), 'running'],
      [JSON.stringify({ runId: 5, paused: false }), 'stopped'],
      [JSON.stringify({ runId: 5, paused: false }), 'completed'],
      ['not json', 'running'],
      [null, 'running'],
    ] as const) {
      const session = memorySession(record === null ? {} : { [ACTIVE_RUN_KEY]: record })
      const { controller, calls, w } = setup({ checkpoints: cps, status }, session)
      expect(await controller.resumeAfterReload(), `${record} ${status}`).toBeNull()
      expect(w.posts).toHaveLength(0)
      expect(calls.some((c) => c.method === 'runs.truncateMetrics')).toBe(false)
      if (record !== 'not json') expect(session.data.has(ACTIVE_RUN_KEY)).toBe(false)
      expect(useTraining.getState().notice).toBeNull()
    }
  })

  it('leaves a search trial to its search', async () => {
    const session = memorySession({ [ACTIVE_RUN_KEY]: JSON.stringify({ runId: 5, paused: false }) })
    const { controller, calls, w } = setup({ checkpoints: cps, status: 'running', trial: true }, session)
    expect(await controller.resumeAfterReload()).toBeNull()
    expect(w.posts).toHaveLength(0)
    expect(calls.some((c) => c.method === 'runs.truncateMetrics')).toBe(false)
    expect(session.data.has(ACTIVE_RUN_KEY)).toBe(false)
  })

  it('does nothing without session storage', async () => {
    const { controller, w } = setup({ checkpoints: cps, status: 'running' })
    expect(await controller.resumeAfterReload()).toBeNull()
    expect(w.posts).toHaveLength(0)
  })
})

describe('resume helpers', () => {
  it('picks the checkpoint with the most steps, preferring last on ties; runs without a live worker are interrupted', () => {
    const c = (id: number, kind: CheckpointInfo['kind'], step: number): CheckpointInfo => ({ id, runId: 1, kind, epoch: 0, step, bytes: 0, metrics: null, createdAt: '' })
    expect(resumePoint([])).toBeNull()
    expect(resumePoint([c(1, 'best', 10), c(2, 'last', 10), c(3, 'periodic', 5)])?.id).toBe(2)
    expect(resumePoint([c(1, 'best', 10), c(2, 'last', 20)])?.id).toBe(2)
    expect(displayStatus('running', false)).toBe('interrupted')
    expect(displayStatus('paused', false)).toBe('interrupted')
    expect(displayStatus('running', true)).toBe('running')
    expect(displayStatus('completed', false)).toBe('completed')
  })

  it('places config schema messages next to their fields, with the field labels', () => {
    const v = validateForm({ ...DEFAULT_FORM, batchSize: '0', learningRate: '', warmupEpochs: '-1', epochs: '2.5' })
    expect(v.ok).toBe(false)
    expect(v.fields.batchSize).toBe('Batch size must be an integer >= 1, received 0')
    expect(v.fields.learningRate).toMatch(/^Learning rate must be a number/)
    expect(v.fields.warmupEpochs).toMatch(/^Warmup must be >= 0/)
    expect(v.fields.epochs).toMatch(/^Epochs must be an integer >= 1, received 2.5/)
    expect(v.general).toEqual([])
    expect(validateForm(DEFAULT_FORM).ok).toBe(true)
  })
})
