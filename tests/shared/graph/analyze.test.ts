import { describe, expect, it } from 'vitest'
import { GraphBuilder, analyzeGraph, getLayer, residualBasicBlock, validateParams } from '@shared/graph'
import type { GraphDocument } from '@shared/graph'

function errors(doc: GraphDocument): string[] {
  return analyzeGraph(doc).issues.filter((i) => i.severity === 'error').map((i) => i.message)
}

describe('parameter validation', () => {
  it('quotes the received value', () => {
    expect(validateParams('Conv2D', { kernelSize: -1 }, 'conv3').errors).toEqual([
      'Conv2D "conv3": kernelSize must be a positive integer or a pair [h, w] of them, received -1',
    ])
    expect(validateParams('Dropout', { rate: 1.5 }, 'd').errors).toEqual(['Dropout "d": rate must be < 1, received 1.5'])
    expect(validateParams('Conv2D', { padding: 'full' }, 'c').errors).toEqual(["Conv2D \"c\": padding must be one of 'same', 'valid', received \"full\""])
    expect(validateParams('Dense', { units: 2.5 }, 'fc').errors[0]).toContain('units must be a positive integer, received 2.5')
    expect(validateParams('Conv2D', { strides: 2, dilationRate: 2 }, 'c').errors[0]).toMatch(/not supported by tfjs/)
    expect(validateParams('Conv2D', { filtres: 3 }, 'c').warnings).toEqual(['Conv2D "c": unknown parameter "filtres" is ignored'])
  })

  it('exposes norm axes metadata for the UI picture', () => {
    expect(getLayer('BatchNorm')!.normAxes!.reduce).toEqual(['N', 'H', 'W'])
    expect(getLayer('LayerNorm')!.normAxes!.reduce).toEqual(['C', 'H', 'W'])
    expect(getLayer('InstanceNorm')!.normAxes!.reduce).toEqual(['H', 'W'])
    expect(getLayer('GroupNorm')!.normAxes!.channelGroups).toBe(true)
    expect(getLayer('Dropout')!.description).toMatch(/DROP probability/)
    expect(getLayer('Output')!.description).toMatch(/Dense.*softmax/)
  })
})

describe('graph errors, located and in words', () => {
  it('reports both shapes at an Add and a Concatenate mismatch', () => {
    const b = new GraphBuilder()
    const x = b.add('Input', { shape: [8, 8, 3] }, { id: 'in' })
    const a = b.add('Conv2D', { filters: 16 }, { id: 'a', from: x })
    const c = b.add('Conv2D', { filters: 32 }, { id: 'c', from: x })
    const p = b.add('MaxPool', {}, { id: 'p', from: x })
    b.add('Add', {}, { id: 'sum', from: [a, c] })
    b.add('Concatenate', {}, { id: 'cat', from: [a, p] })
    const analysis = analyzeGraph(b.build())
    const sum = analysis.issues.find((i) => i.nodeId === 'sum')!
    expect(sum.message).toBe(
      'Add "sum": inputs must all have the same shape, but input 0 is [8, 8, 16] and input 1 is [8, 8, 32] (a shortcut that changes shape needs a 1x1 Conv2D projection)',
    )
    expect(analysis.issues.find((i) => i.nodeId === 'cat')!.message).toContain('input 0 is [8, 8, 16] and input 1 is [4, 4, 3]')
    expect(analysis.ok).toBe(false)
  })

  it('finds cycles and names the layers on them', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 3] }, { id: 'in' })
    b.add('Conv2D', {}, { id: 'c1' })
    b.add('Add', {}, { id: 'add', from: ['c1', 'c2'] })
    b.add('Conv2D', {}, { id: 'c2', from: 'add' })
    const msgs = errors(b.build())
    expect(msgs.some((m) => /Add "add" is part of a cycle \((add -> c2 -> add|c2 -> add -> c2)\)/.test(m))).toBe(true)
  })

  it('reports a missing Input, extra Inputs, unconnected layers and layers without input', () => {
    const none = new GraphBuilder()
    none.add('Dense', { units: 3 }, { id: 'fc' })
    expect(errors(none.build())).toContain('The graph has no Input node; add one and connect it to the first layer')

    const b = new GraphBuilder()
    b.add('Input', { shape: [4] }, { id: 'in' })
    b.add('Output', { units: 2 }, { id: 'out' })
    b.add('Input', { shape: [4] }, { id: 'in2', from: null })
    b.add('ReLU', {}, { id: 'orphan', from: null })
    b.add('Dense', {}, { id: 'island', from: 'orphan' })
    const msgs = errors(b.build())
    expect(msgs).toContain('Input "in2": only one Input is supported, and "in" is already the Input')
    expect(msgs).toContain('ReLU "orphan" has no input; connect a layer to it')
    expect(msgs).toContain('Dense "island" is not connected to the Input')
  })

  it('says when a kernel is larger than its input, and when Dense is fed an image', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [3, 3, 1] }, { id: 'in' })
    b.add('Conv2D', { kernelSize: 5, padding: 'valid' }, { id: 'big' })
    expect(errors(b.build())).toEqual([
      "Conv2D \"big\": kernel 5x5 is larger than its 3x3 input with padding 'valid'; use padding 'same', a smaller kernel, or remove a downsampling layer before it",
    ])
    const d = new GraphBuilder()
    d.add('Input', { shape: [7, 7, 512] }, { id: 'in' })
    d.add('Dense', { units: 10 }, { id: 'fc' })
    expect(errors(d.build())).toEqual(['Dense "fc": needs a flat [D] input but receives [7, 7, 512]; add a Flatten or GlobalAveragePool before the Dense'])
  })

  it('reports invalid parameters, unknown kinds and too many inputs, without cascading downstream', () => {
    const b = new GraphBuilder()
    const x = b.add('Input', { shape: [8, 8, 3] }, { id: 'in' })
    b.add('Conv2D', { kernelSize: -1 }, { id: 'conv3' })
    b.add('ReLU', {}, { id: 'after' }) // no extra error here
    b.add('Swizzle', {}, { id: 'sw', from: x })
    b.add('ReLU', {}, { id: 'two', from: [x, 'sw'] })
    const a = analyzeGraph(b.build())
    const msgs = a.issues.filter((i) => i.severity === 'error').map((i) => [i.nodeId, i.message])
    expect(msgs).toContainEqual(['conv3', 'Conv2D "conv3": kernelSize must be a positive integer or a pair [h, w] of them, received -1'])
    expect(msgs).toContainEqual(['sw', 'Unknown layer kind "Swizzle" (node "sw"); this version of CNN Studio cannot use it'])
    expect(msgs).toContainEqual(['two', 'ReLU "two" takes one input but 2 are connected; merge them with Add or Concatenate first'])
    expect(msgs.filter(([id]) => id === 'after')).toEqual([])
    expect(a.nodes.after!.outputShape).toBeUndefined()
  })

  it('warns about dead ends, and locates errors inside a block on the collapsed block node', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 3] }, { id: 'in' })
    b.add('Conv2D', { filters: 6 }, { id: 'c' })
    b.add('ReLU', {}, { id: 'dead', from: 'c' })
    const body = new GraphBuilder()
    body.blockInput()
    body.add('GroupNorm', { groups: 4 }, { id: 'gn' })
    body.blockOutput()
    b.block(body.buildBlock('gnblock', 'GN block'), 1, { id: 'blk', from: 'c' })
    b.add('GlobalAveragePool', {}, { id: 'gap', from: 'blk' })
    b.add('Output', { units: 2 }, { id: 'out' })
    const a = analyzeGraph(b.build())
    const gn = a.issues.find((i) => i.nodeId === 'blk/0/gn')!
    expect(gn.message).toBe('GroupNorm "blk/0/gn": groups (4) must divide the 6 input channels')
    expect(gn.topNodeId).toBe('blk')
    expect(a.byTopNode.blk!.errors).toBe(1)
    expect(a.issues).toContainEqual(expect.objectContaining({ severity: 'warning', nodeId: 'dead', message: 'ReLU "dead" does not lead to the Output; its result is unused' }))
  })
})

describe('totals, receptive fields and the layer table', () => {
  it('counts FLOPs (multiply-add = 2), params and activation memory for a tiny net', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [4, 4, 2] }, { id: 'in' })
    b.add('Conv2D', { filters: 3, kernelSize: 3 }, { id: 'conv' }) // 4*4*3 outputs, 3*3*2 MACs each + bias
    b.add('ReLU', {}, { id: 'relu' })
    b.add('Flatten', {}, { id: 'flat' })
    b.add('Output', { units: 5 }, { id: 'out' })
    const a = analyzeGraph(b.build(), { batchSize: 8 })
    expect(a.nodes.conv!.flops).toBe(48 * (2 * 18 + 1))
    expect(a.nodes.relu!.flops).toBe(48)
    expect(a.totals.trainableParams).toBe(3 * 3 * 2 * 3 + 3 + 48 * 5 + 5)
    // outputs: in 32 + conv 48 + relu 48 + flat 48 + out 5 = 181 floats per image
    expect(a.totals.activationBytes).toBe(181 * 4 * 8)
    expect(a.table.map((r) => [r.name, r.kind, r.outputShape])).toEqual([
      ['in', 'Input', [4, 4, 2]],
      ['conv', 'Conv2D', [4, 4, 3]],
      ['relu', 'ReLU', [4, 4, 3]],
      ['flat', 'Flatten', [48]],
      ['out', 'Output', [5]],
    ])
    expect(a.outputIds).toEqual(['out'])
  })

  it('three stacked 3x3 convs see 7x7 (the VGG argument); strides multiply the jump', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [32, 32, 3] }, { id: 'in' })
    for (const id of ['c1', 'c2', 'c3']) b.add('Conv2D', { kernelSize: 3 }, { id })
    b.add('MaxPool', {}, { id: 'pool' })
    b.add('Conv2D', { kernelSize: 3 }, { id: 'c4' })
    b.add('Conv2D', { kernelSize: 3, dilationRate: 2 }, { id: 'c5' })
    b.add('GlobalAveragePool', {}, { id: 'gap' })
    const a = analyzeGraph(b.build())
    expect(a.nodes.c3!.receptiveField).toEqual({ size: [7, 7], jump: [1, 1], start: [0, 0], global: false })
    expect(a.nodes.pool!.receptiveField).toMatchObject({ size: [8, 8], jump: [2, 2], start: [0.5, 0.5] })
    expect(a.nodes.c4!.receptiveField!.size).toEqual([12, 12])
    expect(a.nodes.c5!.receptiveField!.size).toEqual([20, 20]) // dilated 3x3 = 5x5 at jump 2
    expect(a.nodes.gap!.receptiveField).toMatchObject({ global: true, size: [32, 32] })
  })

  it('aggregates a collapsed block: its params and output shape', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [16, 16, 8] }, { id: 'in' })
    b.block(residualBasicBlock({ filters: 16, stride: 2, inputChannels: 8 }), 2, { id: 'stage' })
    const a = analyzeGraph(b.build())
    expect(a.ok).toBe(true)
    // Both repetitions use the same definition (stride 2 + projection); the second one sees 16 input channels.
    const bn = 3 * 4 * 16 // three BNs: gamma, beta (trainable) + moving mean, variance
    const first = 3 * 3 * 8 * 16 + 3 * 3 * 16 * 16 + 8 * 16 + bn // conv1, conv2, proj
    const second = 3 * 3 * 16 * 16 + 3 * 3 * 16 * 16 + 16 * 16 + bn
    expect(a.totals.params).toBe(first + second)
    expect(a.byTopNode.stage!.outputShape).toEqual([4, 4, 16])
    expect(a.byTopNode.stage!.params).toBe(a.totals.params)
    expect(a.nodes['stage/1/add']!.inputs).toEqual(['stage/1/bn2', 'stage/1/proj_bn'])
  })
})
