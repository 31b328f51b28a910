/**
 * Property tests for the graph engine (fast-check): random sequences of editor operations on real templates.
 *  - undo/redo is an exact inverse: after any sequence, undoing k steps gives back exactly the document of k
 *    steps ago and redoing them gives back the last one; no operation changes the document it was given;
 *  - validation is total: analyzeGraph never throws on any document an edit sequence produces (random kinds,
 *    parameters of any type, cycles, dangling blocks), and every produced document still parses as a graph;
 *  - copy/paste and block collapse/expand keep the document valid: a pasted selection parses, leaves the original
 *    nodes untouched and copies exactly the inner edges; grouping a chain into a block and expanding it again
 *    keeps the analysis free of errors with the same parameter count and output shape.
 * Runs per property: GRAPH_PROPERTY_RUNS (default 100; set it higher, e.g. 1000, for a longer search).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  analyzeGraph,
  connect,
  createHistory,
  disconnect,
  duplicateNodes,
  extractSubgraph,
  getTemplate,
  GraphOpError,
  groupIntoBlock,
  listLayers,
  addNode,
  parseGraphDocument,
  pasteSubgraph,
  pushHistory,
  redo,
  removeNodes,
  renameNode,
  serializeGraphDocument,
  setBlockRepeat,
  setParam,
  setPositions,
  topologicalOrder,
  undo,
  ungroupBlock,
  type GraphDocument,
} from '../../../shared/graph/index'

const runs = Number(process.env.GRAPH_PROPERTY_RUNS) > 0 ? Number(process.env.GRAPH_PROPERTY_RUNS) : 100
const template = (name: string, input: [number, number, number] = [32, 32, 3]) => getTemplate(name)!.build(input, 10)
const KINDS = [...listLayers().map((l) => l.kind), 'NoSuchLayer']

type Op =
  | { op: 'add'; kind: string; x: number }
  | { op: 'remove'; picks: number[] }
  | { op: 'connect'; a: number; b: number; handle: number }
  | { op: 'disconnect'; pick: number }
  | { op: 'param'; pick: number; name: string; value: unknown }
  | { op: 'rename'; pick: number; name: string }
  | { op: 'move'; pick: number; x: number; y: number }
  | { op: 'duplicate'; picks: number[] }
  | { op: 'group'; start: number; length: number }
  | { op: 'ungroup'; pick: number }
  | { op: 'repeat'; pick: number; times: number }

const paramValue = fc.oneof(fc.integer({ min: -3, max: 300 }), fc.double(), fc.boolean(), fc.string({ maxLength: 6 }), fc.array(fc.integer({ min: -2, max: 9 }), { maxLength: 4 }), fc.constant(null))
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), kind: fc.constantFrom(...KINDS), x: fc.integer({ min: -500, max: 500 }) }),
  fc.record({ op: fc.constant('remove' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('connect' as const), a: fc.nat(), b: fc.nat(), handle: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('disconnect' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('param' as const), pick: fc.nat(), name: fc.constantFrom('filters', 'kernelSize', 'strides', 'units', 'activation', 'padding', 'rate', 'shape', 'poolSize', 'x'), value: paramValue }),
  fc.record({ op: fc.constant('rename' as const), pick: fc.nat(), name: fc.string({ maxLength: 10 }) }),
  fc.record({ op: fc.constant('move' as const), pick: fc.nat(), x: fc.integer({ min: -1e4, max: 1e4 }), y: fc.integer({ min: -1e4, max: 1e4 }) }),
  fc.record({ op: fc.constant('duplicate' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant('group' as const), start: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('ungroup' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('repeat' as const), pick: fc.nat(), times: fc.integer({ min: 0, max: 4 }) }),
)

/** Applies one op; a refused op (GraphOpError, the editor shows its message) leaves the document as it was. */
function apply(doc: GraphDocument, op: Op): GraphDocument {
  const ids = doc.nodes.map((n) => n.id)
  const at = (i: number) => ids[i % Math.max(1, ids.length)]
  const blocks = doc.nodes.filter((n) => n.kind === 'Block').map((n) => n.id)
  try {
    switch (op.op) {
      case 'add':
        return addNode(doc, { kind: op.kind, position: { x: op.x, y: 0 } }).doc
      case 'remove':
        return ids.length ? removeNodes(doc, op.picks.map((p) => at(p)!)) : doc
      case 'connect':
        return ids.length ? connect(doc, { source: at(op.a)!, target: at(op.b)!, targetHandle: op.handle }).doc : doc
      case 'disconnect':
        return doc.edges.length ? disconnect(doc, [doc.edges[op.pick % doc.edges.length]!.id]) : doc
      case 'param':
        return ids.length ? setParam(doc, at(op.pick)!, op.name, op.value as never) : doc
      case 'rename':
        return ids.length ? renameNode(doc, at(op.pick)!, op.name) : doc
      case 'move':
        return ids.length ? setPositions(doc, { [at(op.pick)!]: { x: op.x, y: op.y } }) : doc
      case 'duplicate':
        return ids.length ? duplicateNodes(doc, op.picks.map((p) => at(p)!)).doc : doc
      case 'group':
        return ids.length ? groupIntoBlock(doc, ids.slice(op.start % ids.length, (op.start % ids.length) + op.length)).doc : doc
      case 'ungroup':
        return blocks.length ? ungroupBlock(doc, blocks[op.pick % blocks.length]!).doc : doc
      case 'repeat':
        return blocks.length ? setBlockRepeat(doc, blocks[op.pick % blocks.length]!, op.times) : doc
    }
  } catch (error) {
    if (error instanceof GraphOpError) return doc
    throw error
  }
}

const startDocs = fc.constantFrom('toy-convnet', 'lenet5', 'resnet20')
const templateDoc = (name: string) => (name === 'lenet5' ? template(name, [32, 32, 1]) : template(name))

describe('graph engine properties', () => {
  it('undo/redo is an exact inverse over random edit sequences, and no edit changes the document it was given', () => {
    fc.assert(
      fc.property(startDocs, fc.array(opArb, { maxLength: 25 }), fc.nat(), (name, ops, k) => {
        let history = createHistory(templateDoc(name))
        const snapshots = [history.present]
        const texts = [JSON.stringify(history.present)]
        for (const op of ops) {
          const next = apply(history.present, op)
          if (next === history.present) continue
          history = pushHistory(history, next)
          snapshots.push(next)
          texts.push(JSON.stringify(next))
        }
        // Nothing any later edit did changed an earlier document in place.
        snapshots.forEach((s, i) => expect(JSON.stringify(s)).toBe(texts[i]))
        const steps = k % snapshots.length
        let h = history
        for (let i = 0; i < steps; i++) h = undo(h)
        expect(h.present).toEqual(snapshots[snapshots.length - 1 - steps])
        for (let i = 0; i < steps; i++) h = redo(h)
        expect(h.present).toEqual(snapshots[snapshots.length - 1])
        expect(h.past.length).toBe(history.past.length)
      }),
      { numRuns: runs },
    )
  })

  it('validation is total: every document an edit sequence produces parses and analyses without throwing', () => {
    fc.assert(
      fc.property(startDocs, fc.array(opArb, { maxLength: 30 }), (name, ops) => {
        let doc = templateDoc(name)
        for (const op of ops) {
          doc = apply(doc, op)
          const analysis = analyzeGraph(doc)
          expect(analysis.ok).toBe(analysis.issues.every((i) => i.severity !== 'error'))
          for (const issue of analysis.issues) expect(issue.message.trim()).not.toBe('')
        }
        expect(parseGraphDocument(serializeGraphDocument(doc))).toEqual(JSON.parse(serializeGraphDocument(doc)))
      }),
      { numRuns: runs },
    )
  })

  it('copy/paste keeps the document valid: originals untouched, only the inner edges copied, fresh ids', () => {
    fc.assert(
      fc.property(startDocs, fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 6 }), fc.integer({ min: -100, max: 100 }), (name, picks, dx) => {
        const doc = templateDoc(name)
        const before = JSON.stringify(doc)
        const ids = [...new Set(picks.map((p) => doc.nodes[p % doc.nodes.length]!.id))]
        const sub = extractSubgraph(doc, ids)
        const { doc: pasted, idMap } = pasteSubgraph(doc, sub, { x: dx, y: dx })
        expect(JSON.stringify(doc)).toBe(before)
        parseGraphDocument(serializeGraphDocument(pasted))
        expect(pasted.nodes.slice(0, doc.nodes.length)).toEqual(doc.nodes)
        expect(pasted.nodes.length).toBe(doc.nodes.length + ids.length)
        const fresh = Object.values(idMap)
        expect(new Set(fresh).size).toBe(ids.length)
        for (const id of fresh) expect(doc.nodes.some((n) => n.id === id)).toBe(false)
        const inner = doc.edges.filter((e) => ids.includes(e.source) && ids.includes(e.target)).length
        expect(pasted.edges.length).toBe(doc.edges.length + inner)
        expect(() => analyzeGraph(pasted)).not.toThrow()
      }),
      { numRuns: runs },
    )
  })

  it('collapsing a chain into a block and expanding it again keeps the analysis error-free, same parameters and output', () => {
    fc.assert(
      fc.property(fc.constantFrom('toy-convnet', 'lenet5'), fc.nat(), fc.integer({ min: 1, max: 5 }), (name, start, length) => {
        const doc = templateDoc(name)
        const base = analyzeGraph(doc)
        expect(base.ok).toBe(true)
        const chain = topologicalOrder(doc.nodes, doc.edges).order.filter((id) => !['Input', 'Output'].includes(doc.nodes.find((n) => n.id === id)!.kind))
        const s = start % chain.length
        const ids = chain.slice(s, s + length)
        const grouped = groupIntoBlock(doc, ids)
        const g = analyzeGraph(grouped.doc)
        parseGraphDocument(serializeGraphDocument(grouped.doc))
        expect(g.issues.filter((i) => i.severity === 'error')).toEqual([])
        expect(g.totals.params).toBe(base.totals.params)
        expect(g.nodes[g.outputIds[0]!]?.outputShape).toEqual(base.nodes[base.outputIds[0]!]?.outputShape)
        const expanded = ungroupBlock(grouped.doc, grouped.nodeId)
        const e = analyzeGraph(expanded.doc)
        parseGraphDocument(serializeGraphDocument(expanded.doc))
        expect(e.issues.filter((i) => i.severity === 'error')).toEqual([])
        expect(e.totals.params).toBe(base.totals.params)
        expect(e.nodes[e.outputIds[0]!]?.outputShape).toEqual(base.nodes[base.outputIds[0]!]?.outputShape)
        // Nothing left dangling: every layer of the expansion is connected (no 'has no input' errors above) and
        // the expansion holds as many layers as the flat graph of the original.
        expect(e.flat.nodes.length).toBe(base.flat.nodes.length)
      }),
      { numRuns: runs },
    )
  })
})
