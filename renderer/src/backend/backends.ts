/**
 * TF.js backends in the renderer: started by the training, evaluation, preview and procedure workers and by the
 * probe that the status bar shows. Which one "Auto" starts is decided by ./auto.ts from the adapter's facts
 * (and a cached speed probe); an explicit choice falls back in the order WebGPU, WebGL, WASM, CPU if it fails.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-webgpu'
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import { adapterLabel, decideBackend, type AdapterFacts, type BackendDecision, type BackendSetting, type ProbeTimings } from './auto'
import { BACKEND_ORDER, type BackendName, type BackendProbe } from './labels'

export * from './labels'

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
})

interface GpuAdapterLike {
  readonly info?: AdapterFacts
  readonly isFallbackAdapter?: boolean
  requestAdapterInfo?(): Promise<AdapterFacts>
}

let adapterFactsPending: Promise<{ adapter: AdapterFacts | null; error: string | null }> | null = null

/** The WebGPU adapter's facts (vendor, architecture, description, fallback flag), null when there is none. Once per worker. */
export function webgpuAdapterFacts(): Promise<{ adapter: AdapterFacts | null; error: string | null }> {
  return (adapterFactsPending ??= (async () => {
    const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu
    if (!gpu) return { adapter: null, error: null }
    try {
      const adapter = await gpu.requestAdapter()
      if (!adapter) return { adapter: null, error: null }
      const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {}
      const fallback = adapter.isFallbackAdapter ?? info.isFallbackAdapter
      const facts: AdapterFacts = {
        vendor: info.vendor,
        architecture: info.architecture,
        device: info.device,
        description: info.description,
        ...(fallback !== undefined ? { isFallbackAdapter: fallback } : {}),
      }
      return { adapter: facts, error: null }
    } catch (e) {
      return { adapter: null, error: e instanceof Error ? e.message : String(e) }
    }
  })())
}

async function adapterName(): Promise<string | null> {
  return adapterLabel((await webgpuAdapterFacts()).adapter)
}

/** Why this worker's WASM backend fell back to the single-threaded binary after a failed threaded start (null: it did not). */
let wasmThreadsFallback: string | null = null
export function wasmThreadsFallbackReason(): string | null {
  return wasmThreadsFallback
}

/** Activates `backend` and checks that it really computes (a tiny op is run and read back). */
async function activate(backend: BackendName): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error('not available here')
  await tf.ready()
  const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)))
  const value = (await sum.data())[0]
  sum.dispose()
  if (value !== 3) throw new Error(`computed 1 + 2 = ${value}`)
}

/**
 * WASM failed with the multi-threaded binary: try once more with the single-threaded one (tfjs re-runs the
 * backend's factory on the next setBackend), recording why.
 */
async function retryWasmSingleThreaded(error: string): Promise<boolean> {
  if (!((await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean)) return false
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
  setThreadsCount(1)
  try {
    await activate('wasm')
  } catch {
    return false
  }
  wasmThreadsFallback = `the multi-threaded WASM binary failed to start (${error}); using the single-threaded one`
  console.warn(`CNN Studio: ${wasmThreadsFallback}`)
  return true
}

/** Activates the first backend that really computes (a tiny op is run and read back). */
export async function selectBackend(preferred?: BackendName): Promise<BackendProbe> {
  const order = preferred ? [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)] : [...BACKEND_ORDER]
  const tried: { backend: BackendName; error: string | null }[] = []
  for (const backend of order) {
    try {
      await activate(backend)
      tried.push({ backend, error: null })
      return { backend, adapter: backend === 'webgpu' ? await adapterName() : null, tried }
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error)
      if (backend === 'wasm' && (await retryWasmSingleThreaded(text))) {
        tried.push({ backend, error: null })
        return { backend, adapter: null, tried }
      }
      tried.push({ backend, error: text })
    }
  }
  return { backend: null, adapter: null, tried }
}

/** A started backend and why it was chosen. */
export interface StartedBackend extends BackendProbe {
  readonly decision: BackendDecision
}

/**
 * Starts the backend `setting` asks for: Auto decides from this worker's WebGPU adapter (./auto.ts), with the
 * page's cached speed probe when given; an explicit backend is started as asked (falling back if it fails).
 */
export async function startBackend(setting: BackendSetting, timings?: ProbeTimings | null): Promise<StartedBackend> {
  const { adapter, error } = await webgpuAdapterFacts()
  const decision = decideBackend(setting, { webgpu: adapter, webgpuError: error, wasm: true }, timings)
  const probe = await selectBackend(decision.backend)
  return { ...probe, decision }
}
