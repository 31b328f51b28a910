/**
 * Each layer kind says how it reads a TF.js layer (`fromTfjs` in shared/graph/layers.ts); the importer has no
 * list of its own. Contract: every registered kind can be imported, and a design using every kind (with
 * non-default params) compiled to TF.js and read back gives the same kinds and params, node for node.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { analyzeGraph, graphFromTfjsTopology, listLayers, validateParams, type GraphDocument } from '../../../shared/graph'
import { compileGraph } from '../../../shared/tfjs/compile'
import { CUSTOM_LAYERS } from '../../../shared/tfjs/layers'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** Every kind once: [8,8,4] through convolutions, norms, activations, pools, merges, to a softmax Output. */
function everyKind(): GraphDocument {
  const chain: [string, string, Record<string, unknown>, string[]][] = [
    ['in', 'Input', { shape: [8, 8, 4] }, []],
    ['conv', 'Conv2D', { filters: 4, kernelSize: [3, 1], strides: 1, padding: 'same', useBias: false }, ['in']],
    ['bn', 'BatchNorm', { momentum: 0.2, epsilon: 0.01, center: false }, ['conv']],
    ['relu', 'ReLU', {}, ['bn']],
    ['dw', 'DepthwiseConv2D', { kernelSize: 3, depthMultiplier: 2, padding: 'valid' }, ['relu']],
    ['gn', 'GroupNorm', { groups: 4, epsilon: 0.002 }, ['dw']],
    ['leaky', 'LeakyReLU', { alpha: 0.1 }, ['gn']],
    ['inorm', 'InstanceNorm', { epsilon: 0.003 }, ['leaky']],
    ['elu', 'ELU', {}, ['inorm']],
    ['maxp', 'MaxPool', { poolSize: 2, strides: 1, padding: 'same' }, ['elu']],
    ['gelu', 'GELU', {}, ['maxp']],
    ['silu', 'SiLU', {}, ['maxp']],
    ['add', 'Add', {}, ['gelu', 'silu']],
    ['sig', 'Sigmoid', {}, ['add']],
    ['tanh', 'Tanh', {}, ['add']],
    ['cat', 'Concatenate', {}, ['sig', 'tanh']],
    ['ln', 'LayerNorm', { epsilon: 0.004, scale: false }, ['cat']],
    ['avgp', 'AvgPool', { poolSize: 2, strides: 2, padding: 'valid' }, ['ln']],
    ['drop', 'Dropout', { rate: 0.3 }, ['avgp']],
    ['flat', 'Flatten', {}, ['drop']],
    ['gap', 'GlobalAveragePool', {}, ['drop']],
    ['cat2', 'Concatenate', {}, ['flat', 'gap']],
    ['fc', 'Dense', { units: 16, useBias: false }, ['cat2']],
    ['soft', 'Softmax', {}, ['fc']],
    ['out', 'Output', { units: 3 }, ['soft']],
  ]
  const doc: GraphDocument = { format: 2, nodes: [], edges: [], blocks: [] }
  for (const [id, kind, params, inputs] of chain) {
    doc.nodes.push({ id, kind, params: params as never, position: { x: 0, y: 0 } })
    inputs.forEach((source, i) => doc.edges.push({ id: `e${doc.edges.length}`, source, target: id, ...(inputs.length > 1 ? { targetHandle: i } : {}) }))
  }
  return doc
}

describe('fromTfjs', () => {
  it('every registered kind says how it is imported', () => {
    const missing = listLayers().filter((d) => !d.fromTfjs || (!d.fromTfjs.read && !d.fromTfjs.activations?.length)).map((d) => d.kind)
    expect(missing).toEqual([])
  })

  it('a design with every kind, compiled to TF.js and imported back, has the same kinds and params', () => {
    const doc = everyKind()
    expect(analyzeGraph(doc).issues.filter((i) => i.severity === 'error')).toEqual([])
    expect(new Set(doc.nodes.map((n) => n.kind))).toEqual(new Set(listLayers().map((d) => d.kind)))
    const { model } = compileGraph(doc, { seed: 1 })
    const topology = model.toJSON(null, false)
    model.dispose()
    const back = graphFromTfjsTopology({ modelTopology: topology })
    expect(back.document.nodes.map((n) => [n.id, n.kind])).toEqual(doc.nodes.map((n) => [n.id, n.kind]))
    for (const n of doc.nodes) {
      const imported = back.document.nodes.find((m) => m.id === n.id)!
      expect(validateParams(imported.kind, imported.params, n.id).params, n.id).toEqual(validateParams(n.kind, n.params, n.id).params)
    }
    expect(back.document.edges.map((e) => [e.source, e.target, e.targetHandle])).toEqual(doc.edges.map((e) => [e.source, e.target, e.targetHandle]))
  })

  it('custom layers come from one map, by TF.js class name', () => {
    expect([...CUSTOM_LAYERS.keys()].sort()).toEqual(['GroupNormalization', 'InstanceNormalization'])
    const layer = new (CUSTOM_LAYERS.get('GroupNormalization') as unknown as new (a: object) => tf.layers.Layer)({ groups: 2 })
    expect(layer.getClassName()).toBe('GroupNormalization')
  })
})
