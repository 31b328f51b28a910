/**
 * One training run under Node, recorded like every run: the shared engine (shared/train's Trainer) on a
 * dataset's cache (train split for training, val split for validation, never test), the run row with its config
 * snapshot, metrics and checkpoints through the runs service (RunRecorder), and the end status.
 */
import { runsContract, type DatasetDetail, type Run } from '@shared/api'
import type { AugmentPipeline } from '../../shared/augment/index'
import type { GraphDocument } from '../../shared/graph/index'
import { compileGraph } from '../../shared/tfjs/compile'
import { initialLoss, Trainer } from '../../shared/train/index'
import type { EpochMessage, InitialLossResult, TrainingConfig, TrainMessage } from '../../shared/train/index'
import { clientFor } from '../rpc/direct-client'
import type { Studio } from '../studio'
import { selectBackend, type BackendChoice, type BackendInfo } from './backend'
import { openDatasetSource } from './dataset-source'
import { RunRecorder, type RecordedOutcome } from './recorder'

export const CONFIG_FORMAT = 1

export interface GraphSource {
  readonly document: GraphDocument
  /** Where it came from: a template name or a graph file path. */
  readonly template: string | null
  readonly file: string | null
}

export interface TrainSessionOptions {
  readonly studio: Studio
  readonly projectId: number
  readonly dataset: DatasetDetail
  readonly graph: GraphSource
  readonly pipeline: { readonly document: AugmentPipeline; readonly file: string | null } | null
  readonly training: TrainingConfig
  readonly backend: BackendChoice
  readonly name?: string
  /** Where the run comes from, recorded in the snapshot (e.g. 'cli'). */
  readonly origin: string
  /** Stops the run cleanly between steps (status 'stopped', checkpoint kept). */
  readonly signal?: AbortSignal
  /** Batches before training for the initial loss (default 4). */
  readonly initialLossBatches?: number
  readonly onStart?: (info: SessionStart) => void
  readonly onEpoch?: (epoch: EpochMessage, info: SessionStart) => void
  readonly onMessage?: (message: TrainMessage) => void
}

export interface SessionStart {
  readonly run: Run
  readonly backend: BackendInfo
  readonly initialLoss: InitialLossResult
  readonly trainCount: number
  readonly valCount: number
  readonly stepsPerEpoch: number
  readonly params: number
}

export interface SessionResult extends SessionStart {
  readonly outcome: RecordedOutcome
  readonly epochs: EpochMessage[]
  readonly bestValAcc: number | null
  readonly bestEpoch: number | null
  readonly imagesPerSec: number | null
  readonly durationMs: number
}

/** Input shape and class count of a graph adapted to a dataset: the Input node's shape, the Output head's units. */
export function adaptGraph(doc: GraphDocument, imageShape: readonly number[], classes: number): GraphDocument {
  return {
    ...doc,
    nodes: doc.nodes.map((n) => {
      if (n.kind === 'Input') return { ...n, params: { ...n.params, shape: [...imageShape] } }
      if (n.kind === 'Output') return { ...n, params: { ...n.params, units: classes } }
      return n
    }),
  }
}

export async function runTrainingSession(o: TrainSessionOptions): Promise<SessionResult> {
  const { studio, dataset, training } = o
  const runs = clientFor(studio, runsContract)
  const data = openDatasetSource(studio.db, studio.paths, dataset)
  const trainCount = data.count('train')
  const valCount = data.count('val')
  const backend = await selectBackend(o.backend)
  const { model } = compileGraph(o.graph.document, { seed: training.seed })
  let recorder: RunRecorder | null = null
  const forward = {
    post(m: TrainMessage) {
      recorder?.post(m)
      o.onMessage?.(m)
      if (m.type === 'epoch' && start) o.onEpoch?.(m, start)
    },
  }
  let trainer: Trainer | null = null
  let start: SessionStart | null = null
  try {
    const out = model.outputs[0]!.shape
    if (out[out.length - 1] !== dataset.classes.length) {
      throw new Error(`The network outputs ${String(out[out.length - 1])} values per image but the dataset has ${dataset.classes.length} classes`)
    }
    // Throws before anything is recorded when the data cannot make one batch.
    trainer = new Trainer({ model, data, pipeline: o.pipeline?.document ?? null, config: training, sink: forward })
    const init = await initialLoss(model, data, o.initialLossBatches ?? 4, { batchSize: training.batchSize, pipeline: o.pipeline?.document ?? null })
    const params = model.countParams()
    // The app's run snapshot (renderer/src/train/controller.ts RunSnapshot), plus where the run came from. A CLI
    // run has no architecture or pipeline row: their ids are null, their documents are inline.
    const fileName = (p: string) => p.split(/[\\/]/).pop() ?? p
    const config = {
      kind: 'cnn-studio/train',
      format: CONFIG_FORMAT,
      architecture: {
        id: null,
        name: o.graph.template ?? fileName(o.graph.file ?? 'graph'),
        versionId: null,
        version: null,
        template: o.graph.template,
        file: o.graph.file,
        document: o.graph.document,
      },
      dataset: {
        id: dataset.id,
        name: dataset.name,
        classes: [...dataset.classes],
        shape: [...data.imageShape],
        trainSplit: 'train',
        valSplit: 'val',
        counts: { ...dataset.splitTotals },
        split: dataset.split,
        mean: dataset.stats?.mean ?? null,
        std: dataset.stats?.std ?? null,
      },
      pipeline: o.pipeline ? { id: null, name: fileName(o.pipeline.file ?? 'pipeline'), versionId: null, version: null, file: o.pipeline.file, document: o.pipeline.document } : null,
      training,
      seed: training.seed,
      backendRequested: o.backend,
      backend: backend.backend,
      appVersion: studio.info.version,
      origin: o.origin,
      params,
    }
    const run = await runs.create({ projectId: o.projectId, ...(o.name ? { name: o.name } : {}), config, datasetId: dataset.id, backend: backend.backend })
    start = { run, backend, initialLoss: init, trainCount, valCount, stepsPerEpoch: trainer.stepsPerEpoch, params }
    const rec = new RunRecorder({ runs, runId: run.id, keepEvery: training.checkpoint.keepEvery, onError: () => trainer?.stop('Recording the run failed') })
    recorder = rec
    o.onStart?.(start)
    const t = trainer
    const onAbort = () => t.stop('Stopped by the user')
    if (o.signal?.aborted) onAbort()
    o.signal?.addEventListener('abort', onAbort, { once: true })
    let outcome: RecordedOutcome
    try {
      await t.run()
      outcome = rec.outcome ?? { status: 'failed', reason: 'The trainer ended without a final message', step: t.step, epoch: t.epoch }
      // A run stopped mid-epoch keeps where it was as its last checkpoint (resumable), after the epoch's one.
      if (outcome.status === 'stopped' && t.step > (rec.totals.lastCheckpoint?.step ?? 0)) rec.saveLast(await t.checkpoint())
    } finally {
      o.signal?.removeEventListener('abort', onAbort)
    }
    // Every write done before judging: a stop checkpoint that failed makes the run failed, not stopped.
    await rec.flush()
    if (rec.error !== null && outcome.status !== 'failed') {
      const e = rec.error
      outcome = { ...outcome, status: 'failed', reason: `Recording the run failed: ${e instanceof Error ? e.message : String(e)}` }
    }
    const totals = rec.totals
    await rec.finish(outcome, {
      initialLoss: { loss: init.loss, expected: init.expected, samples: init.samples },
      backend: backend.backend,
      ...(backend.threads !== undefined ? { wasmThreads: backend.threads } : {}),
      ...(backend.fallback ? { backendFallback: backend.fallback } : {}),
      trainCount,
      valCount,
      params,
    })
    if (rec.error !== null) throw rec.error
    const final = await runs.get({ id: run.id })
    return {
      ...start,
      run: final,
      outcome,
      epochs: totals.epochs,
      bestValAcc: totals.bestValAcc,
      bestEpoch: totals.bestEpoch,
      imagesPerSec: totals.imagesPerSec,
      durationMs: final.durationMs,
    }
  } catch (error) {
    // A run that exists but could not finish normally is marked failed (best effort).
    if (start !== null && recorder !== null && recorder.outcome === null) {
      const reason = error instanceof Error ? error.message : String(error)
      await runs.update({ id: start.run.id, status: 'failed', endedAt: new Date().toISOString(), summary: { status: 'failed', reason } }).catch(() => undefined)
    }
    throw error
  } finally {
    trainer?.dispose()
    model.dispose()
  }
}
