/**
 * Pure operations over graph documents: each takes a document and returns a new one (inputs are never mutated),
 * so a store can keep the previous value for undo. Operations that create things also return the new ids.
 * Invalid requests (unknown ids, a connection that would make a cycle) throw `GraphOpError`; use `canConnect`
 * to ask first.
 */
import { getLayer } from './registry'
import { topologicalOrder } from './analyze'
import { BLOCK_INPUT_KIND, BLOCK_KIND, BLOCK_OUTPUT_KIND } from './types'
import type { BlockDef, GraphDocument, GraphEdge, GraphNode, ParamValue, Params, Position } from './types'
import { expandBlocks } from './expand'

/** Deep copy of plain JSON (documents hold nothing else). */
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

export class GraphOpError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GraphOpError'
  }
}

/** A new node id not used in `doc` (nor in its blocks' ids): `conv2d1`, `conv2d2`, ... */
export function createNodeId(doc: GraphDocument, base: string): string {
  const stem = base.replace(/[^A-Za-z0-9_]/g, '').toLowerCase() || 'node'
  const taken = new Set(doc.nodes.map((n) => n.id))
  for (let i = 1; ; i++) if (!taken.has(`${stem}${i}`)) return `${stem}${i}`
}

function createEdgeId(edges: readonly GraphEdge[], source: string, target: string, handle: number): string {
  const base = `${source}->${target}${handle ? `#${handle}` : ''}`
  const taken = new Set(edges.map((e) => e.id))
  if (!taken.has(base)) return base
  for (let i = 2; ; i++) if (!taken.has(`${base}~${i}`)) return `${base}~${i}`
}

function requireNode(doc: GraphDocument, id: string): GraphNode {
  const n = doc.nodes.find((x) => x.id === id)
  if (!n) throw new GraphOpError(`No node with id "${id}"`)
  return n
}

export interface NewNode {
  kind: string
  position: Position
  /** Defaults to the registry defaults for the kind, overridden by these. */
  params?: Params
  id?: string
  name?: string
}

/** Add a node (params default to the registry defaults for its kind). */
export function addNode(doc: GraphDocument, spec: NewNode): { doc: GraphDocument; id: string } {
  const id = spec.id ?? createNodeId(doc, spec.kind)
  if (doc.nodes.some((n) => n.id === id)) throw new GraphOpError(`A node with id "${id}" already exists`)
  if (id.includes('/')) throw new GraphOpError(`Node ids must not contain '/', received "${id}"`)
  const defaults = getLayer(spec.kind)?.defaults ?? {}
  const node: GraphNode = { id, kind: spec.kind, params: { ...clone(defaults), ...(spec.params ?? {}) }, position: { ...spec.position } }
  if (spec.name !== undefined) node.name = spec.name
  return { doc: { ...doc, nodes: [...doc.nodes, node] }, id }
}

/** Remove nodes and every edge touching them. Block definitions no longer used are dropped. */
export function removeNodes(doc: GraphDocument, ids: readonly string[]): GraphDocument {
  const gone = new Set(ids)
  const next = { ...doc, nodes: doc.nodes.filter((n) => !gone.has(n.id)), edges: doc.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)) }
  return pruneBlocks(next)
}

export interface Connection {
  source: string
  target: string
  /** Input index at the target (default 0; for merges, the next free index). */
  targetHandle?: number
  sourceHandle?: string
}

/** Whether `connect` would accept this connection, and why not. */
export function canConnect(doc: GraphDocument, c: Connection): { ok: true } | { ok: false; reason: string } {
  const src = doc.nodes.find((n) => n.id === c.source)
  const dst = doc.nodes.find((n) => n.id === c.target)
  if (!src || !dst) return { ok: false, reason: `No node with id "${!src ? c.source : c.target}"` }
  if (c.source === c.target) return { ok: false, reason: 'A layer cannot feed itself' }
  if (dst.kind === 'Input') return { ok: false, reason: 'The Input takes no incoming connection' }
  if (src.kind === 'Output') return { ok: false, reason: 'Nothing can follow the Output (classifier) node' }
  if (doc.edges.some((e) => e.source === c.source && e.target === c.target && (c.targetHandle === undefined || (e.targetHandle ?? 0) === c.targetHandle))) {
    return { ok: false, reason: 'These layers are already connected' }
  }
  const probe = [...doc.edges, { id: '?', source: c.source, target: c.target }]
  if (topologicalOrder(doc.nodes, probe).cyclic.length > topologicalOrder(doc.nodes, doc.edges).cyclic.length) {
    return { ok: false, reason: `Connecting "${src.name ?? src.id}" to "${dst.name ?? dst.id}" would create a cycle` }
  }
  return { ok: true }
}

function isMerge(node: GraphNode): boolean {
  const def = getLayer(node.kind)
  return def !== undefined && def.arity.max > 1
}

/**
 * Connect `source` to `target`. For single-input layers an existing incoming edge is replaced (drag a new wire
 * onto an input to re-route it); for merges the edge takes `targetHandle` or the next free input index.
 */
export function connect(doc: GraphDocument, c: Connection): { doc: GraphDocument; id: string } {
  const check = canConnect(doc, c)
  if (!check.ok) throw new GraphOpError(check.reason)
  const dst = requireNode(doc, c.target)
  let edges = doc.edges
  let handle = c.targetHandle ?? 0
  if (isMerge(dst)) {
    if (c.targetHandle === undefined) {
      const used = new Set(edges.filter((e) => e.target === c.target).map((e) => e.targetHandle ?? 0))
      while (used.has(handle)) handle++
    } else {
      edges = edges.filter((e) => !(e.target === c.target && (e.targetHandle ?? 0) === handle))
    }
  } else {
    edges = edges.filter((e) => e.target !== c.target)
  }
  const id = createEdgeId(edges, c.source, c.target, handle)
  const edge: GraphEdge = { id, source: c.source, target: c.target, targetHandle: handle }
  if (c.sourceHandle !== undefined) edge.sourceHandle = c.sourceHandle
  return { doc: { ...doc, edges: [...edges, edge] }, id }
}

export function disconnect(doc: GraphDocument, edgeIds: readonly string[]): GraphDocument {
  const gone = new Set(edgeIds)
  return { ...doc, edges: doc.edges.filter((e) => !gone.has(e.id)) }
}

/** Set one parameter (stored as given; `analyzeGraph` reports invalid values on the node). */
export function setParam(doc: GraphDocument, nodeId: string, name: string, value: ParamValue): GraphDocument {
  return setParams(doc, nodeId, { [name]: value })
}

export function setParams(doc: GraphDocument, nodeId: string, params: Params): GraphDocument {
  requireNode(doc, nodeId)
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === nodeId ? { ...n, params: { ...n.params, ...params } } : n)) }
}

/** Rename (display name). An empty name clears it (the id is shown). */
export function renameNode(doc: GraphDocument, nodeId: string, name: string): GraphDocument {
  requireNode(doc, nodeId)
  return {
    ...doc,
    nodes: doc.nodes.map((n) => {
      if (n.id !== nodeId) return n
      const { name: _old, ...rest } = n
      return name ? { ...rest, name } : rest
    }),
  }
}

/** Move nodes (unknown ids are ignored: positions may come from a UI that lags behind). */
export function setPositions(doc: GraphDocument, positions: Readonly<Record<string, Position>>): GraphDocument {
  return { ...doc, nodes: doc.nodes.map((n) => (positions[n.id] ? { ...n, position: { ...positions[n.id]! } } : n)) }
}

// ---- copy / paste / duplicate ----

/** A self-contained piece of a graph: the clipboard format. */
export interface Subgraph {
  nodes: GraphNode[]
  /** Only edges between the extracted nodes. */
  edges: GraphEdge[]
  /** Definitions used by Block nodes among them (and nested blocks). */
  blocks: BlockDef[]
}

function usedBlocks(nodes: readonly GraphNode[], all: readonly BlockDef[]): BlockDef[] {
  const byId = new Map(all.map((b) => [b.id, b]))
  const out = new Map<string, BlockDef>()
  const visit = (ns: readonly GraphNode[]) => {
    for (const n of ns) {
      const def = n.kind === BLOCK_KIND && typeof n.params.blockId === 'string' ? byId.get(n.params.blockId) : undefined
      if (def && !out.has(def.id)) {
        out.set(def.id, def)
        visit(def.nodes)
      }
    }
  }
  visit(nodes)
  return [...out.values()]
}

export function extractSubgraph(doc: GraphDocument, ids: readonly string[]): Subgraph {
  const keep = new Set(ids)
  const nodes = doc.nodes.filter((n) => keep.has(n.id))
  return clone({ nodes, edges: doc.edges.filter((e) => keep.has(e.source) && keep.has(e.target)), blocks: usedBlocks(nodes, doc.blocks) })
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Insert a subgraph with fresh ids, moved by `offset`. Block definitions are added when missing; a definition
 * whose id exists with different content is added under a new id. Returns old id -> new id.
 */
export function pasteSubgraph(doc: GraphDocument, sub: Subgraph, offset: Position = { x: 40, y: 40 }): { doc: GraphDocument; idMap: Record<string, string> } {
  let blocks = [...doc.blocks]
  const blockMap = new Map<string, string>()
  for (const def of sub.blocks) {
    const existing = blocks.find((b) => b.id === def.id)
    if (existing && sameJson(existing, def)) continue
    let id = def.id
    for (let i = 2; blocks.some((b) => b.id === id); i++) id = `${def.id}_${i}`
    blockMap.set(def.id, id)
    blocks.push({ ...clone(def), id })
  }
  const remapBlock = (n: GraphNode): GraphNode =>
    n.kind === BLOCK_KIND && typeof n.params.blockId === 'string' && blockMap.has(n.params.blockId) ? { ...n, params: { ...n.params, blockId: blockMap.get(n.params.blockId)! } } : n
  blocks = blocks.map((b) => ({ ...b, nodes: b.nodes.map(remapBlock) }))
  const idMap: Record<string, string> = {}
  let next: GraphDocument = { ...doc, blocks }
  for (const n of sub.nodes) {
    const id = createNodeId(next, n.id.replace(/\d+$/, ''))
    idMap[n.id] = id
    const node: GraphNode = { ...remapBlock(clone(n)), id, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } }
    next = { ...next, nodes: [...next.nodes, node] }
  }
  const edges = [...next.edges]
  for (const e of sub.edges) {
    const source = idMap[e.source]
    const target = idMap[e.target]
    if (!source || !target) continue
    edges.push({ ...e, id: createEdgeId(edges, source, target, e.targetHandle ?? 0), source, target })
  }
  return { doc: { ...next, edges }, idMap }
}

/** Copy + paste in one step. */
export function duplicateNodes(doc: GraphDocument, ids: readonly string[], offset: Position = { x: 40, y: 40 }) {
  return pasteSubgraph(doc, extractSubgraph(doc, ids), offset)
}

// ---- blocks ----

/** Drop block definitions that no node (top level or inside a used block) refers to. */
export function pruneBlocks(doc: GraphDocument): GraphDocument {
  const used = new Set(usedBlocks(doc.nodes, doc.blocks).map((b) => b.id))
  return used.size === doc.blocks.length ? doc : { ...doc, blocks: doc.blocks.filter((b) => used.has(b.id)) }
}

/**
 * Replace the selected nodes by one Block node whose definition holds them. The selection must have exactly one
 * entering tensor (all edges from outside come from one node) and exactly one leaving tensor (edges to outside
 * leave from one node); an Input or Output node cannot be grouped.
 */
export function groupIntoBlock(doc: GraphDocument, ids: readonly string[], options: { name?: string; blockId?: string } = {}): { doc: GraphDocument; nodeId: string; blockId: string } {
  const sel = new Set(ids)
  const nodes = doc.nodes.filter((n) => sel.has(n.id))
  if (nodes.length === 0) throw new GraphOpError('Select at least one layer to make a block')
  const io = nodes.find((n) => n.kind === 'Input' || n.kind === 'Output')
  if (io) throw new GraphOpError(`The ${io.kind} node "${io.name ?? io.id}" cannot be part of a block`)
  const entering = doc.edges.filter((e) => sel.has(e.target) && !sel.has(e.source))
  const leaving = doc.edges.filter((e) => sel.has(e.source) && !sel.has(e.target))
  const sources = [...new Set(entering.map((e) => e.source))]
  const exits = [...new Set(leaving.map((e) => e.source))]
  if (sources.length > 1) throw new GraphOpError(`A block takes one input, but the selection is fed by ${sources.length} layers (${sources.join(', ')})`)
  if (exits.length > 1) throw new GraphOpError(`A block has one output, but ${exits.length} selected layers (${exits.join(', ')}) feed layers outside the selection`)
  const inside = doc.edges.filter((e) => sel.has(e.source) && sel.has(e.target))
  // Exit when nothing leaves: the single selected node without outgoing edges inside the selection.
  let exit = exits[0]
  if (!exit) {
    const sinks = nodes.filter((n) => !inside.some((e) => e.source === n.id))
    if (sinks.length !== 1) throw new GraphOpError('Cannot tell which layer is the output of the block: connect the selection to a following layer first')
    exit = sinks[0]!.id
  }
  const minX = Math.min(...nodes.map((n) => n.position.x))
  const minY = Math.min(...nodes.map((n) => n.position.y))
  const maxY = Math.max(...nodes.map((n) => n.position.y))
  const bodyNodes: GraphNode[] = [
    { id: 'in', kind: BLOCK_INPUT_KIND, params: {}, position: { x: 0, y: -100 } },
    ...nodes.map((n) => ({ ...clone(n), position: { x: n.position.x - minX, y: n.position.y - minY } })),
    { id: 'out', kind: BLOCK_OUTPUT_KIND, params: {}, position: { x: 0, y: maxY - minY + 100 } },
  ]
  // Rename inner nodes that clash with the port ids.
  for (const port of ['in', 'out']) {
    if (nodes.some((n) => n.id === port)) throw new GraphOpError(`Rename the layer "${port}" before grouping (the id is reserved inside blocks)`)
  }
  const bodyEdges: GraphEdge[] = [
    ...clone(inside),
    ...entering.map((e, i) => ({ ...e, id: `in->${e.target}#${i}`, source: 'in' })),
    { id: `${exit}->out`, source: exit, target: 'out', targetHandle: 0 },
  ]
  const stem = options.blockId ?? 'block'
  let blockId = options.blockId ?? 'block1'
  for (let i = 2; doc.blocks.some((b) => b.id === blockId); i++) blockId = `${stem}${i}`
  const name = options.name ?? `Block ${doc.blocks.length + 1}`
  const def: BlockDef = { id: blockId, name, nodes: bodyNodes, edges: bodyEdges }
  const nodeId = createNodeId(doc, 'block')
  const blockNode: GraphNode = { id: nodeId, kind: BLOCK_KIND, params: { blockId, repeat: 1 }, position: { x: minX, y: minY }, name }
  const outside = doc.edges.filter((e) => !sel.has(e.source) && !sel.has(e.target))
  const newEdges: GraphEdge[] = [...outside]
  if (sources[0]) newEdges.push({ id: createEdgeId(newEdges, sources[0], nodeId, 0), source: sources[0], target: nodeId, targetHandle: 0 })
  for (const e of leaving) newEdges.push({ ...e, id: createEdgeId(newEdges, nodeId, e.target, e.targetHandle ?? 0), source: nodeId })
  return {
    doc: { ...doc, nodes: [...doc.nodes.filter((n) => !sel.has(n.id)), blockNode], edges: newEdges, blocks: [...doc.blocks, def] },
    nodeId,
    blockId,
  }
}

/**
 * Replace a Block node by its body (all `repeat` copies) in place. Inner ids become `<block>_<rep>_<inner>`
 * style ids that are unique in the document. Returns the new node ids.
 */
export function ungroupBlock(doc: GraphDocument, nodeId: string): { doc: GraphDocument; nodeIds: string[] } {
  const node = requireNode(doc, nodeId)
  if (node.kind !== BLOCK_KIND) throw new GraphOpError(`"${node.name ?? node.id}" is a ${node.kind}, not a block`)
  // Expand just this node: a one-node document with its definitions.
  const single: GraphDocument = { format: 2, nodes: [node], edges: [], blocks: doc.blocks }
  const expanded = expandBlocks(single)
  if (expanded.issues.length > 0) throw new GraphOpError(expanded.issues[0]!.message)
  const flat = expanded.doc
  // Entry nodes: those without incoming edges in the expansion; exit: the node without outgoing edges.
  const idMap = new Map<string, string>()
  let next: GraphDocument = { ...doc, nodes: doc.nodes.filter((n) => n.id !== nodeId) }
  for (const n of flat.nodes) {
    const id = createNodeId(next, n.id.replace(/\//g, '_').replace(/\d+$/, ''))
    idMap.set(n.id, id)
    next = { ...next, nodes: [...next.nodes, { ...n, id }] }
  }
  const edges = next.edges.filter((e) => e.source !== nodeId && e.target !== nodeId)
  const add = (e: Omit<GraphEdge, 'id'>) => edges.push({ ...e, id: createEdgeId(edges, e.source, e.target, e.targetHandle ?? 0) })
  for (const e of flat.edges) add({ source: idMap.get(e.source)!, target: idMap.get(e.target)!, targetHandle: e.targetHandle ?? 0 })
  // The block's input feeds the body's first layers: find them from the definition's BlockInput edges (rep 0),
  // and the output leaves from the layer feeding BlockOutput (last rep); through nested blocks, which the
  // expansion flattened as well (`<block>/<rep>/<inner>/<rep>/<inner>...`).
  const defOf = (n: GraphNode) => doc.blocks.find((b) => b.id === n.params.blockId)!
  const repeatOf = (n: GraphNode) => (typeof n.params.repeat === 'number' ? n.params.repeat : 1)
  const entriesOf = (path: string, block: GraphNode): { id: string | undefined; handle: number }[] => {
    const def = defOf(block)
    const inPort = def.nodes.find((n) => n.kind === BLOCK_INPUT_KIND)!
    return def.edges
      .filter((e) => e.source === inPort.id)
      .flatMap((e) => {
        const inner = def.nodes.find((n) => n.id === e.target)!
        const innerPath = `${path}/0/${e.target}`
        return inner.kind === BLOCK_KIND ? entriesOf(innerPath, inner) : [{ id: idMap.get(innerPath), handle: e.targetHandle ?? 0 }]
      })
  }
  const exitOf = (path: string, block: GraphNode): string | undefined => {
    const def = defOf(block)
    const outPort = def.nodes.find((n) => n.kind === BLOCK_OUTPUT_KIND)!
    const exitInner = def.edges.find((e) => e.target === outPort.id)!.source
    const inner = def.nodes.find((n) => n.id === exitInner)!
    const innerPath = `${path}/${repeatOf(block) - 1}/${exitInner}`
    return inner.kind === BLOCK_KIND ? exitOf(innerPath, inner) : idMap.get(innerPath)
  }
  const entries = entriesOf(nodeId, node)
  for (const e of doc.edges.filter((x) => x.target === nodeId)) {
    for (const entry of entries) if (entry.id) add({ source: e.source, target: entry.id, targetHandle: entry.handle })
  }
  const exitId = exitOf(nodeId, node)
  for (const e of doc.edges.filter((x) => x.source === nodeId)) {
    if (exitId) add({ source: exitId, target: e.target, targetHandle: e.targetHandle ?? 0 })
  }
  return { doc: pruneBlocks({ ...next, edges }), nodeIds: [...idMap.values()] }
}

/** Change how many times a Block node repeats its body. */
export function setBlockRepeat(doc: GraphDocument, nodeId: string, repeat: number): GraphDocument {
  const node = requireNode(doc, nodeId)
  if (node.kind !== BLOCK_KIND) throw new GraphOpError(`"${node.name ?? node.id}" is not a block`)
  if (!Number.isInteger(repeat) || repeat < 1) throw new GraphOpError(`repeat must be a positive integer, received ${JSON.stringify(repeat)}`)
  return setParam(doc, nodeId, 'repeat', repeat)
}

/** The top-level Block nodes that use a block definition (editing the definition changes all of them). */
export function blockUsers(doc: GraphDocument, blockId: string): GraphNode[] {
  return doc.nodes.filter((n) => n.kind === BLOCK_KIND && n.params.blockId === blockId)
}

/**
 * Change a parameter of a layer inside a block definition (editing a block expanded in place). The definition
 * is shared: every Block node using it, and every repetition, gets the change.
 */
export function setBlockLayerParam(doc: GraphDocument, blockId: string, layerId: string, name: string, value: ParamValue): GraphDocument {
  const def = doc.blocks.find((b) => b.id === blockId)
  if (!def) throw new GraphOpError(`No block definition "${blockId}"`)
  const layer = def.nodes.find((n) => n.id === layerId)
  if (!layer) throw new GraphOpError(`Block "${def.name}" has no layer "${layerId}"`)
  if (layer.kind === BLOCK_INPUT_KIND || layer.kind === BLOCK_OUTPUT_KIND) throw new GraphOpError(`The block's ${layer.kind === BLOCK_INPUT_KIND ? 'input' : 'output'} has no parameters`)
  const nodes = def.nodes.map((n) => (n.id === layerId ? { ...n, params: { ...n.params, [name]: value } } : n))
  return { ...doc, blocks: doc.blocks.map((b) => (b.id === blockId ? { ...b, nodes } : b)) }
}

/** An empty document. */
export function emptyDocument(): GraphDocument {
  return { format: 2, nodes: [], edges: [], blocks: [] }
}
