/**
 * Benchmark: training throughput of a ~470k-parameter CNN on 28x28x1, batch 64, with the
 * pure-JS CPU backend vs the WASM backend + the training kernels from shared/tfjs/wasm.
 * Also micro-benchmarks the WASM backend's native Conv2DBackpropInput against ours.
 *
 *   npx tsx bench/wasm-conv.ts [--steps N] [--cpu-steps N] [--batch N] [--skip-cpu]
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { initWasmBackend, registerWasmTrainingKernels } from '../shared/tfjs/wasm/index'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN
  return Number.isFinite(v) ? v : def
}
const STEPS = arg('steps', 6)
const CPU_STEPS = arg('cpu-steps', 2)
const BATCH = arg('batch', 64)
const SKIP_CPU = process.argv.includes('--skip-cpu')

function buildModel(): tf.Sequential {
  const m = tf.sequential()
  const conv = (filters: number, first = false) =>
    tf.layers.conv2d({
      ...(first ? { inputShape: [28, 28, 1] } : {}),
      filters,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    })
  const bnRelu = () => {
    m.add(tf.layers.batchNormalization())
    m.add(tf.layers.activation({ activation: 'relu' }))
  }
  m.add(conv(32, true))
  bnRelu()
  m.add(conv(32))
  bnRelu()
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }))
  m.add(conv(64))
  bnRelu()
  m.add(conv(64))
  bnRelu()
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }))
  m.add(tf.layers.flatten())
  m.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }))
  m.add(tf.layers.dropout({ rate: 0.25 }))
  m.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }))
  return m
}

async function trainThroughput(backend: string, steps: number): Promise<{ ips: number; params: number; loss: number }> {
  await tf.setBackend(backend)
  const model = buildModel()
  const opt = tf.train.adam(1e-3)
  const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, 'float32', 7)
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 8) as tf.Tensor1D, 10)
  const step = (): number => {
    const loss = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    )
    const v = loss!.dataSync()[0]!
    loss!.dispose()
    return v
  }
  step() // warm-up (builds weights, optimizer slots, XNNPACK operators)
  const t0 = performance.now()
  let loss = 0
  for (let i = 0; i < steps; i++) loss = step()
  const dt = (performance.now() - t0) / 1000
  const params = model.countParams()
  x.dispose()
  y.dispose()
  opt.dispose()
  model.dispose()
  return { ips: (steps * BATCH) / dt, params, loss }
}

function timeKernel(name: string, run: () => tf.Tensor, reps: number): number {
  run().dispose()
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) {
    const r = run()
    r.dataSync()
    r.dispose()
  }
  return (performance.now() - t0) / reps
}

async function main(): Promise<void> {
  const require = createRequire(import.meta.url)
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'
  const nativeInput = tf.getKernel('Conv2DBackpropInput', 'wasm')
  const info = await initWasmBackend({ wasmPaths: wasmDir })
  console.log(`wasm: simd=${info.simd} multithread=${info.multithread} threads=${info.threads}`)
  registerWasmTrainingKernels()

  // Micro-benchmark: native vs ours for Conv2DBackpropInput on the CNN's shapes.
  if (nativeInput !== undefined) {
    const ours = tf.getKernel('Conv2DBackpropInput', 'wasm')!
    for (const [h, cin, cout, s] of [
      [28, 32, 32, 1],
      [14, 32, 64, 1],
      [14, 64, 64, 1],
      [28, 32, 32, 2],
    ] as const) {
      const oh = Math.ceil(h / s)
      const dy = tf.randomNormal([BATCH, oh, oh, cout])
      const w = tf.randomNormal([3, 3, cin, cout])
      const attrs = { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: [BATCH, h, h, cin] }
      const be = tf.backend()
      const mk = (k: tf.KernelConfig) => () =>
        tf.tidy(() => {
          const out = k.kernelFunc({ inputs: { dy, filter: w }, attrs, backend: be }) as tf.TensorInfo
          return tf.engine().makeTensorFromTensorInfo(out)
        })
      const tn = timeKernel('native', mk(nativeInput), 3)
      const to = timeKernel('ours', mk(ours), 3)
      console.log(
        `Conv2DBackpropInput ${BATCH}x${h}x${h}x${cin} <- ${cout} s${s}: native ${tn.toFixed(1)} ms, ours ${to.toFixed(1)} ms`,
      )
      dy.dispose()
      w.dispose()
    }
  }

  const wasm = await trainThroughput('wasm', STEPS)
  console.log(`wasm: ${wasm.ips.toFixed(1)} images/s (params ${wasm.params}, loss ${wasm.loss.toFixed(3)})`)
  if (!SKIP_CPU) {
    const cpu = await trainThroughput('cpu', CPU_STEPS)
    console.log(`cpu : ${cpu.ips.toFixed(1)} images/s (params ${cpu.params}, loss ${cpu.loss.toFixed(3)})`)
    console.log(`speed-up wasm/cpu: ${(wasm.ips / cpu.ips).toFixed(1)}x`)
  }
}

await main()
