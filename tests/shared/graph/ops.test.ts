import { describe, expect, it } from 'vitest'
import {
  GraphBuilder,
  GraphOpError,
  addNode,
  analyzeGraph,
  blockUsers,
  canConnect,
  canRedo,
  canUndo,
  connect,
  createHistory,
  disconnect,
  duplicateNodes,
  emptyDocument,
  expandBlocks,
  extractSubgraph,
  getTemplate,
  groupIntoBlock,
  pasteSubgraph,
  pushHistory,
  setBlockLayerParam,
  redo,
  removeNodes,
  renameNode,
  setBlockRepeat,
  setParam,
  setPositions,
  undo,
  ungroupBlock,
} from '@shared/graph'
import type { GraphDocument } from '@shared/graph'

/** A small valid chain: in -> conv -> bn -> relu -> gap -> out. */
function chain(): GraphDocument {
  const b = new GraphBuilder()
  b.add('Input', { shape: [8, 8, 3] }, { id: 'in' })
  b.add('Conv2D', { filters: 4 }, { id: 'conv' })
  b.add('BatchNorm', {}, { id: 'bn' })
  b.add('ReLU', {}, { id: 'relu' })
  b.add('GlobalAveragePool', {}, { id: 'gap' })
  b.add('Output', { units: 3 }, { id: 'out' })
  return b.build()
}

const frozen = <T>(v: T): T => {
  const deep = (x: unknown) => {
    if (x && typeof x === 'object') {
      Object.freeze(x)
      Object.values(x).forEach(deep)
    }
  }
  deep(v)
  return v
}

describe('document operations', () => {
  it('add, connect, set parameters and positions without mutating the input', () => {
    const doc0 = frozen(emptyDocument())
    const a = addNode(doc0, { kind: 'Input', position: { x: 0, y: 0 }, params: { shape: [4] } })
    const b = addNode(a.doc, { kind: 'Dense', position: { x: 0, y: 100 } })
    expect(b.id).toBe('dense1')
    expect(b.doc.nodes[1]!.params).toEqual({ units: 128, useBias: true, kernelInitializer: 'heNormal', stddev: 0.01 })
    const c = connect(frozen(b.doc), { source: a.id, target: b.id })
    let doc = setParam(c.doc, b.id, 'units', 7)
    doc = setPositions(doc, { [b.id]: { x: 5, y: 6 } })
    doc = renameNode(doc, b.id, 'hidden')
    expect(analyzeGraph(doc).nodes.dense1!.outputShape).toEqual([7])
    expect(doc.nodes[1]).toMatchObject({ name: 'hidden', position: { x: 5, y: 6 } })
    expect(doc0.nodes).toEqual([])
    expect(() => addNode(doc, { kind: 'ReLU', id: 'dense1', position: { x: 0, y: 0 } })).toThrow(GraphOpError)
  })

  it('refuses cycles and self loops; re-routes single inputs; appends merge inputs', () => {
    let doc = chain()
    expect(canConnect(doc, { source: 'relu', target: 'conv' })).toEqual({ ok: false, reason: 'Connecting "relu" to "conv" would create a cycle' })
    expect(canConnect(doc, { source: 'bn', target: 'bn' }).ok).toBe(false)
    expect(canConnect(doc, { source: 'out', target: 'relu' }).ok).toBe(false)
    expect(() => connect(doc, { source: 'relu', target: 'conv' })).toThrow(/would create a cycle/)
    // Re-route: relu now reads from conv directly; bn's edge into relu is replaced.
    doc = connect(doc, { source: 'conv', target: 'relu' }).doc
    expect(doc.edges.filter((e) => e.target === 'relu').map((e) => e.source)).toEqual(['conv'])
    // Merge inputs take the next free index.
    const add = addNode(doc, { kind: 'Add', position: { x: 0, y: 0 }, id: 'sum' })
    doc = connect(add.doc, { source: 'relu', target: 'sum' }).doc
    doc = connect(doc, { source: 'conv', target: 'sum' }).doc
    expect(doc.edges.filter((e) => e.target === 'sum').map((e) => [e.source, e.targetHandle])).toEqual([
      ['relu', 0],
      ['conv', 1],
    ])
  })

  it('removes nodes with their edges; disconnect removes edges', () => {
    const doc = chain()
    const without = removeNodes(doc, ['bn'])
    expect(without.nodes.map((n) => n.id)).not.toContain('bn')
    expect(without.edges.some((e) => e.source === 'bn' || e.target === 'bn')).toBe(false)
    expect(analyzeGraph(without).issues.map((i) => i.message)).toContain('ReLU "relu" has no input; connect a layer to it')
    const cut = disconnect(doc, [doc.edges[0]!.id])
    expect(cut.edges).toHaveLength(doc.edges.length - 1)
  })

  it('copy/paste and duplicate give fresh ids, keep inner edges and offset positions', () => {
    const doc = chain()
    const sub = extractSubgraph(doc, ['bn', 'relu'])
    expect(sub.nodes.map((n) => n.id)).toEqual(['bn', 'relu'])
    expect(sub.edges.map((e) => [e.source, e.target])).toEqual([['bn', 'relu']])
    const { doc: pasted, idMap } = pasteSubgraph(doc, sub, { x: 300, y: 0 })
    expect(idMap).toEqual({ bn: 'bn1', relu: 'relu1' })
    expect(pasted.nodes.find((n) => n.id === 'relu1')!.position).toEqual({ x: 300, y: 300 })
    expect(pasted.edges.some((e) => e.source === 'bn1' && e.target === 'relu1')).toBe(true)
    const dup = duplicateNodes(pasted, ['conv'])
    expect(Object.values(dup.idMap)).toEqual(['conv1'])
  })

  it('pastes blocks with their definitions into another document', () => {
    const resnet = getTemplate('resnet20')!.build([32, 32, 3], 10)
    const sub = extractSubgraph(resnet, ['stage2_0', 'stage2'])
    expect(sub.blocks.map((b) => b.id).sort()).toEqual(['basic_32_s1', 'basic_32_s2_proj'])
    const target = chain()
    const { doc, idMap } = pasteSubgraph(target, sub)
    expect(doc.blocks).toHaveLength(2)
    const mid = connect(doc, { source: 'relu', target: idMap.stage2_0! }).doc
    const rewired = connect(disconnect(mid, mid.edges.filter((e) => e.target === 'gap').map((e) => e.id)), { source: idMap.stage2!, target: 'gap' }).doc
    const a = analyzeGraph(rewired)
    expect(a.issues).toEqual([])
    expect(a.nodes.gap!.outputShape).toEqual([32])
  })
})

describe('blocks: group, expand, repeat, ungroup', () => {
  it('groups a selection into a block; analysis of the grouped graph is unchanged', () => {
    const doc = chain()
    const before = analyzeGraph(doc)
    const g = groupIntoBlock(doc, ['conv', 'bn', 'relu'], { name: 'CBR' })
    expect(g.doc.nodes.map((n) => n.id)).toEqual(['in', 'gap', 'out', g.nodeId])
    expect(g.doc.blocks[0]!.nodes.map((n) => n.kind)).toEqual(['BlockInput', 'Conv2D', 'BatchNorm', 'ReLU', 'BlockOutput'])
    const after = analyzeGraph(g.doc)
    expect(after.issues).toEqual([])
    expect(after.totals).toEqual(before.totals)
    expect(after.table.map((r) => r.name)).toEqual(['in', 'CBR/0/conv', 'CBR/0/bn', 'CBR/0/relu', 'gap', 'out'])
    expect(after.byTopNode[g.nodeId]).toMatchObject({ outputShape: [8, 8, 4], errors: 0 })
  })

  it('refuses selections with two entering or two leaving tensors, and the Input/Output', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 3] }, { id: 'in' })
    b.add('Conv2D', {}, { id: 'a' })
    b.add('Conv2D', {}, { id: 'b', from: 'in' })
    b.add('Add', {}, { id: 'sum', from: ['a', 'b'] })
    const doc = b.build()
    expect(() => groupIntoBlock(doc, ['sum'])).toThrow('A block takes one input, but the selection is fed by 2 layers (a, b)')
    expect(() => groupIntoBlock(doc, ['a', 'b'])).toThrow(/A block has one output, but 2 selected layers/)
    expect(() => groupIntoBlock(doc, ['in', 'a'])).toThrow('The Input node "in" cannot be part of a block')
  })

  it('repeat chains copies; ungroup inlines them and keeps the analysis', () => {
    const g = groupIntoBlock(chain(), ['conv', 'bn', 'relu'])
    const repeated = setBlockRepeat(g.doc, g.nodeId, 3)
    const flat = expandBlocks(repeated)
    expect(flat.doc.nodes.filter((n) => n.kind === 'Conv2D').map((n) => n.id)).toEqual([`${g.nodeId}/0/conv`, `${g.nodeId}/1/conv`, `${g.nodeId}/2/conv`])
    expect(flat.origin[`${g.nodeId}/2/relu`]).toBe(g.nodeId)
    const a = analyzeGraph(repeated)
    expect(a.issues).toEqual([])
    const un = ungroupBlock(repeated, g.nodeId)
    expect(un.nodeIds).toHaveLength(9)
    expect(un.doc.blocks).toEqual([])
    const b = analyzeGraph(un.doc)
    expect(b.issues).toEqual([])
    expect(b.totals).toEqual(a.totals)
    expect(() => setBlockRepeat(repeated, g.nodeId, 0)).toThrow('repeat must be a positive integer, received 0')
  })

  it('reports a block referring to a missing or self-containing definition on the block node', () => {
    const doc = groupIntoBlock(chain(), ['bn']).doc
    const broken = setParam(doc, 'block1', 'blockId', 'nope')
    expect(analyzeGraph(broken).issues[0]).toMatchObject({ nodeId: 'block1', message: 'Block "Block 1": refers to block definition "nope", which does not exist' })
    const selfRef = { ...doc, blocks: doc.blocks.map((b) => ({ ...b, nodes: b.nodes.map((n) => (n.kind === 'BatchNorm' ? { ...n, kind: 'Block', params: { blockId: b.id, repeat: 1 } } : n)) })) }
    expect(analyzeGraph(selfRef).issues.some((i) => /contains itself/.test(i.message) && i.topNodeId === 'block1')).toBe(true)
  })
})

describe('History', () => {
  it('undo/redo, coalescing, limit', () => {
    let h = createHistory(1, { limit: 3 })
    expect(canUndo(h)).toBe(false)
    h = pushHistory(h, 2)
    h = pushHistory(h, 3)
    h = undo(h)
    expect(h.present).toBe(2)
    expect(canRedo(h)).toBe(true)
    h = redo(h)
    expect(h.present).toBe(3)
    h = undo(h)
    h = pushHistory(h, 10) // a new edit clears redo
    expect(canRedo(h)).toBe(false)
    h = pushHistory(h, 11, { coalesce: 'drag' })
    h = pushHistory(h, 12, { coalesce: 'drag' })
    expect(h.present).toBe(12)
    expect(undo(h).present).toBe(10)
    for (let i = 20; i < 30; i++) h = pushHistory(h, i)
    expect(h.past).toHaveLength(3)
    expect(undo(undo(undo(undo(h)))).present).toBe(26)
  })
})

describe('editing a layer inside a block definition', () => {
  it('changes every use and repetition of the block, and the analysis follows', () => {
    const doc = getTemplate('resnet20')!.build([32, 32, 3], 10)
    const stage = doc.nodes.find((n) => n.kind === 'Block' && n.params.repeat === 3)!
    const blockId = String(stage.params.blockId)
    const def = doc.blocks.find((b) => b.id === blockId)!
    const conv = def.nodes.find((n) => n.kind === 'Conv2D')!
    const before = analyzeGraph(doc)
    const edited = setBlockLayerParam(doc, blockId, conv.id, 'useBias', true)
    expect(blockUsers(edited, blockId).map((n) => n.id)).toEqual(blockUsers(doc, blockId).map((n) => n.id))
    const after = analyzeGraph(edited)
    // One bias per filter, in each of the stage's repetitions.
    const filters = Number(edited.blocks.find((b) => b.id === blockId)!.nodes.find((n) => n.id === conv.id)!.params.filters ?? 16)
    expect(after.totals.trainableParams - before.totals.trainableParams).toBe(filters * 3 * blockUsers(doc, blockId).length)
    expect(doc.blocks.find((b) => b.id === blockId)!.nodes.find((n) => n.id === conv.id)!.params.useBias).not.toBe(true) // pure
    expect(() => setBlockLayerParam(doc, blockId, 'nope', 'filters', 3)).toThrow(/has no layer "nope"/)
    const input = def.nodes.find((n) => n.kind === 'BlockInput')!
    expect(() => setBlockLayerParam(doc, blockId, input.id, 'filters', 3)).toThrow(/no parameters/)
  })
})

describe('ungroupBlock with a nested block', () => {
  it('keeps the outer connections when the body starts and ends with a Block node (regression: they were dropped)', async () => {
    const { getTemplate, groupIntoBlock, ungroupBlock, analyzeGraph } = await import('../../../shared/graph/index')
    const doc = getTemplate('toy-convnet')!.build([32, 32, 3], 10)
    const grouped = groupIntoBlock(doc, ['stages'])
    const { doc: expanded } = ungroupBlock(grouped.doc, grouped.nodeId)
    const analysis = analyzeGraph(expanded)
    expect(analysis.issues.filter((i) => i.severity === 'error')).toEqual([])
    expect(expanded.edges.some((e) => e.source === 'input')).toBe(true)
    expect(expanded.edges.some((e) => e.target === 'flatten')).toBe(true)
    expect(analysis.totals.params).toBe(analyzeGraph(doc).totals.params)
  })
})
