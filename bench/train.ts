/**
 * Benchmark: training throughput of the in-app engine, measured honestly (issue #16).
 *
 * For each model, in one process and one run:
 *   - studio:    the studio's path (DataSource + augmentation pipeline + shared/train's Trainer + message sink),
 *   - bareLoop:  a bare TF.js loop on the same backend and the same kernels (pre-built tensors, tf.train.adam
 *                minimize): what the studio's path costs on top of its engine,
 *   - pytorch:   PyTorch (CPU) on the same model, pinned to the thread count the studio used, and once more at
 *                torch's default thread count; both counts are printed,
 * interleaved over `--reps` repetitions (median, min and max printed). Then, once per model:
 *   - stockTfjs: TF.js with its stock kernels only: the WASM backend without the studio's kernels (tfjs-backend-wasm
 *                4.22 cannot train a CNN: the step's error is printed), and with --stock-cpu the stock CPU backend
 *                (few steps; its JavaScript kernels take minutes per step here),
 *   - profile:   a per-kernel profile (tf.profile) of studio steps: time per kernel per step, top 10.
 *
 * Models: the bench CNN (conv32-conv32-pool-conv64-conv64-pool-fc128-fc10, BN after every conv, 28x28x1, batch 64)
 * and ResNet-20 (the studio's CIFAR template, 32x32x3, batch 128), both compiled from graph documents by the
 * studio's own compiler; the PyTorch models are written to match them layer for layer.
 *
 *   npx tsx bench/train.ts [--reps N] [--models cnn,resnet20] [--backend wasm|cpu] [--stock-cpu]
 *
 * Threads: in Node the studio's WASM path is single-threaded. tfjs-backend-wasm 4.22 disables its threaded binary
 * under Node (flag WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE, tfjs issue #3830), and forcing the flag on
 * fails: the threaded Emscripten build starts its pthread workers from a `blob:` URL, which Node's worker_threads
 * refuses (ERR_WORKER_PATH). The browser (the app) runs the threaded binary with half the logical cores.
 */
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import '@tensorflow/tfjs-backend-wasm'
import { resnet20 } from '../shared/graph/templates'
import type { GraphDocument } from '../shared/graph/types'
import { compileGraph } from '../shared/tfjs/compile'
import { initWasmBackend, registerWasmTrainingKernels } from '../shared/tfjs/wasm/index'
import { Trainer } from '../shared/train/index'
import type { TrainMessage } from '../shared/train/index'
import { BENCH_CNN_DESCRIPTION, benchCnn, benchPipeline } from './bench-cnn'
import { summarizeProfile, syntheticSource, type KernelProfile } from './bench-models'
import { argCount, argStr } from './args'
import { findPython } from './python'
const REPS = argCount('reps', 3)
const BACKEND = argStr('backend', 'wasm')
const MODELS = argStr('models', 'cnn,resnet20').split(',')
/** The stock CPU backend (pure JavaScript kernels) takes minutes per step on these models: only when asked. */
const STOCK_CPU = process.argv.includes('--stock-cpu')

interface BenchModel {
  readonly name: string
  readonly description: string
  readonly shape: readonly [number, number, number]
  readonly classes: number
  readonly batch: number
  readonly steps: number
  readonly warmup: number
  /** Steps of the stock CPU backend (slow: pure JavaScript kernels). */
  readonly stockSteps: number
  readonly document: () => GraphDocument
  /** PyTorch model `m`, matching the document layer for layer (NCHW). */
  readonly torch: string
}

const ALL_MODELS: readonly BenchModel[] = [
  {
    name: 'cnn',
    description: BENCH_CNN_DESCRIPTION,
    shape: [28, 28, 1],
    classes: 10,
    batch: 64,
    steps: 30,
    warmup: 3,
    stockSteps: 3,
    document: benchCnn,
    torch: `
def cbr(i, o): return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
m = nn.Sequential(*cbr(1,32), *cbr(32,32), nn.MaxPool2d(2), *cbr(32,64), *cbr(64,64), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64*7*7,128), nn.ReLU(), nn.Linear(128,10))
`,
  },
  {
    name: 'resnet20',
    description: "ResNet-20 (the studio's CIFAR template: 3 stages of 3 basic blocks, 16/32/64, 1x1 projection shortcuts), 32x32x3",
    shape: [32, 32, 3],
    classes: 10,
    batch: 128,
    steps: 8,
    warmup: 2,
    stockSteps: 1,
    document: () => resnet20([32, 32, 3], 10),
    torch: `
class Basic(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.c1 = nn.Conv2d(i, o, 3, s, 1, bias=False); self.b1 = nn.BatchNorm2d(o)
        self.c2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); self.b2 = nn.BatchNorm2d(o)
        self.proj = nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o)) if s != 1 or i != o else nn.Identity()
    def forward(self, x):
        return torch.relu(self.b2(self.c2(torch.relu(self.b1(self.c1(x))))) + self.proj(x))
def stage(i, o, s): return [Basic(i, o, s), Basic(o, o, 1), Basic(o, o, 1)]
m = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), *stage(16, 16, 1), *stage(16, 32, 2), *stage(32, 64, 2),
                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
`,
  },
]

function compile(model: BenchModel): tf.LayersModel {
  return compileGraph(model.document(), { seed: 1 }).model
}

/** The studio path: Trainer over a DataSource with a translate + normalize pipeline, messages to a sink. */
async function studioPath(model: BenchModel, steps = model.steps, warmup = model.warmup): Promise<number> {
  const total = warmup + steps
  const data = syntheticSource(model, total * model.batch)
  const net = compile(model)
  const stamps: number[] = []
  const sink = {
    post(m: TrainMessage) {
      if (m.type === 'step') stamps.push(performance.now())
    },
  }
  const trainer = new Trainer({
    model: net,
    data,
    pipeline: benchPipeline(model.shape[2]),
    config: { epochs: 1, batchSize: model.batch, seed: 1, learningRate: 1e-3, optimizer: { type: 'adam' } },
    sink,
    checkpoints: false,
  })
  await trainer.run()
  trainer.dispose()
  net.dispose()
  // Steps warmup+1 .. total, timed between step messages.
  const t0 = stamps[warmup - 1] as number
  const t1 = stamps[total - 1] as number
  return (steps * model.batch) / ((t1 - t0) / 1000)
}

/** The bare loop: pre-built tensors, tf.train.adam, optimizer.minimize, the loss read each step. */
async function bareLoop(model: BenchModel, steps = model.steps, warmup = model.warmup): Promise<number> {
  const net = compile(model)
  const opt = tf.train.adam(1e-3)
  const x = tf.randomUniform([model.batch, ...model.shape], 0, 1, 'float32', 7)
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: model.batch }, (_, i) => i % model.classes), 'int32'), model.classes)
  let t0 = 0
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) t0 = performance.now()
    // The Output head ends in softmax: categorical cross-entropy on its probabilities.
    const loss = opt.minimize(() => tf.mean(tf.metrics.categoricalCrossentropy(y, net.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, true)
    await (loss as tf.Scalar).data()
    loss?.dispose()
  }
  const seconds = (performance.now() - t0) / 1000
  tf.dispose([x, y])
  opt.dispose()
  net.dispose()
  return (steps * model.batch) / seconds
}

/** Per-kernel time of studio steps (tf.profile around a Trainer run of warmup + N steps, divided by the steps run). */
async function profileStudio(model: BenchModel, steps = 3): Promise<KernelProfile> {
  const data = syntheticSource(model, steps * model.batch)
  const net = compile(model)
  const trainer = new Trainer({
    model: net,
    data,
    pipeline: benchPipeline(model.shape[2]),
    config: { epochs: 1, batchSize: model.batch, seed: 1, learningRate: 1e-3, optimizer: { type: 'adam' } },
    sink: { post() {} },
    checkpoints: false,
  })
  const info = await tf.profile(async () => {
    await trainer.run()
    return tf.scalar(0)
  })
  trainer.dispose()
  net.dispose()
  return summarizeProfile(info.kernels, steps)
}

/** PyTorch, same model and batch, `threads` threads (0 = torch's default). Returns images/s and the threads used. */
function pytorch(python: string, model: BenchModel, threads: number): { imagesPerSec: number; threads: number } {
  const [h, w, c] = model.shape
  const script = `
import time, torch, torch.nn as nn
if ${threads} > 0: torch.set_num_threads(${threads})
torch.manual_seed(0)
${model.torch}
opt = torch.optim.Adam(m.parameters(), 1e-3)
x = torch.rand(${model.batch},${c},${h},${w}); y = torch.arange(${model.batch}) % ${model.classes}
lf = nn.CrossEntropyLoss()
def step():
    opt.zero_grad(); l = lf(m(x), y); l.backward(); opt.step(); return l.item()
for _ in range(${model.warmup}): step()
t = time.perf_counter()
for _ in range(${model.steps}): step()
print(${model.steps * model.batch} / (time.perf_counter() - t), torch.get_num_threads())
`
  const out = execFileSync(python, ['-c', script], { encoding: 'utf8' }).trim().split(/\s+/)
  return { imagesPerSec: Number(out[0]), threads: Number(out[1]) }
}

function log(msg: string): void {
  process.stderr.write(`[bench:train] ${msg}\n`)
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}
function stats(values: readonly number[]): { median: number; min: number; max: number; runs: number[] } {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length / 2
  const median = s.length % 2 === 1 ? (s[Math.floor(mid)] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
  return { median: round(median), min: round(s[0] as number), max: round(s[s.length - 1] as number), runs: values.map((v) => round(v)) }
}

/** One step on the WASM backend with tfjs' stock kernels only (run before the studio's are registered). */
async function stockWasmProbe(model: BenchModel): Promise<string> {
  try {
    await bareLoop(model, 1, 0)
    return 'trains'
  } catch (e) {
    return `cannot train: ${(e as Error).message.split('\n')[0]}`
  }
}

async function main(): Promise<void> {
  const models = ALL_MODELS.filter((m) => MODELS.includes(m.name))
  const stockWasm: Record<string, string> = {}
  let threads = 1
  if (BACKEND === 'wasm') {
    const require = createRequire(import.meta.url)
    const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'
    // Stock kernels first: the studio's are registered globally once added.
    setWasmPaths(wasmDir)
    await tf.setBackend('wasm')
    await tf.ready()
    for (const m of models) {
      log(`stock WASM probe: ${m.name}`)
      stockWasm[m.name] = await stockWasmProbe(m)
    }
    registerWasmTrainingKernels()
    const init = await initWasmBackend({ wasmPaths: wasmDir })
    threads = init.threads
  } else {
    await tf.setBackend(BACKEND)
  }
  await tf.ready()
  const found = findPython()
  const results = []
  for (const model of models) {
    const studio: number[] = []
    const bare: number[] = []
    const torchPinned: number[] = []
    let torchThreads = threads
    // Interleaved: studio, bare, pytorch per repetition, so drift spreads over all three.
    for (let r = 0; r < REPS; r++) {
      log(`${model.name}: repetition ${r + 1}/${REPS}`)
      studio.push(await studioPath(model))
      bare.push(await bareLoop(model))
      if (found.python) {
        const t = pytorch(found.python, model, threads)
        torchPinned.push(t.imagesPerSec)
        torchThreads = t.threads
      }
    }
    const torchDefault = found.python ? pytorch(found.python, model, 0) : null
    log(`${model.name}: profile`)
    const profile = await profileStudio(model)
    if (STOCK_CPU) log(`${model.name}: stock CPU backend`)
    // Stock CPU backend: pure-JavaScript kernels, so few steps, once.
    let stockCpu: number | null = null
    if (STOCK_CPU) {
      const backend = tf.getBackend()
      await tf.setBackend('cpu')
      stockCpu = await bareLoop(model, model.stockSteps, 1)
      await tf.setBackend(backend)
    }
    const s = stats(studio)
    const b = stats(bare)
    const p = found.python ? stats(torchPinned) : null
    results.push({
      model: model.name,
      description: model.description,
      batch: model.batch,
      steps: model.steps,
      warmupSteps: model.warmup,
      repetitions: REPS,
      studio: { imagesPerSec: s, threads, path: 'DataSource + augment (translation p=0.5, normalize) + Trainer (adam) + sink' },
      bareLoop: { imagesPerSec: b, path: 'same backend and kernels, pre-built tensors, tf.train.adam minimize' },
      studioOverBareLoop: round(s.median / b.median, 3),
      pytorch: p
        ? {
            python: found.python,
            pinned: { imagesPerSec: p, threads: torchThreads },
            default: torchDefault ? { imagesPerSec: round(torchDefault.imagesPerSec), threads: torchDefault.threads } : null,
            studioOverPytorchSameThreads: round(s.median / p.median, 3),
          }
        : { available: false, reason: (found as { reason: string }).reason },
      stockTfjs: {
        wasm: stockWasm[model.name] ?? 'not measured (backend is not wasm)',
        cpu: stockCpu === null ? 'not measured (--stock-cpu)' : { imagesPerSec: round(stockCpu, 2), steps: model.stockSteps, note: 'stock CPU backend (JavaScript kernels), measured once' },
      },
      profile,
    })
  }
  console.log(JSON.stringify({ backend: tf.getBackend(), node: process.version, threadsNote: 'Node: single-threaded WASM (see the header of bench/train.ts)', results }, null, 2))
}

void main()
