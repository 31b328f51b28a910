/**
 * One training run under Node, recorded like every run: the shared engine (shared/train's Trainer) on a
 * dataset's cache (train split for training, val split for validation, never test), the run row with its config
 * snapshot (shared/train/run-snapshot.ts), metrics and checkpoints through the runs service (shared/train's
 * RunRecorder over the direct client), and the end status.
 */
import { arrayBufferOf, datasetsContract, runsContract, type DatasetDetail, type Run } from '@shared/api'
import type { AugmentPipeline } from '../../shared/augment/index'
import type { GraphDocument } from '../../shared/graph/index'
import { compileGraph } from '../../shared/tfjs/compile'
import { initialLoss, Trainer } from '../../shared/train/index'
import type { EpochMessage, InitialLossResult, TrainingConfig, TrainMessage } from '../../shared/train/index'
import type { Checkpoint } from '../../shared/train/checkpoint'
import { METRIC } from '../../shared/train/metrics'
import { resumePoint, RunRecorder, type RecordedOutcome, type RecorderResume } from '../../shared/train/recorder'
import { buildRunSnapshot, parseRunSnapshot } from '../../shared/train/run-snapshot'
import { runsSink } from '../../shared/train/runs-sink'
import { clientFor } from '../rpc/direct-client'
import type { Studio } from '../studio'
import { selectBackend, type BackendChoice, type BackendInfo } from './backend'
import { openDatasetSource } from './dataset-source'

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
  /** Continue this existing run instead of creating one (see prepareResume). */
  readonly resume?: SessionResume
}

/** An interrupted or stopped run to continue: its row, the checkpoint it goes on from, where its record stands. */
export interface SessionResume {
  readonly run: Run
  /** Null: the run had no checkpoint yet and trains from its start (same seed, same initial weights). */
  readonly checkpoint: Checkpoint | null
  readonly recorder: RecorderResume
}

/** What `prepareResume` gives: the resume and the run's own design, data, pipeline and settings from its snapshot. */
export type ResumePlan = Pick<TrainSessionOptions, 'projectId' | 'dataset' | 'graph' | 'pipeline' | 'training' | 'name'> & {
  readonly resume: SessionResume
  readonly backendRequested: string
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

/**
 * Gets a run ready to continue (`studio train --resume`), as the Train section's Resume does: its snapshot (design,
 * dataset, pipeline, settings), the checkpoint with the most steps, and its metrics after that checkpoint's step
 * dropped, so the history continues without a gap or a duplicate. A completed run, a run whose dataset is gone
 * and a transfer run without a checkpoint yet (its source weights are the app's to load) are refused by name.
 */
export async function prepareResume(studio: Studio, runId: number): Promise<ResumePlan> {
  const runs = clientFor(studio, runsContract)
  const run = await runs.get({ id: runId })
  if (run.status === 'completed') throw new Error(`Run ${run.id} “${run.name}” is completed: there is nothing to resume`)
  const snapshot = parseRunSnapshot(run.config, run.name)
  const dataset = await clientFor(studio, datasetsContract)
    .get({ id: snapshot.dataset.id })
    .catch(() => {
      throw new Error(`Run ${run.id} “${run.name}” trained on dataset “${snapshot.dataset.name}”, which no longer exists: it cannot be resumed`)
    })
  const point = resumePoint(await runs.checkpoints({ runId }))
  if (!point && snapshot.transfer) throw new Error(`Run ${run.id} “${run.name}” starts from another run's weights and has no checkpoint yet: resume it in the app`)
  // Loaded before the metrics after it are dropped: its position is the file's (loadCheckpoint repairs a row a
  // crash left behind its file), and the history is cut there.
  const data = point ? await runs.loadCheckpoint({ id: point.id }) : null
  const checkpoint: Checkpoint | null = data ? { meta: data.meta as Checkpoint['meta'], weights: arrayBufferOf(data.weights), optimizerState: arrayBufferOf(data.optimizer) } : null
  const step = data?.step ?? 0
  await runs.truncateMetrics({ runId, afterStep: step })
  // The epochs recorded up to the checkpoint: the last one and the best validation accuracy go on from there.
  const m = await runs.metrics({ runId, names: [METRIC.epochTrainLoss, METRIC.epochTrainAcc, METRIC.valLoss, METRIC.valAcc] })
  const at = (name: string, s: number) => {
    const series = m[name]
    const i = series ? series.step.indexOf(s) : -1
    return i >= 0 ? series!.value[i]! : null
  }
  const loss = m[METRIC.epochTrainLoss] ?? { step: [], epoch: [], value: [] }
  let lastEpoch: RecorderResume['lastEpoch'] = null
  let best: { valAcc: number | null; epoch: number | null } = { valAcc: null, epoch: null }
  loss.step.forEach((s, i) => {
    const epoch = loss.epoch[i]!
    const valAcc = at(METRIC.valAcc, s)
    lastEpoch = { epoch, trainLoss: loss.value[i]!, trainAcc: at(METRIC.epochTrainAcc, s) ?? Number.NaN, valLoss: at(METRIC.valLoss, s), valAcc }
    if (valAcc !== null && (best.valAcc === null || valAcc > best.valAcc)) best = { valAcc, epoch }
  })
  return {
    projectId: run.projectId,
    dataset,
    graph: { document: snapshot.architecture.document, template: snapshot.architecture.template ?? null, file: snapshot.architecture.file ?? null },
    pipeline: snapshot.pipeline ? { document: snapshot.pipeline.document, file: snapshot.pipeline.file ?? null } : null,
    training: snapshot.training,
    name: run.name,
    backendRequested: snapshot.backendRequested,
    resume: {
      run,
      checkpoint,
      recorder: {
        durationMs: run.durationMs,
        started: run.startedAt !== null,
        summary: checkpoint ? run.summary : null,
        lastEpoch,
        best,
        step,
        lastCheckpoint: data ? { epoch: data.epoch, step: data.step } : null,
      },
    },
  }
}

export async function runTrainingSession(o: TrainSessionOptions): Promise<SessionResult> {
  const { studio, dataset, training } = o
  const runs = clientFor(studio, runsContract)
  const t0 = performance.now()
  const backend = await selectBackend(o.backend)
  const backendMs = performance.now() - t0
  const t1 = performance.now()
  const data = openDatasetSource(studio.db, studio.paths, dataset)
  const trainCount = data.count('train')
  const valCount = data.count('val')
  const dataMs = performance.now() - t1
  const t2 = performance.now()
  const { model } = compileGraph(o.graph.document, { seed: training.seed })
  const compileMs = performance.now() - t2
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
    trainer = new Trainer({
      model,
      data,
      pipeline: o.pipeline?.document ?? null,
      config: training,
      sink: forward,
      ...(o.resume?.checkpoint ? { resumeFrom: o.resume.checkpoint } : {}),
    })
    const init = await initialLoss(model, data, o.initialLossBatches ?? 4, { batchSize: training.batchSize, pipeline: o.pipeline?.document ?? null })
    const params = model.countParams()
    // A CLI run has no architecture or pipeline row: their ids are null, their documents inline, with where they
    // came from (a template or a file).
    const fileName = (p: string) => p.split(/[\\/]/).pop() ?? p
    const config = buildRunSnapshot({
      architecture: {
        id: null,
        name: o.graph.template ?? fileName(o.graph.file ?? 'graph'),
        versionId: null,
        version: null,
        template: o.graph.template,
        file: o.graph.file,
        document: o.graph.document,
      },
      dataset,
      pipeline: o.pipeline ? { id: null, name: fileName(o.pipeline.file ?? 'pipeline'), versionId: null, version: null, file: o.pipeline.file, document: o.pipeline.document } : null,
      training,
      backendRequested: o.backend,
      appVersion: studio.info.version,
      origin: o.origin,
    })
    const run = o.resume
      ? await runs.update({ id: o.resume.run.id, backend: backend.backend })
      : await runs.create({ projectId: o.projectId, ...(o.name ? { name: o.name } : {}), config, datasetId: dataset.id, backend: backend.backend })
    start = { run, backend, initialLoss: init, trainCount, valCount, stepsPerEpoch: trainer.stepsPerEpoch, params }
    let stopping = false
    const rec = new RunRecorder({
      sink: runsSink(runs, run.id),
      keepEvery: training.checkpoint.keepEvery,
      ...(o.resume ? { resume: o.resume.recorder } : {}),
      onWrite: (error) => {
        if (error !== null && !stopping) {
          stopping = true
          trainer?.stop('Recording the run failed')
        }
      },
    })
    recorder = rec
    rec.noteBackend({
      backend: backend.backend,
      backendReason: backend.fallback ?? 'chosen by you',
      adapter: null,
      wasmThreads: backend.threads ?? null,
      crossOriginIsolated: null,
      timings: { backendMs: Math.round(backendMs), dataMs: Math.round(dataMs), compileMs: Math.round(compileMs) },
    })
    // A resumed run keeps the initial loss of its first start (the model here already trained).
    rec.note({ params, trainCount, valCount, ...(o.resume ? {} : { initialLoss: { loss: init.loss, expected: init.expected, samples: init.samples } }) })
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
      if (outcome.status === 'stopped' && t.step > (rec.lastCheckpoint?.step ?? 0)) rec.saveLast(await t.checkpoint(), { stop: true })
    } finally {
      o.signal?.removeEventListener('abort', onAbort)
    }
    // Every write done before judging: a stop checkpoint that failed makes the run failed, not stopped.
    await rec.settled()
    if (rec.error !== null && outcome.status !== 'failed') {
      const e = rec.error
      outcome = { ...outcome, status: 'failed', reason: `Recording the run failed: ${e instanceof Error ? e.message : String(e)}` }
    }
    await rec.finish(outcome)
    if (rec.error !== null) throw rec.error
    const final = await runs.get({ id: run.id })
    const best = rec.best
    return {
      ...start,
      run: final,
      outcome,
      epochs: rec.epochs,
      bestValAcc: best.valAcc,
      bestEpoch: best.epoch,
      imagesPerSec: rec.imagesPerSec,
      durationMs: final.durationMs,
    }
  } catch (error) {
    // A run that exists but could not finish normally is marked failed (best effort).
    if (start !== null && recorder !== null && recorder.outcome === null) {
      const reason = error instanceof Error ? error.message : String(error)
      await recorder.finish({ status: 'failed', reason, step: trainer?.step ?? 0, epoch: trainer?.epoch ?? 0, cause: 'error' }).catch(() => undefined)
    }
    throw error
  } finally {
    trainer?.dispose()
    model.dispose()
  }
}
