import { describe, expect, it } from 'vitest'
import { diffGraphs, GraphBuilder, residualBasicBlock, getTemplate, type GraphDocument } from '@shared/graph'

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

function small(opts: { filters?: number; dropout?: boolean; ids?: (id: string) => string } = {}): GraphDocument {
  const id = opts.ids ?? ((s: string) => s)
  const b = new GraphBuilder()
  b.add('Input', { shape: [28, 28, 1] }, { id: id('input') })
  b.add('Conv2D', { filters: opts.filters ?? 32, kernelSize: 3, padding: 'same' }, { id: id('conv1'), name: 'conv1' })
  b.add('ReLU', {}, { id: id('relu1') })
  b.add('MaxPool', {}, { id: id('pool1') })
  b.add('Flatten', {}, { id: id('flatten') })
  if (opts.dropout) b.add('Dropout', { rate: 0.5 }, { id: id('drop') })
  b.add('Output', { units: 10 }, { id: id('out') })
  return b.build()
}

describe('architecture diff', () => {
  it('says the graphs are equal, whatever the positions and explicit defaults', () => {
    const a = small()
    const b = clone(a)
    b.nodes.forEach((n, i) => (n.position = { x: 500 + i, y: -i }))
    expect(diffGraphs(a, b)).toMatchObject({ equal: true, summary: ['The graphs are equal'], added: [], removed: [], changed: [], highlight: { a: {}, b: {} } })
    expect(diffGraphs(getTemplate('resnet20')!.build([32, 32, 3], 10), getTemplate('resnet20')!.build([32, 32, 3], 10)).equal).toBe(true)
  })

  it("names the layer and the parameter when one layer's filters changed", () => {
    const d = diffGraphs(small({ filters: 32 }), small({ filters: 64 }))
    expect(d.equal).toBe(false)
    expect(d.changed).toHaveLength(1)
    expect(d.changed[0]).toMatchObject({ a: { id: 'conv1', name: 'conv1', kind: 'Conv2D' }, b: { id: 'conv1' }, matchedBy: 'id', params: [{ param: 'filters', old: 32, new: 64 }], renamed: false })
    expect(d.summary).toEqual(['Changed conv1 (Conv2D): filters 32 -> 64'])
    expect(d.highlight).toEqual({ a: { conv1: 'changed' }, b: { conv1: 'changed' } })
    expect(d.connections).toEqual({ added: [], removed: [] })
  })

  it('lists added and removed layers with the connections around them', () => {
    const a = small()
    const b = small({ dropout: true })
    const d = diffGraphs(a, b)
    expect(d.added).toEqual([{ id: 'drop', name: 'drop', kind: 'Dropout' }])
    expect(d.removed).toEqual([])
    expect(d.connections.removed.map((e) => `${e.source}->${e.target}`)).toEqual(['flatten->out'])
    expect(d.connections.added.map((e) => `${e.source}->${e.target}`).sort()).toEqual(['drop->out', 'flatten->drop'])
    expect(d.highlight.b).toEqual({ drop: 'added', flatten: 'rewired', out: 'rewired' })
    expect(d.highlight.a).toEqual({ flatten: 'rewired', out: 'rewired' })
    expect(d.summary).toContain('Added drop (Dropout)')
    const back = diffGraphs(b, a)
    expect(back.removed).toEqual([{ id: 'drop', name: 'drop', kind: 'Dropout' }])
    expect(back.added).toEqual([])
    expect(back.summary[0]).toBe('Removed drop (Dropout)')
  })

  it('matches layers by name and topology when the ids differ (an imported copy)', () => {
    const a = small()
    const b = small({ filters: 48, ids: (s) => `x_${s}` })
    const d = diffGraphs(a, b)
    expect(d.added).toEqual([])
    expect(d.removed).toEqual([])
    expect(d.connections).toEqual({ added: [], removed: [] })
    expect(d.changed.map((c) => [c.a.id, c.b.id, c.matchedBy, c.params.map((p) => p.param)])).toEqual([['conv1', 'x_conv1', 'name', ['filters']]])
    expect(Object.fromEntries(d.matches.map((m) => [m.a, m.by]))).toMatchObject({ input: 'topology', relu1: 'topology', pool1: 'topology', out: 'topology' })
  })

  it('reports renames and a rewired connection', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 4] }, { id: 'in' })
    b.add('Conv2D', { filters: 4, kernelSize: 3, padding: 'same' }, { id: 'c1' })
    b.add('Conv2D', { filters: 4, kernelSize: 3, padding: 'same' }, { id: 'c2' })
    b.add('Add', {}, { id: 'add', from: ['c2', 'in'] })
    const a = b.build()
    const c = clone(a)
    c.nodes.find((n) => n.id === 'c2')!.name = 'second'
    c.edges = c.edges.map((e) => (e.target === 'add' && e.source === 'in' ? { ...e, source: 'c1' } : e))
    const d = diffGraphs(a, c)
    expect(d.changed).toMatchObject([{ a: { id: 'c2', name: 'c2' }, b: { name: 'second' }, renamed: true, params: [] }])
    expect(d.connections.removed).toMatchObject([{ source: 'in', target: 'add', targetHandle: 1 }])
    expect(d.connections.added).toMatchObject([{ source: 'c1', target: 'add', targetHandle: 1 }])
    expect(d.summary).toEqual(['Changed c2 (Conv2D): renamed to second', 'Connection removed: in -> add (input 1)', 'Connection added: c1 -> add (input 1)'])
  })

  describe('blocks', () => {
    const net = (filters: number, repeat = 2) => {
      const b = new GraphBuilder()
      b.add('Input', { shape: [16, 16, 8] }, { id: 'input' })
      b.block(residualBasicBlock({ filters: 8, inputChannels: 8 }), repeat, { id: 'stage1' })
      const doc = b.build()
      const conv = doc.blocks[0]!.nodes.find((n) => n.id === 'conv2')!
      conv.params = { ...conv.params, filters }
      return doc
    }

    it('at block level: the Block node is changed and the body diff names the inner layer', () => {
      const d = diffGraphs(net(8), net(16))
      expect(d.level).toBe('block')
      expect(d.changed).toMatchObject([{ a: { id: 'stage1', kind: 'Block' }, blockChanged: true, params: [] }])
      expect(d.blocks).toHaveLength(1)
      expect(d.blocks[0]!.status).toBe('changed')
      expect(d.blocks[0]!.diff!.changed).toMatchObject([{ a: { id: 'conv2' }, params: [{ param: 'filters', old: 8, new: 16 }] }])
      expect(d.summary).toContain('Block "' + d.blocks[0]!.name + '": Changed conv2 (Conv2D): filters 8 -> 16')
      expect(d.highlight.a).toEqual({ stage1: 'changed' })
    })

    it('at block level: a repeat change is a parameter of the Block node', () => {
      const d = diffGraphs(net(8, 2), net(8, 3))
      expect(d.changed).toMatchObject([{ a: { id: 'stage1' }, params: [{ param: 'repeat', old: 2, new: 3 }], blockChanged: false }])
      expect(d.blocks).toEqual([])
    })

    it('expanded: every repetition of the inner layer is changed, mapped back to the Block node', () => {
      const d = diffGraphs(net(8), net(16), { level: 'expanded' })
      expect(d.changed.map((c) => c.a.id).sort()).toEqual(['stage1/0/conv2', 'stage1/1/conv2'])
      expect(d.highlightTop).toEqual({ a: { stage1: 'changed' }, b: { stage1: 'changed' } })
      const more = diffGraphs(net(8, 2), net(8, 3), { level: 'expanded' })
      expect(more.removed).toEqual([])
      expect(more.added.map((n) => n.id)).toContain('stage1/2/conv1')
      expect(diffGraphs(net(8), net(8), { level: 'expanded' }).equal).toBe(true)
    })
  })
})
