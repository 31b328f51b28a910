/**
 * TF.js backends in the renderer, in the studio's order of preference: WebGPU, WebGL, WASM, CPU.
 * Used by the training worker and by the probe that the status bar shows.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-webgpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import { BACKEND_ORDER, type BackendName, type BackendProbe } from './labels'

export * from './labels'

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
})

async function adapterName(): Promise<string | null> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu
  if (!gpu) return null
  const adapter = await gpu.requestAdapter()
  const info = adapter?.info
  if (!info) return null
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || null
}

/** Activates the first backend that really computes (a tiny op is run and read back). */
export async function selectBackend(preferred?: BackendName): Promise<BackendProbe> {
  const order = preferred ? [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)] : [...BACKEND_ORDER]
  const tried: { backend: BackendName; error: string | null }[] = []
  for (const backend of order) {
    try {
      if (!(await tf.setBackend(backend))) throw new Error('not available here')
      await tf.ready()
      const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)))
      const value = (await sum.data())[0]
      sum.dispose()
      if (value !== 3) throw new Error(`computed 1 + 2 = ${value}`)
      tried.push({ backend, error: null })
      return { backend, adapter: backend === 'webgpu' ? await adapterName() : null, tried }
    } catch (error) {
      tried.push({ backend, error: error instanceof Error ? error.message : String(error) })
    }
  }
  return { backend: null, adapter: null, tried }
}
