/**
 * Records a run, whatever host trains it (the app's training worker, the `studio train` command, an imported
 * engine): maps the engine's messages (./messages.ts) to writes on a RecordSink, in order, on one queue.
 *
 *  - `started`    -> status 'running' (startedAt on the run's first session);
 *  - `step`       -> step metrics (./metrics.ts STEP_METRICS) at (step, epoch of the step), buffered;
 *  - `epoch`      -> epoch metrics at the epoch's last step, then a write of the buffer; best validation
 *                    accuracy and its epoch, the final loss, the duration and the summary;
 *  - `checkpoint` -> the buffered metrics first (a saved checkpoint implies its history), then one save with the
 *                    kinds of `checkpointKinds` (last; best; periodic under checkpoint.keepEvery; a requested
 *                    mid-epoch one is 'last' only);
 *  - `paused` / `resumed` -> status paused (duration so far) / running;
 *  - `done` / `stopped` / `failed` -> the outcome; `finish()` writes the end (status, endedAt, duration, best,
 *                    final loss and the summary, see RunSummary).
 *
 * Metric writes: at most `flushEverySteps` steps (default 50) and at most `flushEveryMs` (default 1000) between
 * writes while steps arrive (checked at every step and at `tick()`, which a host with a timer calls so a slow step
 * is not held back), and always at an epoch's end, before a checkpoint, at a pause and at the end. A failed metric
 * write keeps its points for the next one (appendMetrics is idempotent by run, name and step).
 *
 * Duration: the run's active training time, over all its sessions (a resumed run continues from its durationMs),
 * pauses left out.
 */
import type { CheckpointMeta, CheckpointMessage, EpochMessage, TrainEventSink, TrainMessage } from './messages'
import { METRIC, type MetricPoint } from './metrics'

export type CheckpointKind = 'last' | 'best' | 'periodic'

/** One checkpoint to save under every one of its kinds (the bytes are the same for all). */
export interface CheckpointRecord {
  readonly kinds: readonly CheckpointKind[]
  readonly epoch: number
  readonly step: number
  readonly meta: CheckpointMeta
  /** The metrics of the epoch the checkpoint ends (absent for one taken before any epoch ended). */
  readonly metrics?: Record<string, number>
  readonly weights: ArrayBuffer
  readonly optimizerState: ArrayBuffer
}

/** The run fields the recorder writes (runs.update less the id). */
export interface RunUpdate {
  readonly status?: 'running' | 'paused' | 'completed' | 'stopped' | 'failed'
  readonly backend?: string
  readonly startedAt?: string
  readonly endedAt?: string
  readonly durationMs?: number
  readonly summary?: Record<string, unknown>
  readonly bestValAccuracy?: number
  readonly bestEpoch?: number
  readonly finalLoss?: number
}

/** Where a recorder writes one run: the runs service over any client (./runs-sink.ts), or a test double. */
export interface RecordSink {
  update(fields: RunUpdate): Promise<unknown>
  appendMetrics(points: MetricPoint[]): Promise<unknown>
  saveCheckpoint(checkpoint: CheckpointRecord): Promise<unknown>
}

/** The kinds a checkpoint message is saved as. */
export function checkpointKinds(m: Pick<CheckpointMessage, 'epoch' | 'best' | 'requested'>, keepEvery: number): CheckpointKind[] {
  if (m.requested === true) return ['last']
  const kinds: CheckpointKind[] = ['last']
  if (m.best) kinds.push('best')
  if (keepEvery > 0 && m.epoch % keepEvery === 0) kinds.push('periodic')
  return kinds
}

export interface EpochFigures {
  readonly epoch: number
  readonly trainLoss: number
  readonly trainAcc: number
  readonly valLoss: number | null
  readonly valAcc: number | null
}

/** Facts about where and how the run trains, set by its host (note / noteBackend); kept across sessions. */
export interface HostFacts {
  readonly backend?: string
  /** Why this backend: the Auto rule, the user's choice, or the fallback after the chosen one failed. */
  readonly backendReason?: string
  readonly adapter?: string | null
  readonly wasmThreads?: number | null
  /** A browser page's cross-origin isolation (WASM threads need it); null outside a browser. */
  readonly crossOriginIsolated?: boolean | null
  readonly params?: number
  readonly trainCount?: number
  readonly valCount?: number
  readonly initialLoss?: { readonly loss: number; readonly expected: number; readonly samples: number }
  /** What a transfer start did (layers copied / re-initialized, the freeze plan). */
  readonly transfer?: unknown
  /** Setup times (ms): backendMs, dataMs, compileMs; the recorder adds firstStepMs. */
  readonly timings?: Record<string, number>
  /** An engine outside the app (PyTorch): what it reported (torch and python versions, device names, world size). */
  readonly engine?: Readonly<Record<string, unknown>>
}

/** A run's summary (runs.update's `summary`): the host facts plus these. */
export interface RunSummary extends HostFacts {
  readonly status: 'running' | 'paused' | 'completed' | 'stopped' | 'failed'
  readonly message?: string
  /** For 'failed': 'nan' (non-finite loss), 'error' (an exception in training), 'setup' (before it started). */
  readonly cause?: string
  readonly steps: number
  readonly totalSteps: number
  readonly epochsDone: number
  readonly lastEpoch: Omit<EpochFigures, 'epoch'> | null
  readonly bestValAcc: number | null
  readonly bestEpoch: number | null
  /** Mean images/s over this session's training steps (the first, with its warm-up, left out when there are more). */
  readonly imagesPerSec: number | null
  readonly lastCheckpoint: { readonly epoch: number; readonly step: number } | null
  readonly timings: Record<string, number>
}

/** The summary keys every recorder writes (the host facts come on top). */
export const SUMMARY_KEYS = ['status', 'steps', 'totalSteps', 'epochsDone', 'lastEpoch', 'bestValAcc', 'bestEpoch', 'imagesPerSec', 'lastCheckpoint', 'timings'] as const

export interface RecordedOutcome {
  readonly status: 'completed' | 'stopped' | 'failed'
  readonly reason: string
  readonly step: number
  readonly epoch: number
  readonly cause?: string
}

/**
 * The checkpoint a run resumes from: the one with the most steps (a 'last' one on ties), or null to start over.
 * The Train section and `studio train --resume` both use it.
 */
export function resumePoint<C extends { readonly step: number; readonly kind: string }>(checkpoints: readonly C[]): C | null {
  let best: C | null = null
  for (const c of checkpoints) {
    if (!best || c.step > best.step || (c.step === best.step && c.kind === 'last' && best.kind !== 'last')) best = c
  }
  return best
}

/** Where a resumed run's recording continues from (its run row and the history kept up to the checkpoint). */
export interface RecorderResume {
  readonly durationMs: number
  /** The run already has a startedAt (it trained before). */
  readonly started: boolean
  readonly summary: Record<string, unknown> | null
  /** The last epoch recorded at or before the resume step (null: none). */
  readonly lastEpoch: EpochFigures | null
  readonly best: { readonly valAcc: number | null; readonly epoch: number | null }
  readonly step: number
  readonly lastCheckpoint: { readonly epoch: number; readonly step: number } | null
}

export interface RunRecorderOptions {
  readonly sink: RecordSink
  /** The run's checkpoint.keepEvery (periodic checkpoints every N epochs; 0 = none). */
  readonly keepEvery: number
  /** Clock in ms for durations and write timing (default Date.now). */
  readonly now?: () => number
  readonly flushEveryMs?: number
  readonly flushEverySteps?: number
  readonly resume?: RecorderResume
  /** Called after every write: null when it succeeded, else its error (the queue goes on). */
  readonly onWrite?: (error: unknown) => void
}

const STEP_POINTS = 5
const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)
const finiteOnly = (m: Record<string, number | null>) => Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => finite(e[1])))
const HOST_KEYS: readonly (keyof HostFacts)[] = ['backend', 'backendReason', 'adapter', 'wasmThreads', 'crossOriginIsolated', 'params', 'trainCount', 'valCount', 'initialLoss', 'transfer', 'timings', 'engine']

export class RunRecorder implements TrainEventSink {
  readonly #sink: RecordSink
  readonly #keepEvery: number
  readonly #now: () => number
  readonly #flushEveryMs: number
  readonly #flushEverySteps: number
  readonly #onWrite: ((error: unknown) => void) | undefined
  #queue: Promise<void> = Promise.resolve()
  #error: unknown = null
  #stopCheckpointError: unknown = null
  #points: MetricPoint[] = []
  #bufferedSteps = 0
  #lastFlushAt: number
  #facts: Record<string, unknown>
  #timings: Record<string, number>
  #started: boolean
  #totalSteps = 0
  #step: number
  #epochs: EpochMessage[] = []
  #lastEpoch: EpochFigures | null
  #best: { valAcc: number | null; epoch: number | null }
  #ipsSum = 0
  #ipsCount = 0
  #firstIps: number | null = null
  #lastStepLoss: number | null = null
  #sessionStart: number | null = null
  #lastCheckpoint: { epoch: number; step: number } | null
  #baseMs: number
  #segmentStart: number | null = null
  #end: RecordedOutcome | null = null
  #finished = false

  constructor(o: RunRecorderOptions) {
    this.#sink = o.sink
    this.#keepEvery = o.keepEvery
    this.#now = o.now ?? Date.now
    this.#flushEveryMs = o.flushEveryMs ?? 1000
    this.#flushEverySteps = Math.max(1, o.flushEverySteps ?? 50)
    this.#onWrite = o.onWrite
    this.#lastFlushAt = this.#now()
    const r = o.resume
    const old = r?.summary ?? {}
    this.#facts = Object.fromEntries(HOST_KEYS.filter((k) => k !== 'timings' && old[k] !== undefined).map((k) => [k, old[k]]))
    this.#timings = { ...((old.timings as Record<string, number> | undefined) ?? {}) }
    this.#started = r?.started ?? false
    this.#step = r?.step ?? 0
    this.#lastEpoch = r?.lastEpoch ?? null
    this.#best = { ...(r?.best ?? { valAcc: null, epoch: null }) }
    this.#lastCheckpoint = r?.lastCheckpoint ?? null
    this.#baseMs = r?.durationMs ?? 0
  }

  /** The first failed write, if any (the queue keeps going). */
  get error(): unknown {
    return this.#error
  }

  /** How the engine ended (null while it runs). */
  get outcome(): RecordedOutcome | null {
    return this.#end
  }

  /** The epochs recorded in this session. */
  get epochs(): EpochMessage[] {
    return [...this.#epochs]
  }

  get best(): { readonly valAcc: number | null; readonly epoch: number | null } {
    return { ...this.#best }
  }

  get lastCheckpoint(): { readonly epoch: number; readonly step: number } | null {
    return this.#lastCheckpoint
  }

  /** Active training time of the run so far (ms, all sessions, pauses left out). */
  get durationMs(): number {
    return Math.round(this.#baseMs + (this.#segmentStart === null ? 0 : Math.max(0, this.#now() - this.#segmentStart)))
  }

  get imagesPerSec(): number | null {
    return this.#ipsCount > 0 ? this.#ipsSum / this.#ipsCount : this.#firstIps
  }

  /** Merges host facts into the summary (written with the next summary write, or now with `write`). */
  note(facts: HostFacts, write = false): void {
    const { timings, ...rest } = facts
    if (timings) this.#timings = { ...this.#timings, ...timings }
    this.#facts = { ...this.#facts, ...rest }
    if (write) this.#enqueue(() => this.#sink.update({ summary: this.summary() }))
  }

  /** The backend the run trains on: the run's backend column and the summary's backend facts, written now. */
  noteBackend(facts: HostFacts & { readonly backend: string }): void {
    this.note(facts)
    this.#enqueue(() => this.#sink.update({ backend: facts.backend, summary: this.summary() }))
  }

  /** The summary as it stands (with the outcome once the run ended). */
  summary(): RunSummary & Record<string, unknown> {
    const end = this.#end
    const last = this.#lastEpoch
    return {
      ...(this.#facts as HostFacts),
      status: end?.status ?? (this.#segmentStart === null && this.#sessionStart !== null ? 'paused' : 'running'),
      ...(end ? { message: end.reason } : {}),
      ...(end?.cause ? { cause: end.cause } : {}),
      steps: this.#step,
      totalSteps: this.#totalSteps,
      epochsDone: last?.epoch ?? 0,
      lastEpoch: last ? { trainLoss: last.trainLoss, trainAcc: last.trainAcc, valLoss: last.valLoss, valAcc: last.valAcc } : null,
      bestValAcc: this.#best.valAcc,
      bestEpoch: this.#best.epoch,
      imagesPerSec: this.imagesPerSec,
      lastCheckpoint: this.#lastCheckpoint,
      timings: { ...this.#timings },
    }
  }

  #enqueue(work: () => Promise<unknown>): void {
    this.#queue = this.#queue.then(async () => {
      try {
        await work()
        this.#onWrite?.(null)
      } catch (error) {
        if (this.#error === null) this.#error = error
        this.#onWrite?.(error)
      }
    })
  }

  /** Queues the buffered metric points for writing (one appendMetrics call). */
  flushMetrics(): void {
    this.#lastFlushAt = this.#now()
    this.#bufferedSteps = 0
    if (this.#points.length === 0) return
    const points = this.#points
    this.#points = []
    this.#enqueue(async () => {
      try {
        await this.#sink.appendMetrics(points)
      } catch (e) {
        this.#points = [...points, ...this.#points]
        throw e
      }
    })
  }

  /** Writes the buffered metrics when flushEveryMs passed since the last write (for hosts with a timer). */
  tick(): void {
    if (this.#points.length > 0 && this.#now() - this.#lastFlushAt >= this.#flushEveryMs) this.flushMetrics()
  }

  #progress(): RunUpdate {
    const last = this.#lastEpoch
    const finalLoss = last && finite(last.trainLoss) ? last.trainLoss : finite(this.#lastStepLoss) ? this.#lastStepLoss : undefined
    return {
      durationMs: this.durationMs,
      summary: this.summary(),
      ...(this.#best.valAcc !== null && this.#best.epoch !== null ? { bestValAccuracy: this.#best.valAcc, bestEpoch: this.#best.epoch } : {}),
      ...(finalLoss !== undefined ? { finalLoss } : {}),
    }
  }

  #pauseClock(): void {
    if (this.#segmentStart === null) return
    this.#baseMs += Math.max(0, this.#now() - this.#segmentStart)
    this.#segmentStart = null
  }

  post(m: TrainMessage): void {
    const now = this.#now()
    switch (m.type) {
      case 'started': {
        this.#totalSteps = m.totalSteps
        this.#step = m.startStep
        this.#sessionStart = now
        this.#segmentStart = now
        this.#lastFlushAt = now
        const fields: RunUpdate = { status: 'running', ...(this.#started ? {} : { startedAt: new Date(m.time).toISOString() }) }
        this.#started = true
        this.#enqueue(() => this.#sink.update(fields))
        return
      }
      case 'step': {
        if (this.#firstIps === null) {
          this.#firstIps = m.imagesPerSec
          if (this.#sessionStart !== null) this.#timings.firstStepMs = Math.round(now - this.#sessionStart)
        } else {
          this.#ipsSum += m.imagesPerSec
          this.#ipsCount += 1
        }
        this.#step = m.step
        this.#lastStepLoss = m.loss
        const at = { step: m.step, epoch: m.epoch, time: m.time }
        this.#points.push(
          { name: METRIC.loss, value: m.loss, ...at },
          { name: METRIC.acc, value: m.acc, ...at },
          { name: METRIC.lr, value: m.lr, ...at },
          { name: METRIC.ips, value: m.imagesPerSec, ...at },
        )
        if (m.gradNorm !== undefined) this.#points.push({ name: METRIC.gradNorm, value: m.gradNorm, ...at })
        this.#bufferedSteps += 1
        if (this.#bufferedSteps >= this.#flushEverySteps || now - this.#lastFlushAt >= this.#flushEveryMs) this.flushMetrics()
        return
      }
      case 'epoch': {
        this.#epochs.push(m)
        this.#step = m.step
        const at = { step: m.step, epoch: m.epoch, time: m.time }
        const values = finiteOnly({
          [METRIC.epochTrainLoss]: m.trainLoss,
          [METRIC.epochTrainAcc]: m.trainAcc,
          [METRIC.valLoss]: m.valLoss,
          [METRIC.valAcc]: m.valAcc,
          [METRIC.epochSeconds]: m.seconds,
        })
        for (const [name, value] of Object.entries(values)) this.#points.push({ name, value, ...at })
        this.flushMetrics()
        this.#lastEpoch = { epoch: m.epoch, trainLoss: m.trainLoss, trainAcc: m.trainAcc, valLoss: m.valLoss, valAcc: m.valAcc }
        if (finite(m.valAcc) && (this.#best.valAcc === null || m.valAcc > this.#best.valAcc)) this.#best = { valAcc: m.valAcc, epoch: m.epoch }
        const fields = this.#progress()
        this.#enqueue(() => this.#sink.update(fields))
        return
      }
      case 'checkpoint':
        this.#saveCheckpoint(m, checkpointKinds(m, this.#keepEvery))
        return
      case 'paused': {
        this.#pauseClock()
        this.flushMetrics()
        const durationMs = this.durationMs
        this.#enqueue(() => this.#sink.update({ status: 'paused', durationMs }))
        return
      }
      case 'resumed':
        this.#segmentStart = now
        this.#enqueue(() => this.#sink.update({ status: 'running' }))
        return
      case 'done':
      case 'stopped':
      case 'failed':
        this.#pauseClock()
        this.#step = m.step
        this.flushMetrics()
        this.#end = { status: m.type === 'done' ? 'completed' : m.type, reason: m.reason, step: m.step, epoch: m.epoch, ...(m.type === 'failed' ? { cause: m.cause } : {}) }
        return
    }
  }

  #saveCheckpoint(c: Pick<CheckpointMessage, 'meta' | 'weights' | 'optimizerState'>, kinds: CheckpointKind[], onError?: (error: unknown) => void): void {
    const { epoch, step } = c.meta
    const last = this.#lastEpoch
    const metrics =
      last && last.epoch === epoch ? finiteOnly({ train_loss: last.trainLoss, train_acc: last.trainAcc, val_loss: last.valLoss, val_acc: last.valAcc }) : undefined
    // The metrics up to the checkpoint's step are written first: a saved checkpoint implies its history.
    this.flushMetrics()
    this.#lastCheckpoint = { epoch, step }
    const record: CheckpointRecord = { kinds, epoch, step, meta: c.meta, ...(metrics ? { metrics } : {}), weights: c.weights, optimizerState: c.optimizerState }
    this.#enqueue(async () => {
      try {
        await this.#sink.saveCheckpoint(record)
      } catch (error) {
        onError?.(error)
        throw error
      }
    })
    const fields = this.#progress()
    this.#enqueue(() => this.#sink.update(fields))
  }

  /**
   * Saves a checkpoint taken outside the engine's messages (where a stopped run ended, mid-epoch) as 'last', so the
   * run resumes from there; its meta tells the position. Skipped when the last checkpoint is already there.
   * `stop`: the checkpoint where a stopped run ended; when it cannot be saved, the run ends failed, not stopped
   * (`finish` says why), since it could not resume from where it stopped.
   */
  saveLast(checkpoint: Pick<CheckpointMessage, 'meta' | 'weights' | 'optimizerState'>, options: { stop?: boolean } = {}): void {
    if (this.#lastCheckpoint !== null && this.#lastCheckpoint.step >= checkpoint.meta.step) return
    this.#saveCheckpoint(checkpoint, ['last'], options.stop ? (error) => (this.#stopCheckpointError = error) : undefined)
  }

  /** The checkpoint where a stopped run ended could not even be taken: the run ends failed and says why (`finish`). */
  stopCheckpointFailed(error: unknown): void {
    this.#stopCheckpointError = error
  }

  /** Waits for every queued write. */
  async settled(): Promise<void> {
    let q: Promise<void>
    do {
      q = this.#queue
      await q
    } while (q !== this.#queue)
  }

  /**
   * Writes the end of the run (once): status, endedAt, duration, best validation accuracy and epoch, final loss
   * (the last epoch's training loss, else the last step's) and the summary with the outcome. `outcome` replaces
   * the engine's (a host failure: setup, recording), or stands for it when the engine sent none.
   */
  async finish(outcome?: RecordedOutcome): Promise<void> {
    if (this.#finished) return this.settled()
    this.#finished = true
    this.#pauseClock()
    this.flushMetrics()
    // Points a failed write gave back (after the last flush) get one more try before the end is written.
    this.#enqueue(async () => {
      if (this.#points.length === 0) return
      const points = this.#points
      this.#points = []
      await this.#sink.appendMetrics(points)
    })
    // Queued after every earlier write, so a stop checkpoint still being written decides the end.
    this.#enqueue(async () => {
      let end = outcome ?? this.#end ?? { status: 'failed' as const, reason: 'The trainer ended without a result', step: this.#step, epoch: this.#lastEpoch?.epoch ?? 0 }
      if (end.status === 'stopped' && this.#stopCheckpointError !== null) {
        const e = this.#stopCheckpointError
        end = {
          ...end,
          status: 'failed',
          reason: `Stopped, but the checkpoint where it stopped could not be saved (${e instanceof Error ? e.message : String(e)}); the run can only restart from its last saved checkpoint`,
          cause: 'checkpoint',
        }
      }
      this.#end = end
      const fields: RunUpdate = { status: end.status, endedAt: new Date(this.#now()).toISOString(), ...this.#progress() }
      await this.#sink.update(fields)
    })
    await this.settled()
  }
}
