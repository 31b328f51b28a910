/**
 * Benchmark: the studio's two engines on the same design, the same images and the same machine, in one run
 * (issue #13). Prints JSON.
 *   - tfjs:    the studio's Node/CLI training path: the WASM backend with the studio's kernels and shared/train's
 *              Trainer over a DataSource with the run's augmentation pipeline (what `studio train` runs),
 *   - pytorch: the PyTorch engine: the design exported as a PyTorch project (shared/export/pytorch, as
 *              `studio export pytorch` writes it) and its `train.py` run by Python (CPU), with PyTorch's threads
 *              pinned to the thread count the TF.js path used (OMP_NUM_THREADS / MKL_NUM_THREADS; the count torch
 *              reports under them is printed).
 * Both train the bench CNN (conv32-conv32-pool-conv64-conv64-pool-fc128-fc10, BN, 28x28x1) with Adam 1e-3, batch 64,
 * translation + normalize, on the same synthetic images (a dataset cache written by the studio's CacheWriter). The
 * images/s of each is timed the same way: from the end of step `warmup` to the end of the last step (the Trainer's
 * step messages; train.py's metrics.jsonl wall times), so start-up, compilation and validation are outside.
 * Repetitions alternate the engines; medians, minima and maxima are printed, and the ratio of the medians.
 *
 *   npm run bench:engines -- [--reps N] [--steps N] [--warmup N] [--python /usr/bin/python3]
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { CacheWriter } from '../main/datasets/cache'
import { exportPytorchProject } from '../shared/export/pytorch/index'
import { analyzeGraph } from '../shared/graph/index'
import { compileGraph } from '../shared/tfjs/compile'
import { initWasmBackend, registerWasmTrainingKernels } from '../shared/tfjs/wasm/index'
import { parseTrainingConfig } from '../shared/train/config'
import { InMemoryDataSource, Trainer, type TrainMessage } from '../shared/train/index'
import { BENCH_CNN_DESCRIPTION, benchCnn, benchPipeline } from './bench-cnn'
import { argCount, argStr } from './args'
const REPS = argCount('reps', 2)
const STEPS = argCount('steps', 30)
const WARMUP = argCount('warmup', 3)
const PYTHON = argStr('python', process.env.PYTHON ?? '/usr/bin/python3')
const BATCH = 64
const SHAPE = [28, 28, 1] as const
const CLASSES = 10
const VAL = BATCH

function log(msg: string): void {
  process.stderr.write(`[bench:engines] ${msg}\n`)
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

/** The same images for both engines: (warmup + steps) batches of training images, one batch of validation. */
function images(): { images: Uint8Array; labels: Int32Array; train: number } {
  const train = (WARMUP + STEPS) * BATCH
  const n = train + VAL
  const per = SHAPE[0] * SHAPE[1] * SHAPE[2]
  const data = new Uint8Array(n * per)
  let s = 12345
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    data[i] = s & 0xff
  }
  return { images: data, labels: Int32Array.from({ length: n }, (_, i) => i % CLASSES), train }
}

const CONFIG = (() => {
  const parsed = parseTrainingConfig({ epochs: 1, batchSize: BATCH, seed: 1, learningRate: 1e-3, optimizer: { type: 'adam' } })
  if (!parsed.ok) throw new Error(parsed.errors.join('; '))
  return parsed.config
})()

/** images/s from the end of step WARMUP to the end of the last step, given each step's end time in seconds. */
function rate(stepEnds: readonly number[]): number {
  if (stepEnds.length < WARMUP + STEPS) throw new Error(`expected ${WARMUP + STEPS} steps, got ${stepEnds.length}`)
  return (STEPS * BATCH) / ((stepEnds[WARMUP + STEPS - 1] as number) - (stepEnds[WARMUP - 1] as number))
}

async function tfjsEngine(data: ReturnType<typeof images>): Promise<number> {
  const per = SHAPE[0] * SHAPE[1] * SHAPE[2]
  const source = new InMemoryDataSource({
    classes: Array.from({ length: CLASSES }, (_, i) => String(i)),
    imageShape: [...SHAPE],
    train: { images: data.images.subarray(0, data.train * per), labels: data.labels.subarray(0, data.train) },
  })
  const net = compileGraph(benchCnn(), { seed: 1 }).model
  const stamps: number[] = []
  const trainer = new Trainer({
    model: net,
    data: source,
    pipeline: benchPipeline(SHAPE[2]),
    config: CONFIG,
    sink: {
      post(m: TrainMessage) {
        if (m.type === 'step') stamps.push(performance.now() / 1000)
      },
    },
    checkpoints: false,
  })
  await trainer.run()
  trainer.dispose()
  net.dispose()
  return rate(stamps)
}

/** The exported project with its data/ cache and split.json; returns its folder. */
function writeProject(data: ReturnType<typeof images>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-engines-'))
  const graph = benchCnn()
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
  const split = { train: range(0, data.train), val: range(data.train, VAL), test: [] as number[] }
  const snapshot = {
    kind: 'cnn-studio/train',
    format: 1,
    architecture: { id: null, name: 'bench CNN', versionId: null, version: null, document: graph },
    dataset: { shape: [...SHAPE], classes: Array.from({ length: CLASSES }, (_, i) => String(i)), counts: { train: data.train, val: VAL, test: 0 } },
    pipeline: { id: null, name: 'bench', versionId: null, version: null, document: benchPipeline(SHAPE[2]) },
    training: CONFIG,
    seed: CONFIG.seed,
  }
  for (const f of exportPytorchProject({ snapshot, graph, split, run: null })) {
    const path = join(dir, ...f.path.split('/'))
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, f.text)
  }
  mkdirSync(join(dir, 'data'))
  const writer = new CacheWriter(join(dir, 'data', 'images.u8'))
  const per = SHAPE[0] * SHAPE[1] * SHAPE[2]
  for (let i = 0; i < data.labels.length; i++) writer.append(data.images.subarray(i * per, (i + 1) * per))
  writer.commit(data.labels)
  return dir
}

function threadEnv(threads: number): NodeJS.ProcessEnv {
  return { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) }
}

function pytorchEngine(dir: string, threads: number): number {
  const out = join(dir, `out-${Date.now()}`)
  execFileSync(PYTHON, ['train.py', '--device', 'cpu', '--out', out], { cwd: dir, env: threadEnv(threads), stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 })
  const ends = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { name: string; step: number; wall: number })
    .filter((p) => p.name === 'train/loss')
    .sort((a, b) => a.step - b.step)
    .map((p) => p.wall)
  rmSync(out, { recursive: true, force: true })
  return rate(ends)
}

async function main(): Promise<void> {
  let torch: { torch: string; threads: number; python: string } | { available: false; reason: string }
  const require = createRequire(import.meta.url)
  registerWasmTrainingKernels()
  const init = await initWasmBackend({ wasmPaths: join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/' })
  await tf.ready()
  const threads = init.threads
  try {
    const [version, n, py] = execFileSync(PYTHON, ['-c', 'import sys, torch; print(torch.__version__, torch.get_num_threads(), "%d.%d" % sys.version_info[:2])'], { env: threadEnv(threads), encoding: 'utf8' }).trim().split(/\s+/)
    torch = { torch: version as string, threads: Number(n), python: `${PYTHON} (Python ${py})` }
  } catch (e) {
    torch = { available: false, reason: `${PYTHON} cannot import torch (${(e as Error).message.split('\n')[0]}): install python3-torch (Debian) or pip install torch numpy` }
  }
  const data = images()
  const dir = 'torch' in torch ? writeProject(data) : null
  const tfjs: number[] = []
  const pytorch: number[] = []
  for (let r = 0; r < REPS; r++) {
    log(`repetition ${r + 1}/${REPS}: TF.js (WASM)`)
    tfjs.push(await tfjsEngine(data))
    if (dir) {
      log(`repetition ${r + 1}/${REPS}: PyTorch (train.py)`)
      pytorch.push(pytorchEngine(dir, threads))
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true })
  const t = stats(tfjs)
  const p = pytorch.length ? stats(pytorch) : null
  const params = analyzeGraph(benchCnn()).totals
  console.log(
    JSON.stringify(
      {
        design: BENCH_CNN_DESCRIPTION,
        parameters: params.trainableParams + params.nonTrainableParams,
        batch: BATCH,
        steps: STEPS,
        warmupSteps: WARMUP,
        repetitions: REPS,
        config: 'adam 1e-3, translation p=0.5 + normalize, 1 epoch of synthetic 28x28x1 images',
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, node: process.version },
        tfjs: { engine: 'TF.js (WASM, the studio kernels) + shared/train Trainer: the studio Node/CLI path', backend: tf.getBackend(), threads, imagesPerSec: t },
        pytorch: p ? { engine: 'exported project, python train.py --device cpu', ...torch, imagesPerSec: p } : torch,
        pytorchOverTfjs: p ? round(p.median / t.median, 2) : null,
      },
      null,
      2,
    ),
  )
}

void main()
