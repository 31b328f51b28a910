import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { mlp6x4096 } from '../../../shared/graph/templates'
import { compareInitializers, fillNormal, initLab, kernelSnapshot, parseInitScheme, reinitialize, updateRatios } from '../../../shared/procedure'
import type { InitLabResult } from '../../../shared/procedure'
import { compileGraph } from '../../../shared/tfjs/compile'
import { setupWasm } from '../tfjs/wasm-test-setup'

beforeAll(async () => {
  await setupWasm()
})

const reluStds = (r: InitLabResult) => r.layers.filter((l) => l.className === 'ReLU').map((l) => l.std)

describe('init lab', () => {
  it('reproduces the lecture on the 6x4096 ReLU MLP: 0.01 collapses, Kaiming stays scaled', async () => {
    // Built once (zeros: no random draws at build time), re-initialized per scheme with seeded draws.
    const { model } = compileGraph(mlp6x4096([4096], 10, { kernelInitializer: 'zeros' }))
    try {
      const t0 = Date.now()
      const results = await compareInitializers(model, ['normal:0.01', 'kaiming'].map(parseInitScheme), { samples: 16, seed: 7 })
      const [small, kaiming] = results.map(reluStds) as [number[], number[]]
      expect(small).toHaveLength(6)
      // 0.01: each layer x ~0.45: the last ReLU layer is < 5% of the first and below 0.01 absolute.
      expect((small[5] as number) / (small[0] as number)).toBeLessThan(0.05)
      expect(small[5]).toBeLessThan(0.01)
      for (let i = 1; i < 6; i++) expect(small[i]).toBeLessThan(small[i - 1] as number)
      // Kaiming: within a factor of 2 of the first layer's, at every layer.
      for (const s of kaiming) {
        expect(s / (kaiming[0] as number)).toBeGreaterThan(0.5)
        expect(s / (kaiming[0] as number)).toBeLessThan(2)
      }
      const k = results[1] as InitLabResult
      expect(k.input.std).toBeGreaterThan(0.95)
      expect(k.input.std).toBeLessThan(1.05)
      const relu1 = k.layers.find((l) => l.layer === 'relu1')!
      expect(relu1.histogram.counts.reduce((a, b) => a + b, 0)).toBe(16 * 4096)
      expect(relu1.zeroFraction).toBeGreaterThan(0.4)
      expect(relu1.deadFraction).not.toBeNull()
      expect(relu1.deadFraction!).toBeLessThan(0.01)
      console.log(`init lab 2 schemes on 6x4096: ${Date.now() - t0} ms`, results.map((r) => reluStds(r).map((s) => s.toPrecision(3)).join(' ')))
    } finally {
      model.dispose()
    }
    // About 10 s on a quiet 2-core machine; the limit leaves room for a loaded one (no timing is asserted).
  }, 240_000)

  it('seeded draws are reproducible and have the asked std; update ratios are ||dW||/||W||', async () => {
    const a = fillNormal(new Float32Array(100_000), 0.5, 's')
    const b = fillNormal(new Float32Array(100_000), 0.5, 's')
    expect(a).toEqual(b)
    const std = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length)
    expect(std).toBeGreaterThan(0.49)
    expect(std).toBeLessThan(0.51)
    const input = tf.input({ shape: [8] })
    const h = tf.layers.dense({ units: 16, activation: 'relu', name: 'd1' }).apply(input) as tf.SymbolicTensor
    const out = tf.layers.dense({ units: 3, name: 'd2' }).apply(h) as tf.SymbolicTensor
    const model = tf.model({ inputs: input, outputs: out })
    try {
      expect(reinitialize(model, { type: 'xavier' }, 1)).toEqual(['d1', 'd2'])
      const r = await initLab(model, { samples: 4, bins: 10 })
      expect(r.layers.map((l) => l.layer)).toEqual(['d1', 'd2'])
      expect(r.layers[0]!.deadFraction).not.toBeNull()
      expect(r.layers[1]!.deadFraction).toBeNull()
      const before = await kernelSnapshot(model)
      const w = model.getLayer('d1').getWeights()[0]!
      const scaled = tf.mul(w, 1.001)
      model.getLayer('d1').setWeights([scaled, model.getLayer('d1').getWeights()[1]!])
      scaled.dispose()
      const ratios = updateRatios(before, await kernelSnapshot(model))
      expect(ratios.map((x) => x.name)).toEqual(['d1/kernel', 'd2/kernel'])
      expect(ratios[0]!.ratio).toBeCloseTo(0.001, 5)
      expect(ratios[1]!.ratio).toBe(0)
    } finally {
      model.dispose()
    }
  })
})
