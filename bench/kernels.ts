/**
 * Benchmark of the studio's own WASM training kernels (issue #16), for a loaded machine: every comparison runs in
 * one process, old and new kernels registered alternately, interleaved repetitions, median ratio.
 *
 *   npx tsx bench/kernels.ts profile [--models cnn,resnet20] [--steps N]
 *       per-kernel time of one training step (forward + gradients, no optimizer), top 15.
 *   npx tsx bench/kernels.ts ab --kernels BatchMatMul,FusedBatchNorm-grad,... [--models cnn,resnet20] [--reps N] [--steps N]
 *       whole-step time (forward + gradients) with the named kernels as tfjs-backend-wasm ships them and the
 *       named gradients (NAME-grad) as tfjs defines them ("old") vs the studio's ("new"), interleaved; median of
 *       the per-rep ratios.
 *   npx tsx bench/kernels.ts bn --kernels FusedBatchNorm-grad,Mean-grad,Sum-grad,Square-grad [--reps N]
 *       one BatchNorm layer's training forward + backward alone, old vs new.
 *   npx tsx bench/kernels.ts adam [--models cnn,resnet20] [--reps N]
 *       the studio's Adam update of every variable, fused kernel vs op by op.
 *   npx tsx bench/kernels.ts conv --kernels Conv2DBackpropInput [--reps N]
 *       Conv2DBackpropFilter / Conv2DBackpropInput alone on the layer shapes of both models, old vs new.
 *   --kernels StudioBatchNormTrain: "old" is tf.layers' BatchNormalization on tfjs' own training path (tf.moments,
 *   FusedBatchNorm and their gradients, FUSED_BATCH_NORM off), "new" the fused kernels of batchnorm-kernels.ts.
 *   npx tsx bench/kernels.ts ceiling [--reps N]
 *       the forward 3x3 convolutions of both models alone: tfjs-backend-wasm's own (XNNPACK, what FusedConv2D runs)
 *       against PyTorch's (torch.nn.Conv2d, no grad), both on 1 thread, interleaved; per layer and per training step.
 *       The studio's convolution gradients are built from the same XNNPACK products, so this ratio bounds what the
 *       studio's training step can reach against PyTorch on this CPU.
 *   A kernel named NAME:composite (Conv2DBackpropFilter:composite, Conv2DBackpropInput:composite) is the studio's
 *   earlier composite-convolution kernel (conv-grad-kernels.ts, before the product kernels of issue #16), in any mode.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { resnet20 } from '../shared/graph/templates'
import type { GraphDocument } from '../shared/graph/types'
import { compileGraph } from '../shared/tfjs/compile'
import { ADAM_UPDATE, BATCH_NORM_TRAIN, FUSED_BATCH_NORM, initWasmBackend, WASM_BACKEND_NAME } from '../shared/tfjs/wasm/index'
import { wasmConvGradCompositeKernelConfigs } from '../shared/tfjs/wasm/conv-grad-kernels'
import { planParams, TrainOptimizer } from '../shared/train/index'
import { benchCnn } from './bench-cnn'
import { argCount, argStr } from './args'
import { findPython } from './python'
import { execFileSync } from 'node:child_process'
const MODE = process.argv[2] ?? 'profile'
const MODELS = argStr('models', 'cnn,resnet20').split(',')
const REPS = argCount('reps', 5)
const STEPS = argCount('steps', 2)
const KERNELS = argStr('kernels', '').split(',').filter((k) => k !== '')

/** tfjs-backend-wasm's own kernels, captured before the studio's are registered. */
const NATIVE = new Map<string, tf.KernelConfig>()

/** tfjs' own gradients (--kernels FusedBatchNorm-grad,Mean-grad,Sum-grad), captured before the studio's wrap them. */
const GRAD_SUFFIX = '-grad'
const NATIVE_GRADS = new Map<string, tf.GradConfig>()
const COMPOSITE_SUFFIX = ':composite'

/** The "old" kernels of an A/B: the native ones named by --kernels (names ending in -grad: tfjs' gradients). */
function oldKernels(): tf.KernelConfig[] {
  return KERNELS.filter((k) => !k.endsWith(GRAD_SUFFIX) && k !== BATCH_NORM_TRAIN).map((k) => {
    if (k.endsWith(COMPOSITE_SUFFIX)) {
      const name = k.slice(0, -COMPOSITE_SUFFIX.length)
      const c = wasmConvGradCompositeKernelConfigs.find((x) => x.kernelName === name)
      if (c === undefined) throw new Error(`--kernels: no composite-convolution version of '${name}'`)
      return c
    }
    const c = NATIVE.get(k)
    if (c === undefined) throw new Error(`--kernels: tfjs-backend-wasm has no native '${k}' to compare with`)
    return c
  })
}

interface Model {
  name: string
  shape: [number, number, number]
  batch: number
  doc: () => GraphDocument
}
const ALL: Model[] = [
  { name: 'cnn', shape: [28, 28, 1], batch: 64, doc: benchCnn },
  { name: 'resnet20', shape: [32, 32, 3], batch: 128, doc: () => resnet20([32, 32, 3], 10) },
]

const median = (a: number[]): number => {
  const s = [...a].sort((p, q) => p - q)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const r3 = (v: number): number => Math.round(v * 1000) / 1000

/** Registers `configs` (and tfjs' gradients named by --kernels) in place of what is there now; returns a function restoring the previous ones. */
function swapIn(configs: readonly tf.KernelConfig[]): () => void {
  const grads = [...NATIVE_GRADS.values()]
  const previousGrads = grads.map((g) => tf.getGradient(g.kernelName))
  for (const g of grads) tf.registerGradient(g)
  const previous = configs.map((c) => tf.getKernel(c.kernelName, WASM_BACKEND_NAME))
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, WASM_BACKEND_NAME) !== undefined) tf.unregisterKernel(c.kernelName, WASM_BACKEND_NAME)
    tf.registerKernel(c)
  }
  if (KERNELS.includes(BATCH_NORM_TRAIN)) FUSED_BATCH_NORM.enabled = false
  return () => {
    FUSED_BATCH_NORM.enabled = true
    for (const g of previousGrads) tf.registerGradient(g)
    configs.forEach((c, i) => {
      tf.unregisterKernel(c.kernelName, WASM_BACKEND_NAME)
      const p = previous[i]
      if (p !== undefined) tf.registerKernel(p)
    })
  }
}

function stepFn(m: Model): { step: () => void; dispose: () => void } {
  const net = compileGraph(m.doc(), { seed: 1 }).model
  const x = tf.randomUniform([m.batch, ...m.shape], 0, 1, 'float32', 7)
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: m.batch }, (_, i) => i % 10), 'int32'), 10)
  const step = (): void => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.metrics.categoricalCrossentropy(y, net.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar)
    value.dataSync()
    value.dispose()
    tf.dispose(Object.values(grads))
  }
  return { step, dispose: () => (tf.dispose([x, y]), net.dispose()) }
}

async function profile(): Promise<void> {
  for (const m of ALL.filter((a) => MODELS.includes(a.name))) {
    const s = stepFn(m)
    s.step()
    const info = await tf.profile(() => {
      for (let i = 0; i < STEPS; i++) s.step()
      return tf.scalar(0)
    })
    s.dispose()
    const per = new Map<string, number>()
    for (const k of info.kernels) {
      if (k.name.endsWith('__op')) continue // op wrappers: their kernels are listed too
      per.set(k.name, (per.get(k.name) ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0))
    }
    const total = [...per.values()].reduce((a, b) => a + b, 0)
    console.log(`${m.name} (batch ${m.batch}): ${r3(total / STEPS)} ms of kernels per step (forward + gradients), under load`)
    for (const [k, ms] of [...per.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
      console.log(`  ${k.padEnd(34)} ${(ms / STEPS).toFixed(1).padStart(8)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)}%`)
    }
  }
}

function timeIt(fn: () => void, n: number): number {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) fn()
  return (performance.now() - t0) / n
}

async function ab(): Promise<void> {
  for (const m of ALL.filter((a) => MODELS.includes(a.name))) {
    const s = stepFn(m)
    s.step()
    const ratios: number[] = []
    const olds: number[] = []
    const news: number[] = []
    const counts: number[] = []
    for (let r = 0; r < REPS; r++) {
      const restore = swapIn(oldKernels())
      s.step()
      const tOld = timeIt(s.step, STEPS)
      restore()
      s.step()
      const tNew = timeIt(s.step, STEPS)
      olds.push(tOld)
      news.push(tNew)
      ratios.push(tOld / tNew)
      counts.push(tf.memory().numTensors)
    }
    s.dispose()
    console.log(`${m.name}: tensors alive after each rep: ${counts.join(', ')}`)
    console.log(
      `${m.name} step (fwd+grads), old = native/tfjs ${KERNELS.join(', ')}: old ${median(olds).toFixed(0)} ms, new ${median(news).toFixed(0)} ms, ` +
        `speed-up old/new median ${r3(median(ratios))} (min ${r3(Math.min(...ratios))}, max ${r3(Math.max(...ratios))}, ${REPS} reps x ${STEPS} steps, interleaved, machine loaded)`,
    )
  }
}

async function conv(): Promise<void> {
  // [n, h, w, cin, cout, k, stride] of the conv layers of both models.
  const shapes: [number, number, number, number, number, number, number][] = [
    [64, 28, 28, 1, 32, 3, 1],
    [64, 28, 28, 32, 32, 3, 1],
    [64, 14, 14, 32, 64, 3, 1],
    [64, 14, 14, 64, 64, 3, 1],
    [128, 32, 32, 16, 16, 3, 1],
    [128, 32, 32, 16, 32, 3, 2],
    [128, 32, 32, 16, 32, 1, 2],
    [128, 16, 16, 32, 32, 3, 1],
    [128, 16, 16, 32, 64, 3, 2],
    [128, 16, 16, 32, 64, 1, 2],
    [128, 8, 8, 64, 64, 3, 1],
    [128, 32, 32, 3, 16, 3, 1],
  ]
  for (const [n, h, w, cin, cout, k, s] of shapes) {
    const x = tf.randomUniform([n, h, w, cin]) as tf.Tensor4D
    const f = tf.randomUniform([k, k, cin, cout]) as tf.Tensor4D
    const y = tf.conv2d(x, f, s, 'same')
    const dy = tf.randomUniform(y.shape) as tf.Tensor4D
    const runs = {
      filter: () => tf.tidy(() => tf.conv2d(x, f, s, 'same')).dispose(),
      dw: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: f.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      dx: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    }
    const res: string[] = []
    for (const which of ['dw', 'dx'] as const) {
      const one = (): void => {
        const t = runs[which]()
        t.dataSync()
        t.dispose()
      }
      const ratios: number[] = []
      const olds: number[] = []
      const news: number[] = []
      for (let r = 0; r < REPS; r++) {
        const restore = swapIn(oldKernels())
        one()
        const tOld = timeIt(one, 3)
        restore()
        one()
        const tNew = timeIt(one, 3)
        olds.push(tOld)
        news.push(tNew)
        ratios.push(tOld / tNew)
      }
      res.push(`${which} old ${median(olds).toFixed(1)} ms new ${median(news).toFixed(1)} ms x${r3(median(ratios))}`)
    }
    console.log(`conv x[${n},${h},${w},${cin}] k${k} s${s} -> ${cout}: ${res.join('; ')}`)
    tf.dispose([x, f, y, dy])
  }
}

/** [n, h, w, cin, cout, k, stride] of each model's 3x3 convolutions, and how many of each one training step runs. */
const CEILING_LAYERS: Record<string, [number[], number][]> = {
  cnn: [[[64, 28, 28, 1, 32, 3, 1], 1], [[64, 28, 28, 32, 32, 3, 1], 1], [[64, 14, 14, 32, 64, 3, 1], 1], [[64, 14, 14, 64, 64, 3, 1], 1]],
  resnet20: [
    [[128, 32, 32, 3, 16, 3, 1], 1],
    [[128, 32, 32, 16, 16, 3, 1], 6],
    [[128, 32, 32, 16, 32, 3, 2], 1],
    [[128, 16, 16, 32, 32, 3, 1], 5],
    [[128, 16, 16, 32, 64, 3, 2], 1],
    [[128, 8, 8, 64, 64, 3, 1], 5],
  ],
}

const TORCH_CONV = `
import json, sys, time, torch
torch.set_num_threads(1)
out = []
with torch.no_grad():
  for n, h, w, cin, cout, k, s in json.loads(sys.argv[1]):
    x = torch.rand(n, cin, h, w); conv = torch.nn.Conv2d(cin, cout, k, stride=s, padding=k // 2, bias=False)
    for _ in range(2): conv(x)
    t = time.perf_counter()
    for _ in range(5): conv(x)
    out.append((time.perf_counter() - t) / 5 * 1000)
print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "ms": out}))
`

async function ceiling(): Promise<void> {
  const found = findPython()
  if (found.python === null) throw new Error(`ceiling: ${found.reason}`)
  if (tf.getBackend() !== WASM_BACKEND_NAME) throw new Error(`ceiling: the backend is ${tf.getBackend()}, not wasm`)
  const shapes = [...new Map(Object.values(CEILING_LAYERS).flat().map(([s]) => [s.join(','), s])).values()]
  const wasmMs: number[][] = shapes.map(() => [])
  const torchMs: number[][] = shapes.map(() => [])
  let torchInfo = ''
  for (let r = 0; r < REPS; r++) {
    shapes.forEach(([n, h, w, cin, cout, k, s], i) => {
      const x = tf.randomUniform([n!, h!, w!, cin!]) as tf.Tensor4D
      const f = tf.randomUniform([k!, k!, cin!, cout!]) as tf.Tensor4D
      const one = (): void => {
        const y = tf.conv2d(x, f, s!, 'same')
        y.dataSync()
        y.dispose()
      }
      one()
      wasmMs[i]!.push(timeIt(one, 5))
      tf.dispose([x, f])
    })
    const t = JSON.parse(execFileSync(found.python, ['-c', TORCH_CONV, JSON.stringify(shapes)], { encoding: 'utf8' })) as { threads: number; torch: string; ms: number[] }
    torchInfo = `torch ${t.torch} (${found.python}), ${t.threads} thread`
    t.ms.forEach((ms, i) => torchMs[i]!.push(ms))
  }
  console.log(`forward convolutions alone, wasm (XNNPACK, 1 thread: Node) vs ${torchInfo}; median of ${REPS} interleaved reps, ms per call`)
  shapes.forEach((s, i) => {
    const a = median(wasmMs[i]!)
    const b = median(torchMs[i]!)
    console.log(`  x[${s.slice(0, 4).join(',')}] k${s[5]} s${s[6]} -> ${s[4]}: wasm ${a.toFixed(1)} ms, torch ${b.toFixed(1)} ms, wasm speed / torch speed ${r3(b / a)}`)
  })
  for (const [model, layers] of Object.entries(CEILING_LAYERS).filter(([m]) => MODELS.includes(m))) {
    const idx = (s: number[]) => shapes.findIndex((x) => x.join(',') === s.join(','))
    const sum = (ms: number[][]) => layers.reduce((acc, [s, count]) => acc + count * median(ms[idx(s)]!), 0)
    const a = sum(wasmMs)
    const b = sum(torchMs)
    console.log(`${model}: the forward 3x3 convolutions of one step: wasm ${a.toFixed(1)} ms, torch ${b.toFixed(1)} ms, wasm speed / torch speed ${r3(b / a)}`)
  }
}

/** One BatchNorm layer's training forward + backward alone (the bench CNN's shapes), old vs new gradients. */
async function bn(): Promise<void> {
  for (const shape of [[64, 28, 28, 32], [64, 14, 14, 64], [128, 32, 32, 16]] as const) {
    const x = tf.randomNormal([...shape])
    const r = tf.randomNormal([...shape])
    const c = shape[3]
    const scale = tf.ones([c])
    const offset = tf.zeros([c])
    const g = tf.grads((a: tf.Tensor, sc: tf.Tensor, of: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2])
      return tf.batchNorm(a, mean, variance, of, sc, 1e-3).mul(r).sum()
    })
    const one = (): void => {
      const out = g([x, scale, offset])
      out[0]!.dataSync()
      tf.dispose(out)
    }
    const ratios: number[] = []
    const olds: number[] = []
    const news: number[] = []
    for (let i = 0; i < REPS; i++) {
      const restore = swapIn(oldKernels())
      one()
      const tOld = timeIt(one, 3)
      restore()
      one()
      const tNew = timeIt(one, 3)
      olds.push(tOld)
      news.push(tNew)
      ratios.push(tOld / tNew)
    }
    console.log(`batchNorm fwd+bwd x[${shape}]: old ${median(olds).toFixed(1)} ms new ${median(news).toFixed(1)} ms x${r3(median(ratios))} (min ${r3(Math.min(...ratios))}, max ${r3(Math.max(...ratios))})`)
    tf.dispose([x, r, scale, offset])
  }
}

/** The studio's Adam update of every variable of each model, fused kernel vs op by op (kernel unregistered), interleaved. */
async function adam(): Promise<void> {
  for (const m of ALL.filter((a) => MODELS.includes(a.name))) {
    const net = compileGraph(m.doc(), { seed: 1 }).model
    const plan = planParams(net)
    const opt = new TrainOptimizer(plan.params, { spec: { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, weightDecay: 0, clipGradNorm: null })
    const grads = plan.params.map((p) => tf.randomNormal(p.variable.shape, 0, 1e-2))
    const fused = tf.getKernel(ADAM_UPDATE, WASM_BACKEND_NAME)
    if (fused === undefined) throw new Error('the fused Adam kernel is not registered')
    const one = (): void => {
      opt.apply(grads, 1e-3)?.dispose()
      plan.params[0]!.variable.dataSync()
    }
    const ratios: number[] = []
    const olds: number[] = []
    const news: number[] = []
    const counts: number[] = []
    for (let r = 0; r < REPS; r++) {
      tf.unregisterKernel(ADAM_UPDATE, WASM_BACKEND_NAME)
      one()
      const tOld = timeIt(one, 5)
      tf.registerKernel(fused)
      one()
      const tNew = timeIt(one, 5)
      olds.push(tOld)
      news.push(tNew)
      ratios.push(tOld / tNew)
      counts.push(tf.memory().numTensors)
    }
    const size = plan.params.reduce((a, p) => a + p.variable.size, 0)
    console.log(`${m.name} Adam update (${plan.params.length} variables, ${size} weights): old (op by op) ${median(olds).toFixed(1)} ms, new (fused) ${median(news).toFixed(1)} ms, x${r3(median(ratios))} (min ${r3(Math.min(...ratios))}, max ${r3(Math.max(...ratios))}); tensors after each rep: ${counts.join(', ')}`)
    tf.dispose(grads)
    opt.dispose()
    net.dispose()
  }
}

async function main(): Promise<void> {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'
  for (const k of KERNELS) {
    if (k.endsWith(COMPOSITE_SUFFIX)) {
      continue
    } else if (k.endsWith(GRAD_SUFFIX)) {
      const name = k.slice(0, -GRAD_SUFFIX.length)
      const g = tf.getGradient(name)
      if (g === undefined) throw new Error(`--kernels: tfjs has no gradient for '${name}'`)
      NATIVE_GRADS.set(name, g)
    } else {
      const c = tf.getKernel(k, WASM_BACKEND_NAME)
      if (c !== undefined) NATIVE.set(k, c)
    }
  }
  await initWasmBackend({ wasmPaths: dir })
  if (MODE === 'profile') await profile()
  else if (MODE === 'ab') await ab()
  else if (MODE === 'conv') await conv()
  else if (MODE === 'bn') await bn()
  else if (MODE === 'ceiling') await ceiling()
  else if (MODE === 'adam') await adam()
  else throw new Error(`unknown mode '${MODE}' (profile, ab, conv, bn, adam, ceiling)`)
  console.log(`tensors alive at exit: ${tf.memory().numTensors}`)
}

await main()
