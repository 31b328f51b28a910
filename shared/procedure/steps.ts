/**
 * The short training loop shared by the procedure tools (overfit a tiny subset, LR sweep, LR range test,
 * search trials). It is made of the training engine's own pieces (planParams, TrainOptimizer with its
 * coupled/decoupled weight decay and groups, logitsFunction, softmaxCrossEntropy, trainingInputs, epochOrder)
 * so a step here is the same update on the same inputs as a `Trainer` step (the run's pipeline at (seed, step):
 * augmentation and normalize), but it runs a fixed number of STEPS with a per-step
 * learning rate (the range test raises it every step), no validation pass, no checkpoints, and a per-step
 * stop callback (early stop, divergence). Runtime-neutral (Web Worker or Node).
 */
import * as tf from '@tensorflow/tfjs'
import type { AugmentPipeline } from '../augment'
import {
  defaultYield,
  epochOrder,
  logitsFunction,
  optimizerSpecSchema,
  planParams,
  softmaxCrossEntropy,
  trainingInputs,
  TrainOptimizer,
} from '../train'
import type { DataBatch, DataSource, DataSplit, OptimizerSpecInput, ParamGroup } from '../train'

/** A model, or a function that builds a fresh one (then the procedure disposes it when done). */
export type ModelSource = tf.LayersModel | (() => tf.LayersModel)

export function isModel(m: ModelSource): m is tf.LayersModel {
  return typeof m !== 'function'
}

/** Runs `fn` on the model (built from the factory when one is given, and then disposed). */
export async function withModel<T>(source: ModelSource, fn: (model: tf.LayersModel) => Promise<T>): Promise<T> {
  if (isModel(source)) return fn(source)
  const model = source()
  try {
    return await fn(model)
  } finally {
    model.dispose()
  }
}

/** Copies of every model weight (trainable and not), in model.weights order: restore with `restoreWeights`. */
export interface WeightSnapshot {
  readonly tensors: readonly tf.Tensor[]
  dispose(): void
}

export function snapshotWeights(model: tf.LayersModel): WeightSnapshot {
  const tensors = model.weights.map((w) => tf.keep(w.read().clone()))
  return {
    tensors,
    dispose: () => tf.dispose(tensors as tf.Tensor[]),
  }
}

export function restoreWeights(model: tf.LayersModel, snap: WeightSnapshot): void {
  model.weights.forEach((w, i) => {
    const t = snap.tensors[i]
    if (t === undefined) throw new Error('restoreWeights: the snapshot was taken from a different model')
    w.write(t)
  })
}

/**
 * A view of `data`: the training split restricted to `indices` (in that order), no validation or test split.
 * Used for "overfit N examples" and for short runs that must not spend time on validation.
 */
export class SubsetSource implements DataSource {
  readonly classes: readonly string[]
  readonly imageShape: readonly [number, number, number]
  readonly #data: DataSource
  readonly #indices: Int32Array

  constructor(data: DataSource, indices: Int32Array | readonly number[]) {
    this.#data = data
    this.#indices = Int32Array.from(indices)
    this.classes = data.classes
    this.imageShape = data.imageShape
  }

  count(split: DataSplit): number {
    return split === 'train' ? this.#indices.length : 0
  }

  batch(split: DataSplit, indices: Int32Array): Promise<DataBatch> {
    if (split !== 'train') return Promise.reject(new Error(`SubsetSource: no ${split} split`))
    return this.#data.batch('train', Int32Array.from(indices, (i) => this.#indices[i] as number))
  }
}

export interface StepRunOptions {
  /** Number of update steps. */
  readonly steps: number
  readonly batchSize: number
  /** A constant learning rate or one per 0-based step. */
  readonly lr: number | ((step: number) => number)
  readonly optimizer?: OptimizerSpecInput
  readonly weightDecay?: number
  readonly groups?: readonly ParamGroup[]
  /** Data order and augmentation seed (a new permutation of the split every pass, as the Trainer does). */
  readonly seed?: number | string
  /**
   * The run's pipeline, applied as the Trainer applies it at each step (augmentation and normalize). Pass
   * `evalPipeline(pipeline)` to train on the deterministic inputs only (normalize, no augmentation).
   */
  readonly pipeline?: AugmentPipeline | null
  /**
   * Called after every step with the 0-based step and its loss (data loss + L2 penalty); return true to stop.
   * A non-finite loss always stops the run (status 'diverged').
   */
  readonly onStep?: (step: number, loss: number, lr: number) => boolean | void
  /** Yield between steps (default: the engine's macrotask yield; pass `async () => {}` to skip). */
  readonly yieldToHost?: () => Promise<void>
  /** Checked between steps; true stops the run (status 'stopped'). */
  readonly shouldStop?: () => boolean
}

export interface StepPoint {
  /** 1-based step number (as in the Trainer's step messages). */
  readonly step: number
  readonly lr: number
  /** Data loss + weight-decay penalty (what the engine reports as `loss`). */
  readonly loss: number
  /** Cross-entropy only. */
  readonly dataLoss: number
  readonly acc: number
}

export interface StepRunResult {
  /** done: all steps; diverged: a NaN/infinite loss; stopped: onStep or shouldStop asked to stop. */
  readonly status: 'done' | 'diverged' | 'stopped'
  readonly points: StepPoint[]
}

/** The training-split indices of 0-based step s for `runSteps` (a fresh epochOrder permutation every pass). */
function stepIndices(seed: number | string, count: number, bs: number): (s: number) => Int32Array {
  const perPass = Math.ceil(count / bs)
  let order: Int32Array | null = null
  let orderPass = -1
  return (s: number) => {
    const pass = Math.floor(s / perPass)
    if (order === null || pass !== orderPass) {
      order = epochOrder(seed, pass, count)
      orderPass = pass
    }
    const b = s % perPass
    return order.subarray(b * bs, Math.min((b + 1) * bs, count))
  }
}

/**
 * The data loss of `runSteps`' first step before its update: the first batch, through the same inputs, in
 * training mode (BatchNorm on batch statistics, Dropout active), at the current weights. This is the "initial
 * loss" to compare step losses with (like with like). A training-mode forward pass updates BatchNorm's moving
 * statistics: snapshot and restore the weights around it when they matter.
 */
export async function firstStepLoss(
  model: tf.LayersModel,
  data: DataSource,
  options: Pick<StepRunOptions, 'batchSize' | 'seed' | 'pipeline'>,
): Promise<number> {
  const count = data.count('train')
  if (count < 1) throw new Error('firstStepLoss: the training split is empty')
  const bs = Math.max(1, Math.min(options.batchSize, count))
  const seed = options.seed ?? 0
  const batch = await data.batch('train', stepIndices(seed, count, bs)(0))
  const { fn: logits } = logitsFunction(model)
  const t = tf.tidy(() => {
    const x = trainingInputs(batch, data.imageShape, data.classes.length, options.pipeline, seed, 0)
    return softmaxCrossEntropy(x.labels, logits(x.images, true))
  })
  const v = (await t.data())[0] as number
  t.dispose()
  return v
}

/** Trains `model` in place for `steps` steps on the training split of `data`. */
export async function runSteps(model: tf.LayersModel, data: DataSource, options: StepRunOptions): Promise<StepRunResult> {
  const optimizerSpec = optimizerSpecSchema.parse(options.optimizer ?? { type: 'sgd' })
  const plan = planParams(model, { groups: options.groups ?? [] })
  const opt = new TrainOptimizer(plan.params, { spec: optimizerSpec, weightDecay: options.weightDecay ?? 0, clipGradNorm: null })
  const { fn: logits } = logitsFunction(model)
  const vars = plan.params.map((p) => p.variable)
  const count = data.count('train')
  const bs = Math.max(1, Math.min(options.batchSize, count))
  if (count < 1) throw new Error('runSteps: the training split is empty')
  const seed = options.seed ?? 0
  const pipeline = options.pipeline ?? null
  const C = data.classes.length
  const lrAt = typeof options.lr === 'number' ? ((v: number) => () => v)(options.lr) : options.lr
  const yieldToHost = options.yieldToHost ?? defaultYield
  const points: StepPoint[] = []
  const indicesOf = stepIndices(seed, count, bs)
  try {
    for (let s = 0; s < options.steps; s++) {
      await yieldToHost()
      if (options.shouldStop?.() === true) return { status: 'stopped', points }
      const batch = await data.batch('train', indicesOf(s))
      const lr = lrAt(s)
      const n = batch.labels.length
      const out = tf.tidy(() => {
        const t = trainingInputs(batch, data.imageShape, C, pipeline, seed, s)
        const penalty = opt.l2Penalty()
        let correct: tf.Scalar | null = null
        const { value, grads } = tf.variableGrads(() => {
          const z = logits(t.images, true)
          correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(z, -1), tf.argMax(t.labels, -1)), 'float32')))
          return softmaxCrossEntropy(t.labels, z)
        }, vars)
        const list = plan.params.map((p) => {
          const g = grads[p.variable.name]
          if (g == null) throw new Error(`No gradient for ${p.name}`)
          return g
        })
        opt.apply(list, lr)
        const kept = correct as unknown as tf.Scalar
        const r = tf.stack([value, penalty, kept])
        kept.dispose()
        return r
      })
      const v = await out.data()
      out.dispose()
      const dataLoss = v[0] as number
      const loss = dataLoss + (v[1] as number)
      points.push({ step: s + 1, lr, loss, dataLoss, acc: n > 0 ? (v[2] as number) / n : 0 })
      if (!Number.isFinite(loss)) return { status: 'diverged', points }
      if (options.onStep?.(s, loss, lr) === true) return { status: 'stopped', points }
    }
    return { status: 'done', points }
  } finally {
    opt.dispose()
  }
}

/** Mean of the last `fraction` of the values (at least one), ignoring non-finite ones (NaN when none). */
export function tailMean(values: readonly number[], fraction = 0.1): number {
  const k = Math.max(1, Math.round(values.length * fraction))
  const tail = values.slice(-k).filter(Number.isFinite)
  return tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN
}

/** Mean of the first `k` values (finite ones only). */
export function headMean(values: readonly number[], k: number): number {
  const head = values.slice(0, Math.max(1, k)).filter(Number.isFinite)
  return head.length ? head.reduce((a, b) => a + b, 0) / head.length : NaN
}

/** Short number for messages: 3 significant digits. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x)
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2).replace(/\.?0+e/, 'e')
  return Number(x.toPrecision(3)).toString()
}
