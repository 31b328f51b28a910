import { afterEach, describe, expect, it, vi } from 'vitest'
import { GraphBuilder, residualBasicBlock, topologicalOrder, type GraphDocument } from '@shared/graph'
import { createEditorStore, analysisOf } from '../../renderer/src/architecture/store'
import { autoLayout } from '../../renderer/src/architecture/layout'
import { buildFlow, paramSummary } from '../../renderer/src/architecture/flow'

function chain(): GraphDocument {
  const b = new GraphBuilder()
  b.add('Input', { shape: [32, 32, 3] }, { id: 'input' })
  b.add('Conv2D', { filters: 16 }, { id: 'conv1' })
  b.add('ReLU', {}, { id: 'relu1' })
  return b.build()
}

function editor(save = vi.fn(async () => undefined)) {
  const store = createEditorStore({ save, debounceMs: 800 })
  store.load(7, chain())
  return { store, save }
}

afterEach(() => vi.useRealTimers())

describe('editor store: undo/redo over graph operations', () => {
  it('undoes and redoes add, connect, setParam and delete one step at a time', () => {
    const { store } = editor()
    const start = store.getState().doc
    const id = store.addLayer('BatchNorm', { x: 500, y: 0 })!
    expect(store.getState().selectedNodes).toEqual([id])
    expect(store.connect({ source: 'relu1', target: id })).toBe(true)
    store.setParam('conv1', 'filters', 64)
    store.setParam('conv1', 'filters', 65) // same field: coalesced into one undo step
    expect(store.analysis().nodes[id]!.outputShape).toEqual([32, 32, 65])
    store.select([id])
    store.deleteSelection()
    expect(store.getState().doc.nodes.map((n) => n.id)).not.toContain(id)

    store.undo() // delete
    expect(store.getState().doc.nodes.map((n) => n.id)).toContain(id)
    store.undo() // both setParams
    expect(store.getState().doc.nodes.find((n) => n.id === 'conv1')!.params.filters).toBe(16)
    store.undo() // connect
    expect(store.getState().doc.edges.some((e) => e.target === id)).toBe(false)
    store.undo() // add
    expect(store.getState().doc).toBe(start)
    expect(store.canUndo()).toBe(false)
    store.redo()
    store.redo()
    expect(store.getState().doc.edges.some((e) => e.source === 'relu1' && e.target === id)).toBe(true)
  })

  it('refuses a cycle with the reason, without an undo step', () => {
    const { store } = editor()
    expect(store.connect({ source: 'relu1', target: 'conv1' })).toBe(false)
    expect(store.getState().notice?.text).toMatch(/would create a cycle/)
    expect(store.canUndo()).toBe(false)
  })

  it('ends a coalescing run so a later edit of the same field is its own step', () => {
    const { store } = editor()
    store.setParam('conv1', 'filters', 32)
    store.endCoalesce()
    store.setParam('conv1', 'filters', 48)
    store.undo()
    expect(store.getState().doc.nodes.find((n) => n.id === 'conv1')!.params.filters).toBe(32)
  })

  it('refuses edits while an older version is shown read-only', () => {
    const { store } = editor()
    store.viewVersion(7, chain(), 2)
    expect(store.addLayer('ReLU', { x: 0, y: 0 })).toBeNull()
    expect(store.getState().notice?.text).toMatch(/read-only/)
  })
})

describe('editor store: clipboard', () => {
  it('pastes copies with growing offsets and fresh ids, each paste one undo step', () => {
    const { store } = editor()
    store.select(['conv1', 'relu1'])
    expect(store.copy()).toBe(true)
    store.paste()
    const first = store.getState().selectedNodes
    store.paste()
    const second = store.getState().selectedNodes
    const doc = store.getState().doc
    const pos = (id: string) => doc.nodes.find((n) => n.id === id)!.position
    const conv = pos('conv1')
    expect(first).toHaveLength(2)
    expect(new Set([...first, ...second, 'conv1', 'relu1']).size).toBe(6)
    expect(pos(first[0]!)).toEqual({ x: conv.x + 40, y: conv.y + 40 })
    expect(pos(second[0]!)).toEqual({ x: conv.x + 80, y: conv.y + 80 })
    // The edge between the copied nodes is copied too.
    expect(doc.edges.some((e) => e.source === first[0] && e.target === first[1])).toBe(true)
    store.undo()
    expect(store.getState().doc.nodes).toHaveLength(5)
  })

  it('duplicates the selection next to it', () => {
    const { store } = editor()
    store.select(['conv1'])
    store.duplicate()
    const [copy] = store.getState().selectedNodes
    expect(copy).toBeDefined()
    expect(copy).not.toBe('conv1')
  })
})

describe('editor store: blocks', () => {
  it('adds a built-in block connected after the selection, groups and ungroups', () => {
    const { store } = editor()
    const id = store.addBlock(residualBasicBlock({ filters: 16, inputChannels: 16 }), { x: 600, y: 0 }, { from: 'relu1', repeat: 3 })!
    const a = store.analysis()
    expect(a.byTopNode[id]!.outputShape).toEqual([32, 32, 16])
    expect(a.ok).toBe(true)
    store.setRepeat(id, 2)
    expect(store.getState().doc.nodes.find((n) => n.id === id)!.params.repeat).toBe(2)
    store.select(['conv1', 'relu1'])
    store.groupSelection('Stem')
    const [block] = store.getState().selectedNodes
    expect(store.getState().doc.nodes.find((n) => n.id === block)!.kind).toBe('Block')
    store.ungroup(block!)
    expect(store.getState().doc.nodes.filter((n) => n.kind === 'Conv2D')).toHaveLength(1)
  })

  it('reports why a selection cannot be grouped', () => {
    const { store } = editor()
    store.select(['input', 'conv1'])
    store.groupSelection()
    expect(store.getState().notice?.text).toMatch(/cannot be part of a block/)
  })
})

describe('auto-layout', () => {
  it('gives distinct positions, top to bottom in topological order', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 4] }, { id: 'in' })
    const c1 = b.add('Conv2D', { filters: 4 }, { id: 'c1' })
    b.add('ReLU', {}, { id: 'r1' })
    const c2 = b.add('Conv2D', { filters: 4 }, { id: 'c2' })
    b.add('Add', {}, { id: 'add', from: [c2, c1] })
    b.add('GlobalAveragePool', {}, { id: 'gap' })
    const doc = b.build()
    const pos = autoLayout(doc.nodes, doc.edges)
    const keys = new Set(Object.values(pos).map((p) => `${p.x},${p.y}`))
    expect(keys.size).toBe(doc.nodes.length)
    const { order } = topologicalOrder(doc.nodes, doc.edges)
    for (const e of doc.edges) expect(pos[e.source]!.y).toBeLessThan(pos[e.target]!.y)
    for (let i = 1; i < order.length; i++) expect(pos[order[i - 1]!]!.y).toBeLessThanOrEqual(pos[order[i]!]!.y)
  })

  it('the store applies it as one undoable edit', () => {
    const { store } = editor()
    store.autoLayout()
    const ys = store.getState().doc.nodes.map((n) => n.position.y)
    expect(new Set(ys).size).toBe(3)
    expect(ys).not.toEqual(chain().nodes.map((n) => n.position.y)) // the builder's rows are 100 apart, the layout's 78 + 44
    store.undo()
    expect(store.getState().doc.nodes.map((n) => n.position.y)).toEqual(chain().nodes.map((n) => n.position.y))
  })
})

describe('autosave', () => {
  it('debounces several edits into one save of the latest document', async () => {
    vi.useFakeTimers()
    const { store, save } = editor()
    store.setParam('conv1', 'filters', 20)
    await vi.advanceTimersByTimeAsync(300)
    store.addLayer('ReLU', { x: 900, y: 0 })
    await vi.advanceTimersByTimeAsync(300)
    store.setParam('conv1', 'filters', 24)
    expect(store.getState().saveState).toBe('pending')
    await vi.advanceTimersByTimeAsync(799)
    expect(save).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(save).toHaveBeenCalledTimes(1)
    expect(save).toHaveBeenCalledWith(7, store.getState().doc)
    await vi.runAllTimersAsync()
    expect(store.getState().saveState).toBe('saved')
  })

  it('flush saves a pending edit at once; a failed save is reported', async () => {
    vi.useFakeTimers()
    const save = vi.fn(async () => {
      throw new Error('disk full')
    })
    const { store } = editor(save)
    store.setParam('conv1', 'filters', 20)
    await store.flush()
    expect(save).toHaveBeenCalledTimes(1)
    expect(store.getState().saveState).toBe('error')
    expect(store.getState().saveError).toBe('disk full')
  })

  it('loading a design does not save it', async () => {
    vi.useFakeTimers()
    const { save } = editor()
    await vi.runAllTimersAsync()
    expect(save).not.toHaveBeenCalled()
  })
})

describe('view model', () => {
  it('summarizes key parameters and marks nodes with issues', () => {
    expect(paramSummary('Conv2D', { filters: 64, kernelSize: 3, strides: 2, padding: 'same' })).toBe('64 · 3x3 /2 same')
    const { store } = editor()
    store.addLayer('Add', { x: 600, y: 0 })
    const s = store.getState()
    const flow = buildFlow({ doc: s.doc, analysis: analysisOf(s.doc, 1), selectedNodes: [], selectedEdges: [], expanded: [], dragging: null, readOnly: false })
    const add = flow.nodes.find((n) => n.data.title === 'add1')!
    expect(add.type).toBe('layer')
    expect((add.data as { error: string | null }).error).toMatch(/has no input/)
    const conv = flow.nodes.find((n) => n.id === 'conv1')!
    expect((conv.data as { shape: string | null }).shape).toBe('32x32x16')
  })
})

describe('editor store: layers inside a block', () => {
  it('selects an inner layer and edits the block definition through setParam, undoably', () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 16] }, { id: 'input' })
    const def = residualBasicBlock({ filters: 16, inputChannels: 16 })
    b.block(def, 2, { id: 'stage' })
    const doc = b.build()
    const store = createEditorStore({ save: vi.fn(async () => undefined), debounceMs: 800 })
    store.load(1, doc)
    const conv = def.nodes.find((n) => n.kind === 'Conv2D')!
    const flowId = `stage/0/${conv.id}`
    store.select([flowId])
    expect(store.getState().selectedInner).toBe(flowId)
    expect(store.getState().selectedNodes).toEqual([])
    const before = store.analysis().totals.trainableParams
    store.setParam(flowId, 'useBias', true)
    const edited = store.getState().doc.blocks.find((x) => x.id === def.id)!.nodes.find((n) => n.id === conv.id)!
    expect(edited.params.useBias).toBe(true)
    expect(store.analysis().totals.trainableParams - before).toBe(16 * 2) // one bias per filter, two repetitions
    expect(store.getState().selectedInner).toBe(flowId)
    store.undo()
    expect(store.analysis().totals.trainableParams).toBe(before)
    // Selecting a top-level node clears the inner selection.
    store.select(['input'])
    expect(store.getState().selectedInner).toBeNull()
  })
})
