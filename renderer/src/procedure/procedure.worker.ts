/// <reference lib="webworker" />
/**
 * The procedure worker: one job (initial loss + regularization check, overfit a tiny subset, LR sweep, LR range
 * test, init lab, transfer plan) on a design compiled from its graph, with the user's backend (the cards default
 * to WASM: these jobs are short and WebGPU's shader compilation would dominate them). Progress is posted in
 * small batches; the page cancels by terminating the worker.
 */
import * as tf from '@tensorflow/tfjs'
import { env } from '@tensorflow/tfjs'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import {
  checkInitialLoss,
  checkRegularizationRaisesLoss,
  freezePlan,
  gaussianBatch,
  initLab,
  kernelSnapshot,
  lrRangeTest,
  modelFromCheckpoint,
  lrSweep,
  overfitTinySubset,
  transferWeights,
  updateRatios,
} from '@shared/procedure'
import type { InitLabResult } from '@shared/procedure'
import { compileGraph } from '@shared/tfjs/compile'
import { registerWasmTrainingKernels } from '@shared/tfjs/wasm'
import type { CheckpointMeta } from '@shared/train/messages'
import type { OptimizerSpec } from '@shared/train'
import { startBackend } from '../backend/backends'
import { fetchDataFile } from '../api/data-file'
import { CacheDataSource } from '../train/cache-source'
import type { WorkerData } from '../train/protocol'
import { serve, type CallContext } from '../workers/serve'
import type { JobResult, ProcedureJob, ProcedureMethods, ProgressPoint } from './protocol'

type Reporter = CallContext<ProcedureMethods['run']['progress']>

/** Buffers progress points and posts them at most every 150 ms. */
class Progress {
  constructor(private readonly ctx: Reporter) {}
  #points: ProgressPoint[] = []
  #last = 0
  #text = ''
  #fraction: number | null = null
  push(text: string, fraction: number | null, point?: ProgressPoint): void {
    this.#text = text
    this.#fraction = fraction
    if (point) this.#points.push(point)
    const now = performance.now()
    if (now - this.#last > 150) this.flush()
  }
  flush(): void {
    this.#last = performance.now()
    this.ctx.progress({ type: 'progress', text: this.#text, fraction: this.#fraction, points: this.#points })
    this.#points = []
  }
}

async function chooseBackend(choice: ProcedureJob['backend'], ctx: Reporter): Promise<void> {
  registerWasmTrainingKernels()
  env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
  try {
    setThreadsCount(1)
  } catch {
    // already initialised
  }
  const probe = await startBackend(choice)
  if (probe.backend === null) throw new Error(`No TF.js backend works here: ${probe.tried.map((t) => `${t.backend}: ${t.error ?? 'ok'}`).join('; ')}`)
  ctx.progress({ type: 'backend', backend: probe.backend })
}

async function loadData(d: WorkerData): Promise<CacheDataSource> {
  const images = await fetchDataFile(d.url)
  return new CacheDataSource({ images, classes: d.classes, shape: d.shape, train: d.train, val: d.val })
}

function build(job: ProcedureJob, classes?: number): tf.LayersModel {
  const model = compileGraph(job.graph, { seed: job.seed }).model
  if (classes !== undefined) {
    const out = model.outputs[0]?.shape.at(-1)
    if (out !== classes) {
      model.dispose()
      throw new Error(`The design outputs ${String(out)} values but the dataset has ${classes} classes: set the Output (classifier) node's Classes to ${classes}`)
    }
  }
  return model
}

async function run(job: ProcedureJob, ctx: Reporter): Promise<JobResult> {
  const progress = new Progress(ctx)
  progress.push('Starting the backend…', null)
  await chooseBackend(job.backend, ctx)
  switch (job.kind) {
    case 'initial-loss': {
      progress.push('Loading the dataset…', null)
      const data = await loadData(job.data)
      const model = build(job, data.classes.length)
      try {
        progress.push('Measuring the loss before training…', 0.3)
        const initial = await checkInitialLoss(model, data, { pipeline: job.pipeline })
        progress.push('Raising the regularization…', 0.7)
        const regularization = await checkRegularizationRaisesLoss(model, data, { pipeline: job.pipeline })
        return { kind: 'initial-loss', value: { initial, regularization } }
      } finally {
        model.dispose()
      }
    }
    case 'overfit': {
      progress.push('Loading the dataset…', null)
      const data = await loadData(job.data)
      const model = build(job, data.classes.length)
      try {
        const value = await overfitTinySubset(model, data, {
          examples: job.examples,
          maxSteps: job.maxSteps,
          lr: job.lr,
          optimizer: job.optimizer as OptimizerSpec,
          seed: job.seed,
          pipeline: job.pipeline,
          onStep: (s, loss) => progress.push(`Step ${s + 1} of at most ${job.maxSteps}: loss ${loss.toFixed(4)}`, (s + 1) / job.maxSteps, { series: 'loss', step: s + 1, loss }),
        })
        progress.flush()
        return { kind: 'overfit', value }
      } finally {
        model.dispose()
      }
    }
    case 'lr-sweep': {
      progress.push('Loading the dataset…', null)
      const data = await loadData(job.data)
      const model = build(job, data.classes.length)
      try {
        const n = job.rates.length
        const value = await lrSweep(model, data, {
          rates: job.rates,
          iterations: job.iterations,
          batchSize: job.batchSize,
          weightDecay: job.weightDecay,
          optimizer: job.optimizer as OptimizerSpec,
          seed: job.seed,
          pipeline: job.pipeline,
          onProgress: (rate, it, loss) => {
            const i = job.rates.indexOf(rate)
            progress.push(`Rate ${rate} (${i + 1} of ${n}), iteration ${it} of ${job.iterations}`, (i * job.iterations + it) / (n * job.iterations), { series: String(rate), step: it, loss })
          },
        })
        progress.flush()
        return { kind: 'lr-sweep', value }
      } finally {
        model.dispose()
      }
    }
    case 'range-test': {
      progress.push('Loading the dataset…', null)
      const data = await loadData(job.data)
      const model = build(job, data.classes.length)
      try {
        progress.push(`Raising the rate from ${job.minLr} to ${job.maxLr} over ${job.steps} steps…`, null)
        const value = await lrRangeTest(model, data, { minLr: job.minLr, maxLr: job.maxLr, steps: job.steps, batchSize: job.batchSize, optimizer: job.optimizer as OptimizerSpec, seed: job.seed, pipeline: job.pipeline })
        return { kind: 'range-test', value }
      } finally {
        model.dispose()
      }
    }
    case 'init-lab': {
      progress.push('Building the model…', 0)
      const model = build(job)
      const inputShape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[]
      const x = gaussianBatch([job.samples, ...inputShape], job.seed)
      const out: InitLabResult[] = []
      try {
        // One initializer at a time on the same model and input: no cache of draws (the 6x4096 MLP is 84M
        // parameters: a second copy of its weights would double the memory).
        for (let i = 0; i < job.schemes.length; i++) {
          const scheme = job.schemes[i]!
          progress.push(`Initializer ${i + 1} of ${job.schemes.length}: re-initializing and running a forward pass…`, i / job.schemes.length)
          progress.flush()
          const r = await initLab(model, { scheme, input: x, seed: job.seed, bins: job.bins })
          out.push(r)
          progress.push(`Initializer ${i + 1} of ${job.schemes.length} done`, (i + 1) / job.schemes.length, { lab: r })
          progress.flush()
        }
        return { kind: 'init-lab', value: out }
      } finally {
        x.dispose()
        model.dispose()
      }
    }
    case 'trained-lab': {
      progress.push('Building the run’s initial model (its graph and seed)…', 0.1)
      const init = build(job)
      let trained: tf.LayersModel | null = null
      const inputShape = (init.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[]
      const x = gaussianBatch([job.samples, ...inputShape], 'trained-lab')
      try {
        const before = await kernelSnapshot(init)
        progress.push('Activations at the initial weights…', 0.3)
        const atInit = await initLab(init, { input: x, bins: job.bins })
        progress.push('Loading the checkpoint…', 0.5)
        trained = modelFromCheckpoint({ meta: job.checkpoint.meta as CheckpointMeta, weights: job.checkpoint.weights, optimizerState: job.checkpoint.optimizerState }, job.graph)
        const after = await kernelSnapshot(trained)
        progress.push('Activations at the trained weights…', 0.7)
        const trainedStats = await initLab(trained, { input: x, bins: job.bins })
        return { kind: 'trained-lab', value: { atInit: { ...atInit, label: 'at init' }, trained: { ...trainedStats, label: 'trained' }, ratios: updateRatios(before, after) } }
      } finally {
        x.dispose()
        init.dispose()
        trained?.dispose()
      }
    }
    case 'transfer-plan': {
      progress.push('Loading the checkpoint and building both models…', null)
      const { model, report } = transferWeights(
        { checkpoint: { meta: job.source.meta as CheckpointMeta, weights: job.source.weights, optimizerState: job.source.optimizerState }, graph: job.source.graph },
        job.graph,
        { newClasses: job.classes, seed: job.seed },
      )
      try {
        const plan = freezePlan(model, job.freeze, { pretrainedLrMultiplier: job.lrMultiplier })
        return { kind: 'transfer-plan', value: { report, plan } }
      } finally {
        model.dispose()
      }
    }
  }
}

// One job per worker (the page starts a worker for each and terminates it to cancel).
serve<ProcedureMethods>({ run })
