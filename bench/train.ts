/**
 * Benchmark: training throughput of the studio's path (DataSource + augmentation pipeline + shared/train's
 * custom loop + message sink) vs a minimal plain TF.js loop (model + tf.train optimizer.minimize on
 * pre-built tensors), same model, same backend, same process; plus PyTorch where `import torch` works.
 *
 * Model: conv32-conv32-pool-conv64-conv64-pool-fc128-fc10 with BN after every conv, 28x28x1, batch 64.
 *
 *   npx tsx bench/train.ts [--steps N] [--warmup N] [--backend wasm|cpu]
 */
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { createStep, emptyPipeline } from '../shared/augment/index'
import { initWasmBackend } from '../shared/tfjs/wasm/index'
import { InMemoryDataSource, Trainer } from '../shared/train/index'
import type { TrainMessage } from '../shared/train/index'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN
  return Number.isFinite(v) ? v : def
}
function argStr(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? def) : def
}
const STEPS = arg('steps', 30)
const WARMUP = arg('warmup', 3)
const BATCH = 64
const BACKEND = argStr('backend', 'wasm')

function buildModel(): tf.LayersModel {
  let seed = 1
  const input = tf.input({ shape: [28, 28, 1] })
  let h: tf.SymbolicTensor = input
  const convBnRelu = (filters: number) => {
    h = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) }).apply(h) as tf.SymbolicTensor
    h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor
    h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor
  }
  convBnRelu(32)
  convBnRelu(32)
  h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor
  convBnRelu(64)
  convBnRelu(64)
  h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor
  h = tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) }).apply(h) as tf.SymbolicTensor
  const out = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }) }).apply(h) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: out })
}

function syntheticSource(n: number): InMemoryDataSource {
  const images = new Uint8Array(n * 784)
  let s = 12345
  for (let i = 0; i < images.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    images[i] = s & 0xff
  }
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10)
  return new InMemoryDataSource({ classes: Array.from({ length: 10 }, (_, i) => String(i)), imageShape: [28, 28, 1], train: { images, labels } })
}

/** The studio path: Trainer over a DataSource with a flip + translate + normalize pipeline, messages to a sink. */
async function studioPath(): Promise<{ imagesPerSec: number; lastLoss: number }> {
  const total = WARMUP + STEPS
  const data = syntheticSource(total * BATCH)
  const model = buildModel()
  const pipeline = {
    ...emptyPipeline(),
    steps: [
      createStep('translation', 'shift', { p: 0.5 }),
      createStep('normalize', 'norm', { params: { mean: [0.5], std: [0.29] } }),
    ],
  }
  const stamps: number[] = []
  let lastLoss = NaN
  const sink = {
    post(m: TrainMessage) {
      if (m.type === 'step') {
        stamps.push(performance.now())
        lastLoss = m.loss
      }
    },
  }
  const trainer = new Trainer({
    model,
    data,
    pipeline,
    config: { epochs: 1, batchSize: BATCH, seed: 1, learningRate: 1e-3, optimizer: { type: 'adam' } },
    sink,
    checkpoints: false,
  })
  await trainer.run()
  trainer.dispose()
  model.dispose()
  // Steps WARMUP+1 .. total, timed between step messages.
  const t0 = stamps[WARMUP - 1] as number
  const t1 = stamps[total - 1] as number
  return { imagesPerSec: (STEPS * BATCH) / ((t1 - t0) / 1000), lastLoss }
}

/** The plain TF.js loop: pre-built tensors, tf.train.adam, optimizer.minimize, loss read each step. */
async function plainPath(): Promise<{ imagesPerSec: number; lastLoss: number }> {
  const model = buildModel()
  const opt = tf.train.adam(1e-3)
  const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 7)
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32'), 10)
  let lastLoss = NaN
  let t0 = 0
  for (let i = 0; i < WARMUP + STEPS; i++) {
    if (i === WARMUP) t0 = performance.now()
    // The model ends in softmax: categorical cross-entropy on probabilities, as model.fit would use.
    const loss = opt.minimize(() => tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, true)
    lastLoss = (await (loss as tf.Scalar).data())[0] as number
    loss?.dispose()
  }
  const seconds = (performance.now() - t0) / 1000
  tf.dispose([x, y])
  opt.dispose()
  model.dispose()
  return { imagesPerSec: (STEPS * BATCH) / seconds, lastLoss }
}

function pytorch(): { available: false; reason: string } | { available: true; python: string; imagesPerSec: number; threads: number } {
  const script = `
import time, torch, torch.nn as nn
torch.manual_seed(0)
def cbr(i, o): return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
m = nn.Sequential(*cbr(1,32), *cbr(32,32), nn.MaxPool2d(2), *cbr(32,64), *cbr(64,64), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64*7*7,128), nn.ReLU(), nn.Linear(128,10))
opt = torch.optim.Adam(m.parameters(), 1e-3)
x = torch.rand(${BATCH},1,28,28); y = torch.arange(${BATCH}) % 10
lf = nn.CrossEntropyLoss()
def step():
    opt.zero_grad(); l = lf(m(x), y); l.backward(); opt.step(); return l.item()
for _ in range(${WARMUP}): step()
t = time.perf_counter()
for _ in range(${STEPS}): step()
print(${STEPS * BATCH} / (time.perf_counter() - t), torch.get_num_threads())
`
  // $PYTHON, else the first python3 on PATH, else Debian's (the one on PATH may be another install without torch).
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => Boolean(p))
  const python = candidates.find((p) => {
    try {
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })
  if (!python) return { available: false, reason: `import torch failed with ${candidates.join(', ')}: PyTorch is not installed here` }
  const out = execFileSync(python, ['-c', script], { encoding: 'utf8' }).trim().split(/\s+/)
  return { available: true, python, imagesPerSec: Number(out[0]), threads: Number(out[1]) }
}

async function main(): Promise<void> {
  if (BACKEND === 'wasm') {
    const require = createRequire(import.meta.url)
    const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'
    await initWasmBackend({ wasmPaths: wasmDir })
  } else {
    await tf.setBackend(BACKEND)
  }
  await tf.ready()
  // Interleave to spread any thermal / scheduling drift.
  const plain1 = await plainPath()
  const studio1 = await studioPath()
  const plain2 = await plainPath()
  const studio2 = await studioPath()
  const plain = Math.max(plain1.imagesPerSec, plain2.imagesPerSec)
  const studio = Math.max(studio1.imagesPerSec, studio2.imagesPerSec)
  const torch = pytorch()
  const r = (v: number) => Math.round(v * 10) / 10
  console.log(
    JSON.stringify(
      {
        backend: tf.getBackend(),
        model: 'conv32-conv32-pool-conv64-conv64-pool-fc128-fc10, BN, 28x28x1',
        batch: BATCH,
        steps: STEPS,
        warmupSteps: WARMUP,
        studio: { imagesPerSec: r(studio), runs: [r(studio1.imagesPerSec), r(studio2.imagesPerSec)], path: 'DataSource + augment (translation p=0.5, normalize) + Trainer (adam) + sink' },
        plainTfjs: { imagesPerSec: r(plain), runs: [r(plain1.imagesPerSec), r(plain2.imagesPerSec)], path: 'pre-built tensors + tf.train.adam minimize (categorical cross-entropy on the softmax output)' },
        studioOverPlain: Math.round((studio / plain) * 1000) / 1000,
        pytorch: torch.available
          ? { imagesPerSec: r(torch.imagesPerSec), threads: torch.threads, studioOverPytorch: Math.round((studio / torch.imagesPerSec) * 1000) / 1000 }
          : torch,
      },
      null,
      2,
    ),
  )
}

void main()
