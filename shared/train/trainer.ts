/**
 * The training loop: a custom step (tf.variableGrads + TrainOptimizer) over a DataSource, with the augmentation
 * pipeline, a learning-rate schedule, per-step and per-epoch messages, per-epoch checkpoints (and one at the next
 * step boundary on requestCheckpoint()), pause / resume / stop between steps, and a stop on a non-finite loss. Runtime-neutral (Web Worker or Node).
 *
 * Determinism: the training order of epoch e (0-based) is createRng(seed).fork('data-order').fork(`epoch:${e}`)
 * .permutation(count); the augmentation of global step s (0-based) is augmentBatch({ seed, step: s }). Both are
 * functions of (seed, position) only, so a run resumed from a checkpoint (even mid-epoch) sees the same batches.
 * Dropout masks of step s are seeded from (seed, layer name, s) (./dropout), so they replay too.
 */
import * as tf from '@tensorflow/tfjs'
import type { AugmentPipeline } from '../augment'
import { createRng } from '../random'
import { frozenBatchNorms, holdMovingStatistics } from './batchnorm'
import { assertTrainingConfig } from './config'
import type { TrainingConfig, TrainingConfigInput } from './config'
import { captureCheckpoint, restoreCheckpoint } from './checkpoint'
import type { Checkpoint, CheckpointProgress } from './checkpoint'
import { balancedClassWeights, classCounts } from './balance'
import type { DataBatch, DataSource } from './data'
import { dropoutLayers, seedDropout } from './dropout'
import { evaluate } from './evaluate'
import { correctCount, logitsFunction, softmaxCrossEntropy, weightedSoftmaxCrossEntropy } from './loss'
import type { LogitsFn } from './loss'
import type { CheckpointMeta, TrainCommand, TrainEventSink, TrainMessage } from './messages'
import { TrainOptimizer } from './optimizers'
import { planParams } from './params'
import type { ParamPlan } from './params'
import { trainingInputs } from './preprocess'
import { learningRateAt } from './schedules'

export interface TrainerOptions {
  readonly model: tf.LayersModel
  readonly data: DataSource
  /** Augmentation pipeline for training batches (null / empty = none); validation applies only its normalize steps. */
  readonly pipeline?: AugmentPipeline | null
  readonly config: TrainingConfigInput | TrainingConfig
  readonly sink: TrainEventSink
  /** Continue from this checkpoint (weights, optimizer state, counters). */
  readonly resumeFrom?: Checkpoint
  /** Send a checkpoint message after every epoch (default true). */
  readonly checkpoints?: boolean
  /**
   * Yields to the host's event loop between steps so that commands get through. Default: a macrotask
   * (setImmediate where it exists, else a MessageChannel, else setTimeout 0).
   */
  readonly yieldToHost?: () => Promise<void>
  /** Clock in ms (default Date.now / performance.now). */
  readonly now?: () => number
  /**
   * Sees every training step's input: the 0-based global step, the data batch and the tensors the model trains
   * on. Called inside the step's tidy scope: read the tensors (dataSync) or clone and tf.keep them, don't dispose them.
   */
  readonly observeBatch?: (seen: TrainBatchSeen) => void
}

/** What `observeBatch` gets for one training step. */
export interface TrainBatchSeen {
  readonly step: number
  readonly batch: DataBatch
  readonly images: tf.Tensor4D
  readonly labels: tf.Tensor2D
}

export type TrainStatus = 'done' | 'stopped' | 'failed'

export interface TrainOutcome {
  readonly status: TrainStatus
  readonly reason: string
  /** Steps and epochs completed. */
  readonly step: number
  readonly epoch: number
}

interface EpochAccum {
  lossSum: number
  correct: number
  samples: number
  steps: number
}

type GlobalWithTimers = {
  setImmediate?: (fn: () => void) => unknown
  setTimeout?: (fn: () => void, ms: number) => unknown
  MessageChannel?: new () => { port1: { onmessage: (() => void) | null; close(): void }; port2: { postMessage(v: unknown): void; close(): void } }
  performance?: { now(): number }
}

/** A macrotask yield that works in Node and in a Web Worker without the 1-4 ms timer clamp where possible. */
export function defaultYield(): Promise<void> {
  const g = globalThis as unknown as GlobalWithTimers
  return new Promise<void>((resolve) => {
    if (g.setImmediate) {
      g.setImmediate(resolve)
    } else if (g.MessageChannel) {
      const ch = new g.MessageChannel()
      ch.port1.onmessage = () => {
        ch.port1.close()
        ch.port2.close()
        resolve()
      }
      ch.port2.postMessage(0)
    } else if (g.setTimeout) {
      g.setTimeout(resolve, 0)
    } else {
      resolve()
    }
  })
}

function monotonicNow(): number {
  const p = (globalThis as unknown as GlobalWithTimers).performance
  return p ? p.now() : Date.now()
}

/** Steps per epoch for a split size and batch size. */
export function stepsPerEpochOf(count: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize)
}

/** Training order of epoch `epochIndex` (0-based). */
export function epochOrder(seed: TrainingConfig['seed'], epochIndex: number, count: number): Int32Array {
  return Int32Array.from(createRng(seed).fork('data-order').fork(`epoch:${epochIndex}`).permutation(count))
}

export class Trainer {
  readonly config: TrainingConfig
  readonly model: tf.LayersModel
  readonly data: DataSource
  readonly pipeline: AugmentPipeline | null
  readonly plan: ParamPlan
  readonly optimizer: TrainOptimizer
  readonly stepsPerEpoch: number
  readonly totalSteps: number
  readonly #sink: TrainEventSink
  readonly #logits: LogitsFn
  /** The loss's class weights ('balanced' class weighting), else null. */
  readonly #classWeights: tf.Tensor1D | null = null
  /** Frozen BatchNorm layers: they train in inference mode (moving statistics fixed). */
  readonly #heldNorms: tf.layers.Layer[]
  readonly #dropouts: tf.layers.Layer[]
  readonly #yield: () => Promise<void>
  readonly #clock: () => number
  readonly #emitCheckpoints: boolean
  readonly #trainCount: number
  readonly #observeBatch: ((seen: TrainBatchSeen) => void) | null
  /** Steps completed. */
  #step = 0
  #accum: EpochAccum = { lossSum: 0, correct: 0, samples: 0, steps: 0 }
  #best: CheckpointMeta['best'] = { valAcc: null, trainLoss: null, epoch: null }
  #metrics: CheckpointMeta['metrics'] = null
  #lastCheckpointEpoch: number | null = null
  #paused = false
  #resumeWaiter: (() => void) | null = null
  #stopReason: string | null = null
  #checkpointWanted = false
  #running = false
  #disposed = false

  constructor(options: TrainerOptions) {
    this.config = assertTrainingConfig(options.config)
    this.model = options.model
    this.data = options.data
    this.pipeline = options.pipeline ?? null
    this.#sink = options.sink
    this.#yield = options.yieldToHost ?? defaultYield
    this.#clock = options.now ?? monotonicNow
    this.#emitCheckpoints = options.checkpoints ?? true
    this.#trainCount = options.data.count('train')
    this.#observeBatch = options.observeBatch ?? null
    const { batchSize, dropLast, epochs } = this.config
    this.stepsPerEpoch = stepsPerEpochOf(this.#trainCount, batchSize, dropLast)
    if (this.stepsPerEpoch < 1) {
      throw new Error(`The training split has ${this.#trainCount} samples: not enough for one batch of ${batchSize}${dropLast ? ' (dropLast is on)' : ''}`)
    }
    this.totalSteps = this.stepsPerEpoch * epochs
    this.plan = planParams(options.model, { groups: this.config.groups, decayBiasAndNorm: this.config.decayBiasAndNorm })
    this.optimizer = new TrainOptimizer(this.plan.params, {
      spec: this.config.optimizer,
      weightDecay: this.config.weightDecay,
      clipGradNorm: this.config.clipGradNorm,
    })
    this.#logits = logitsFunction(options.model).fn
    if (this.config.classWeighting === 'balanced') {
      const labels = options.data.labels?.('train')
      if (!labels) throw new Error('Balanced class weights need the training labels, and this data source does not give them')
      this.#classWeights = tf.keep(tf.tensor1d(balancedClassWeights(classCounts(labels, options.data.classes.length))))
    }
    this.#dropouts = dropoutLayers(options.model)
    this.#heldNorms = frozenBatchNorms(options.model, new Set(this.plan.frozen.map((p) => p.name)))
    if (options.resumeFrom !== undefined) {
      const meta = restoreCheckpoint(options.model, this.optimizer, options.resumeFrom)
      if (meta.stepsPerEpoch !== this.stepsPerEpoch) {
        throw new Error(
          `Checkpoint was taken with ${meta.stepsPerEpoch} steps per epoch, this run has ${this.stepsPerEpoch} (the training split or the batch size changed)`,
        )
      }
      this.#step = meta.step
      this.#accum = { ...meta.epochAccum }
      this.#best = { ...meta.best }
      this.#metrics = meta.metrics === null ? null : { ...meta.metrics }
      this.#lastCheckpointEpoch = meta.stepInEpoch === 0 ? meta.epoch : null
    }
  }

  /** Steps completed so far. */
  get step(): number {
    return this.#step
  }

  /** Epochs completed so far. */
  get epoch(): number {
    return Math.floor(this.#step / this.stepsPerEpoch)
  }

  get paused(): boolean {
    return this.#paused
  }

  /** Learning rate (before group multipliers) of the 0-based step `step`. */
  lrAt(step: number): number {
    return learningRateAt(step, this.stepsPerEpoch, this.totalSteps, this.config.schedule, this.config.learningRate)
  }

  command(cmd: TrainCommand): void {
    if (cmd.type === 'pause') this.pause()
    else if (cmd.type === 'resume') this.resume()
    else this.stop(cmd.reason)
  }

  /** Pauses before the next step (takes effect between steps). */
  pause(): void {
    this.#paused = true
  }

  resume(): void {
    this.#paused = false
    const w = this.#resumeWaiter
    this.#resumeWaiter = null
    w?.()
  }

  /** Stops before the next step; run() resolves with status 'stopped'. */
  stop(reason = 'Stopped by the user'): void {
    this.#stopReason = reason
    this.resume()
  }

  /**
   * Asks for a checkpoint at the next step boundary: after the step in progress (or the next one, when paused or
   * between steps) a 'checkpoint' message with `requested: true` is sent. A step that ends an epoch sends the epoch's
   * checkpoint instead, which answers the request.
   */
  requestCheckpoint(): void {
    this.#checkpointWanted = true
  }

  /** The state at the current position (between steps): weights, optimizer state and counters. */
  async checkpoint(): Promise<Checkpoint> {
    return captureCheckpoint(this.model, this.optimizer, this.#progress())
  }

  #progress(): CheckpointProgress {
    const stepInEpoch = this.#step % this.stepsPerEpoch
    return {
      step: this.#step,
      epoch: this.epoch,
      stepInEpoch,
      stepsPerEpoch: this.stepsPerEpoch,
      totalSteps: this.totalSteps,
      seed: this.config.seed,
      dataOrder: 'rng-fork-per-epoch',
      nextLr: this.lrAt(this.#step),
      epochAccum: { ...this.#accum },
      best: { ...this.#best },
      metrics: this.#metrics,
    }
  }

  #post(message: TrainMessage, transfer?: ArrayBuffer[]): void {
    this.#sink.post(message, transfer)
  }

  /** Runs to the end of the configured epochs, a stop command, or a failure. Never throws for training errors. */
  async run(): Promise<TrainOutcome> {
    if (this.#running) throw new Error('Trainer.run: already running')
    if (this.#disposed) throw new Error('Trainer.run: trainer was disposed')
    this.#running = true
    try {
      return await this.#run()
    } catch (e) {
      const reason = `Training failed at step ${this.#step + 1} (epoch ${this.epoch + 1}): ${e instanceof Error ? e.message : String(e)}`
      this.#post({ type: 'failed', cause: 'error', reason, step: this.#step, epoch: this.epoch, lastCheckpointEpoch: this.#lastCheckpointEpoch, time: Date.now() })
      return { status: 'failed', reason, step: this.#step, epoch: this.epoch }
    } finally {
      this.#running = false
    }
  }

  async #run(): Promise<TrainOutcome> {
    const { batchSize, epochs, seed } = this.config
    const spe = this.stepsPerEpoch
    const C = this.data.classes.length
    this.#post({
      type: 'started',
      startStep: this.#step,
      startEpoch: this.epoch,
      totalSteps: this.totalSteps,
      stepsPerEpoch: spe,
      epochs,
      updatedVariables: this.plan.params.length,
      frozenVariables: this.plan.frozen.length,
      time: Date.now(),
    })
    const vars = this.plan.params.map((p) => p.variable)
    for (let e = this.epoch; e < epochs; e++) {
      const epochStart = this.#clock()
      const order = epochOrder(seed, e, this.#trainCount)
      const indicesOf = (b: number) => order.subarray(b * batchSize, Math.min((b + 1) * batchSize, this.#trainCount))
      let b = this.#step - e * spe
      let pending: Promise<DataBatch> | null = prefetch(this.data.batch('train', indicesOf(b)))
      for (; b < spe; b++) {
        // Commands are checked between steps.
        await this.#yield()
        if (this.#paused && this.#stopReason === null) {
          this.#post({ type: 'paused', step: this.#step, epoch: e + 1, time: Date.now() })
          await new Promise<void>((resolve) => {
            this.#resumeWaiter = resolve
          })
          if (this.#stopReason === null) this.#post({ type: 'resumed', step: this.#step, epoch: e + 1, time: Date.now() })
        }
        if (this.#stopReason !== null) {
          return this.#end('stopped', this.#stopReason)
        }
        const t0 = this.#clock()
        const batch = await (pending as Promise<DataBatch>)
        // Prefetch the next batch while this step runs.
        pending = b + 1 < spe ? prefetch(this.data.batch('train', indicesOf(b + 1))) : null
        const stepIndex = this.#step
        const lr = this.lrAt(stepIndex)
        const n = batch.labels.length
        seedDropout(this.#dropouts, seed, stepIndex)
        const readout = tf.tidy(() => {
          const { images, labels } = trainingInputs(batch, this.data.imageShape, C, this.pipeline, seed, stepIndex)
          this.#observeBatch?.({ step: stepIndex, batch, images, labels })
          let correct: tf.Scalar | null = null
          const penalty = this.optimizer.l2Penalty()
          const { value, grads } = tf.variableGrads(() => {
            const logits = holdMovingStatistics(this.#heldNorms, () => this.#logits(images, true))
            correct = tf.keep(correctCount(labels, logits))
            return this.#classWeights ? weightedSoftmaxCrossEntropy(labels, logits, this.#classWeights) : softmaxCrossEntropy(labels, logits)
          }, vars)
          const gradList = this.plan.params.map((p) => {
            const g = grads[p.variable.name]
            if (g == null) throw new Error(`No gradient for ${p.name}: the variable does not reach the loss, or it was made non-trainable after the trainer was created`)
            return g
          })
          const norm = this.optimizer.apply(gradList, lr)
          // `correct` was kept out of variableGrads' scope: dispose it explicitly after use.
          const kept = correct as unknown as tf.Scalar
          const parts = [value, penalty, kept]
          if (norm !== null) parts.push(norm)
          const out = tf.stack(parts)
          kept.dispose()
          norm?.dispose()
          return out
        })
        const values = await readout.data()
        readout.dispose()
        const dataLoss = values[0] as number
        const loss = dataLoss + (values[1] as number)
        const correct = values[2] as number
        const gradNorm = values[3]
        this.#step = stepIndex + 1
        if (!Number.isFinite(loss)) {
          const what = Number.isNaN(loss) ? 'NaN' : 'infinite'
          const kept =
            this.#lastCheckpointEpoch === null
              ? 'no checkpoint was saved yet'
              : `the last good checkpoint from epoch ${this.#lastCheckpointEpoch} is kept`
          const reason = `Loss became ${what} at step ${this.#step} (epoch ${e + 1}): the learning rate ${fmtLr(lr)} is probably too high; ${kept}`
          this.#post({ type: 'failed', cause: 'nan', reason, step: this.#step, epoch: e + 1, lastCheckpointEpoch: this.#lastCheckpointEpoch, time: Date.now() })
          return { status: 'failed', reason, step: this.#step, epoch: this.epoch }
        }
        this.#accum.lossSum += dataLoss * n
        this.#accum.correct += correct
        this.#accum.samples += n
        this.#accum.steps += 1
        const seconds = Math.max(1e-9, (this.#clock() - t0) / 1000)
        this.#post({
          type: 'step',
          step: this.#step,
          epoch: e + 1,
          loss,
          dataLoss,
          acc: n > 0 ? correct / n : 0,
          lr,
          imagesPerSec: n / seconds,
          ...(gradNorm === undefined ? {} : { gradNorm }),
          time: Date.now(),
        })
        if (this.#checkpointWanted && (b + 1 < spe || !this.#emitCheckpoints)) {
          this.#checkpointWanted = false
          const cp = await this.checkpoint()
          this.#post(
            { type: 'checkpoint', epoch: cp.meta.epoch, step: this.#step, best: false, keep: false, requested: true, meta: cp.meta, weights: cp.weights, optimizerState: cp.optimizerState, time: Date.now() },
            [cp.weights, cp.optimizerState],
          )
        }
      }
      await this.#endEpoch(e, epochStart)
    }
    return this.#end('done', `Finished ${epochs} epoch${epochs === 1 ? '' : 's'} (${this.totalSteps} steps)`)
  }

  async #endEpoch(e: number, epochStart: number): Promise<void> {
    const a = this.#accum
    const trainLoss = a.samples > 0 ? a.lossSum / a.samples : NaN
    const trainAcc = a.samples > 0 ? a.correct / a.samples : NaN
    let valLoss: number | null = null
    let valAcc: number | null = null
    if (this.data.count('val') > 0) {
      const r = await evaluate(this.model, this.data, 'val', {
        batchSize: this.config.evalBatchSize ?? this.config.batchSize,
        pipeline: this.pipeline,
        predictions: false,
        logits: this.#logits,
      })
      valLoss = r.loss
      valAcc = r.accuracy
    }
    this.#accum = { lossSum: 0, correct: 0, samples: 0, steps: 0 }
    this.#metrics = { epoch: e + 1, trainLoss, trainAcc, valLoss, valAcc }
    const best =
      valAcc !== null
        ? this.#best.valAcc === null || valAcc > this.#best.valAcc
        : this.#best.trainLoss === null || trainLoss < this.#best.trainLoss
    if (best) this.#best = { valAcc, trainLoss, epoch: e + 1 }
    this.#post({
      type: 'epoch',
      epoch: e + 1,
      step: this.#step,
      trainLoss,
      trainAcc,
      valLoss,
      valAcc,
      lr: this.lrAt(Math.max(0, this.#step - 1)),
      seconds: (this.#clock() - epochStart) / 1000,
      time: Date.now(),
    })
    if (this.#emitCheckpoints) {
      this.#checkpointWanted = false
      const cp = await this.checkpoint()
      const keepEvery = this.config.checkpoint.keepEvery
      const keep = (keepEvery > 0 && (e + 1) % keepEvery === 0) || e + 1 === this.config.epochs
      this.#post(
        { type: 'checkpoint', epoch: e + 1, step: this.#step, best, keep, meta: cp.meta, weights: cp.weights, optimizerState: cp.optimizerState, time: Date.now() },
        [cp.weights, cp.optimizerState],
      )
      this.#lastCheckpointEpoch = e + 1
    }
  }

  #end(status: 'done' | 'stopped', reason: string): TrainOutcome {
    this.#post({ type: status, reason, step: this.#step, epoch: this.epoch, time: Date.now() })
    return { status, reason, step: this.#step, epoch: this.epoch }
  }

  /** Frees the optimizer state (not the model). */
  dispose(): void {
    this.#disposed = true
    this.optimizer.dispose()
    this.#classWeights?.dispose()
  }
}

/**
 * Marks a prefetch as handled so that a rejection arriving before the loop awaits it is not reported as an
 * unhandled rejection; awaiting the returned (same) promise still throws.
 */
function prefetch<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined)
  return p
}

function fmtLr(lr: number): string {
  return Number(lr.toPrecision(3)).toString()
}
