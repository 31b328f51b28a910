import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { wasmThreadsPolicy } from '../../../shared/tfjs/wasm'
import type { InitWasmBackendResult } from '../../../shared/tfjs/wasm'
import { relErr, setupWasm, values, wasmDataIds } from './wasm-test-setup'

const BATCH = 8
const SIZE = 12
const CLASSES = 3

/** conv-BN-relu-maxpool-conv-relu-GAP-(dropout)-dense, small enough for 2 cores. */
function buildModel(dropout: boolean): tf.LayersModel {
  let seed = 100
  const init = () => tf.initializers.glorotUniform({ seed: seed++ })
  const input = tf.input({ shape: [SIZE, SIZE, 1] })
  let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init() }).apply(input) as tf.SymbolicTensor
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor
  h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor
  h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor
  h = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init() }).apply(h) as tf.SymbolicTensor
  h = tf.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }).apply(h) as tf.SymbolicTensor
  h = tf.layers.averagePooling2d({ poolSize: 1 }).apply(h) as tf.SymbolicTensor
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor
  if (dropout) h = tf.layers.dropout({ rate: 0.2, seed: 7 }).apply(h) as tf.SymbolicTensor
  const out = tf.layers.dense({ units: CLASSES, kernelInitializer: init() }).apply(h) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: out })
}

function batch(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.tensor4d(values(BATCH * SIZE * SIZE, 5), [BATCH, SIZE, SIZE, 1])
  const labels = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % CLASSES), 'int32')
  const y = tf.oneHot(labels, CLASSES) as tf.Tensor2D
  labels.dispose()
  return { x, y }
}

function lossFn(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): () => tf.Scalar {
  return () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar
}

let init: InitWasmBackendResult

beforeAll(async () => {
  init = await setupWasm()
})

describe('initWasmBackend', () => {
  it('activates wasm and reports its capabilities', () => {
    expect(init.backend).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(init.threads).toBeGreaterThanOrEqual(1)
    expect(typeof init.simd).toBe('boolean')
  })

  it('threads policy is half the logical cores, at least one', () => {
    expect(wasmThreadsPolicy(undefined)).toBe(1)
    expect(wasmThreadsPolicy(1)).toBe(1)
    expect(wasmThreadsPolicy(2)).toBe(1)
    expect(wasmThreadsPolicy(8)).toBe(4)
    expect(wasmThreadsPolicy(7)).toBe(3)
    expect(wasmThreadsPolicy(Number.NaN)).toBe(1)
  })
})

describe('small CNN training step on wasm', () => {
  it('loss and every gradient agree with the CPU backend for the same weights and batch', () => {
    const results: Record<string, { loss: number; grads: Map<string, Float32Array> }> = {}
    let weights: { values: Float32Array; shape: number[] }[] | null = null
    for (const backend of ['cpu', 'wasm']) {
      tf.setBackend(backend)
      // One model per backend (no cross-backend data moves), same weights.
      const model = buildModel(false)
      if (weights === null) {
        weights = model.getWeights().map((w) => ({ values: w.dataSync() as Float32Array, shape: w.shape }))
      } else {
        const ws = weights.map((w) => tf.tensor(w.values, w.shape))
        model.setWeights(ws)
        tf.dispose(ws)
      }
      const { x, y } = batch()
      const { value, grads } = tf.variableGrads(lossFn(model, x, y))
      const g = new Map<string, Float32Array>()
      // Variable names carry a per-model suffix; key by position instead.
      Object.values(grads).forEach((t, i) => g.set(`${i}:${t.shape.join('x')}`, t.dataSync() as Float32Array))
      results[backend] = { loss: value.dataSync()[0]!, grads: g }
      tf.dispose([value, x, y, ...Object.values(grads)])
      model.dispose()
    }
    tf.setBackend('wasm')
    const cpu = results['cpu']!
    const wasm = results['wasm']!
    expect(Number.isFinite(cpu.loss)).toBe(true)
    expect(Math.abs(wasm.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThan(1e-5)
    expect([...wasm.grads.keys()]).toEqual([...cpu.grads.keys()])
    expect(cpu.grads.size).toBeGreaterThanOrEqual(9) // conv/dw kernels + biases + BN + dense
    for (const [name, g] of cpu.grads) {
      expect(relErr(wasm.grads.get(name)!, g), name).toBeLessThan(1e-3)
    }
  })

  it.each([
    ['adam', () => tf.train.adam(1e-2)],
    ['sgd momentum', () => tf.train.momentum(0.05, 0.9)],
  ] as const)('trains with %s: loss decreases, no tensor or wasm buffer leaks', (_name, makeOpt) => {
    tf.setBackend('wasm')
    const model = buildModel(true)
    const { x, y } = batch()
    const opt = makeOpt()
    const step = (): number => {
      const loss = opt.minimize(lossFn(model, x, y), true)!
      const v = loss.dataSync()[0]!
      loss.dispose()
      return v
    }
    const losses = [step()] // first step creates the optimizer slots
    const tensors = tf.memory().numTensors
    const buffers = wasmDataIds()
    for (let i = 0; i < 7; i++) {
      losses.push(step())
      expect(tf.memory().numTensors, `step ${i + 2}`).toBe(tensors)
      expect(wasmDataIds(), `step ${i + 2}`).toBe(buffers)
    }
    expect(losses.every(Number.isFinite)).toBe(true)
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.9)
    opt.dispose()
    x.dispose()
    y.dispose()
    model.dispose()
  })

  it('model.fit works on wasm', async () => {
    tf.setBackend('wasm')
    const model = buildModel(true)
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' })
    const { x, y } = batch()
    const before = tf.memory().numTensors
    const h = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 })
    expect((h.history['loss'] ?? []).every((v) => Number.isFinite(v as number))).toBe(true)
    x.dispose()
    y.dispose()
    model.optimizer.dispose()
    model.dispose()
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before)
  })
})
