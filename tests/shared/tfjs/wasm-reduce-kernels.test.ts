import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { blockReduction } from '../../../shared/tfjs/wasm/reduce-kernels'
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

describe('BatchNorm training gradients on wasm (they run these Sum/Mean) match the CPU backend', () => {
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
