/**
 * Maps the training engine's messages (shared/train/messages.ts) to the runs service, the way every run is
 * recorded whatever host trains it:
 *
 *  - `started`    -> status 'running', startedAt;
 *  - `step`       -> step metrics 'train/loss', 'train/acc', 'lr', 'images_per_sec' (and 'grad_norm' with
 *                    clipping), buffered and appended in batches, at (step, epoch of the step);
 *  - `epoch`      -> epoch metrics 'epoch/train_loss', 'epoch/train_acc', 'val/loss', 'val/acc', 'epoch/seconds'
 *                    (at the epoch's last step), best validation accuracy and its epoch;
 *  - `checkpoint` -> checkpoint 'last' every epoch, 'best' when it is the best so far, 'periodic' for the
 *                    keepEvery policy;
 *  - `done` / `stopped` / `failed` -> status completed / stopped / failed, endedAt, duration, final loss and the
 *                    summary (see `finish`).
 *
 * Names and fields are those of the app's training controller (renderer/src/train: METRIC, the checkpoint metrics
 * train_loss/train_acc/val_loss/val_acc, the summary keys), so the app charts and resumes CLI runs like its own.
 * `post` is synchronous (it is the engine's sink); the service calls run in order on one queue. It is written
 * against a typed runs client, so it does not care which transport reaches the service.
 */
import type { CheckpointKind, RunStatus, ServiceClient, runsContract } from '@shared/api'
import type { CheckpointMessage, EpochMessage, TrainEventSink, TrainMessage } from '../../shared/train/messages'

type RunsClient = ServiceClient<typeof runsContract>
type Point = { name: string; step: number; epoch: number; value: number; time: number }

export const STEP_METRICS = ['train/loss', 'train/acc', 'lr', 'images_per_sec', 'grad_norm'] as const
export const EPOCH_METRICS = ['epoch/train_loss', 'epoch/train_acc', 'val/loss', 'val/acc', 'epoch/seconds'] as const

export interface RunRecorderOptions {
  readonly runs: RunsClient
  readonly runId: number
  /** Append step metrics after this many steps (default 50); they are also flushed at every epoch end. */
  readonly flushEvery?: number
  /** Clock for durations (default Date.now). */
  readonly now?: () => number
  /** The run's checkpoint.keepEvery (periodic checkpoints every N epochs; default 0 = none). */
  readonly keepEvery?: number
  /** Called once when a service call fails (the caller usually stops the trainer). */
  readonly onError?: (error: unknown) => void
}

export interface RecordedOutcome {
  readonly status: Extract<RunStatus, 'completed' | 'stopped' | 'failed'>
  readonly reason: string
  readonly step: number
  readonly epoch: number
  /** For 'failed': 'nan' (non-finite loss) or 'error'. */
  readonly cause?: string
}

/** What the recorder knows at the end of a run (also the base of the run summary). */
export interface RecorderTotals {
  readonly steps: number
  readonly epochs: EpochMessage[]
  readonly bestValAcc: number | null
  readonly bestEpoch: number | null
  /** Mean images/s over the training steps (the first step, which includes warm-up, left out when there are more). */
  readonly imagesPerSec: number | null
  readonly lastStepLoss: number | null
  readonly lastCheckpoint: { epoch: number; step: number } | null
}

const finiteOnly = (m: Record<string, number | null>) => Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])))

export class RunRecorder implements TrainEventSink {
  readonly runId: number
  readonly #runs: RunsClient
  readonly #flushEvery: number
  readonly #now: () => number
  readonly #onError: ((error: unknown) => void) | undefined
  readonly #keepEvery: number
  #queue: Promise<void> = Promise.resolve()
  #error: unknown = null
  #points: Point[] = []
  #totalSteps = 0
  #startedAt: number | null = null
  #steps = 0
  #epochs: EpochMessage[] = []
  #best: { acc: number | null; epoch: number | null } = { acc: null, epoch: null }
  #ipsSum = 0
  #ipsCount = 0
  #firstIps: number | null = null
  #lastStepLoss: number | null = null
  #lastCheckpoint: { epoch: number; step: number } | null = null
  #end: RecordedOutcome | null = null

  constructor(options: RunRecorderOptions) {
    this.#runs = options.runs
    this.runId = options.runId
    this.#flushEvery = Math.max(1, options.flushEvery ?? 50)
    this.#now = options.now ?? Date.now
    this.#onError = options.onError
    this.#keepEvery = options.keepEvery ?? 0
  }

  /** The first service error, if any (the queue keeps going). */
  get error(): unknown {
    return this.#error
  }

  /** How the engine ended (null while it runs). */
  get outcome(): RecordedOutcome | null {
    return this.#end
  }

  get totals(): RecorderTotals {
    return {
      steps: this.#steps,
      epochs: [...this.#epochs],
      bestValAcc: this.#best.acc,
      bestEpoch: this.#best.epoch,
      imagesPerSec: this.#ipsCount > 0 ? this.#ipsSum / this.#ipsCount : this.#firstIps,
      lastStepLoss: this.#lastStepLoss,
      lastCheckpoint: this.#lastCheckpoint,
    }
  }

  /** Milliseconds since the `started` message (0 before it). */
  get elapsedMs(): number {
    return this.#startedAt === null ? 0 : Math.max(0, Math.round(this.#now() - this.#startedAt))
  }

  #enqueue(work: () => Promise<unknown>): void {
    this.#queue = this.#queue.then(async () => {
      try {
        await work()
      } catch (error) {
        if (this.#error === null) {
          this.#error = error
          this.#onError?.(error)
        }
      }
    })
  }

  #flushPoints(): void {
    if (this.#points.length === 0) return
    const points = this.#points
    this.#points = []
    this.#enqueue(() => this.#runs.appendMetrics({ runId: this.runId, points }))
  }

  post(m: TrainMessage): void {
    switch (m.type) {
      case 'started': {
        this.#totalSteps = m.totalSteps
        this.#startedAt = this.#now()
        const startedAt = new Date(m.time).toISOString()
        this.#enqueue(() => this.#runs.update({ id: this.runId, status: 'running', startedAt }))
        break
      }
      case 'step': {
        this.#steps = m.step
        this.#lastStepLoss = m.loss
        if (this.#firstIps === null) this.#firstIps = m.imagesPerSec
        else {
          this.#ipsSum += m.imagesPerSec
          this.#ipsCount += 1
        }
        const at = { step: m.step, epoch: m.epoch, time: m.time }
        this.#points.push(
          { name: 'train/loss', value: m.loss, ...at },
          { name: 'train/acc', value: m.acc, ...at },
          { name: 'lr', value: m.lr, ...at },
          { name: 'images_per_sec', value: m.imagesPerSec, ...at },
        )
        if (m.gradNorm !== undefined) this.#points.push({ name: 'grad_norm', value: m.gradNorm, ...at })
        if (this.#points.length >= this.#flushEvery * STEP_METRICS.length) this.#flushPoints()
        break
      }
      case 'epoch': {
        this.#epochs.push(m)
        const at = { step: m.step, epoch: m.epoch, time: m.time }
        const values: Record<(typeof EPOCH_METRICS)[number], number | null> = {
          'epoch/train_loss': m.trainLoss,
          'epoch/train_acc': m.trainAcc,
          'val/loss': m.valLoss,
          'val/acc': m.valAcc,
          'epoch/seconds': m.seconds,
        }
        for (const [name, value] of Object.entries(finiteOnly(values))) this.#points.push({ name, value, ...at })
        this.#flushPoints()
        if (m.valAcc !== null && Number.isFinite(m.valAcc) && (this.#best.acc === null || m.valAcc > this.#best.acc)) {
          this.#best = { acc: m.valAcc, epoch: m.epoch }
          const best = { bestValAccuracy: m.valAcc, bestEpoch: m.epoch }
          this.#enqueue(() => this.#runs.update({ id: this.runId, ...best, durationMs: this.elapsedMs }))
        } else {
          const durationMs = this.elapsedMs
          this.#enqueue(() => this.#runs.update({ id: this.runId, durationMs }))
        }
        break
      }
      case 'checkpoint':
        this.#saveCheckpoint(m)
        break
      case 'done':
      case 'stopped':
      case 'failed':
        this.#flushPoints()
        this.#end = { status: m.type === 'done' ? 'completed' : m.type, reason: m.reason, step: m.step, epoch: m.epoch, ...(m.type === 'failed' ? { cause: m.cause } : {}) }
        break
      case 'paused':
      case 'resumed':
        break
    }
  }

  #saveCheckpoint(m: CheckpointMessage): void {
    const latest = this.#epochs.at(-1)
    const metrics =
      latest && latest.epoch === m.epoch
        ? finiteOnly({ train_loss: latest.trainLoss, train_acc: latest.trainAcc, val_loss: latest.valLoss, val_acc: latest.valAcc })
        : undefined
    const kinds: CheckpointKind[] = ['last']
    if (m.best) kinds.push('best')
    // The final epoch's `keep` is covered by 'last'; periodic copies only under a keepEvery policy.
    if (m.keep && this.#keepEvery > 0 && m.epoch % this.#keepEvery === 0) kinds.push('periodic')
    // One call for all its kinds: the bytes cross the API once.
    const payload = { runId: this.runId, kinds, epoch: m.epoch, step: m.step, meta: m.meta, ...(metrics ? { metrics } : {}), weights: new Uint8Array(m.weights), optimizer: new Uint8Array(m.optimizerState) }
    this.#lastCheckpoint = { epoch: m.epoch, step: m.step }
    this.#enqueue(() => this.#runs.saveCheckpoint(payload))
  }

  /**
   * Saves a checkpoint taken outside the epoch loop (e.g. where a stopped run was, mid-epoch) as 'last', so
   * the run can resume from there; its meta tells the position.
   */
  saveLast(checkpoint: { meta: CheckpointMessage['meta']; weights: ArrayBuffer; optimizerState: ArrayBuffer }): void {
    const { meta } = checkpoint
    this.#lastCheckpoint = { epoch: meta.epoch, step: meta.step }
    const payload = { runId: this.runId, kinds: ['last' as const], epoch: meta.epoch, step: meta.step, meta, weights: new Uint8Array(checkpoint.weights), optimizer: new Uint8Array(checkpoint.optimizerState) }
    this.#enqueue(() => this.#runs.saveCheckpoint(payload))
  }

  /** Waits for every queued service call. */
  async flush(): Promise<void> {
    this.#flushPoints()
    let q: Promise<void>
    do {
      q = this.#queue
      await q
    } while (q !== this.#queue)
  }

  /**
   * Writes the end of the run: status, endedAt, duration, best validation accuracy and epoch, final loss
   * (the last epoch's training loss, else the last step's) and the summary (totals plus `extra`).
   */
  async finish(outcome: RecordedOutcome, extra: Record<string, unknown> = {}): Promise<void> {
    const t = this.totals
    const last = t.epochs.at(-1)
    const finalLoss = last && Number.isFinite(last.trainLoss) ? last.trainLoss : t.lastStepLoss !== null && Number.isFinite(t.lastStepLoss) ? t.lastStepLoss : undefined
    const summary = {
      status: outcome.status,
      message: outcome.reason,
      ...(outcome.cause ? { cause: outcome.cause } : {}),
      steps: outcome.step,
      totalSteps: this.#totalSteps,
      epochsDone: outcome.epoch,
      lastEpoch: last ? { trainLoss: last.trainLoss, trainAcc: last.trainAcc, valLoss: last.valLoss, valAcc: last.valAcc } : null,
      bestValAcc: t.bestValAcc,
      bestEpoch: t.bestEpoch,
      imagesPerSec: t.imagesPerSec,
      lastCheckpoint: t.lastCheckpoint,
      ...extra,
    }
    const durationMs = this.elapsedMs
    this.#enqueue(() =>
      this.#runs.update({
        id: this.runId,
        status: outcome.status,
        endedAt: new Date().toISOString(),
        durationMs,
        summary,
        ...(t.bestValAcc !== null ? { bestValAccuracy: t.bestValAcc, bestEpoch: t.bestEpoch ?? 0 } : {}),
        ...(finalLoss !== undefined ? { finalLoss } : {}),
      }),
    )
    await this.flush()
  }
}
