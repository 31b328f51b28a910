/**
 * The orchestration of training in the page, outside React: creates the run with its snapshot
 * (shared/train/run-snapshot.ts), drives the worker (worker-run.ts, one `train` call on the shared worker protocol,
 * ../workers/), records the run through shared/train's
 * RunRecorder over the API client (the same recorder as the `studio train` command), feeds the live view model
 * (live.ts) and the tab's reload state (reload.ts). One training at a time per page; it keeps going while the user
 * works elsewhere.
 *
 * Resume (a stopped run, or an interrupted one: status 'running' with no live worker in this page): the run's
 * latest checkpoint is loaded, its metrics after the checkpoint's step are dropped, and the same run continues
 * from there with the same snapshot, so the step series has no gap and no duplicate. Besides the per-epoch
 * checkpoints the worker is asked for a mid-epoch one (Trainer.requestCheckpoint, saved as 'last') every
 * checkpointEveryMs (30 s) of training.
 *
 * Reload: the page's first resumeAfterReload() resumes the run this tab trained when the database still says
 * 'running' and the tab's record (reload.ts) does not say the user paused it.
 */
import type { CheckpointInfo, DatasetDetail, Run } from '@shared/api'
import { assertDatasetFit } from '@shared/graph/fit'
import type { GraphDocument } from '@shared/graph/types'
import { snapshotFacts } from '@shared/compare/snapshot'
import { parseTrainingConfig } from '@shared/train/config'
import type { TrainingConfigInput } from '@shared/train/config'
import type { CheckpointMeta, TrainMessage } from '@shared/train/messages'
import { EPOCH_METRICS, STEP_METRICS } from '@shared/train/metrics'
import { resumePoint, RunRecorder, type RecordedOutcome } from '@shared/train/recorder'
import { buildRunSnapshot, parseRunSnapshot, type FreezeSpec, type RunSnapshot as SharedRunSnapshot, type TransferSnapshot } from '@shared/train/run-snapshot'
import { runsSink } from '@shared/train/runs-sink'
import type { Api } from '../api/client'
import { arrayBufferOf } from '@shared/api'
import { LiveView, useTraining, type LiveOutcome, type LiveRun } from './live'
import { readSplit } from '../api/splits'
import { workerClient, type OpenCall, type WorkerLike } from '../workers/client'
import { errorMessage } from '../workers/protocol'
import type { BackendChoice, CheckpointPayload, SplitIndex, TrainControl, TrainEvent, TrainMethods, TransferInit } from './protocol'
import { forgetActiveRun, readActiveRun, recordActiveRun, reloadNotice, type ReloadResume, type SessionStore } from './reload'
import { emptySteps, seriesFromMetrics } from './series'
import type { EpochRow, StepSeries } from './series'

export { resumePoint } from '@shared/train/recorder'
export { displayStatus, elapsedMs, etaMs, isResumable, liveActivity, useTraining } from './live'
export type { LiveOutcome, LivePhase, LiveRun } from './live'
export { ACTIVE_RUN_KEY, readActiveRun, reloadNotice } from './reload'
export type { ActiveRunRecord, ReloadResume, SessionStore } from './reload'
export type { TransferSnapshot } from '@shared/train/run-snapshot'

/** What a run records at creation: shared/train/run-snapshot.ts, with the page's backend names. */
export type RunSnapshot = Omit<SharedRunSnapshot, 'backendRequested'> & { readonly backendRequested: BackendChoice }

/** The API surface the controller uses (injected in tests). */
export interface TrainApi {
  readonly runs: Pick<Api['runs'], 'create' | 'get' | 'update' | 'appendMetrics' | 'truncateMetrics' | 'metrics' | 'saveCheckpoint' | 'checkpoints' | 'loadCheckpoint'>
  readonly datasets: Pick<Api['datasets'], 'get' | 'readSplit'>
  readonly architectures: Pick<Api['architectures'], 'get'>
  readonly pipelines: Pick<Api['pipelines'], 'get'>
}

export interface ControllerDeps {
  readonly api: TrainApi
  /** A fresh training worker (a real Worker, or a stand-in serving the same protocol in tests): one per run. */
  readonly createWorker: () => WorkerLike
  readonly dataFileUrl: (relativePath: string) => string
  readonly appVersion: () => string
  readonly now?: () => number
  /** Milliseconds between metric writes (default 1000). */
  readonly flushMs?: number
  /** Milliseconds between store updates while steps stream in (default 250). */
  readonly publishMs?: number
  /**
   * Milliseconds of training after which the worker is asked for a mid-epoch checkpoint (saved as 'last'), so an
   * interrupted run replays less (default 30000; 0: only the per-epoch checkpoints).
   */
  readonly checkpointEveryMs?: number
  /**
   * The studio's backend setting (the status bar's): what a run whose form says "Studio setting" ('auto') records
   * as requested. Absent: 'auto'.
   */
  readonly studioSetting?: () => Promise<BackendChoice>
  /**
   * The backend a requested choice gives here and why ('auto': the Auto rule with this machine's speed probe, see
   * renderer/src/backend/auto.ts). Absent: the worker decides (it applies the Auto rule without a probe).
   */
  readonly resolveBackend?: (choice: BackendChoice) => Promise<{ readonly backend: BackendChoice; readonly reason: string }>
  /**
   * The tab's session storage (window.sessionStorage): where the run this tab trains is recorded, so that a reload
   * of the same tab resumes it (see resumeAfterReload). Null or absent: nothing is recorded.
   */
  readonly session?: SessionStore | null
}

/** Start a run from a checkpoint of another run (see StartRequest.transfer). */
export interface TransferStart {
  readonly fromCheckpointId: number
  /** When given, the checkpoint must belong to this run. */
  readonly sourceRunId?: number
  readonly freeze: FreezeSpec
  readonly pretrainedLrMultiplier: number
}

export interface StartRequest {
  readonly projectId: number
  readonly architectureId: number
  readonly datasetId: number
  readonly pipelineId: number | null
  readonly config: TrainingConfigInput
  readonly backend: BackendChoice
  readonly name?: string
  /** Initialize from another run's checkpoint (matching layers copied, new head) with a freeze plan. */
  readonly transfer?: TransferStart
  /** Train this document instead of the architecture's saved version (a search trial's modified copy of it). */
  readonly document?: GraphDocument
  /** Recorded in the snapshot as `trial` (see RunSnapshot.trial). */
  readonly trial?: RunSnapshot['trial']
}

function message(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message)
  return String(e)
}

export class TrainingController {
  readonly #deps: ControllerDeps
  readonly #now: () => number
  readonly #view: LiveView
  /** The worker's `train` call of the run training now. */
  #call: OpenCall<void, TrainControl> | null = null
  #recorder: RunRecorder | null = null
  /** The recorder's end being written (it may turn a stop whose checkpoint failed into a failure). */
  #finishing: Promise<void> = Promise.resolve()
  #flushTimer: ReturnType<typeof setInterval> | null = null
  /** The page's reason for the backend it asked for (Auto with the speed probe), kept unless the worker fell back. */
  #pageReason: string | null = null
  #ended: RecordedOutcome | null = null
  #reloadChecked = false
  /** When the last checkpoint was saved or requested (now()), for checkpointEveryMs. */
  #lastCheckpointAt = 0
  /** The checkpoint position the current session started from (null: from the start). */
  #resumeMeta: CheckpointMeta | null = null

  constructor(deps: ControllerDeps) {
    this.#deps = deps
    this.#now = deps.now ?? (() => Date.now())
    this.#view = new LiveView(this.#now, deps.publishMs ?? 250)
  }

  get live(): LiveRun | null {
    return this.#view.live
  }

  /** Whether a worker of this page is training (or preparing) a run. */
  get active(): boolean {
    const live = this.#view.live
    return live !== null && live.phase !== 'ended'
  }

  isLive(runId: number): boolean {
    return this.active && this.#view.live?.runId === runId
  }

  /** Resolves when every queued write (metrics, checkpoints, status) has been attempted. */
  async settled(): Promise<void> {
    await (this.#recorder?.settled() ?? Promise.resolve())
    await this.#finishing
  }

  /**
   * Once per page (later calls return null): when this tab's session storage names a run it was training (not
   * paused by the user), the database still says 'running' and no worker trains here, resumes it from its latest
   * checkpoint (resumeRun) and sets the store's notice. Anything else (a search trial included) clears the record
   * and returns null: runs interrupted otherwise (another tab, a host restart on a new origin, an app restart) keep the manual Resume.
   */
  async resumeAfterReload(): Promise<ReloadResume | null> {
    if (this.#reloadChecked) return null
    this.#reloadChecked = true
    const session = this.#deps.session
    const record = readActiveRun(session)
    if (!record) return null
    if (record.paused || this.active) {
      if (!this.active) forgetActiveRun(session)
      return null
    }
    let run: Run
    try {
      run = await this.#deps.api.runs.get({ id: record.runId })
    } catch {
      forgetActiveRun(session)
      return null
    }
    // A search trial is left to its search (persisted per project, it resumes with its pending trials).
    const trial = (run.config as Partial<RunSnapshot> | null)?.trial !== undefined
    if (run.status !== 'running' || trial || this.active) {
      if (!this.active) forgetActiveRun(session)
      return null
    }
    try {
      await this.resumeRun(record.runId)
    } catch (e) {
      forgetActiveRun(session)
      throw e
    }
    const meta = this.#resumeMeta
    const result: ReloadResume = { runId: record.runId, epoch: meta?.epoch ?? 0, step: meta?.step ?? 0, stepInEpoch: meta?.stepInEpoch ?? 0 }
    useTraining.setState({ notice: { runId: result.runId, text: reloadNotice(result) } })
    return result
  }

  /**
   * The snapshot a run of `req` would record (and what it was built from), without creating the run: Start uses it,
   * and so does "Export as PyTorch project..." for the current design, pipeline and form.
   */
  async snapshotOf(req: StartRequest) {
    const parsed = parseTrainingConfig(req.config)
    if (!parsed.ok) throw new Error(`The configuration is not valid: ${parsed.errors.join('; ')}`)
    const { api } = this.#deps
    const [arch, dataset, pipeline] = await Promise.all([
      api.architectures.get({ id: req.architectureId }),
      api.datasets.get({ id: req.datasetId }),
      req.pipelineId === null ? Promise.resolve(null) : api.pipelines.get({ id: req.pipelineId }),
    ])
    if (!dataset.cachePath) throw new Error(`Dataset “${dataset.name}” has no image cache yet: wait for its import to finish`)
    assertDatasetFit(req.document ?? arch.version.document, { shape: [dataset.size.height, dataset.size.width, dataset.channels], classes: dataset.classes.length }, { design: arch.architecture.name, dataset: dataset.name })
    const source = req.transfer ? await this.#loadTransferSource(req.transfer) : null
    const snapshot = buildRunSnapshot({
      architecture: { id: arch.architecture.id, name: arch.architecture.name, versionId: arch.version.id, version: arch.version.version, document: req.document ?? arch.version.document },
      dataset,
      pipeline: pipeline
        ? { id: pipeline.pipeline.id, name: pipeline.pipeline.name, versionId: pipeline.version.id, version: pipeline.version.version, document: pipeline.version.document }
        : null,
      training: parsed.config,
      backendRequested: req.backend === 'auto' && this.#deps.studioSetting ? await this.#deps.studioSetting() : req.backend,
      appVersion: this.#deps.appVersion(),
      origin: 'app',
      ...(source ? { transfer: source.snapshot } : {}),
      ...(req.trial ? { trial: req.trial } : {}),
    }) as RunSnapshot
    return { snapshot, arch, dataset, pipeline, source, config: parsed.config }
  }

  /** Builds the snapshot, creates the run and starts training it. Returns the run. */
  async start(req: StartRequest): Promise<Run> {
    if (this.active) throw new Error('A run is already training in this window: stop it first, or wait for it to finish')
    const { api } = this.#deps
    useTraining.setState({ busy: true })
    try {
      const { snapshot, arch, dataset, pipeline, source, config } = await this.snapshotOf(req)
      const run = await api.runs.create({
        projectId: req.projectId,
        ...(req.name ? { name: req.name } : {}),
        config: snapshot as unknown as Record<string, unknown>,
        architectureVersionId: arch.version.id,
        datasetId: dataset.id,
        ...(pipeline ? { pipelineVersionId: pipeline.version.id } : {}),
        backend: snapshot.backendRequested,
      })
      const init: TransferInit | null = source ? { source: source.source, freeze: source.snapshot.freeze, pretrainedLrMultiplier: source.snapshot.pretrainedLrMultiplier, seed: config.seed } : null
      await this.#launch(run, snapshot, dataset, null, { steps: emptySteps(), epochs: [] }, null, init)
      return run
    } finally {
      useTraining.setState({ busy: false })
    }
  }

  /**
   * Continues a stopped or interrupted run from its latest checkpoint (or from the start when it has none):
   * drops the metrics after that checkpoint's step, then trains the remaining steps in the same run.
   */
  async resumeRun(runId: number): Promise<void> {
    if (this.active) throw new Error('A run is already training in this window: stop it first, or wait for it to finish')
    const { api } = this.#deps
    useTraining.setState({ busy: true })
    try {
      const run = await api.runs.get({ id: runId })
      const snapshot = parseRunSnapshot(run.config, run.name) as RunSnapshot
      const dataset = await api.datasets.get({ id: snapshot.dataset.id }).catch(() => {
        throw new Error(`Run “${run.name}” trained on dataset “${snapshot.dataset.name}”, which no longer exists: it cannot be resumed`)
      })
      const listed = resumePoint(await api.runs.checkpoints({ runId }))
      // Loaded before the metrics after it are dropped: its position is the file's (the host repairs a row that a
      // crash left behind its file), and the history is cut there.
      const data = listed ? await api.runs.loadCheckpoint({ id: listed.id }) : null
      const point = data ? { ...listed!, epoch: data.epoch, step: data.step } : null
      await api.runs.truncateMetrics({ runId, afterStep: point?.step ?? 0 })
      const resume: CheckpointPayload | null = data ? { meta: data.meta as CheckpointMeta, weights: arrayBufferOf(data.weights), optimizerState: arrayBufferOf(data.optimizer) } : null
      const history = seriesFromMetrics(await api.runs.metrics({ runId, names: [...STEP_METRICS, ...EPOCH_METRICS] }))
      // A transfer run keeps its freeze plan; its weights come from its own checkpoint, or from the source again
      // when it has none yet.
      const t = snapshot.transfer
      const init: TransferInit | null = t
        ? {
            ...(resume ? {} : { source: (await this.#loadTransferSource({ fromCheckpointId: t.checkpointId, freeze: t.freeze, pretrainedLrMultiplier: t.pretrainedLrMultiplier })).source }),
            freeze: t.freeze,
            pretrainedLrMultiplier: t.pretrainedLrMultiplier,
            seed: snapshot.seed,
          }
        : null
      await this.#launch(run, snapshot, dataset, resume, history, point, init)
    } finally {
      useTraining.setState({ busy: false })
    }
  }

  pause(): void {
    if (this.#view.live?.phase === 'running') this.#call?.send({ type: 'pause' })
  }

  unpause(): void {
    if (this.#view.live?.phase === 'paused') this.#call?.send({ type: 'resume' })
  }

  stop(reason = 'Stopped by the user'): void {
    if (!this.active || !this.#call) return
    forgetActiveRun(this.#deps.session)
    this.#view.update({ phase: 'stopping' })
    this.#call.send({ type: 'stop', reason })
  }

  /** Forgets a finished run's live view (the next start replaces it anyway). */
  dismiss(): void {
    if (this.active) return
    this.#view.clear()
    useTraining.setState({ notice: null })
  }

  /** Loads a transfer source: the checkpoint's weights and the graph its run trained (any writer's snapshot). */
  async #loadTransferSource(t: TransferStart): Promise<{ snapshot: TransferSnapshot; source: NonNullable<TransferInit['source']> }> {
    const { api } = this.#deps
    const cp = await api.runs.loadCheckpoint({ id: t.fromCheckpointId })
    if (t.sourceRunId !== undefined && cp.runId !== t.sourceRunId) throw new Error(`Checkpoint ${cp.id} belongs to run ${cp.runId}, not to run ${t.sourceRunId}`)
    const run = await api.runs.get({ id: cp.runId })
    const graph = snapshotFacts(run.config).graphDocument
    if (typeof graph !== 'object' || graph === null) throw new Error(`Run “${run.name}” has no design snapshot: its checkpoint cannot be transferred`)
    const meta = cp.meta as CheckpointMeta
    return {
      snapshot: {
        sourceRunId: run.id,
        sourceRunName: run.name,
        sourceProjectId: run.projectId,
        checkpointId: cp.id,
        checkpointKind: cp.kind,
        checkpointEpoch: cp.epoch,
        checkpointStep: cp.step,
        freeze: t.freeze,
        pretrainedLrMultiplier: t.pretrainedLrMultiplier,
      },
      source: { graph: graph as GraphDocument, checkpoint: { meta, weights: arrayBufferOf(cp.weights), optimizerState: arrayBufferOf(cp.optimizer) } },
    }
  }

  async #launch(
    run: Run,
    snapshot: RunSnapshot,
    dataset: DatasetDetail,
    resume: CheckpointPayload | null,
    history: { steps: StepSeries; epochs: EpochRow[] },
    point: CheckpointInfo | null,
    init: TransferInit | null,
  ): Promise<void> {
    const { api } = this.#deps
    const [train, val] = await Promise.all([readSplit(api.datasets, dataset.id, 'train'), dataset.splitTotals.val > 0 ? readSplit(api.datasets, dataset.id, 'val') : null])
    const emptySplit: SplitIndex = { indices: new Int32Array(0), labels: new Int32Array(0) }
    const startStep = resume?.meta.step ?? 0
    const epochs = history.epochs.filter((r) => r.step <= startStep)
    const best = epochs.reduce<{ valAcc: number | null; epoch: number | null }>(
      (b, r) => (r.valAcc !== null && (b.valAcc === null || r.valAcc > b.valAcc) ? { valAcc: r.valAcc, epoch: r.epoch } : b),
      { valAcc: run.bestValAccuracy, epoch: run.bestEpoch },
    )
    const lastRow = epochs.at(-1)
    this.#resumeMeta = resume?.meta ?? null
    this.#ended = null
    this.#pageReason = null
    this.#recorder = new RunRecorder({
      sink: runsSink(api.runs, run.id),
      keepEvery: snapshot.training.checkpoint.keepEvery,
      now: this.#now,
      flushEveryMs: this.#deps.flushMs ?? 1000,
      resume: {
        durationMs: run.durationMs,
        started: run.startedAt !== null,
        summary: resume ? run.summary : null,
        lastEpoch: lastRow ? { epoch: lastRow.epoch, trainLoss: lastRow.trainLoss, trainAcc: lastRow.trainAcc, valLoss: lastRow.valLoss, valAcc: lastRow.valAcc } : null,
        best,
        step: startStep,
        lastCheckpoint: point ? { epoch: point.epoch, step: point.step } : null,
      },
      onWrite: (error) => {
        if (error !== null) this.#view.update({ persistError: `Could not save to the studio database: ${message(error)}` })
        else if (this.#view.live?.persistError) this.#view.update({ persistError: null })
      },
    })
    this.#view.begin({
      runId: run.id,
      projectId: run.projectId,
      name: run.name,
      phase: 'preparing',
      outcome: null,
      message: null,
      backendRequested: snapshot.backendRequested,
      backend: null,
      adapter: null,
      wasmThreads: null,
      resumedFromStep: resume || run.status !== 'queued' ? startStep : null,
      totalSteps: 0,
      stepsPerEpoch: 0,
      epochs: snapshot.training.epochs,
      step: startStep,
      epoch: resume?.meta.epoch ?? 0,
      activeMs: run.durationMs,
      segmentStart: null,
      msPerStep: null,
      steps: history.steps,
      epochRows: epochs,
      bestValAcc: best.valAcc,
      bestEpoch: best.epoch,
      persistError: null,
    })
    if (useTraining.getState().notice?.runId !== run.id) useTraining.setState({ notice: null })
    recordActiveRun(this.#deps.session, { runId: run.id, paused: false })
    this.#lastCheckpointAt = this.#now()
    this.#flushTimer = setInterval(() => {
      this.#recorder?.tick()
      this.#requestCheckpoint()
    }, this.#deps.flushMs ?? 1000)
    const data = {
      url: this.#deps.dataFileUrl(dataset.cachePath as string),
      classes: snapshot.dataset.classes,
      shape: snapshot.dataset.shape,
      train,
      val: val ?? emptySplit,
    }
    const transfer: Transferable[] = [train.indices.buffer, train.labels.buffer]
    if (val) transfer.push(val.indices.buffer, val.labels.buffer)
    if (resume) transfer.push(resume.weights, resume.optimizerState)
    if (init?.source) transfer.push(init.source.checkpoint.weights, init.source.checkpoint.optimizerState)
    const chosen = this.#deps.resolveBackend ? await this.#deps.resolveBackend(snapshot.backendRequested) : null
    this.#pageReason = chosen?.reason ?? null
    const client = workerClient<TrainMethods>(() => this.#deps.createWorker(), { perCall: true, crashed: (detail) => `The training worker crashed: ${detail}` })
    const call = client.open(
      'train',
      {
        config: snapshot.training,
        graph: snapshot.architecture.document,
        pipeline: snapshot.pipeline?.document ?? null,
        data,
        backend: chosen?.backend ?? snapshot.backendRequested,
        ...(resume ? { resume } : {}),
        ...(init ? { init } : {}),
      },
      { transfer, onProgress: (event) => this.#onEvent(event) },
    )
    this.#call = call
    // The call's end is the worker's: done (the engine said how), or a setup that failed (or a crash) with its reason.
    call.result.then(
      () => this.#finish(),
      (error: unknown) => {
        this.#setupFailed(errorMessage(error))
        this.#finish()
      },
    )
  }

  #setupFailed(reason: string): void {
    const live = this.#view.live
    if (!live || !this.#recorder || live.phase === 'ended') return
    this.#ended = { status: 'failed', reason, step: live.step, epoch: live.epoch, cause: 'setup' }
    this.#view.update({ outcome: 'failed', message: reason })
  }

  #onEvent(event: TrainEvent): void {
    const live = this.#view.live
    const rec = this.#recorder
    if (!live || !rec || live.phase === 'ended') return
    switch (event.type) {
      case 'phase':
        this.#view.update({ phase: live.phase === 'stopping' ? 'stopping' : event.phase })
        return
      case 'backend': {
        const page = this.#pageReason
        rec.noteBackend({
          backend: event.backend,
          // The page's reason (Auto with the speed probe) unless the worker fell back from it.
          backendReason: page !== null && event.backend === event.tried[0]?.backend ? page : event.reason,
          adapter: event.adapter,
          wasmThreads: event.wasmThreads,
          crossOriginIsolated: event.crossOriginIsolated,
          timings: { backendMs: Math.round(event.ms) },
        })
        this.#view.update({ backend: event.backend, adapter: event.adapter, wasmThreads: event.wasmThreads })
        return
      }
      case 'transfer':
        // A resumed transfer run reports only its plan: keep the layers its first start copied.
        if (event.report !== null) {
          const { copied, reinitialized, skipped, head } = event.report
          rec.note({ transfer: { copied, reinitialized, skipped, head, layers: event.plan.layers, groups: event.plan.groups } }, true)
        }
        return
      case 'ready':
        rec.note({
          params: event.params,
          trainCount: event.trainCount,
          valCount: event.valCount,
          ...(event.initialLoss ? { initialLoss: event.initialLoss } : {}),
          timings: { dataMs: Math.round(event.dataMs), compileMs: Math.round(event.compileMs) },
        })
        return
      case 'stop-checkpoint':
        rec.saveLast({ meta: event.meta, weights: event.weights, optimizerState: event.optimizerState }, { stop: true })
        return
      case 'stop-checkpoint-failed':
        rec.stopCheckpointFailed(new Error(`the engine could not take it: ${event.reason}`))
        return
      default:
        this.#onTrainMessage(event)
    }
  }

  #onTrainMessage(m: TrainMessage): void {
    const runId = (this.#view.live as LiveRun).runId
    this.#recorder?.post(m)
    this.#view.onMessage(m)
    switch (m.type) {
      case 'started':
      case 'checkpoint':
        this.#lastCheckpointAt = this.#now()
        return
      case 'paused':
        recordActiveRun(this.#deps.session, { runId, paused: true })
        return
      case 'resumed':
        recordActiveRun(this.#deps.session, { runId, paused: false })
        return
      case 'done':
      case 'stopped':
      case 'failed':
        if (this.#ended === null) this.#ended = this.#recorder?.outcome ?? null
        return
    }
  }

  /** Asks the worker for a mid-epoch checkpoint when checkpointEveryMs of training passed since the last one. */
  #requestCheckpoint(): void {
    const every = this.#deps.checkpointEveryMs ?? 30_000
    const live = this.#view.live
    if (every <= 0 || !live || live.phase !== 'running' || !this.#call) return
    const now = this.#now()
    if (now - this.#lastCheckpointAt < every) return
    this.#lastCheckpointAt = now
    this.#call.send({ type: 'checkpoint' })
  }

  #finish(): void {
    const live = this.#view.live
    const rec = this.#recorder
    if (!live || !rec) return
    if (this.#flushTimer !== null) clearInterval(this.#flushTimer)
    this.#flushTimer = null
    this.#call = null // its worker ended with it (one worker per call)
    forgetActiveRun(this.#deps.session)
    const ended: RecordedOutcome = this.#ended ?? { status: 'failed', reason: 'The training worker ended without a result', step: live.step, epoch: live.epoch }
    this.#view.end(ended.status as LiveOutcome, ended.reason)
    this.#finishing = rec.finish(ended).then(() => {
      // The recorded end differs when the stop checkpoint could not be saved: the run failed, and says why.
      const final = rec.outcome
      if (final && (final.status !== ended.status || final.reason !== ended.reason)) this.#view.end(final.status as LiveOutcome, final.reason)
    })
  }
}
