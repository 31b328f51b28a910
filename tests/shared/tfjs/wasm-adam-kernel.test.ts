import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { TrainOptimizer } from '../../../shared/train'
import type { OptimizerParam, OptimizerSpec } from '../../../shared/train'
import { ADAM_UPDATE } from '../../../shared/tfjs/wasm'
import { setupWasm, values } from './wasm-test-setup'

beforeAll(async () => {
  await setupWasm(true)
})

/** Several Adam(W) updates of two variables (odd sizes, one with weight decay) on `backend`; the final weights and slots. */
function train(backend: string, spec: OptimizerSpec, steps: number): { weights: Float32Array[]; counts: number[] } {
  const prev = tf.getBackend()
  tf.setBackend(backend)
  try {
    const shapes = [[3, 3, 2, 5], [7]]
    const vars = shapes.map((s, i) => tf.variable(tf.tensor(values(s.reduce((a, b) => a * b, 1), 70 + i), s)))
    const params: OptimizerParam[] = vars.map((v, i) => ({ name: `layer${i}/kernel`, variable: v, lrMultiplier: i === 0 ? 1 : 0.5, decay: i === 0 }))
    const opt = new TrainOptimizer(params, { spec, weightDecay: 0.01, clipGradNorm: null })
    const counts: number[] = []
    for (let t = 0; t < steps; t++) {
      const gs = shapes.map((s, i) => tf.tensor(values(s.reduce((a, b) => a * b, 1), 100 * t + i).map((g) => g * (t + 1)), s))
      opt.apply(gs, 0.01 * (t + 1))?.dispose()
      tf.dispose(gs)
      counts.push(tf.memory().numTensors)
    }
    const weights = vars.map((v) => v.dataSync() as Float32Array)
    opt.dispose()
    tf.dispose(vars)
    return { weights, counts }
  } finally {
    tf.setBackend(prev)
  }
}

describe('fused Adam update on wasm (one kernel per variable per step)', () => {
  it.each([
    ['adam', { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }],
    ['adam, other betas', { type: 'adam', beta1: 0.5, beta2: 0.9, epsilon: 1e-3 }],
    ['adamw (decoupled decay after the fused step)', { type: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }],
  ] as [string, OptimizerSpec][])('%s: bit-identical to the op-by-op update on the CPU backend, tensor count constant', (_n, spec) => {
    expect(tf.getKernel(ADAM_UPDATE, 'wasm')).toBeDefined()
    expect(tf.getKernel(ADAM_UPDATE, 'cpu')).toBeUndefined() // the CPU backend runs the op-by-op update
    const cpu = train('cpu', spec, 5)
    const wasm = train('wasm', spec, 5)
    for (let i = 0; i < cpu.weights.length; i++) expect(Array.from(wasm.weights[i]!)).toEqual(Array.from(cpu.weights[i]!))
    expect(new Set(wasm.counts).size, `tensor counts ${wasm.counts}`).toBe(1)
  })

  it('refuses inputs of different shapes with a clear error', () => {
    const prev = tf.getBackend()
    tf.setBackend('wasm')
    try {
      const w = tf.zeros([3])
      const g = tf.zeros([4])
      expect(() => tf.engine().runKernel(ADAM_UPDATE, { w, g, m: w, v: w }, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, lr: 0.1, t: 1 })).toThrow(/shapes differ/)
      tf.dispose([w, g])
    } finally {
      tf.setBackend(prev)
    }
  })
})

