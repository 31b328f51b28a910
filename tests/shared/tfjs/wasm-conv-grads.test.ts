import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { registerWasmTrainingKernels, WASM_TRAINING_KERNEL_NAMES } from '../../../shared/tfjs/wasm'
import { onBackend, relErr, setupWasm, values, wasmDataIds } from './wasm-test-setup'

const TOL = 1e-4

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]]
type Round = 'floor' | 'round' | 'ceil' | undefined

interface ConvCase {
  n: number
  h: number
  w: number
  cin: number
  cout: number // conv2d: output channels; depthwise: channel multiplier
  k: number
  s: number
  pad: Pad
  round?: Round
}

function label(c: ConvCase): string {
  const pad = Array.isArray(c.pad) ? `explicit${JSON.stringify(c.pad.slice(1, 3))}` : String(c.pad)
  return `x[${c.n},${c.h},${c.w},${c.cin}] k${c.k} s${c.s} pad=${pad}${c.round ? `/${c.round}` : ''} out=${c.cout}`
}

/** Gradients of sum(conv(x, w) * r) w.r.t. x and w (r random => random dy). */
function convGrads(c: ConvCase, depthwise: boolean): () => tf.Tensor[] {
  const filterShape: [number, number, number, number] = [c.k, c.k, c.cin, c.cout]
  const xv = values(c.n * c.h * c.w * c.cin, 1)
  const wv = values(c.k * c.k * c.cin * c.cout, 2)
  return () => {
    const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.cin])
    const w = tf.tensor4d(wv, filterShape)
    const f = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D =>
      depthwise
        ? tf.depthwiseConv2d(a, b, c.s, c.pad as 'same', 'NHWC', 1, c.round)
        : tf.conv2d(a, b, c.s, c.pad as 'same', 'NHWC', 1, c.round)
    const outShape = f(x, w).shape
    const r = tf.tensor(values(outShape.reduce((p, q) => p * q, 1), 3), outShape)
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D).mul(r).sum())
    return g([x, w])
  }
}

const CONV_CASES: ConvCase[] = [
  { n: 2, h: 7, w: 9, cin: 3, cout: 4, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 7, w: 9, cin: 3, cout: 4, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, k: 3, s: 1, pad: 'valid' },
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, k: 3, s: 2, pad: 'valid' },
  { n: 2, h: 10, w: 11, cin: 2, cout: 3, k: 3, s: 2, pad: 'valid' }, // unused trailing rows/cols
  { n: 3, h: 5, w: 5, cin: 1, cout: 2, k: 1, s: 1, pad: 'same' },
  { n: 2, h: 11, w: 9, cin: 4, cout: 5, k: 1, s: 2, pad: 'valid' },
  { n: 2, h: 9, w: 7, cin: 2, cout: 3, k: 5, s: 1, pad: 'same' },
  { n: 1, h: 6, w: 6, cin: 2, cout: 3, k: 5, s: 2, pad: 'valid' },
  { n: 2, h: 13, w: 11, cin: 3, cout: 2, k: 5, s: 2, pad: 'same' },
  { n: 1, h: 7, w: 7, cin: 2, cout: 2, k: 3, s: 3, pad: 'same' },
  { n: 2, h: 8, w: 9, cin: 2, cout: 3, k: 3, s: 2, pad: 1 },
  { n: 2, h: 9, w: 9, cin: 2, cout: 3, k: 3, s: 2, pad: 1, round: 'floor' },
  { n: 2, h: 7, w: 8, cin: 2, cout: 3, k: 3, s: 2, pad: [[0, 0], [2, 0], [0, 3], [0, 0]] },
  { n: 2, h: 6, w: 7, cin: 3, cout: 2, k: 3, s: 1, pad: [[0, 0], [0, 1], [4, 2], [0, 0]] },
]

const DW_CASES: ConvCase[] = CONV_CASES.filter((c) => typeof c.pad === 'string').flatMap((c) => [
  { ...c, cout: 1 },
  { ...c, cout: 2 },
])

beforeAll(async () => {
  await setupWasm(true)
})

describe('registerWasmTrainingKernels', () => {
  it('provides the convolution gradient kernels for wasm and is idempotent', () => {
    const names = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName))
    for (const k of WASM_TRAINING_KERNEL_NAMES) expect(names.has(k), k).toBe(true)
    expect(registerWasmTrainingKernels()).toEqual({ registered: [], skipped: [], gradients: [], batchNormLayer: false })
    expect(tf.getKernelsForBackend('wasm').length).toBe(names.size)
  })
})

describe('conv2d gradients on wasm match the CPU backend', () => {
  it.each(CONV_CASES.map((c) => [label(c), c] as const))('%s', (_name, c) => {
    const fn = convGrads(c, false)
    const [cdx, cdw] = onBackend('cpu', fn)
    const ids = wasmDataIds()
    const tensors = tf.memory().numTensors
    const [wdx, wdw] = onBackend('wasm', fn)
    expect(relErr(wdx!, cdx!), 'dx').toBeLessThan(TOL)
    expect(relErr(wdw!, cdw!), 'dw').toBeLessThan(TOL)
    expect(wasmDataIds(), 'wasm buffers leaked').toBe(ids)
    expect(tf.memory().numTensors).toBe(tensors)
  })
})

describe('depthwiseConv2d gradients on wasm match the CPU backend', () => {
  it.each(DW_CASES.map((c) => [label(c), c] as const))('%s', (_name, c) => {
    const fn = convGrads(c, true)
    const [cdx, cdw] = onBackend('cpu', fn)
    const ids = wasmDataIds()
    const [wdx, wdw] = onBackend('wasm', fn)
    expect(relErr(wdx!, cdx!), 'dx').toBeLessThan(TOL)
    expect(relErr(wdw!, cdw!), 'dw').toBeLessThan(TOL)
    expect(wasmDataIds(), 'wasm buffers leaked').toBe(ids)
  })
})

/**
 * tfjs refuses gradients of dilated convolutions, but the depthwise backprop kernels take a
 * `dilations` attr. Reference: a dilation-d filter equals a dilation-1 filter with zeros
 * inserted, so the CPU kernels at dilation 1 on the zero-inserted filter give the answer.
 */
describe('depthwise backprop kernels with dilation 2 (kernel-level)', () => {
  const cases: ConvCase[] = [
    { n: 2, h: 9, w: 8, cin: 3, cout: 1, k: 3, s: 1, pad: 'same' },
    { n: 2, h: 9, w: 8, cin: 2, cout: 2, k: 3, s: 1, pad: 'valid' },
    { n: 1, h: 12, w: 11, cin: 2, cout: 2, k: 5, s: 1, pad: 'same' },
  ]
  it.each(cases.map((c) => [label(c), c] as const))('%s', (_name, c) => {
    const d = 2
    const ke = (c.k - 1) * d + 1
    const xv = values(c.n * c.h * c.w * c.cin, 11)
    const wv = values(c.k * c.k * c.cin * c.cout, 12)
    const outShape = tf.tidy(
      () => tf.depthwiseConv2d(tf.zeros([c.n, c.h, c.w, c.cin]) as tf.Tensor4D, tf.zeros([ke, ke, c.cin, c.cout]) as tf.Tensor4D, 1, c.pad as 'same').shape,
    )
    const dyv = values(outShape.reduce((p, q) => p * q, 1), 13)
    const inputShape: [number, number, number, number] = [c.n, c.h, c.w, c.cin]

    const ours = onBackend('wasm', () => {
      const x = tf.tensor4d(xv, inputShape)
      const w = tf.tensor4d(wv, [c.k, c.k, c.cin, c.cout])
      const dy = tf.tensor(dyv, outShape)
      const attrs = { strides: 1, dilations: d, pad: c.pad } as unknown as tf.NamedAttrMap
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape }) as tf.Tensor
      const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: [c.k, c.k, c.cin, c.cout] }) as tf.Tensor
      return [dx, dw]
    })
    const ref = onBackend('cpu', () => {
      const x = tf.tensor4d(xv, inputShape)
      const w = tf.tensor4d(wv, [c.k, c.k, c.cin, c.cout])
      // zero-insert: [k,k,C,M] -> [ke,ke,C,M]
      const wDil = tf.buffer([ke, ke, c.cin, c.cout])
      const wb = w.bufferSync()
      for (let i = 0; i < c.k; i++)
        for (let j = 0; j < c.k; j++)
          for (let ch = 0; ch < c.cin; ch++) for (let m = 0; m < c.cout; m++) wDil.set(wb.get(i, j, ch, m), i * d, j * d, ch, m)
      const dy = tf.tensor(dyv, outShape)
      const attrs = { strides: 1, dilations: 1, pad: c.pad } as unknown as tf.NamedAttrMap
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: wDil.toTensor() }, { ...attrs, inputShape }) as tf.Tensor
      const dwe = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: [ke, ke, c.cin, c.cout] }) as tf.Tensor4D
      const dw = tf.stridedSlice(dwe, [0, 0, 0, 0], [ke, ke, c.cin, c.cout], [d, d, 1, 1])
      return [dx, dw]
    })
    expect(relErr(ours[0]!, ref[0]!), 'dx').toBeLessThan(TOL)
    expect(relErr(ours[1]!, ref[1]!), 'dw').toBeLessThan(TOL)
  })
})

describe('data formats', () => {
  it('Conv2DBackpropFilter rejects NCHW with a clear error', () => {
    expect(() =>
      onBackend('wasm', () =>
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: tf.zeros([1, 2, 5, 5]), dy: tf.zeros([1, 3, 5, 5]) },
          { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] },
        ) as tf.Tensor,
      ),
    ).toThrow(/NHWC/)
  })

  it('Conv2DBackpropInput still handles NCHW (delegated to the native WASM kernel)', () => {
    const dyv = values(2 * 3 * 4 * 4, 21)
    const wv = values(3 * 3 * 2 * 3, 22)
    const fn = () =>
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy: tf.tensor4d(dyv, [2, 3, 4, 4]), filter: tf.tensor4d(wv, [3, 3, 2, 3]) },
        { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 2, 7, 7] },
      ) as tf.Tensor
    const [ref] = onBackend('cpu', fn)
    const [ours] = onBackend('wasm', fn)
    expect(relErr(ours!, ref!)).toBeLessThan(TOL)
  })
})

describe('pooling gradients on wasm agree with CPU', () => {
  const cases = [
    { k: 2, s: 2, pad: 'valid' as const },
    { k: 3, s: 2, pad: 'same' as const },
    { k: 3, s: 1, pad: 'same' as const },
    { k: 3, s: 2, pad: 'valid' as const },
  ]
  for (const pool of ['max', 'avg'] as const) {
    it.each(cases.map((c) => [`${pool} k${c.k} s${c.s} ${c.pad}`, c] as const))('%s', (_n, c) => {
      const xv = values(2 * 9 * 8 * 3, 31)
      const fn = () => {
        const x = tf.tensor4d(xv, [2, 9, 8, 3])
        const f = (a: tf.Tensor4D) => (pool === 'max' ? tf.maxPool(a, c.k, c.s, c.pad) : tf.avgPool(a, c.k, c.s, c.pad))
        const y = f(x)
        const r = tf.tensor(values(y.size, 32), y.shape)
        return tf.grad((a: tf.Tensor) => f(a as tf.Tensor4D).mul(r).sum())(x)
      }
      const [ref] = onBackend('cpu', fn)
      const ids = wasmDataIds()
      const [ours] = onBackend('wasm', fn)
      expect(relErr(ours!, ref!)).toBeLessThan(TOL)
      expect(wasmDataIds()).toBe(ids)
    })
  }

  it('max-pool gradient goes to the window maximum even when the window is all negative', () => {
    // tfjs-backend-wasm 4.22's native MaxPoolGrad gets this wrong; ours replaces it.
    const xv = [-1, -5, -2, -3, -4, -0.5, -7, -1, 2, 2, 9, 3, 1, 8, 0, 6]
    const fn = () => tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').sum())(tf.tensor4d(xv, [1, 4, 4, 1]))
    const [ours] = onBackend('wasm', fn)
    expect(Array.from(ours!)).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0])
  })
})

describe('Tile on wasm (block-copy replacement) agrees with CPU', () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 5], [3, 4, 2, 1]], // BatchNorm-gradient pattern
    [[2, 3], [2, 3]],
    [[4], [3]],
    [[2, 1, 3], [1, 5, 1]],
    [[3, 2, 2, 2], [1, 1, 1, 1]],
    [[2, 0, 3], [2, 2, 2]],
    [[], []],
  ]
  it.each(cases.map(([s, r]) => [`[${s}] x [${r}]`, s, r] as const))('%s', (_n, shape, reps) => {
    const size = shape.reduce((p, q) => p * q, 1)
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const vals = Array.from(values(size, 41), (v) => (dtype === 'float32' ? v : dtype === 'int32' ? Math.round(v * 100) : v > 0 ? 1 : 0))
      const fn = () => tf.tile(tf.tensor(vals, shape, dtype), reps).cast('float32')
      const [ref] = onBackend('cpu', fn)
      const [ours] = onBackend('wasm', fn)
      expect(Array.from(ours!), dtype).toEqual(Array.from(ref!))
    }
  })
})
