import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { blockReduction, mergeTransposeAxes } from '../../../shared/tfjs/wasm/layout-kernels'
import { onBackend, relErr, setupWasm, values, wasmDataIds } from './wasm-test-setup'

const TOL = 1e-5

beforeAll(async () => {
  await setupWasm(true)
})

/** Runs `fn` on the CPU backend and on wasm; wasm must leak neither tensors nor backend buffers. */
function bothBackends(fn: () => tf.Tensor): { cpu: Float32Array; wasm: Float32Array; cpuShape: number[]; wasmShape: number[] } {
  const shapes: Record<string, number[]> = {}
  const run = (backend: string) =>
    onBackend(backend, () => {
      const t = fn()
      shapes[backend] = t.shape
      return t
    })[0]!
  const cpu = run('cpu')
  const ids = wasmDataIds()
  const tensors = tf.memory().numTensors
  const wasm = run('wasm')
  expect(wasmDataIds(), 'wasm buffers leaked').toBe(ids)
  expect(tf.memory().numTensors, 'tensors leaked').toBe(tensors)
  return { cpu, wasm, cpuShape: shapes['cpu']!, wasmShape: shapes['wasm']! }
}

describe('mergeTransposeAxes', () => {
  it('merges axes that stay adjacent and drops size-1 axes', () => {
    expect(mergeTransposeAxes([2, 3, 4, 5], [3, 1, 2, 0])).toEqual({ shape: [2, 12, 5], perm: [2, 1, 0] })
    expect(mergeTransposeAxes([2, 3, 4, 5], [0, 1, 2, 3])).toEqual({ shape: [120], perm: [0] })
    expect(mergeTransposeAxes([2, 1, 4, 5], [1, 0, 3, 2])).toEqual({ shape: [2, 4, 5], perm: [0, 2, 1] })
    expect(mergeTransposeAxes([1, 1], [1, 0])).toEqual({ shape: [], perm: [] })
  })
})

describe('blockReduction', () => {
  it('describes contiguous non-innermost reductions and refuses the others', () => {
    expect(blockReduction([4, 5, 6, 7], [0, 1, 2])).toEqual({ outer: 1, reduced: 120, inner: 7 })
    expect(blockReduction([4, 5, 6, 7], [2, 1])).toEqual({ outer: 4, reduced: 30, inner: 7 })
    expect(blockReduction([4, 5, 6, 7], [-3])).toEqual({ outer: 4, reduced: 5, inner: 42 })
    expect(blockReduction([4, 5, 6, 7], [3])).toBeNull() // innermost: the native kernel's case
    expect(blockReduction([4, 5, 6, 7], [0, 2])).toBeNull() // not contiguous
    expect(blockReduction([4, 5, 6, 7], undefined)).toBeNull() // everything
  })
})

const TRANSPOSES: { shape: number[]; perm: number[] }[] = [
  { shape: [3, 7, 9, 5], perm: [3, 1, 2, 0] }, // conv filter gradient: x -> [Cin, H, W, N]
  { shape: [3, 7, 9, 5], perm: [1, 2, 0, 3] }, // conv filter gradient: dy -> [OH, OW, N, Cout]
  { shape: [3, 3, 4, 6], perm: [0, 1, 3, 2] }, // conv input gradient: filter
  { shape: [5, 3, 3, 6], perm: [1, 2, 0, 3] },
  { shape: [2, 3, 4, 5], perm: [2, 0, 3, 1] },
  { shape: [7, 11], perm: [1, 0] },
  { shape: [13], perm: [0] },
  { shape: [2, 1, 3, 1, 5], perm: [4, 3, 2, 1, 0] }, // rank 5, size-1 axes dropped
  { shape: [2, 3, 2, 3, 2], perm: [4, 2, 0, 3, 1] }, // rank 5 that does not merge: native kernel
  { shape: [0, 3, 2], perm: [2, 0, 1] }, // empty
]

describe('Transpose on wasm matches the CPU backend', () => {
  it.each(TRANSPOSES.map((c) => [`[${c.shape}] perm [${c.perm}]`, c] as const))('%s', (_n, c) => {
    const size = c.shape.reduce((a, b) => a * b, 1)
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const v = values(size, 5)
      const data = dtype === 'float32' ? v : dtype === 'int32' ? Int32Array.from(v, (x) => Math.round(x * 1000)) : Uint8Array.from(v, (x) => (x > 0 ? 1 : 0))
      const r = bothBackends(() => tf.transpose(tf.tensor(data, c.shape, dtype), c.perm))
      expect(r.wasmShape).toEqual(r.cpuShape)
      expect(Array.from(r.wasm), dtype).toEqual(Array.from(r.cpu))
    }
  })
})

const REDUCTIONS: { shape: number[]; axis: number[] | number; keepDims?: boolean }[] = [
  { shape: [5, 7, 9, 6], axis: [0, 1, 2] }, // BatchNorm statistics / conv bias gradient
  { shape: [5, 7, 9, 6], axis: [0, 1, 2], keepDims: true },
  { shape: [5, 7, 9, 6], axis: [1, 2] }, // global average pooling
  { shape: [5, 7, 9, 6], axis: [1, 2], keepDims: true },
  { shape: [33, 17], axis: [0] }, // dense bias gradient
  { shape: [4, 6, 5], axis: 1 },
  { shape: [4, 6, 5], axis: -2 },
  { shape: [1, 3, 3, 1, 2], axis: [1, 2, 3] },
  { shape: [5, 7, 9, 6], axis: [3] }, // innermost: native kernel
  { shape: [5, 7, 9, 6], axis: [0, 2] }, // not contiguous: native kernel
  { shape: [5, 7, 9, 6], axis: [0, 1, 2, 3] }, // everything: native kernel
]

describe('Sum and Mean on wasm match the CPU backend', () => {
  it.each(REDUCTIONS.map((c) => [`[${c.shape}] axis ${JSON.stringify(c.axis)}${c.keepDims ? ' keepDims' : ''}`, c] as const))('%s', (_n, c) => {
    const size = c.shape.reduce((a, b) => a * b, 1)
    // Offset so that sums do not cancel to ~0 (a relative error on a cancelled sum says nothing).
    const data = values(size, 9).map((v) => v + 0.25)
    for (const op of ['sum', 'mean'] as const) {
      const r = bothBackends(() => tf[op](tf.tensor(data, c.shape), c.axis, c.keepDims ?? false))
      expect(r.wasmShape, op).toEqual(r.cpuShape)
      expect(relErr(r.wasm, r.cpu), op).toBeLessThan(TOL)
    }
  })

  it('int32 sums still go to the native kernel', () => {
    const data = Int32Array.from({ length: 60 }, (_, i) => i - 20)
    const r = bothBackends(() => tf.sum(tf.tensor(data, [3, 4, 5], 'int32'), [0, 1]))
    expect(Array.from(r.wasm)).toEqual(Array.from(r.cpu))
  })
})

describe('BatchNorm training gradients on wasm (they run these Sum/Mean/Transpose) match the CPU backend', () => {
  it.each([
    [[3, 5, 7, 4]],
    [[2, 9, 6, 3]],
  ] as const)('x [%s]', (shape) => {
    const size = shape.reduce((a, b) => a * b, 1)
    const xv = values(size, 11)
    const rv = values(size, 12)
    const fn = (): tf.Tensor => {
      const x = tf.tensor4d(xv, [...shape])
      const r = tf.tensor4d(rv, [...shape])
      const c = shape[3]
      const offset = tf.tensor1d(values(c, 13))
      const scale = tf.tensor1d(values(c, 14).map((v) => v + 1.5))
      const f = (a: tf.Tensor): tf.Tensor => {
        const { mean, variance } = tf.moments(a, [0, 1, 2])
        return tf.batchNorm(a, mean, variance, offset, scale, 1e-3).mul(r).sum()
      }
      return tf.grad(f)(x)
    }
    const c = bothBackends(fn)
    expect(relErr(c.wasm, c.cpu)).toBeLessThan(TOL)
  })
})
