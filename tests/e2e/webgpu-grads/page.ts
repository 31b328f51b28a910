/**
 * The page of tests/e2e/webgpu-grads.spec.ts (bundled by the spec with esbuild, served from 127.0.0.1, a secure
 * context, so WebGPU exists): computes the gradients the studio's training needs (convolution incl. stride 2 and
 * same/valid padding, depthwise convolution, max and average pooling, training-mode batch normalization) on the
 * WebGPU backend and on the CPU backend, and reports the largest difference per case.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-webgpu'

export interface GradCase {
  readonly name: string
  /** Largest |WebGPU - CPU| over every gradient of the case, and the largest |CPU| (scale). */
  readonly maxAbsDiff: number
  readonly maxAbs: number
  /** Largest |WebGPU - CPU'| where CPU' is the CPU's gradient of another loss (other weights r): must be far above the tolerance. */
  readonly wrongReferenceDiff: number
  readonly ms: number
}

export interface GradReport {
  readonly backend: string
  readonly adapter: string
  readonly cases: GradCase[]
}

/** Deterministic values in [-1, 1) (no Math.random: the same inputs on both backends and every run). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 12.9898 + seed * 78.233) * 0.999
  return out
}

type Inputs = { readonly shape: number[]; readonly seed: number }[]
/** The case's function of its inputs; the loss is sum(f(...) * r) with a fixed r, so dy is not all ones. */
type Fn = (...xs: tf.Tensor[]) => tf.Tensor

interface Case {
  readonly name: string
  readonly inputs: Inputs
  readonly fn: Fn
}

const x4 = (seed: number, shape = [2, 6, 6, 3]) => ({ shape, seed })

const CASES: Case[] = [
  { name: 'conv2d 3x3 stride 1 same', inputs: [x4(1), { shape: [3, 3, 3, 4], seed: 2 }], fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { name: 'conv2d 3x3 stride 2 same', inputs: [x4(1), { shape: [3, 3, 3, 4], seed: 2 }], fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same') },
  { name: 'conv2d 3x3 stride 2 valid', inputs: [x4(1, [2, 7, 7, 3]), { shape: [3, 3, 3, 4], seed: 2 }], fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid') },
  { name: 'conv2d 1x1 stride 2 valid (projection shortcut)', inputs: [x4(1), { shape: [1, 1, 3, 4], seed: 2 }], fn: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid') },
  { name: 'depthwise 3x3 stride 1 same', inputs: [x4(3), { shape: [3, 3, 3, 1], seed: 4 }], fn: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { name: 'depthwise 3x3 stride 2 valid', inputs: [x4(3, [2, 7, 7, 3]), { shape: [3, 3, 3, 1], seed: 4 }], fn: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid') },
  { name: 'max pool 2x2 stride 2 valid', inputs: [x4(5)], fn: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { name: 'max pool 3x3 stride 2 same', inputs: [x4(5, [2, 7, 7, 3])], fn: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
  { name: 'average pool 2x2 stride 2 valid', inputs: [x4(6)], fn: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { name: 'average pool 3x3 stride 1 same', inputs: [x4(6)], fn: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same') },
  {
    // Training-mode batch normalization over N, H, W (what tf.layers' BatchNormalization computes while training).
    name: 'batch normalization (batch statistics, scale and offset)',
    inputs: [x4(7), { shape: [3], seed: 8 }, { shape: [3], seed: 9 }],
    fn: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x!, [0, 1, 2])
      return tf.batchNorm(x as tf.Tensor4D, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3)
    },
  },
]

/** `rSeed`: the loss weights r (100 for the real comparison; another seed gives a wrong reference). */
async function gradsOn(backend: string, c: Case, rSeed = 100): Promise<Float32Array[]> {
  await tf.setBackend(backend)
  const grads = tf.tidy(() => {
    const xs = c.inputs.map((i) => tf.tensor(values(i.shape.reduce((a, b) => a * b, 1), i.seed), i.shape))
    const outShape = c.fn(...xs).shape
    const r = tf.tensor(values(outShape.reduce((a, b) => a * b, 1), rSeed), outShape)
    return tf.grads((...args: tf.Tensor[]) => c.fn(...args).mul(r).sum())(xs)
  })
  // Read back asynchronously (WebGPU's synchronous read is not reliable on every adapter).
  const out = await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array))
  tf.dispose(grads)
  return out
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0
  a.forEach((arr, k) => {
    const other = b[k]!
    if (other.length !== arr.length) throw new Error(`gradient ${k}: ${arr.length} values vs ${other.length}`)
    for (let i = 0; i < arr.length; i++) m = Math.max(m, Math.abs(arr[i]! - other[i]!))
  })
  return m
}

async function run(): Promise<GradReport> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('WebGPU backend did not start')
  await tf.ready()
  await tf.setBackend('cpu')
  await tf.ready()
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }).gpu
  const info = (await gpu?.requestAdapter())?.info
  const cases: GradCase[] = []
  for (const c of CASES) {
    const t0 = performance.now()
    const webgpu = await gradsOn('webgpu', c)
    const cpu = await gradsOn('cpu', c)
    const wrong = await gradsOn('cpu', c, 101)
    cases.push({
      name: c.name,
      maxAbsDiff: maxDiff(webgpu, cpu),
      maxAbs: cpu.reduce((m, arr) => arr.reduce((mm, v) => Math.max(mm, Math.abs(v)), m), 0),
      wrongReferenceDiff: maxDiff(webgpu, wrong),
      ms: performance.now() - t0,
    })
  }
  return { backend: 'webgpu', adapter: [info?.vendor, info?.architecture].filter(Boolean).join(' '), cases }
}

declare global {
  interface Window {
    __webgpuGrads?: () => Promise<GradReport>
  }
}
window.__webgpuGrads = run
