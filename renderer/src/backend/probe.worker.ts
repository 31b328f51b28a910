/// <reference lib="webworker" />
/**
 * The status bar's probe, in a worker (where training runs): `facts` reports the WebGPU adapter and whether WASM
 * starts (with its thread count), so the page can apply the Auto rule (./auto.ts); `bench` times a few training
 * steps of a small conv net on one backend (Auto's speed probe for a hardware adapter). The page runs each bench in
 * its own worker and terminates it when it takes too long.
 */
import * as tf from '@tensorflow/tfjs'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { registerWasmTrainingKernels } from '@shared/tfjs/wasm'
import { selectBackend, webgpuAdapterFacts } from './backends'
import type { BackendName } from './labels'
import { serve } from '../workers/serve'
import type { BenchReply, FactsReply, ProbeMethods } from './probe-protocol'
import { configureWasmThreads } from './wasm-threads'

async function facts(): Promise<FactsReply> {
  configureWasmThreads()
  const gpu = await webgpuAdapterFacts()
  const wasm = await selectBackend('wasm')
  let wasmThreads: number | null = null
  if (wasm.backend === 'wasm') {
    try {
      wasmThreads = getThreadsCount()
    } catch {
      wasmThreads = 1
    }
  }
  return {
    facts: { webgpu: gpu.adapter, webgpuError: gpu.error, wasm: wasm.backend === 'wasm' },
    wasmThreads,
    tried: wasm.tried,
  }
}

/** Milliseconds per training step (after a first, warm-up step) of a small conv net on `backend`; null if it does not start. */
async function bench(backend: BackendName, steps: number, budgetMs: number): Promise<BenchReply> {
  registerWasmTrainingKernels()
  configureWasmThreads()
  const started = await selectBackend(backend)
  if (started.backend !== backend) return { backend, msPerStep: null, error: started.tried.at(-1)?.error ?? 'did not start' }
  const init = (seed: number) => tf.initializers.glorotUniform({ seed })
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 10, kernelInitializer: init(3) }),
    ],
  })
  const x = tf.tidy(() => tf.linspace(0, 1, 16 * 16 * 16 * 3).reshape([16, 16, 16, 3]))
  const y = tf.tidy(() => tf.oneHot(tf.range(0, 16, 1, 'int32').mod(10) as tf.Tensor1D, 10))
  const optimizer = tf.train.sgd(0.01)
  const step = async () => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)
    await loss!.data()
    loss!.dispose()
  }
  await step()
  const t0 = performance.now()
  let n = 0
  while (n < steps && (n === 0 || performance.now() - t0 < budgetMs)) {
    await step()
    n++
  }
  return { backend, msPerStep: (performance.now() - t0) / n, error: null }
}

// A failure is answered as an error; the page turns it into "no facts" or "no timing" (./probe.ts).
serve<ProbeMethods>({
  facts: () => facts(),
  bench: ({ backend, steps, budgetMs }) => bench(backend, steps, budgetMs),
})
