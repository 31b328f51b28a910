import { describe, expect, it } from 'vitest'
import { GraphBuilder, formatBytes, formatFlops, formatParams, toyConvnet } from '@shared/graph'
import { CompileError, compileGraph, tfjsLayerName } from '@shared/tfjs/compile'

describe('formatting for people', () => {
  it('formats counts, FLOPs and bytes', () => {
    expect(formatParams(138_357_544)).toBe('138,357,544 (138.4 M)')
    expect(formatParams(532)).toBe('532')
    expect(formatFlops(15.5e9)).toBe('15.5 GFLOPs')
    expect(formatFlops(12)).toBe('12 FLOPs')
    expect(formatBytes(1.2e9)).toBe('1.2 GB')
  })
})

describe('compileGraph', () => {
  it('refuses a graph with errors, listing them, and keeps the analysis', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 3] }, { id: 'in' })
    b.add('Dense', { units: 3 }, { id: 'fc' })
    try {
      compileGraph(b.build())
      throw new Error('expected a CompileError')
    } catch (err) {
      expect(err).toBeInstanceOf(CompileError)
      expect((err as Error).message).toContain('Dense "fc": needs a flat [D] input')
      expect((err as CompileError).analysis.ok).toBe(false)
    }
  })

  it('names tfjs layers after node ids and feeds merges in input-index order', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [4, 4, 2] }, { id: 'in' })
    b.add('Conv2D', { filters: 5 }, { id: 'wide', from: 'in' })
    b.add('Conv2D', { filters: 1 }, { id: 'narrow', from: 'in' })
    b.add('Concatenate', {}, { id: 'cat', from: ['narrow', 'wide'] })
    const { model, layerNames } = compileGraph(b.build())
    expect(layerNames).toEqual({ in: 'in', wide: 'wide', narrow: 'narrow', cat: 'cat' })
    const inbound = model.getLayer('cat').inboundNodes[0]!.inboundLayers.map((l) => l.name)
    expect(inbound).toEqual(['narrow', 'wide'])
    expect(model.outputShape).toEqual([null, 4, 4, 6])
    expect(tfjsLayerName('layer1/0/conv1')).toBe('layer1_0_conv1')
    model.dispose()
  })
})

describe('seeded compilation', () => {
  it('gives the same initial weights for the same seed and different ones for another seed', () => {
    const doc = toyConvnet([28, 28, 1], 10)
    const weights = (seed: number | undefined) => {
      const { model } = compileGraph(doc, seed === undefined ? {} : { seed })
      const values = model.getWeights().map((w) => Array.from(w.dataSync()))
      model.dispose()
      return values
    }
    const a = weights(7)
    expect(weights(7)).toEqual(a)
    expect(weights(8)).not.toEqual(a)
    expect(weights(undefined)).not.toEqual(a)
  })
})
