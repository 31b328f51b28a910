/**
 * One-call setup of the TF.js WASM backend as a training backend.
 *
 * Runtime-neutral: no Node builtins, no DOM. Where the `.wasm` binaries live is the caller's
 * knowledge (a Node caller resolves them from node_modules, a browser/renderer caller passes
 * URLs emitted by its bundler), so they are passed in via `wasmPaths`.
 */
import { env, findBackend, getBackend, ready, setBackend } from '@tensorflow/tfjs'
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { registerWasmTrainingKernels } from './register'
import type { RegisterWasmTrainingKernelsOptions } from './register'
import { WASM_BACKEND_NAME } from './kernel-scope'

export type WasmBinaryName =
  | 'tfjs-backend-wasm.wasm'
  | 'tfjs-backend-wasm-simd.wasm'
  | 'tfjs-backend-wasm-threaded-simd.wasm'

export interface InitWasmBackendOptions {
  /**
   * Passed to tfjs-backend-wasm's `setWasmPaths`: either a directory prefix ending in '/'
   * (e.g. `<node_modules>/@tensorflow/tfjs-backend-wasm/dist/` under Node, or a URL prefix in a
   * browser) or a map from each of the three binary names to its full path/URL. Omit to keep
   * tfjs' default (next to the loaded script). Ignored when the backend is already initialised.
   */
  wasmPaths?: string | Record<WasmBinaryName, string>
  /** Passed to `setWasmPaths`: fetch the binary with the platform fetch (tf.env's). */
  usePlatformFetch?: boolean
  /**
   * XNNPACK thread-pool size when the multithreaded binary is usable (browsers with
   * cross-origin isolation; never Node in tfjs 4.22). 'auto' (default) = half of the logical
   * cores (see `wasmThreadsPolicy`).
   */
  threads?: number | 'auto'
  /** Logical core count used by the 'auto' policy; defaults to `navigator.hardwareConcurrency` when present. */
  hardwareConcurrency?: number
  /** Make 'wasm' the active backend (default true). */
  activate?: boolean
  /** Register the training kernels (default true); an object is passed through as options. */
  registerTrainingKernels?: boolean | RegisterWasmTrainingKernelsOptions
}

export interface InitWasmBackendResult {
  /** The active tfjs backend after the call. */
  backend: string
  simd: boolean
  multithread: boolean
  /** Threads actually used by XNNPACK (1 when the single-threaded binary is loaded). */
  threads: number
  /** Training kernels registered by this call. */
  registeredKernels: string[]
}

/** Threads policy: half of the logical cores, at least 1 (leaves room for the UI / data pipeline). */
export function wasmThreadsPolicy(hardwareConcurrency: number | undefined): number {
  if (hardwareConcurrency === undefined || !Number.isFinite(hardwareConcurrency) || hardwareConcurrency < 2) return 1
  return Math.max(1, Math.floor(hardwareConcurrency / 2))
}

function probeHardwareConcurrency(): number | undefined {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator
  const hc = nav?.hardwareConcurrency
  return typeof hc === 'number' && hc > 0 ? hc : undefined
}

let pending: Promise<InitWasmBackendResult> | null = null

/**
 * Initialises the WASM backend (paths, threads), registers the training kernels and (by
 * default) activates it. Concurrent and repeated calls share one initialisation; a failed
 * initialisation can be retried. Rejects when the backend cannot be initialised.
 */
export function initWasmBackend(options: InitWasmBackendOptions = {}): Promise<InitWasmBackendResult> {
  if (pending === null) {
    pending = doInit(options).catch((e: unknown) => {
      pending = null
      throw e
    })
    return pending
  }
  // Already (being) initialised: only honour the activation request of this call.
  return pending.then(async (r) => {
    if ((options.activate ?? true) && getBackend() !== WASM_BACKEND_NAME) {
      await setBackend(WASM_BACKEND_NAME)
    }
    return { ...r, backend: getBackend(), registeredKernels: [] }
  })
}

async function doInit(options: InitWasmBackendOptions): Promise<InitWasmBackendResult> {
  const reg = options.registerTrainingKernels ?? true
  const registeredKernels = reg === false ? [] : registerWasmTrainingKernels(reg === true ? {} : reg).registered

  const alreadyInitialised = findBackend(WASM_BACKEND_NAME) != null
  const [simd, multithread] = await Promise.all([
    env().getAsync('WASM_HAS_SIMD_SUPPORT') as Promise<boolean>,
    env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') as Promise<boolean>,
  ])
  if (!alreadyInitialised) {
    if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths, options.usePlatformFetch ?? false)
    const wanted =
      options.threads === undefined || options.threads === 'auto'
        ? wasmThreadsPolicy(options.hardwareConcurrency ?? probeHardwareConcurrency())
        : Math.max(1, Math.floor(options.threads))
    if (multithread) setThreadsCount(wanted)
  }

  const previous = options.activate === false ? getBackend() : WASM_BACKEND_NAME
  const ok = await setBackend(WASM_BACKEND_NAME)
  if (!ok) throw new Error("initWasmBackend: tf.setBackend('wasm') failed (see the console for the cause)")
  await ready()
  let threads = 1
  try {
    threads = getThreadsCount()
  } catch {
    threads = 1
  }
  if (previous !== WASM_BACKEND_NAME) await setBackend(previous)
  return { backend: getBackend(), simd, multithread, threads, registeredKernels }
}
