/**
 * Node-side setup for the WASM backend tests: resolves the .wasm binaries from node_modules
 * (the Node-specific bit kept out of shared/) and initialises the backend + training kernels.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { initWasmBackend } from '../../../shared/tfjs/wasm'
import type { InitWasmBackendResult } from '../../../shared/tfjs/wasm'

export function nodeWasmDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'
}

/**
 * @param strictKernelLeakCheck sets tfjs' IS_TEST flag, which makes the engine verify after
 *   every kernel that it allocated exactly its outputs on the backend (catches leaks inside our
 *   composite kernels). tfjs' customGrad ops (fused conv, used by tf.layers) trip that check
 *   spuriously, so model-level tests leave it off.
 */
export async function setupWasm(strictKernelLeakCheck = false): Promise<InitWasmBackendResult> {
  tf.env().set('IS_TEST', strictKernelLeakCheck)
  const r = await initWasmBackend({ wasmPaths: nodeWasmDir() })
  // Make sure the CPU reference backend is initialised too.
  await tf.setBackend('cpu')
  await tf.setBackend('wasm')
  return r
}

/** Runs `fn` on `backend` and returns the outputs as plain arrays (tensors disposed). */
export function onBackend(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Float32Array[] {
  const prev = tf.getBackend()
  tf.setBackend(backend) // synchronous once the backend is initialised
  try {
    const out = tf.tidy(fn)
    const list = Array.isArray(out) ? out : [out]
    const data = list.map((t) => t.dataSync() as Float32Array)
    tf.dispose(list)
    return data
  } finally {
    tf.setBackend(prev)
  }
}

/** max |a-b| / max(|b|, floor): a relative error robust to near-zero entries. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) return Infinity
  let diff = 0
  let scale = floor
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)))
    scale = Math.max(scale, Math.abs(b[i] ?? 0))
  }
  return Number.isNaN(diff) ? Infinity : diff / scale
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < n; i++) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    out[i] = (s / 4294967296) * 2 - 1
  }
  return out
}

export function wasmDataIds(): number {
  const be = tf.findBackend('wasm') as unknown as { numDataIds(): number } | null
  if (be === null) throw new Error('wasm backend not initialised')
  return be.numDataIds()
}
