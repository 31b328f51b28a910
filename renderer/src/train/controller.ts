/**
 * The page's side of training, outside React: creates the run with its full snapshot, drives the worker,
 * batches metrics to the store about once a second, persists checkpoints and keeps the run's status, timings and
 * best metrics up to date. One training at a time per page; it keeps going while the user works elsewhere.
 *
 * Resume (a stopped run, or an interrupted one: status 'running' with no live worker in this page): the run's
 * latest checkpoint is loaded, its metrics after the checkpoint's step are dropped, and the same run continues
 * from there with the same snapshot, so the step series has no gap and no duplicate. Besides the per-epoch
 * checkpoints the worker is asked for a mid-epoch 'last' one every checkpointEveryMs (30 s) of training.
 *
 * Reload: the run this tab trains is recorded in the tab's sessionStorage (paused by the user or not) until it
 * ends or is stopped; the page's first resumeAfterReload() resumes it when the database still says 'running'.
 */
import { create } from 'zustand'
import type { AugmentPipeline } from '@shared/augment'
import type { CheckpointInfo, DatasetDetail, Run, RunStatus } from '@shared/api'
import { assertDatasetFit } from '@shared/graph/fit'
import type { GraphDocument } from '@shared/graph/types'
import { snapshotFacts } from '@shared/compare/snapshot'
import type { FreezeSpec } from '@shared/procedure/transfer'
import { parseTrainingConfig } from '@shared/train/config'
import type { TrainingConfig, TrainingConfigInput } from '@shared/train/config'
import type { CheckpointMeta, TrainMessage } from '@shared/train/messages'
import type { Api } from '../api/client'
import { fromBase64, toBase64 } from './base64'
import type { BackendChoice, CheckpointPayload, SplitIndex, TransferInit, WorkerCommand, WorkerEvent } from './protocol'
import { emptySteps, METRIC, seriesFromMetrics, STEP_METRICS, EPOCH_METRICS } from './series'
import type { EpochRow, StepSeries } from './series'

/** The API surface the controller uses (injected in tests). */
export interface TrainApi {
  readonly runs: Pick<Api['runs'], 'create' | 'get' | 'update' | 'appendMetrics' | 'truncateMetrics' | 'metrics' | 'saveCheckpoint' | 'checkpoints' | 'loadCheckpoint'>
  readonly datasets: Pick<Api['datasets'], 'get' | 'readSplit'>
  readonly architectures: Pick<Api['architectures'], 'get'>
  readonly pipelines: Pick<Api['pipelines'], 'get'>
}

/** A worker as the controller sees it (a real Worker, or a fake in tests). */
export interface WorkerPort {
  post(command: WorkerCommand, transfer?: Transferable[]): void
  listen(onEvent: (event: WorkerEvent) => void, onError: (message: string) => void): void
  terminate(): void
}

export interface ControllerDeps {
  readonly api: TrainApi
  readonly createWorker: () => WorkerPort
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

/** The part of the Storage interface the controller uses. */
export type SessionStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/** The session storage key of the run this tab trains: `{ runId, paused }` as JSON. */
export const ACTIVE_RUN_KEY = 'cnn-studio/train/active-run'

export interface ActiveRunRecord {
  readonly runId: number
  /** Paused by the user: a reload leaves it paused (shown interrupted, with Resume), not resumed. */
  readonly paused: boolean
}

/** Reads the tab's record of the run it trains (null when none, or unreadable). */
export function readActiveRun(session: SessionStore | null | undefined): ActiveRunRecord | null {
  if (!session) return null
  try {
    const raw = session.getItem(ACTIVE_RUN_KEY)
    if (raw === null) return null
    const v = JSON.parse(raw) as unknown
    if (typeof v !== 'object' || v === null) return null
    const { runId, paused } = v as { runId?: unknown; paused?: unknown }
    if (typeof runId !== 'number' || !Number.isInteger(runId) || runId <= 0) return null
    return { runId, paused: paused === true }
  } catch {
    return null
  }
}

/** What resumeAfterReload did: the run it resumed and the checkpoint position it resumed from. */
export interface ReloadResume {
  readonly runId: number
  /** Epochs completed at the checkpoint (0: no checkpoint yet, the run started over). */
  readonly epoch: number
  readonly step: number
  /** Steps of the next epoch already done at the checkpoint (a mid-epoch checkpoint), else 0. */
  readonly stepInEpoch: number
}

/** The notice shown after a reload resumed the run. */
export function reloadNotice(r: ReloadResume): string {
  return r.step === 0
    ? 'Restarted after the reload from the beginning (no checkpoint had been saved yet)'
    : r.stepInEpoch > 0
      ? `Resumed after the reload from the checkpoint at step ${r.step} (epoch ${r.epoch + 1})`
      : `Resumed after the reload from the checkpoint of epoch ${r.epoch}`
}

/** What a run records at creation (runs.create's `config`): everything needed to reproduce or resume it. */
export interface RunSnapshot {
  readonly kind: 'cnn-studio/train'
  readonly format: 1
  readonly architecture: { readonly id: number; readonly name: string; readonly versionId: number; readonly version: number; readonly document: GraphDocument }
  readonly dataset: {
    readonly id: number
    readonly name: string
    readonly classes: string[]
    readonly shape: [number, number, number]
    readonly trainSplit: 'train'
    readonly valSplit: 'val'
    readonly counts: { readonly train: number; readonly val: number; readonly test: number }
    readonly split: DatasetDetail['split']
    readonly mean: number[] | null
    readonly std: number[] | null
  }
  readonly pipeline: { readonly id: number; readonly name: string; readonly versionId: number; readonly version: number; readonly document: AugmentPipeline } | null
  /** Every hyperparameter, defaults filled in (parseTrainingConfig). */
  readonly training: TrainingConfig
  readonly seed: TrainingConfig['seed']
  readonly backendRequested: BackendChoice
  readonly appVersion: string
  /**
   * Present when the run started from another run's checkpoint (transfer learning). The layers actually copied /
   * re-initialized and the freeze plan's groups are in the run's summary (`summary.transfer`), written once the
   * worker has built the model.
   */
  readonly transfer?: TransferSnapshot
  /**
   * Present when the run is a trial of a hyperparameter search (Procedure tab): the trial's values. When the trial
   * varies the design (width multiplier, dropout), `architecture.document` is the modified copy that trained.
   */
  readonly trial?: { readonly search: string; readonly round: number; readonly id: number; readonly params: Record<string, number | string | boolean>; readonly designModified: boolean }
}

/** A transfer run's source and freeze settings, as recorded in its snapshot. */
export interface TransferSnapshot {
  readonly sourceRunId: number
  readonly sourceRunName: string
  readonly sourceProjectId: number
  readonly checkpointId: number
  readonly checkpointKind: string
  readonly checkpointEpoch: number
  readonly checkpointStep: number
  readonly freeze: FreezeSpec
  readonly pretrainedLrMultiplier: number
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

export type LivePhase = 'preparing' | 'backend' | 'data' | 'compile' | 'running' | 'paused' | 'stopping' | 'ended'
export type LiveOutcome = 'completed' | 'stopped' | 'failed'

export interface LiveRun {
  readonly runId: number
  readonly projectId: number
  readonly name: string
  readonly phase: LivePhase
  readonly outcome: LiveOutcome | null
  readonly message: string | null
  readonly backendRequested: BackendChoice
  readonly backend: string | null
  readonly adapter: string | null
  readonly wasmThreads: number | null
  readonly resumedFromStep: number | null
  readonly totalSteps: number
  readonly stepsPerEpoch: number
  readonly epochs: number
  readonly step: number
  readonly epoch: number
  /** Training time of earlier sessions of this run plus this session's finished segments (ms). */
  readonly activeMs: number
  /** Start (now()) of the segment running now, null when paused or ended. */
  readonly segmentStart: number | null
  /** Mean milliseconds per step recently (for the ETA), null until known. */
  readonly msPerStep: number | null
  readonly steps: StepSeries
  readonly epochRows: readonly EpochRow[]
  readonly bestValAcc: number | null
  readonly bestEpoch: number | null
  readonly persistError: string | null
}

interface TrainingState {
  live: LiveRun | null
  /** Run ids whose resume is being prepared (so the list does not offer it twice). */
  busy: boolean
  /** Set when a reload of this tab resumed its run automatically (shown on that run's live panel). */
  notice?: { readonly runId: number; readonly text: string } | null
}

export const useTraining = create<TrainingState>(() => ({ live: null, busy: false, notice: null }))

export function elapsedMs(live: LiveRun, now: number): number {
  return live.activeMs + (live.segmentStart === null ? 0 : Math.max(0, now - live.segmentStart))
}

export function etaMs(live: LiveRun): number | null {
  if (live.msPerStep === null || live.phase === 'ended') return null
  const left = Math.max(0, live.totalSteps - live.step)
  // No steps left: the run validates and saves its last checkpoint, which the step time does not estimate.
  return left === 0 && liveActivity(live) !== null ? null : left * live.msPerStep
}

/**
 * What a running run does between steps, in the words of its status: 'validating' after an epoch's last step
 * until that epoch's row arrives (the worker evaluates the validation split), 'finishing' after the last epoch's
 * row until the run ends (the last checkpoint is saved); null while it trains (or is not running).
 */
export function liveActivity(live: Pick<LiveRun, 'phase' | 'step' | 'totalSteps' | 'stepsPerEpoch' | 'epoch' | 'epochRows'>): 'validating' | 'finishing' | null {
  if (live.phase !== 'running' || live.step <= 0) return null
  const atEpochEnd = live.step === live.totalSteps || (live.stepsPerEpoch > 0 && live.step % live.stepsPerEpoch === 0)
  if (!atEpochEnd) return null
  const lastRow = live.epochRows[live.epochRows.length - 1]
  if (lastRow === undefined || lastRow.step < live.step) return 'validating'
  return live.step === live.totalSteps ? 'finishing' : null
}

/** The checkpoint to resume from: the one with the most steps (a 'last' one on ties), or null to start over. */
export function resumePoint(checkpoints: readonly CheckpointInfo[]): CheckpointInfo | null {
  let best: CheckpointInfo | null = null
  for (const c of checkpoints) {
    if (!best || c.step > best.step || (c.step === best.step && c.kind === 'last' && best.kind !== 'last')) best = c
  }
  return best
}

/** Statuses a run can be resumed from when no worker of this page trains it. */
export function isResumable(status: RunStatus, live: boolean): boolean {
  if (live) return false
  return status === 'running' || status === 'paused' || status === 'stopped' || status === 'failed' || status === 'queued'
}

/** 'interrupted': the database says it trains, but no worker in this page does. */
export function displayStatus(status: RunStatus, live: boolean): RunStatus | 'interrupted' {
  if (!live && (status === 'running' || status === 'paused')) return 'interrupted'
  return status
}

interface MetricPoint {
  name: string
  step: number
  epoch: number
  value: number
  time: number
}

async function readSplit(api: TrainApi, datasetId: number, split: 'train' | 'val'): Promise<SplitIndex> {
  const indices: number[] = []
  const labels: number[] = []
  let offset = 0
  for (;;) {
    const page = await api.datasets.readSplit({ id: datasetId, split, offset, limit: 10_000, withImages: false })
    indices.push(...page.indices)
    labels.push(...page.labels)
    offset += page.indices.length
    if (page.indices.length === 0 || offset >= page.total) break
  }
  return { indices: Int32Array.from(indices), labels: Int32Array.from(labels) }
}

function message(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message)
  return String(e)
}

export class TrainingController {
  readonly #deps: ControllerDeps
  readonly #now: () => number
  #worker: WorkerPort | null = null
  #live: LiveRun | null = null
  #pendingSteps: StepSeries = emptySteps()
  #buffer: MetricPoint[] = []
  #queue: Promise<void> = Promise.resolve()
  #flushTimer: ReturnType<typeof setInterval> | null = null
  #publishTimer: ReturnType<typeof setTimeout> | null = null
  #summary: Record<string, unknown> = {}
  #timings: Record<string, number> = {}
  #lastStepAt: number | null = null
  #lastEpoch: { trainLoss: number; trainAcc: number; valLoss: number | null; valAcc: number | null } | null = null
  #lastLoss: number | null = null
  #startedAtSet = false
  #keepEvery = 0
  #ended: { status: LiveOutcome; reason: string; cause?: string } | null = null
  #reloadChecked = false
  /** When the last checkpoint was saved or requested (now()), for checkpointEveryMs. */
  #lastCheckpointAt = 0
  /** The checkpoint position the current session started from (null: from the start). */
  #resumeMeta: CheckpointMeta | null = null

  constructor(deps: ControllerDeps) {
    this.#deps = deps
    this.#now = deps.now ?? (() => Date.now())
  }

  get live(): LiveRun | null {
    return this.#live
  }

  /** Whether a worker of this page is training (or preparing) a run. */
  get active(): boolean {
    return this.#live !== null && this.#live.phase !== 'ended'
  }

  isLive(runId: number): boolean {
    return this.active && this.#live?.runId === runId
  }

  /** Resolves when every queued write (metrics, checkpoints, status) has been attempted. */
  settled(): Promise<void> {
    return this.#queue
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
      if (!this.active) this.#forgetActive()
      return null
    }
    let run: Run
    try {
      run = await this.#deps.api.runs.get({ id: record.runId })
    } catch {
      this.#forgetActive()
      return null
    }
    // A search trial is left to its search (persisted per project, it resumes with its pending trials).
    const trial = (run.config as Partial<RunSnapshot> | null)?.trial !== undefined
    if (run.status !== 'running' || trial || this.active) {
      if (!this.active) this.#forgetActive()
      return null
    }
    try {
      await this.resumeRun(record.runId)
    } catch (e) {
      this.#forgetActive()
      throw e
    }
    const meta = this.#resumeMeta
    const result: ReloadResume = { runId: record.runId, epoch: meta?.epoch ?? 0, step: meta?.step ?? 0, stepInEpoch: meta?.stepInEpoch ?? 0 }
    useTraining.setState({ notice: { runId: result.runId, text: reloadNotice(result) } })
    return result
  }

  #recordActive(record: ActiveRunRecord): void {
    try {
      this.#deps.session?.setItem(ACTIVE_RUN_KEY, JSON.stringify(record))
    } catch {
      // storage full or blocked: a reload then shows the run as interrupted, with Resume
    }
  }

  #forgetActive(): void {
    try {
      this.#deps.session?.removeItem(ACTIVE_RUN_KEY)
    } catch {
      // see #recordActive
    }
  }

  /** Builds the snapshot, creates the run and starts training it. Returns the run. */
  async start(req: StartRequest): Promise<Run> {
    if (this.active) throw new Error('A run is already training in this window: stop it first, or wait for it to finish')
    const parsed = parseTrainingConfig(req.config)
    if (!parsed.ok) throw new Error(`The configuration is not valid: ${parsed.errors.join('; ')}`)
    const { api } = this.#deps
    useTraining.setState({ busy: true })
    try {
      const [arch, dataset, pipeline] = await Promise.all([
        api.architectures.get({ id: req.architectureId }),
        api.datasets.get({ id: req.datasetId }),
        req.pipelineId === null ? Promise.resolve(null) : api.pipelines.get({ id: req.pipelineId }),
      ])
      if (!dataset.cachePath) throw new Error(`Dataset “${dataset.name}” has no image cache yet: wait for its import to finish`)
      assertDatasetFit(req.document ?? arch.version.document, { shape: [dataset.size.height, dataset.size.width, dataset.channels], classes: dataset.classes.length }, { design: arch.architecture.name, dataset: dataset.name })
      const source = req.transfer ? await this.#loadTransferSource(req.transfer) : null
      const snapshot: RunSnapshot = {
        kind: 'cnn-studio/train',
        format: 1,
        architecture: { id: arch.architecture.id, name: arch.architecture.name, versionId: arch.version.id, version: arch.version.version, document: req.document ?? arch.version.document },
        dataset: {
          id: dataset.id,
          name: dataset.name,
          classes: [...dataset.classes],
          shape: [dataset.size.height, dataset.size.width, dataset.channels],
          trainSplit: 'train',
          valSplit: 'val',
          counts: { ...dataset.splitTotals },
          split: dataset.split,
          mean: dataset.stats?.mean ?? null,
          std: dataset.stats?.std ?? null,
        },
        pipeline: pipeline
          ? { id: pipeline.pipeline.id, name: pipeline.pipeline.name, versionId: pipeline.version.id, version: pipeline.version.version, document: pipeline.version.document }
          : null,
        training: parsed.config,
        seed: parsed.config.seed,
        backendRequested: req.backend === 'auto' && this.#deps.studioSetting ? await this.#deps.studioSetting() : req.backend,
        appVersion: this.#deps.appVersion(),
        ...(source ? { transfer: source.snapshot } : {}),
        ...(req.trial ? { trial: req.trial } : {}),
      }
      const run = await api.runs.create({
        projectId: req.projectId,
        ...(req.name ? { name: req.name } : {}),
        config: snapshot as unknown as Record<string, unknown>,
        architectureVersionId: arch.version.id,
        datasetId: dataset.id,
        ...(pipeline ? { pipelineVersionId: pipeline.version.id } : {}),
        backend: snapshot.backendRequested,
      })
      const init: TransferInit | null = source ? { source: source.source, freeze: source.snapshot.freeze, pretrainedLrMultiplier: source.snapshot.pretrainedLrMultiplier, seed: parsed.config.seed } : null
      await this.#launch(run, snapshot, dataset, null, { steps: emptySteps(), epochs: [] }, init)
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
      const snapshot = run.config as RunSnapshot
      if (snapshot?.kind !== 'cnn-studio/train') throw new Error(`Run “${run.name}” was not started from the Train section: it cannot be resumed here`)
      const dataset = await api.datasets.get({ id: snapshot.dataset.id }).catch(() => {
        throw new Error(`Run “${run.name}” trained on dataset “${snapshot.dataset.name}”, which no longer exists: it cannot be resumed`)
      })
      const point = resumePoint(await api.runs.checkpoints({ runId }))
      const afterStep = point?.step ?? 0
      await api.runs.truncateMetrics({ runId, afterStep })
      let resume: CheckpointPayload | null = null
      if (point) {
        const data = await api.runs.loadCheckpoint({ id: point.id })
        resume = { meta: data.meta as CheckpointMeta, weights: fromBase64(data.weights), optimizerState: fromBase64(data.optimizer) }
      }
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
      this.#summary = { ...(run.summary ?? {}) }
      await this.#launch(run, snapshot, dataset, resume, history, init)
    } finally {
      useTraining.setState({ busy: false })
    }
  }

  pause(): void {
    if (this.#live?.phase === 'running') this.#worker?.post({ type: 'pause' })
  }

  unpause(): void {
    if (this.#live?.phase === 'paused') this.#worker?.post({ type: 'resume' })
  }

  stop(reason = 'Stopped by the user'): void {
    if (!this.active || !this.#worker) return
    this.#forgetActive()
    this.#update({ phase: 'stopping' })
    this.#worker.post({ type: 'stop', reason })
  }

  /** Forgets a finished run's live view (the next start replaces it anyway). */
  dismiss(): void {
    if (this.active) return
    this.#live = null
    useTraining.setState({ live: null, notice: null })
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
      source: { graph: graph as GraphDocument, checkpoint: { meta, weights: fromBase64(cp.weights), optimizerState: fromBase64(cp.optimizer) } },
    }
  }

  async #launch(
    run: Run,
    snapshot: RunSnapshot,
    dataset: DatasetDetail,
    resume: CheckpointPayload | null,
    history: { steps: StepSeries; epochs: EpochRow[] },
    init: TransferInit | null = null,
  ): Promise<void> {
    const { api } = this.#deps
    const [train, val] = await Promise.all([readSplit(api, dataset.id, 'train'), dataset.splitTotals.val > 0 ? readSplit(api, dataset.id, 'val') : null])
    const emptySplit: SplitIndex = { indices: new Int32Array(0), labels: new Int32Array(0) }
    const best = history.epochs.reduce<{ acc: number | null; epoch: number | null }>(
      (b, r) => (r.valAcc !== null && (b.acc === null || r.valAcc > b.acc) ? { acc: r.valAcc, epoch: r.epoch } : b),
      { acc: run.bestValAccuracy, epoch: run.bestEpoch },
    )
    const startStep = resume?.meta.step ?? 0
    this.#resumeMeta = resume?.meta ?? null
    this.#pendingSteps = emptySteps()
    this.#buffer = []
    this.#timings = {}
    this.#lastStepAt = null
    this.#lastLoss = null
    this.#ended = null
    this.#startedAtSet = run.startedAt !== null
    this.#keepEvery = snapshot.training.checkpoint.keepEvery
    const lastRow = history.epochs.at(-1)
    this.#lastEpoch = lastRow ? { trainLoss: lastRow.trainLoss, trainAcc: lastRow.trainAcc, valLoss: lastRow.valLoss, valAcc: lastRow.valAcc } : null
    if (!resume) this.#summary = {}
    this.#live = {
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
      epochRows: history.epochs.filter((r) => r.step <= startStep),
      bestValAcc: best.acc,
      bestEpoch: best.epoch,
      persistError: null,
    }
    if (useTraining.getState().notice?.runId !== run.id) useTraining.setState({ notice: null })
    this.#publish()
    this.#recordActive({ runId: run.id, paused: false })
    const worker = this.#deps.createWorker()
    this.#worker = worker
    worker.listen(
      (event) => this.#onEvent(event),
      (msg) => {
        this.#onEvent({ type: 'setup-failed', reason: `The training worker crashed: ${msg}`, time: this.#now() })
        this.#onEvent({ type: 'exit', time: this.#now() })
      },
    )
    this.#lastCheckpointAt = this.#now()
    this.#flushTimer = setInterval(() => {
      this.#flush()
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
    if (chosen) this.#summary = { ...this.#summary, backendReason: chosen.reason }
    worker.post(
      {
        type: 'start',
        config: snapshot.training,
        graph: snapshot.architecture.document,
        pipeline: snapshot.pipeline?.document ?? null,
        data,
        backend: chosen?.backend ?? snapshot.backendRequested,
        ...(resume ? { resume } : {}),
        ...(init ? { init } : {}),
      },
      transfer,
    )
  }

  #onEvent(event: WorkerEvent): void {
    const live = this.#live
    if (!live) return
    const runId = live.runId
    const now = this.#now()
    switch (event.type) {
      case 'phase':
        this.#update({ phase: live.phase === 'stopping' ? 'stopping' : event.phase })
        return
      case 'backend':
        this.#timings.backendMs = Math.round(event.ms)
        this.#summary = {
          ...this.#summary,
          backend: event.backend,
          // The page's reason (Auto with the speed probe) unless the worker fell back from it.
          backendReason: this.#summary.backendReason !== undefined && event.backend === event.tried[0]?.backend ? this.#summary.backendReason : event.reason,
          adapter: event.adapter,
          wasmThreads: event.wasmThreads,
          crossOriginIsolated: event.crossOriginIsolated,
        }
        this.#update({ backend: event.backend, adapter: event.adapter, wasmThreads: event.wasmThreads })
        this.#persist(() => this.#deps.api.runs.update({ id: runId, backend: event.backend, summary: this.#summaryNow() }))
        return
      case 'transfer':
        // A resumed transfer run reports only its plan: keep the layers its first start copied.
        if (event.report !== null) {
          const { copied, reinitialized, skipped, head } = event.report
          this.#summary = { ...this.#summary, transfer: { copied, reinitialized, skipped, head, layers: event.plan.layers, groups: event.plan.groups } }
          this.#persist(() => this.#deps.api.runs.update({ id: runId, summary: this.#summaryNow() }))
        }
        return
      case 'ready':
        this.#timings.dataMs = Math.round(event.dataMs)
        this.#timings.compileMs = Math.round(event.compileMs)
        this.#summary = { ...this.#summary, params: event.params }
        return
      case 'setup-failed':
        this.#ended = { status: 'failed', reason: event.reason, cause: 'setup' }
        this.#update({ outcome: 'failed', message: event.reason })
        return
      case 'stop-checkpoint':
      case 'mid-checkpoint':
        if (event.type === 'mid-checkpoint') this.#lastCheckpointAt = now
        this.#saveCheckpoint(runId, { meta: event.meta, weights: event.weights, optimizerState: event.optimizerState }, ['last'], null)
        return
      case 'exit':
        this.#finish()
        return
      default:
        this.#onTrainMessage(event, now)
    }
  }

  #onTrainMessage(m: TrainMessage, now: number): void {
    const live = this.#live as LiveRun
    const runId = live.runId
    switch (m.type) {
      case 'started': {
        this.#update({
          phase: live.phase === 'stopping' ? 'stopping' : 'running',
          totalSteps: m.totalSteps,
          stepsPerEpoch: m.stepsPerEpoch,
          epochs: m.epochs,
          step: m.startStep,
          epoch: m.startEpoch,
          segmentStart: now,
        })
        this.#lastStepAt = now
        this.#lastCheckpointAt = now
        const fields: Parameters<TrainApi['runs']['update']>[0] = { id: runId, status: 'running' }
        if (!this.#startedAtSet) {
          this.#startedAtSet = true
          Object.assign(fields, { startedAt: new Date(m.time).toISOString() })
        }
        this.#persist(() => this.#deps.api.runs.update(fields))
        return
      }
      case 'step': {
        const p = (name: string, value: number) => this.#buffer.push({ name, step: m.step, epoch: m.epoch, value, time: m.time })
        p(METRIC.loss, m.loss)
        p(METRIC.acc, m.acc)
        p(METRIC.lr, m.lr)
        p(METRIC.ips, m.imagesPerSec)
        if (m.gradNorm !== undefined) p(METRIC.gradNorm, m.gradNorm)
        const s = this.#pendingSteps
        s.step.push(m.step)
        s.loss.push(m.loss)
        s.acc.push(m.acc)
        s.lr.push(m.lr)
        s.ips.push(m.imagesPerSec)
        this.#lastLoss = m.loss
        let msPerStep = live.msPerStep
        if (this.#lastStepAt !== null) {
          const dt = now - this.#lastStepAt
          if (m.step === (live.resumedFromStep ?? 0) + 1) this.#timings.firstStepMs = dt
          // The first step of a session includes shader compilation: leave it out of the ETA.
          else msPerStep = msPerStep === null ? dt : msPerStep * 0.8 + dt * 0.2
        }
        this.#lastStepAt = now
        this.#live = { ...live, step: m.step, epoch: m.epoch, msPerStep }
        this.#schedulePublish()
        return
      }
      case 'epoch': {
        const p = (name: string, value: number | null) => {
          if (value !== null && Number.isFinite(value)) this.#buffer.push({ name, step: m.step, epoch: m.epoch, value, time: m.time })
        }
        p(METRIC.epochTrainLoss, m.trainLoss)
        p(METRIC.epochTrainAcc, m.trainAcc)
        p(METRIC.valLoss, m.valLoss)
        p(METRIC.valAcc, m.valAcc)
        p(METRIC.epochSeconds, m.seconds)
        this.#lastEpoch = { trainLoss: m.trainLoss, trainAcc: m.trainAcc, valLoss: m.valLoss, valAcc: m.valAcc }
        const row: EpochRow = { epoch: m.epoch, step: m.step, trainLoss: m.trainLoss, trainAcc: m.trainAcc, valLoss: m.valLoss, valAcc: m.valAcc }
        const better = m.valAcc !== null && (live.bestValAcc === null || m.valAcc > live.bestValAcc)
        this.#update({
          epoch: m.epoch,
          epochRows: [...live.epochRows, row],
          ...(better ? { bestValAcc: m.valAcc, bestEpoch: m.epoch } : {}),
        })
        return
      }
      case 'checkpoint': {
        this.#lastCheckpointAt = now
        const keepEvery = this.#keepEvery
        const kinds: ('last' | 'best' | 'periodic')[] = ['last']
        if (m.best) kinds.push('best')
        if (keepEvery > 0 && m.epoch % keepEvery === 0) kinds.push('periodic')
        this.#saveCheckpoint(runId, { meta: m.meta, weights: m.weights, optimizerState: m.optimizerState }, kinds, m.best)
        return
      }
      case 'paused':
        this.#recordActive({ runId, paused: true })
        this.#update({ phase: 'paused', activeMs: elapsedMs(live, now), segmentStart: null })
        this.#flush()
        this.#persist(() => this.#deps.api.runs.update({ id: runId, status: 'paused', durationMs: Math.round(elapsedMs(live, now)) }))
        return
      case 'resumed':
        this.#recordActive({ runId, paused: false })
        this.#lastStepAt = now
        this.#update({ phase: 'running', segmentStart: now })
        this.#persist(() => this.#deps.api.runs.update({ id: runId, status: 'running' }))
        return
      case 'done':
      case 'stopped':
      case 'failed': {
        const status: LiveOutcome = m.type === 'done' ? 'completed' : m.type
        this.#ended = { status, reason: m.reason, ...(m.type === 'failed' ? { cause: m.cause } : {}) }
        this.#update({ outcome: status, message: m.reason, activeMs: elapsedMs(live, now), segmentStart: null, step: m.step })
        return
      }
    }
  }

  #saveCheckpoint(runId: number, cp: CheckpointPayload, kinds: ('last' | 'best' | 'periodic')[], best: boolean | null): void {
    const last = this.#lastEpoch
    const metrics: Record<string, number> = {}
    if (last) {
      if (Number.isFinite(last.trainLoss)) metrics.train_loss = last.trainLoss
      if (Number.isFinite(last.trainAcc)) metrics.train_acc = last.trainAcc
      if (last.valLoss !== null && Number.isFinite(last.valLoss)) metrics.val_loss = last.valLoss
      if (last.valAcc !== null && Number.isFinite(last.valAcc)) metrics.val_acc = last.valAcc
    }
    // Metrics up to the checkpoint's step are written before the checkpoint: a saved checkpoint implies its history.
    this.#flush()
    this.#persist(async () => {
      const weights = toBase64(cp.weights)
      const optimizer = toBase64(cp.optimizerState)
      for (const kind of kinds) {
        await this.#deps.api.runs.saveCheckpoint({ runId, kind, epoch: cp.meta.epoch, step: cp.meta.step, meta: cp.meta, metrics, weights, optimizer })
      }
      const live = this.#live
      const fields: Parameters<TrainApi['runs']['update']>[0] = {
        id: runId,
        durationMs: Math.round(live ? elapsedMs(live, this.#now()) : 0),
        summary: this.#summaryNow(),
      }
      if (best && live?.bestValAcc != null && live.bestEpoch != null) Object.assign(fields, { bestValAccuracy: live.bestValAcc, bestEpoch: live.bestEpoch })
      if (last && Number.isFinite(last.trainLoss)) Object.assign(fields, { finalLoss: last.trainLoss })
      await this.#deps.api.runs.update(fields)
    })
  }

  /** Asks the worker for a mid-epoch checkpoint when checkpointEveryMs of training passed since the last one. */
  #requestCheckpoint(): void {
    const every = this.#deps.checkpointEveryMs ?? 30_000
    const live = this.#live
    if (every <= 0 || !live || live.phase !== 'running' || !this.#worker) return
    const now = this.#now()
    if (now - this.#lastCheckpointAt < every) return
    this.#lastCheckpointAt = now
    this.#worker.post({ type: 'checkpoint' })
  }

  #summaryNow(): Record<string, unknown> {
    const live = this.#live
    return {
      ...this.#summary,
      ...(live ? { steps: live.step, totalSteps: live.totalSteps, epochsDone: live.epochRows.length ? live.epochRows[live.epochRows.length - 1]!.epoch : 0 } : {}),
      lastEpoch: this.#lastEpoch,
      timings: { ...((this.#summary.timings as Record<string, number> | undefined) ?? {}), ...this.#timings },
    }
  }

  #finish(): void {
    const live = this.#live
    if (!live) return
    const runId = live.runId
    if (this.#flushTimer !== null) clearInterval(this.#flushTimer)
    this.#flushTimer = null
    this.#worker?.terminate()
    this.#worker = null
    this.#forgetActive()
    const ended = this.#ended ?? { status: 'failed' as const, reason: 'The training worker ended without a result' }
    const now = this.#now()
    const duration = Math.round(elapsedMs(live, now))
    this.#flush()
    this.#summary = { ...this.#summaryNow(), message: ended.reason, ...(ended.cause ? { cause: ended.cause } : {}) }
    const fields: Parameters<TrainApi['runs']['update']>[0] = {
      id: runId,
      status: ended.status,
      endedAt: new Date(now).toISOString(),
      durationMs: duration,
      summary: this.#summary,
    }
    const finalLoss = this.#lastEpoch?.trainLoss ?? this.#lastLoss
    if (finalLoss !== null && Number.isFinite(finalLoss)) Object.assign(fields, { finalLoss })
    if (live.bestValAcc !== null && live.bestEpoch !== null) Object.assign(fields, { bestValAccuracy: live.bestValAcc, bestEpoch: live.bestEpoch })
    this.#persist(() => this.#deps.api.runs.update(fields))
    this.#update({ phase: 'ended', outcome: ended.status, message: ended.reason, activeMs: duration, segmentStart: null })
  }

  /** Queues the buffered metric points for writing (one appendMetrics call). */
  #flush(): void {
    if (this.#buffer.length === 0 || !this.#live) return
    const points = this.#buffer
    const runId = this.#live.runId
    this.#buffer = []
    this.#persist(async () => {
      try {
        await this.#deps.api.runs.appendMetrics({ runId, points })
      } catch (e) {
        // Keep them for the next write (appendMetrics is idempotent by run, name and step).
        this.#buffer = [...points, ...this.#buffer]
        throw e
      }
    })
  }

  /** Runs writes one after another, in order; a failure is shown and does not stop the queue. */
  #persist(fn: () => Promise<unknown>): void {
    this.#queue = this.#queue.then(fn).then(
      () => {
        if (this.#live?.persistError) this.#update({ persistError: null })
      },
      (e: unknown) => {
        this.#update({ persistError: `Could not save to the studio database: ${message(e)}` })
      },
    )
  }

  #update(patch: Partial<LiveRun>): void {
    if (!this.#live) return
    this.#live = { ...this.#live, ...patch }
    this.#publish()
  }

  #schedulePublish(): void {
    if (this.#publishTimer !== null) return
    this.#publishTimer = setTimeout(() => {
      this.#publishTimer = null
      this.#publish()
    }, this.#deps.publishMs ?? 250)
  }

  /** Moves pending step points into the live series (new arrays, for React) and updates the store. */
  #publish(): void {
    if (this.#publishTimer !== null) {
      clearTimeout(this.#publishTimer)
      this.#publishTimer = null
    }
    const live = this.#live
    if (!live) return
    const p = this.#pendingSteps
    if (p.step.length > 0) {
      const s = live.steps
      this.#live = {
        ...live,
        steps: { step: s.step.concat(p.step), loss: s.loss.concat(p.loss), acc: s.acc.concat(p.acc), lr: s.lr.concat(p.lr), ips: s.ips.concat(p.ips) },
      }
      this.#pendingSteps = emptySteps()
    }
    useTraining.setState({ live: this.#live })
  }
}
