/// <reference lib="webworker" />
/**
 * Diagnostics only (see ./diagnostics.ts): initialises the WASM backend the way the training worker does, with
 * the thread count asked for, runs a conv2d and checks it against the CPU backend.
 */
import * as tf from '@tensorflow/tfjs'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { selectBackend } from './backends'
import { serve } from '../workers/serve'
import type { DiagnosticsMethods, WasmThreadsReport } from './diagnostics'
import { configureWasmThreads } from './wasm-threads'

declare const self: DedicatedWorkerGlobalScope

function conv(): { sum: number; values: Float32Array } {
  return tf.tidy(() => {
    const x = tf.range(0, 2 * 32 * 32 * 3).reshape([2, 32, 32, 3]).div(1000)
    const w = tf.range(0, 3 * 3 * 3 * 8).reshape([3, 3, 3, 8]).div(100).sub(0.5)
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')
    const values = y.dataSync() as Float32Array
    return { sum: values.reduce((a, b) => a + b, 0), values }
  })
}

async function wasmThreads(request: DiagnosticsMethods['wasmThreads']['request']): Promise<WasmThreadsReport> {
  const t0 = performance.now()
  // tfjs' C++ side caps XNNPACK's pool at half of navigator.hardwareConcurrency (read when the module starts),
  // so proving 2 threads on a 2-core machine needs the core count emulated, in this throwaway worker only.
  const cores = request.logicalCores
  if (cores !== undefined) Object.defineProperty(navigator, 'hardwareConcurrency', { value: cores, configurable: true })
  const plan = configureWasmThreads(request.threads)
  const probe = await selectBackend('wasm')
  let threads: number | null = null
  try {
    threads = getThreadsCount()
  } catch {
    threads = null
  }
  const report: WasmThreadsReport = {
    crossOriginIsolated: self.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    requested: request.threads ?? null,
    plan,
    backend: probe.backend,
    tried: probe.tried,
    threads,
    multithreadBinary: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    conv2d: null,
    ms: 0,
  }
  if (probe.backend === 'wasm') {
    const wasm = conv()
    await tf.setBackend('cpu')
    const cpu = conv()
    let maxAbsDiff = 0
    for (let i = 0; i < wasm.values.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(wasm.values[i]! - cpu.values[i]!))
    report.conv2d = { sum: wasm.sum, maxAbsDiffVsCpu: maxAbsDiff }
  }
  report.ms = performance.now() - t0
  return report
}

serve<DiagnosticsMethods>({ wasmThreads })
