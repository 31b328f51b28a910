import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { registerWasmTrainingKernels } from '../../../shared/tfjs/wasm'
import { batchMatMulHandles } from '../../../shared/tfjs/wasm/matmul-kernels'
import { onBackend, relErr, setupWasm, values, wasmDataIds } from './wasm-test-setup'

const TOL = 1e-5

beforeAll(async () => {
  await setupWasm(true)
})

/** [a shape, b shape, transposeA, transposeB] */
const CASES: [number[], number[], boolean, boolean][] = [
  [[7, 5], [7, 3], true, false], // Dense dW = x^T dy
  [[6, 4], [9, 4], false, true], // Dense dx = dy W^T
  [[5, 7], [3, 5], true, true],
  [[64, 300], [64, 10], true, false], // direct form: op(A) op(B)
  [[2, 10], [300, 10], false, true], // swapped form: (B A^T)^T
  [[3, 4, 5], [3, 4, 6], true, false], // batched
  [[3, 5, 4], [3, 6, 4], false, true],
  [[1, 4, 5], [3, 6, 4], true, true], // broadcast batch
  [[2, 1, 5, 4], [2, 3, 5, 6], true, false], // rank 4, broadcast
  [[1, 1], [1, 1], true, true],
  [[4, 6], [6, 5], false, false], // untransposed: native kernel
]

describe('BatchMatMul with transposed operands on wasm matches the CPU backend', () => {
  it.each(CASES.map((c) => [`a[${c[0]}]${c[2] ? '^T' : ''} b[${c[1]}]${c[3] ? '^T' : ''}`, c] as const))('%s', (_n, [sa, sb, ta, tb]) => {
    const av = values(sa.reduce((p, q) => p * q, 1), 1)
    const bv = values(sb.reduce((p, q) => p * q, 1), 2)
    const f = () => tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), ta, tb)
    const shapes: number[][] = []
    const cpu = onBackend('cpu', () => f())[0]!
    const ids = wasmDataIds()
    const tensors = tf.memory().numTensors
    const wasm = onBackend('wasm', () => {
      const t = f()
      shapes.push(t.shape)
      return t
    })[0]!
    expect(wasmDataIds(), 'wasm buffers leaked').toBe(ids)
    expect(tf.memory().numTensors, 'tensors leaked').toBe(tensors)
    expect(shapes[0]).toEqual(tf.tidy(() => f().shape))
    expect(relErr(wasm, cpu)).toBeLessThan(TOL)
  })

  it('handles only float32 products with a transposed operand (the rest stays native)', () => {
    const a: tf.TensorInfo = { dataId: {}, shape: [2, 3], dtype: 'float32' }
    expect(batchMatMulHandles({ transposeA: true, transposeB: false }, { a, b: a })).toBe(true)
    expect(batchMatMulHandles({ transposeA: false, transposeB: false }, { a, b: a })).toBe(false)
    expect(batchMatMulHandles({ transposeA: true, transposeB: false }, { a: { ...a, dtype: 'int32' as const }, b: a })).toBe(false)
  })

  it('registration is idempotent and reports BatchMatMul once', () => {
    expect(registerWasmTrainingKernels().registered).not.toContain('BatchMatMul')
  })
})

describe('Dense layer gradients on wasm (they run transposed products) match the CPU backend', () => {
  it('dW, db and dx of a Dense layer', () => {
    const xv = values(16 * 50, 3)
    const wv = values(50 * 12, 4)
    const rv = values(16 * 12, 5)
    const grads = () => {
      const x = tf.tensor2d(xv, [16, 50])
      const w = tf.tensor2d(wv, [50, 12])
      const b = tf.zeros([12])
      const r = tf.tensor2d(rv, [16, 12])
      const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'relu' }).mul(r).sum())
      return g([x, w, b])
    }
    const cpu = onBackend('cpu', grads)
    const wasm = onBackend('wasm', grads)
    for (let i = 0; i < 3; i++) expect(relErr(wasm[i]!, cpu[i]!), `gradient ${i}`).toBeLessThan(TOL)
  })
})
