/// <reference lib="webworker" />
/**
 * The training worker: starts the TF.js backend it is told (the page resolves the studio's setting; 'auto' here
 * applies the Auto rule of backend/auto.ts without a speed probe; a backend that fails falls back in the order
 * WebGPU -> WebGL -> WASM -> CPU),
 * fetches the dataset cache once, compiles the design, and runs shared/train's Trainer, posting the engine's
 * messages to the page (checkpoint buffers transferred). Commands (pause / resume / stop) reach the trainer
 * between steps; a 'checkpoint' command pauses it between two steps, sends that position as 'mid-checkpoint' and
 * resumes it, the pause hidden from the page.
 */
import * as tf from '@tensorflow/tfjs'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { freezePlan, transferWeights } from '@shared/procedure/transfer'
import type { TransferReport } from '@shared/procedure/transfer'
import { assertDatasetFit } from '@shared/graph/fit'
import { compileGraph } from '@shared/tfjs/compile'
import { registerWasmTrainingKernels } from '@shared/tfjs/wasm'
import { Trainer } from '@shared/train/trainer'
import type { TrainMessage } from '@shared/train/messages'
import { fetchDataFile } from '../api/data-file'
import { startBackend, wasmThreadsFallbackReason } from '../backend/backends'
import { BACKEND_LABELS } from '../backend/labels'
import { configureWasmThreads } from '../backend/wasm-threads'
import { CacheDataSource } from './cache-source'
import type { StartCommand, WorkerCommand, WorkerEvent } from './protocol'

declare const self: DedicatedWorkerGlobalScope

let trainer: Trainer | null = null
let started = false
/** A stop that arrived before the trainer existed (during setup). */
let earlyStop: string | null = null
/** Paused by a command of the page (not by a checkpoint request). */
let userPaused = false
/** A checkpoint request: 'wanted' until the trainer stops between steps, then 'taking' until it is sent. */
let snapshot: 'wanted' | 'taking' | null = null
/** The 'resumed' message that follows a checkpoint's pause is not the user's: it is not forwarded. */
let hideResumed = false
let snapshotDone: Promise<void> = Promise.resolve()

/**
 * The engine's messages to the page, less the pause a checkpoint request makes: the trainer is paused (so the
 * checkpoint is taken between two steps, never while a step changes the weights), the checkpoint sent, and the
 * trainer resumed, unless the user paused it meanwhile.
 */
function forward(m: TrainMessage, transfer?: ArrayBuffer[]): void {
  if (m.type === 'paused' && snapshot === 'wanted' && trainer) {
    snapshot = 'taking'
    const t = trainer
    snapshotDone = (async () => {
      try {
        const cp = await t.checkpoint()
        post({ type: 'mid-checkpoint', meta: cp.meta, weights: cp.weights, optimizerState: cp.optimizerState }, [cp.weights, cp.optimizerState])
      } catch {
        // the run goes on; its epoch checkpoints are still saved
      }
      snapshot = null
      if (userPaused) post(m)
      else {
        hideResumed = true
        t.resume()
      }
    })()
    return
  }
  if (m.type === 'resumed' && hideResumed) {
    hideResumed = false
    return
  }
  post(m, transfer)
}

function post(event: WorkerEvent, transfer: ArrayBuffer[] = []): void {
  self.postMessage(event, transfer)
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

async function chooseBackend(choice: StartCommand['backend']): Promise<void> {
  post({ type: 'phase', phase: 'backend', time: Date.now() })
  const t0 = performance.now()
  // WASM: the studio's training kernels (tfjs-backend-wasm 4.22 lacks some gradients), and threads: half of the
  // logical cores when the page is cross-origin isolated (see backend/wasm-threads.ts), else single-threaded.
  registerWasmTrainingKernels()
  const isolated = self.crossOriginIsolated === true
  const plan = configureWasmThreads()
  const probe = await startBackend(choice)
  if (probe.backend === null) {
    throw new Error(`No TF.js backend works here: ${probe.tried.map((t) => `${t.backend}: ${t.error ?? 'ok'}`).join('; ')}`)
  }
  let wasmThreads: number | null = null
  if (probe.backend === 'wasm') {
    try {
      wasmThreads = getThreadsCount()
    } catch {
      wasmThreads = 1
    }
    const reason = wasmThreadsFallbackReason() ?? plan.reason
    if (reason !== null) console.info(`WASM backend single-threaded: ${reason}`)
  }
  const asked = probe.decision.backend
  const reason = probe.backend === asked ? probe.decision.reason : `${BACKEND_LABELS[asked]} did not start (${probe.tried[0]?.error ?? 'unknown error'})`
  post({ type: 'backend', backend: probe.backend, reason, adapter: probe.adapter, tried: probe.tried, wasmThreads, crossOriginIsolated: isolated, ms: performance.now() - t0 })
}


/**
 * Transfer start: copies the source checkpoint's matching layers into `model` (not when resuming: the run's own
 * checkpoint restores every weight) and returns the config with the freeze plan's groups first (first match wins).
 */
function applyTransfer(cmd: StartCommand, model: tf.LayersModel): StartCommand['config'] {
  const init = cmd.init!
  let report: TransferReport | null = null
  if (init.source && !cmd.resume) {
    const { checkpoint, graph } = init.source
    report = transferWeights({ checkpoint: { meta: checkpoint.meta, weights: checkpoint.weights, optimizerState: checkpoint.optimizerState }, graph }, model, { seed: init.seed }).report
  }
  const plan = freezePlan(model, init.freeze, { pretrainedLrMultiplier: init.pretrainedLrMultiplier })
  post({ type: 'transfer', report, plan, time: Date.now() })
  return { ...cmd.config, groups: [...plan.groups, ...(cmd.config.groups ?? [])] }
}

async function start(cmd: StartCommand): Promise<void> {
  let model: tf.LayersModel | null = null
  try {
    await chooseBackend(cmd.backend)
    post({ type: 'phase', phase: 'data', time: Date.now() })
    const t1 = performance.now()
    const images = await fetchDataFile(cmd.data.url)
    const data = new CacheDataSource({ images, classes: cmd.data.classes, shape: cmd.data.shape, train: cmd.data.train, val: cmd.data.val })
    const dataMs = performance.now() - t1
    post({ type: 'phase', phase: 'compile', time: Date.now() })
    const t2 = performance.now()
    // Seeded initializers: the same run seed gives the same initial weights here and in the `studio` command.
    assertDatasetFit(cmd.graph, { shape: cmd.data.shape, classes: cmd.data.classes.length })
    model = compileGraph(cmd.graph, { seed: cmd.config.seed }).model
    const inShape = model.inputs[0]?.shape.slice(1) ?? []
    const [h, w, c] = cmd.data.shape
    if (inShape.length !== 3 || inShape[0] !== h || inShape[1] !== w || inShape[2] !== c) {
      throw new Error(`The design takes ${inShape.join('x')} inputs but the dataset's images are ${h}x${w}x${c}: change the design's Input shape to ${h}x${w}x${c}`)
    }
    const outUnits = model.outputs[0]?.shape.at(-1)
    if (outUnits !== cmd.data.classes.length) {
      throw new Error(`The design outputs ${String(outUnits)} values but the dataset has ${cmd.data.classes.length} classes: set the Output (classifier) node's Classes to ${cmd.data.classes.length}`)
    }
    const config = cmd.init ? applyTransfer(cmd, model) : cmd.config
    const compileMs = performance.now() - t2
    trainer = new Trainer({
      model,
      data,
      pipeline: cmd.pipeline,
      config,
      resumeFrom: cmd.resume,
      sink: { post: (m: TrainMessage, transfer?: ArrayBuffer[]) => forward(m, transfer) },
    })
    post({ type: 'ready', dataMs, compileMs, params: model.countParams(), time: Date.now() })
    if (earlyStop !== null) trainer.stop(earlyStop)
  } catch (e) {
    post({ type: 'setup-failed', reason: message(e), time: Date.now() })
    model?.dispose()
    post({ type: 'exit', time: Date.now() })
    return
  }
  const outcome = await trainer.run()
  await snapshotDone
  if (outcome.status === 'stopped' && outcome.step > 0) {
    try {
      const cp = await trainer.checkpoint()
      post({ type: 'stop-checkpoint', meta: cp.meta, weights: cp.weights, optimizerState: cp.optimizerState }, [cp.weights, cp.optimizerState])
    } catch {
      // the run can still resume from its last epoch checkpoint
    }
  }
  trainer.dispose()
  model.dispose()
  post({ type: 'exit', time: Date.now() })
}

self.onmessage = (event: MessageEvent<WorkerCommand>) => {
  const cmd = event.data
  if (cmd.type === 'start') {
    if (started) return
    started = true
    void start(cmd)
  } else if (cmd.type === 'checkpoint') {
    if (trainer && snapshot === null && !userPaused && !trainer.paused) {
      snapshot = 'wanted'
      trainer.pause()
    }
  } else if (trainer) {
    if (cmd.type === 'pause') userPaused = true
    else if (cmd.type === 'resume') userPaused = false
    if (cmd.type === 'resume' && snapshot !== null) return // the checkpoint's pause ends by itself
    trainer.command(cmd)
  } else if (cmd.type === 'stop') {
    earlyStop = cmd.reason ?? 'Stopped by the user'
  }
}
