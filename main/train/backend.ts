/**
 * TF.js backend for training under Node: WASM (XNNPACK + the training kernels of shared/tfjs/wasm, the fast CPU
 * path) or tfjs' plain JavaScript CPU backend. The .wasm binaries are resolved from node_modules here (the
 * Node-specific part kept out of shared/).
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { initWasmBackend } from '../../shared/tfjs/wasm/index'

export type BackendChoice = 'wasm' | 'cpu'

export interface BackendInfo {
  /** The backend actually active ('wasm' or 'cpu'). */
  readonly backend: string
  /** Why the asked-for backend is not the one used (null when it is). */
  readonly fallback: string | null
  readonly simd?: boolean
  readonly threads?: number
}

export function nodeWasmDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'
}

/** Activates the backend; WASM falls back to CPU (with the reason) when it cannot start. */
export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (choice === 'wasm') {
    try {
      const r = await initWasmBackend({ wasmPaths: nodeWasmDir() })
      return { backend: tf.getBackend(), fallback: null, simd: r.simd, threads: r.threads }
    } catch (error) {
      const fallback = `the WASM backend could not start (${error instanceof Error ? error.message : String(error)}); training on the CPU backend instead`
      await tf.setBackend('cpu')
      await tf.ready()
      return { backend: tf.getBackend(), fallback }
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed")
  await tf.ready()
  return { backend: tf.getBackend(), fallback: null }
}
