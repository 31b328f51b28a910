import { describe, expect, it } from 'vitest'
import { GraphBuilder, TEMPLATES, residualBasicBlock, type BlockDef, type GraphDocument } from '@shared/graph'
import { FIT_MIN_ZOOM, NODE_SIZE, autoLayout, fitViewport, overlaps, pathHits, placeNewNode, routeEdge, type Rect } from '../../renderer/src/architecture/layout'
import { blockBodyLayout, edgeLane, handlePoints } from '../../renderer/src/architecture/flow'
import { layoutForEditor } from '../../renderer/src/architecture/TemplateGallery'

const template = (name: string): GraphDocument => {
  const t = TEMPLATES.find((x) => x.name === name)!
  return t.build(t.defaultInput, t.defaultClasses)
}

const rectsOf = (positions: Record<string, { x: number; y: number }>, size: (id: string) => { width: number; height: number } = () => NODE_SIZE): Map<string, Rect> =>
  new Map(Object.entries(positions).map(([id, p]) => [id, { ...p, ...size(id) }]))

function expectNoOverlap(rects: Map<string, Rect>) {
  const list = [...rects]
  for (let i = 0; i < list.length; i++)
    for (let j = i + 1; j < list.length; j++) expect(overlaps(list[i]![1], list[j]![1]), `${list[i]![0]} overlaps ${list[j]![0]}`).toBe(false)
}

/** A residual unit written out in the top-level graph: in -> conv -> bn -> relu -> conv -> bn -> add(., in) -> relu. */
function residualDoc(): GraphDocument {
  const b = new GraphBuilder()
  const x = b.add('Input', { shape: [8, 8, 4] }, { id: 'in' })
  b.add('Conv2D', { filters: 4 }, { id: 'c1' })
  b.add('BatchNorm', {}, { id: 'b1' })
  b.add('ReLU', {}, { id: 'r1' })
  b.add('Conv2D', { filters: 4 }, { id: 'c2' })
  const main = b.add('BatchNorm', {}, { id: 'b2' })
  b.add('Add', {}, { id: 'add', from: [main, x] })
  b.add('ReLU', {}, { id: 'r2' })
  return b.build()
}

describe('layered layout, top to bottom', () => {
  it('every edge points downward and no two nodes overlap (all templates)', () => {
    for (const t of TEMPLATES) {
      const doc = t.build(t.defaultInput, t.defaultClasses)
      const pos = autoLayout(doc.nodes, doc.edges)
      for (const e of doc.edges) expect(pos[e.target]!.y, `${t.name}: ${e.source} -> ${e.target}`).toBeGreaterThan(pos[e.source]!.y + NODE_SIZE.height)
      expectNoOverlap(rectsOf(pos))
    }
  })

  it('ResNet-20 is one column from the input down, its blocks collapsed, not rows of text', () => {
    const doc = layoutForEditor(template('resnet20'))
    const xs = doc.nodes.map((n) => n.position.x)
    const ys = doc.nodes.map((n) => n.position.y)
    expect(Math.max(...xs) - Math.min(...xs)).toBeLessThan(NODE_SIZE.width / 2) // one column
    expect(doc.nodes[0]!.kind).toBe('Input')
    expect(doc.nodes[0]!.position.y).toBe(Math.min(...ys)) // the input at the top
    expect(new Set(ys).size).toBe(doc.nodes.length) // one node per rank
  })

  it('a projection shortcut sits beside the main path in the block body (branches side by side)', () => {
    const def: BlockDef = residualBasicBlock({ filters: 32, stride: 2, inputChannels: 16 })
    const body = blockBodyLayout(def)
    const p = body.positions
    // The 1x1 projection and the first 3x3 conv both read the block input: same rank, side by side.
    expect(p.proj!.y).toBe(p.conv1!.y)
    expect(Math.abs(p.proj!.x - p.conv1!.x)).toBeGreaterThanOrEqual(NODE_SIZE.width)
    // The shortcut is on the right, where the Add draws its input 1: the wires into the Add do not cross.
    expect(p.proj!.x).toBeGreaterThan(p.conv1!.x)
    for (const e of def.edges) expect(p[e.target]!.y).toBeGreaterThan(p[e.source]!.y)
    const size = (id: string) => (id === 'in' || id === 'out' ? { width: 64, height: 26 } : NODE_SIZE)
    expectNoOverlap(rectsOf(p, size))
    for (const [id, q] of Object.entries(p)) {
      expect(q.x + size(id).width).toBeLessThanOrEqual(body.width)
      expect(q.y + size(id).height).toBeLessThanOrEqual(body.height)
    }
  })

  it('a residual skip edge runs beside the chain, crossing no node', () => {
    const doc = residualDoc()
    const pos = autoLayout(doc.nodes, doc.edges)
    const rects = rectsOf(pos)
    const others = [...rects].filter(([id]) => id !== 'in' && id !== 'add').map(([, r]) => r)
    const ends = handlePoints(rects.get('in')!, rects.get('add')!, 1, 3)
    // Drawn straight, the skip would run through the chain it skips...
    expect(pathHits([ends.source, ends.target], others).length).toBeGreaterThan(0)
    // ...routed, it crosses nothing.
    const lane = edgeLane(rects, 'in', 'add', 1, 3)
    expect(lane).not.toBeNull()
    const route = routeEdge(ends.source, ends.target, others)
    expect(route[2]!.x).toBe(lane)
    expect(pathHits(route, others)).toEqual([])
    // Chain edges between neighbours stay straight.
    expect(edgeLane(rects, 'c1', 'b1', 0, 1)).toBeNull()
  })

  it('the skip of every expanded residual body in ResNet-20 crosses no inner layer', () => {
    const doc = template('resnet20')
    for (const def of doc.blocks) {
      const body = blockBodyLayout(def)
      const size = (id: string) => (def.nodes.find((n) => n.id === id)!.kind.startsWith('Block') ? { width: 64, height: 26 } : NODE_SIZE)
      const rects = rectsOf(body.positions, (id) => ({ ...size(id) }))
      for (const e of def.edges) {
        const inputs = def.nodes.find((n) => n.id === e.target)!.kind === 'Add' ? 2 : 1
        const ends = handlePoints(rects.get(e.source)!, rects.get(e.target)!, e.targetHandle ?? 0, inputs)
        const others = [...rects].filter(([id]) => id !== e.source && id !== e.target).map(([, r]) => r)
        expect(pathHits(routeEdge(ends.source, ends.target, others), others), `${def.id}: ${e.source} -> ${e.target}`).toEqual([])
      }
    }
  })
})

describe('a new node from the palette', () => {
  const sel: Rect = { x: 0, y: 0, ...NODE_SIZE }
  it('goes right below the selection when that spot is free', () => {
    const p = placeNewNode(sel, NODE_SIZE, [sel], { x: 500, y: 500 })
    expect(p.y).toBeGreaterThan(sel.y + sel.height)
    expect(p.x).toBe(0)
  })

  it('takes the nearest free spot below the selection when the chain continues there', () => {
    const doc = layoutForEditor(template('resnet20'))
    const rects = doc.nodes.map((n) => ({ ...n.position, ...NODE_SIZE }))
    const anchor = rects[2]!
    const p = placeNewNode(anchor, NODE_SIZE, rects, { x: 0, y: 0 })
    expect(p.y).toBeGreaterThan(anchor.y + anchor.height)
    for (const r of rects) expect(overlaps({ ...p, ...NODE_SIZE }, r)).toBe(false)
    expect(p.y).toBeLessThan(anchor.y + 3 * (NODE_SIZE.height + 44)) // close by, not at the end of the graph
  })

  it('without a selection, near the given point but not on a node', () => {
    const other: Rect = { x: 100, y: 100, ...NODE_SIZE }
    const p = placeNewNode(null, NODE_SIZE, [other], { x: 100, y: 100 })
    expect(overlaps({ ...p, ...NODE_SIZE }, other)).toBe(false)
  })
})

describe('fit view keeps text readable', () => {
  it('fits a small graph whole, and shows a tall one from the top at the readable zoom floor', () => {
    const small = fitViewport({ x: 0, y: 0, width: 400, height: 300 }, 1000, 700)
    expect(small.zoom).toBeGreaterThan(FIT_MIN_ZOOM)
    expect(small.zoom).toBeLessThanOrEqual(1.1)
    const tall = fitViewport({ x: 0, y: 0, width: 184, height: 8000 }, 1000, 700)
    expect(tall.zoom).toBe(FIT_MIN_ZOOM)
    expect(12 * tall.zoom).toBeGreaterThanOrEqual(11)
    expect(tall.y).toBeGreaterThan(0) // the top of the graph (the input) is on screen
    expect(tall.y).toBeLessThan(100)
    expect(tall.x + 92 * tall.zoom).toBeCloseTo(500) // centred horizontally
  })
})
