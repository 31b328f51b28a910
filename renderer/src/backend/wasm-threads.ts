/**
 * Threads for the WASM backend in the renderer's workers.
 *
 * tfjs-backend-wasm picks its multi-threaded binary (XNNPACK thread pool on Emscripten pthreads) when
 * SharedArrayBuffer is usable, i.e. in a cross-origin isolated page: both hosts send COOP/COEP (see
 * main/host/renderer-headers.ts). In the bundled app the pthread workers load the Emscripten factory from the
 * original script served as an asset (see ./wasm-threaded-factory.ts and electron.vite.config.ts).
 *
 * Call `configureWasmThreads` before the first `tf.setBackend('wasm')` of a worker. One thread (the policy's
 * answer on a 2-core machine) uses the single-threaded SIMD binary: same speed, no pthread workers.
 */
import { env } from '@tensorflow/tfjs'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { wasmThreadsPolicy } from '@shared/tfjs/wasm/init'

export interface WasmThreadsPlan {
  /** Threads asked of XNNPACK (1: the single-threaded binary). */
  readonly threads: number
  /** Why the single-threaded binary is used (null when threads > 1). */
  readonly reason: string | null
}

function isolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
}

/**
 * Decides the WASM thread count: `requested`, else half of the logical cores (at least 1). Falls back to the
 * single-threaded binary, with the reason, when the page is not cross-origin isolated or one thread is wanted.
 * Has no effect once the WASM backend is initialised in this worker.
 */
export function configureWasmThreads(requested?: number): WasmThreadsPlan {
  const wanted =
    requested !== undefined && Number.isFinite(requested) ? Math.max(1, Math.floor(requested)) : wasmThreadsPolicy(navigator.hardwareConcurrency)
  let plan: WasmThreadsPlan
  if (!isolated()) {
    plan = { threads: 1, reason: 'the page is not cross-origin isolated (no SharedArrayBuffer)' }
  } else if (wanted <= 1) {
    plan = { threads: 1, reason: `1 thread wanted (half of ${navigator.hardwareConcurrency} logical cores)` }
  } else {
    plan = { threads: wanted, reason: null }
  }
  if (plan.threads <= 1) env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
  setThreadsCount(plan.threads)
  return plan
}
