/**
 * InstanceNormalization / GroupNormalization (shared/tfjs/layers): forward values against a direct computation,
 * gradients against central finite differences, and serialization.
 */
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { GroupNormalization, InstanceNormalization } from '@shared/tfjs/layers'

/** Deterministic pseudo-random values (no Math.random in tests). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s / 2 ** 32) * 2 - 1
  })
}

/** Reference group norm on a plain array [N, H, W, C]. */
function referenceGroupNorm(x: number[], [n, h, w, c]: readonly [number, number, number, number], groups: number, eps: number): number[] {
  const out = new Array<number>(x.length)
  const cg = c / groups
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const idx: number[] = []
      for (let i = 0; i < h * w; i++) for (let k = 0; k < cg; k++) idx.push(b * h * w * c + i * c + g * cg + k)
      const mean = idx.reduce((a, j) => a + x[j]!, 0) / idx.length
      const variance = idx.reduce((a, j) => a + (x[j]! - mean) ** 2, 0) / idx.length
      for (const j of idx) out[j] = (x[j]! - mean) / Math.sqrt(variance + eps)
    }
  }
  return out
}

const shape: [number, number, number, number] = [2, 3, 3, 4]

const cases = [
  { name: 'GroupNormalization (2 groups)', make: () => new GroupNormalization({ groups: 2, epsilon: 1e-3 }), groups: 2 },
  { name: 'InstanceNormalization', make: () => new InstanceNormalization({ epsilon: 1e-3 }), groups: 4 },
  { name: 'GroupNormalization (1 group)', make: () => new GroupNormalization({ groups: 1, epsilon: 1e-3 }), groups: 1 },
]

describe.each(cases)('$name', ({ make, groups }) => {
  it('normalizes like the reference formula and applies gamma/beta', () => {
    const layer = make()
    const xv = values(shape.reduce((a, b) => a * b), 7)
    const x = tf.tensor4d(xv, shape)
    layer.apply(x) // builds gamma = 1, beta = 0
    const gamma = [0.5, 2, -1, 1.5]
    const beta = [0.1, -0.2, 0.3, 0]
    layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta)])
    const y = (layer.apply(x) as tf.Tensor).dataSync()
    const ref = referenceGroupNorm(xv, shape, groups, 1e-3)
    ref.forEach((r, i) => expect(y[i]).toBeCloseTo(r * gamma[i % 4]! + beta[i % 4]!, 4))
    layer.dispose()
    x.dispose()
  })

  it('has gradients (input, gamma, beta) matching central finite differences', () => {
    const layer = make()
    const x = tf.tensor4d(values(shape.reduce((a, b) => a * b), 11), shape)
    layer.apply(x)
    layer.setWeights([tf.tensor1d([0.7, 1.3, -0.4, 1.1]), tf.tensor1d([0.2, 0, -0.1, 0.3])])
    // A non-trivial loss: sum of normalized outputs alone has zero gradient wrt x.
    const probe = tf.tensor4d(values(x.size, 99), shape)
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, probe)) as tf.Scalar

    const { value, grads } = tf.variableGrads(() => loss(x), layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val))
    const gx = tf.grad(loss)(x).dataSync()
    const xv = Array.from(x.dataSync())
    const h = 1e-2
    const lossAt = (arr: number[]) => tf.tidy(() => loss(tf.tensor4d(arr, shape)).dataSync()[0]!)
    for (const i of [0, 5, 17, 30, 47, 71]) {
      const plus = [...xv]
      const minus = [...xv]
      plus[i]! += h
      minus[i]! -= h
      const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h)
      expect(Math.abs(numeric - gx[i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)))
    }
    // gamma and beta: perturb the weights.
    const weights = layer.getWeights().map((w) => Array.from(w.dataSync()))
    const analytic = Object.values(grads).map((g) => Array.from(g.dataSync()))
    expect(analytic).toHaveLength(2)
    for (let wi = 0; wi < 2; wi++) {
      for (let c = 0; c < 4; c++) {
        const at = (delta: number) => {
          const ws = weights.map((w) => [...w])
          ws[wi]![c]! += delta
          layer.setWeights(ws.map((w) => tf.tensor1d(w)))
          return tf.tidy(() => loss(x).dataSync()[0]!)
        }
        const numeric = (at(h) - at(-h)) / (2 * h)
        expect(Math.abs(numeric - analytic[wi]![c]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)))
      }
    }
    value.dispose()
    layer.dispose()
  })
})

describe('custom layer serialization', () => {
  it('round-trips GroupNormalization and InstanceNormalization through model JSON', async () => {
    const input = tf.input({ shape: [4, 4, 6] })
    const a = new GroupNormalization({ groups: 3, epsilon: 1e-4, name: 'gn' }).apply(input) as tf.SymbolicTensor
    const b = new InstanceNormalization({ name: 'in' }).apply(a) as tf.SymbolicTensor
    const model = tf.model({ inputs: input, outputs: b })
    const restored = await tf.models.modelFromJSON(JSON.parse(model.toJSON(null, true) as string))
    expect(restored.getLayer('gn').getClassName()).toBe('GroupNormalization')
    expect((restored.getLayer('gn').getConfig() as { groups: number }).groups).toBe(3)
    expect((restored.getLayer('gn').getConfig() as { epsilon: number }).epsilon).toBe(1e-4)
    expect(restored.countParams()).toBe(24)
    model.dispose()
    restored.dispose()
  })

  it('rejects a group count that does not divide the channels', () => {
    const layer = new GroupNormalization({ groups: 4 })
    expect(() => layer.apply(tf.zeros([1, 2, 2, 6]))).toThrow(/groups \(4\) must divide the 6 input channels/)
    expect(() => new GroupNormalization({ groups: 0 })).toThrow(/received 0/)
  })
})
