/// <reference lib="webworker" />
/**
 * The training worker, the browser shell of worker-run.ts: starts the TF.js backend it is told (the page resolves
 * the studio's setting; 'auto' here applies the Auto rule of backend/auto.ts without a speed probe; a backend that
 * fails falls back in the order WebGPU -> WebGL -> WASM -> CPU) and fetches the dataset cache once; WorkerRun
 * does the rest. It serves the shared worker protocol (../workers/serve.ts): one `train` call per worker.
 */
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { registerWasmTrainingKernels } from '@shared/tfjs/wasm'
import { fetchDataFile } from '../api/data-file'
import { startBackend, wasmThreadsFallbackReason } from '../backend/backends'
import { BACKEND_LABELS } from '../backend/labels'
import { configureWasmThreads } from '../backend/wasm-threads'
import { serve } from '../workers/serve'
import type { TrainMethods, TrainRequest } from './protocol'
import { WorkerRun, type BackendEvent } from './worker-run'

declare const self: DedicatedWorkerGlobalScope

async function chooseBackend(choice: TrainRequest['backend']): Promise<Omit<BackendEvent, 'type' | 'ms'>> {
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
  return { backend: probe.backend, reason, adapter: probe.adapter, tried: probe.tried, wasmThreads, crossOriginIsolated: isolated }
}

serve<TrainMethods>({ train: WorkerRun.train({ startBackend: chooseBackend, fetchData: fetchDataFile }) })
