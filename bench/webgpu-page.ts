/**
 * The page of bench/webgpu.ts (bundled with esbuild, served from 127.0.0.1 so WebGPU exists): trains the bench
 * models with the studio's own Trainer on TF.js WebGPU and reports images/s over timed steps and a per-kernel
 * profile. `window.benchWebgpu(options)` runs it and resolves with the report.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-webgpu'
import { compileGraph } from '../shared/tfjs/compile'
import { Trainer, type TrainMessage } from '../shared/train/index'
import { benchPipeline } from './bench-cnn'
import { BENCH_MODELS, summarizeProfile, syntheticSource, type BenchModelSpec, type KernelProfile } from './bench-models'

export interface WebgpuBenchOptions {
  readonly models: readonly ('cnn' | 'resnet20')[]
  readonly warmup: number
  readonly steps: number
  readonly profileSteps: number
  /** Batch per model; the model's default where absent. */
  readonly batch: Partial<Record<'cnn' | 'resnet20', number>>
}

export interface WebgpuModelReport {
  readonly model: string
  readonly description: string
  readonly batch: number
  readonly parameters: number
  readonly firstStepMs: number
  readonly timedSteps: number
  readonly imagesPerSec: number
  readonly msPerStep: number
  readonly profile: KernelProfile
}

export interface WebgpuBenchReport {
  readonly backend: string
  readonly adapter: string
  readonly models: WebgpuModelReport[]
}

function trainer(model: BenchModelSpec, batch: number, steps: number, post: (m: TrainMessage) => void) {
  const net = compileGraph(model.document(), { seed: 1 }).model
  const t = new Trainer({
    model: net,
    data: syntheticSource(model, steps * batch),
    pipeline: benchPipeline(model.shape[2]),
    config: { epochs: 1, batchSize: batch, seed: 1, learningRate: 1e-3, optimizer: { type: 'adam' } },
    sink: { post },
    checkpoints: false,
  })
  return { net, t }
}

async function benchModel(model: BenchModelSpec, options: WebgpuBenchOptions): Promise<WebgpuModelReport> {
  const batch = options.batch[model.name] ?? model.batch
  const stamps: number[] = []
  const t0 = performance.now()
  const run = trainer(model, batch, options.warmup + options.steps, (m) => {
    if (m.type === 'step') stamps.push(performance.now())
  })
  const parameters = run.net.countParams()
  await run.t.run()
  run.t.dispose()
  run.net.dispose()
  const firstStepMs = (stamps[0] ?? t0) - t0
  const start = stamps[options.warmup - 1] ?? t0
  const end = stamps.at(-1) ?? start
  const seconds = (end - start) / 1000
  const timedSteps = stamps.length - options.warmup
  // The profile: a fresh short run (its first step compiles nothing new: the shaders are cached by now).
  const prof = trainer(model, batch, options.profileSteps, () => undefined)
  const info = await tf.profile(async () => {
    await prof.t.run()
    return tf.scalar(0)
  })
  prof.t.dispose()
  prof.net.dispose()
  return {
    model: model.name,
    description: model.description,
    batch,
    parameters,
    firstStepMs: Math.round(firstStepMs),
    timedSteps,
    imagesPerSec: Number(((timedSteps * batch) / seconds).toFixed(1)),
    msPerStep: Number(((seconds * 1000) / timedSteps).toFixed(1)),
    profile: summarizeProfile(info.kernels, options.profileSteps),
  }
}

async function benchWebgpu(options: WebgpuBenchOptions): Promise<WebgpuBenchReport> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend on this browser')
  await tf.ready()
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu
  const adapter = gpu ? await gpu.requestAdapter() : null
  const info = adapter?.info ?? {}
  const models: WebgpuModelReport[] = []
  for (const name of options.models) models.push(await benchModel(BENCH_MODELS[name], options))
  return { backend: tf.getBackend(), adapter: [info['vendor'], info['architecture'], info['device'], info['description']].filter(Boolean).join(' · ') || 'unknown', models }
}

;(globalThis as unknown as { benchWebgpu: typeof benchWebgpu }).benchWebgpu = benchWebgpu
