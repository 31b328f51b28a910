/**
 * A page-level hook for diagnostics (the e2e suite, a developer's console): `window.__cnnStudioDiagnostics`.
 * Nothing in the app calls it. `wasmThreads(n)` starts a throwaway worker that initialises the WASM backend as
 * the training worker does, with `n` threads (default: the app's policy), runs a conv2d and reports what it got.
 */
import { workerClient } from '../workers/client'
import type { Method } from '../workers/protocol'
import type { BackendName } from './labels'
import type { WasmThreadsPlan } from './wasm-threads'

export interface WasmThreadsReport {
  crossOriginIsolated: boolean
  hardwareConcurrency: number
  requested: number | null
  plan: WasmThreadsPlan
  backend: BackendName | null
  tried: { backend: BackendName; error: string | null }[]
  /** `tf.wasm.getThreadsCount()` after initialisation (null when WASM did not initialise). */
  threads: number | null
  /** Whether tfjs loaded the multi-threaded binary. */
  multithreadBinary: boolean
  /** A conv2d on WASM and its largest difference from the CPU backend's. */
  conv2d: { sum: number; maxAbsDiffVsCpu: number } | null
  ms: number
}

/** The diagnostics worker's one method (./diagnostics.worker.ts). */
export type DiagnosticsMethods = {
  wasmThreads: Method<{ readonly threads?: number | undefined; readonly logicalCores?: number | undefined }, WasmThreadsReport>
}

export interface StudioDiagnostics {
  /**
   * `threads`: asked of the WASM backend (default: the app's policy). `logicalCores`: emulated
   * `navigator.hardwareConcurrency` in the diagnostics worker (tfjs caps its pool at half of it).
   */
  wasmThreads(threads?: number, logicalCores?: number): Promise<WasmThreadsReport>
}

declare global {
  interface Window {
    __cnnStudioDiagnostics?: StudioDiagnostics
  }
}

// A throwaway worker per report: the emulated core count must not leak into another one.
const diagnosticsWorker = workerClient<DiagnosticsMethods>(() => new Worker(new URL('./diagnostics.worker.ts', import.meta.url), { type: 'module' }), {
  perCall: true,
  crashed: (detail) => `diagnostics worker failed: ${detail}`,
})

function wasmThreads(threads?: number, logicalCores?: number): Promise<WasmThreadsReport> {
  return diagnosticsWorker.call('wasmThreads', { threads, logicalCores })
}

export function installDiagnostics(): void {
  if (typeof window === 'undefined') return
  window.__cnnStudioDiagnostics = { wasmThreads }
}
