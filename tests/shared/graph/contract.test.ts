/**
 * Contract test over EVERY registered layer kind (Keras-style table of {params, input, output}):
 * registry shape == tfjs outputShape == hand-computed expectation, registry parameter counts == tfjs weights
 * (trainable and non-trainable), a forward pass gives the inferred shape, and the tfjs config round-trips.
 * The completeness test fails when a kind is registered without a fixture.
 */
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { analyzeGraph, listLayers, validateParams } from '@shared/graph'
import type { Params, Shape } from '@shared/graph'
import { compileGraph, countModelParams } from '@shared/tfjs/compile'
import { singleLayerDoc } from './helpers'

interface Fixture {
  params: Params
  /** Input shape ([] for Input itself). */
  input: Shape
  /** Number of edges from the Input (merges). */
  copies?: number
  output: Shape
  /** Hand-computed counts, when given, are checked too. */
  trainable?: number
  nonTrainable?: number
}

const img: Shape = [6, 6, 4]
const act = (): Fixture[] => [
  { params: {}, input: img, output: img },
  { params: {}, input: [10], output: [10] },
]

export const FIXTURES: Record<string, Fixture[]> = {
  Input: [
    { params: { shape: [8, 8, 3] }, input: [], output: [8, 8, 3] },
    { params: { shape: [20] }, input: [], output: [20] },
  ],
  Conv2D: [
    { params: { filters: 4, kernelSize: 3 }, input: [8, 8, 3], output: [8, 8, 4], trainable: 3 * 3 * 3 * 4 + 4 },
    { params: { filters: 5, kernelSize: [3, 2], strides: 2, padding: 'valid', useBias: false }, input: [9, 9, 2], output: [4, 4, 5], trainable: 3 * 2 * 2 * 5 },
    { params: { filters: 2, kernelSize: 3, dilationRate: 2, padding: 'valid', kernelInitializer: 'normal', stddev: 0.05 }, input: [9, 9, 1], output: [5, 5, 2] },
    { params: { filters: 3, kernelSize: 7, strides: 2, padding: 'same', kernelInitializer: 'glorotUniform' }, input: [15, 15, 3], output: [8, 8, 3] },
  ],
  DepthwiseConv2D: [
    { params: { depthMultiplier: 2 }, input: [6, 6, 3], output: [6, 6, 6], trainable: 3 * 3 * 6 + 6 },
    { params: { kernelSize: 3, strides: 2, padding: 'valid', useBias: false, depthwiseInitializer: 'zeros' }, input: [7, 7, 2], output: [3, 3, 2] },
  ],
  MaxPool: [
    { params: {}, input: [8, 8, 3], output: [4, 4, 3] },
    { params: { poolSize: 3, strides: 2, padding: 'same' }, input: [7, 7, 2], output: [4, 4, 2] },
  ],
  AvgPool: [
    { params: { poolSize: 3, strides: 2, padding: 'valid' }, input: [7, 7, 2], output: [3, 3, 2] },
    { params: { poolSize: [2, 1], strides: [2, 1] }, input: [6, 5, 2], output: [3, 5, 2] },
  ],
  GlobalAveragePool: [{ params: {}, input: [5, 5, 7], output: [7] }],
  Flatten: [{ params: {}, input: [3, 4, 5], output: [60] }],
  Dense: [
    { params: { units: 5 }, input: [12], output: [5], trainable: 65 },
    { params: { units: 3, useBias: false, kernelInitializer: 'heUniform' }, input: [4], output: [3], trainable: 12 },
  ],
  Output: [{ params: { units: 3 }, input: [12], output: [3], trainable: 39 }],
  BatchNorm: [
    { params: {}, input: [4, 4, 6], output: [4, 4, 6], trainable: 12, nonTrainable: 12 },
    { params: { center: false, momentum: 0.9, epsilon: 1e-5 }, input: [10], output: [10], trainable: 10, nonTrainable: 20 },
  ],
  LayerNorm: [
    { params: {}, input: [4, 4, 3], output: [4, 4, 3], trainable: 96 },
    { params: { scale: false }, input: [10], output: [10], trainable: 10 },
  ],
  InstanceNorm: [{ params: { epsilon: 1e-5 }, input: [4, 4, 6], output: [4, 4, 6], trainable: 12 }],
  GroupNorm: [{ params: { groups: 2 }, input: [4, 4, 6], output: [4, 4, 6], trainable: 12 }],
  Dropout: [{ params: { rate: 0.3 }, input: [10], output: [10] }],
  ReLU: act(),
  LeakyReLU: [{ params: { alpha: 0.2 }, input: img, output: img }],
  ELU: [{ params: { alpha: 1 }, input: img, output: img }],
  GELU: act(),
  SiLU: act(),
  Sigmoid: act(),
  Tanh: act(),
  Softmax: act(),
  Add: [
    { params: {}, input: [4, 4, 3], copies: 3, output: [4, 4, 3] },
    { params: {}, input: [7], copies: 2, output: [7] },
  ],
  Concatenate: [{ params: {}, input: [4, 4, 3], copies: 2, output: [4, 4, 6] }],
}

/** Config as plain JSON with null/undefined entries dropped (tfjs writes `null` for unset optional args). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v === null ? undefined : v)))
}

describe('layer registry contract', () => {
  it('has a fixture for every registered kind (add one when you register a kind)', () => {
    const missing = listLayers()
      .map((d) => d.kind)
      .filter((k) => !FIXTURES[k]?.length)
    expect(missing, `kinds without fixtures: ${missing.join(', ')}`).toEqual([])
    const unknown = Object.keys(FIXTURES).filter((k) => !listLayers().some((d) => d.kind === k))
    expect(unknown).toEqual([])
  })

  for (const def of listLayers()) {
    const fixtures = FIXTURES[def.kind] ?? []
    fixtures.forEach((f, i) => {
      it(`${def.kind} #${i}: shape, params, forward pass and config round-trip agree with tfjs`, async () => {
        expect(validateParams(def.kind, f.params, 'subject').errors).toEqual([])
        const doc = singleLayerDoc(def.kind, f.params, f.input, f.copies ?? 1)
        const analysis = analyzeGraph(doc)
        expect(analysis.issues).toEqual([])
        const node = analysis.nodes.subject!
        expect(node.outputShape).toEqual(f.output)
        if (f.trainable !== undefined) expect(node.trainableParams).toBe(f.trainable)
        if (f.nonTrainable !== undefined) expect(node.nonTrainableParams).toBe(f.nonTrainable)
        else expect(node.nonTrainableParams).toBe(def.kind === 'BatchNorm' ? 2 * f.output.at(-1)! : 0)

        const { model, layerNames } = compileGraph(doc)
        try {
          expect(model.outputShape).toEqual([null, ...f.output])
          const counts = countModelParams(model)
          expect(counts.trainable).toBe(node.trainableParams)
          expect(counts.nonTrainable).toBe(node.nonTrainableParams)
          expect(model.countParams()).toBe(analysis.totals.params)

          const y = tf.tidy(() => {
            const x = tf.randomNormal([2, ...(def.kind === 'Input' ? f.output : f.input)])
            const out = model.predict(x) as tf.Tensor
            return out.shape
          })
          expect(y).toEqual([2, ...f.output])

          const restored = await tf.models.modelFromJSON(JSON.parse(model.toJSON(null, true) as string))
          try {
            expect(restored.outputShape).toEqual(model.outputShape)
            expect(countModelParams(restored)).toEqual(counts)
            const name = layerNames.subject!
                        expect(plain(restored.getLayer(name).getConfig())).toEqual(plain(model.getLayer(name).getConfig()))
          } finally {
            restored.dispose()
          }
        } finally {
          model.dispose()
        }
      })
    })
  }
})
