/**
 * Architecture diff between two graph documents (pure): layers added, removed and changed (which parameters,
 * old -> new; renames), and connection changes, as a list (`summary`, `added`/`removed`/`changed`/`connections`)
 * and as per-side node ids to highlight on each graph (`highlight.a` / `highlight.b`).
 *
 * Matching nodes of A to nodes of B, in rounds, each only among nodes still unmatched:
 *   1. same id and same kind;
 *   2. same explicit display name (`name`) and kind, when that name is unique among the unmatched on both sides;
 *   3. topology, repeated until nothing changes: same kind and the same matched inputs in the same order (or,
 *      for nodes without inputs, the same matched consumers); a kind that occurs exactly once in each graph
 *      (typically Input and Output); the only unmatched node of a kind on each side when they share a matched
 *      neighbour.
 * Nodes left over are removed (A) or added (B). Parameters are compared with the layer's defaults filled in,
 * so `{}` and the explicit defaults are equal; positions are ignored. Edges are compared through the matching
 * (source, target and input index), so a rewired skip connection shows even when every layer is unchanged.
 *
 * Blocks: `level: 'block'` (default) compares the documents as drawn: a `Block` node is one node (its `repeat`
 * is a parameter), and each block definition used on either side is compared body against body, matched by id
 * then by name (nested blocks likewise); a Block node whose definition changed is listed as changed with
 * `blockChanged` and the body diff is in `blocks`. Definitions no node uses are ignored (as analysis does).
 * `level: 'expanded'` expands every block first (shared/graph expandBlocks: ids such as `layer1/0/conv1`) and
 * compares the flat graphs; `highlightTop` then maps the highlights back to the top-level node ids (the Block
 * node containing an expanded layer), for a collapsed view.
 */
import { displayName, expandBlocks } from './expand'
import { getLayer } from './registry'
import { BLOCK_KIND, type GraphDocument, type GraphEdge, type GraphNode, type ParamValue, type Params } from './types'

export interface NodeRef {
  readonly id: string
  readonly name: string
  readonly kind: string
}

export interface ParamChange {
  readonly param: string
  /** undefined: the parameter does not exist on that side (a kind without it, or an unknown kind). */
  readonly old: ParamValue | undefined
  readonly new: ParamValue | undefined
}

export type MatchRule = 'id' | 'name' | 'topology'

export interface ChangedNode {
  readonly a: NodeRef
  readonly b: NodeRef
  readonly matchedBy: MatchRule
  readonly params: ParamChange[]
  /** Display name differs. */
  readonly renamed: boolean
  /** A Block node whose definition's body differs (see `blocks`). */
  readonly blockChanged: boolean
}

export interface EdgeRef {
  /** Node ids on the side the edge belongs to. */
  readonly source: string
  readonly target: string
  /** Input index at the target. */
  readonly targetHandle: number
  readonly sourceName: string
  readonly targetName: string
}

export interface BlockDiff {
  /** Block definition id on each side (null where it is absent). */
  readonly a: string | null
  readonly b: string | null
  readonly name: string
  readonly status: 'added' | 'removed' | 'changed'
  /** The body diff for 'changed'. */
  readonly diff: GraphDiff | null
}

export type HighlightA = 'removed' | 'changed' | 'rewired'
export type HighlightB = 'added' | 'changed' | 'rewired'

export interface GraphDiff {
  /** True when nothing differs (positions aside). */
  readonly equal: boolean
  readonly level: 'block' | 'expanded'
  /** Nodes only in B. */
  readonly added: NodeRef[]
  /** Nodes only in A. */
  readonly removed: NodeRef[]
  /** Matched nodes whose parameters or name (or block body) differ. */
  readonly changed: ChangedNode[]
  /** Every matched pair (A id, B id). */
  readonly matches: { readonly a: string; readonly b: string; readonly by: MatchRule }[]
  /** Edges only in B (added) and only in A (removed), compared through the matching. */
  readonly connections: { readonly added: EdgeRef[]; readonly removed: EdgeRef[] }
  /** Block definition differences (level 'block'). */
  readonly blocks: BlockDiff[]
  /**
   * Node ids to highlight on each side: removed/added nodes, changed nodes, and 'rewired' for matched,
   * unchanged nodes with a connection added or removed at them.
   */
  readonly highlight: { readonly a: Record<string, HighlightA>; readonly b: Record<string, HighlightB> }
  /** Level 'expanded': the same highlights on the top-level node ids (a Block node takes its layers' marks). */
  readonly highlightTop?: { readonly a: Record<string, HighlightA>; readonly b: Record<string, HighlightB> }
  /** One line per difference, or ["The graphs are equal"]. */
  readonly summary: string[]
}

export interface GraphDiffOptions {
  readonly level?: 'block' | 'expanded'
}

type Graph = Pick<GraphDocument, 'nodes' | 'edges'>

const ref = (n: GraphNode): NodeRef => ({ id: n.id, name: displayName(n), kind: n.kind })

function sameValue(x: ParamValue | undefined, y: ParamValue | undefined): boolean {
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => v === y[i])
  return x === y
}

/** The node's parameters with its kind's defaults filled in. */
function fullParams(n: GraphNode): Params {
  const def = n.kind === BLOCK_KIND ? undefined : getLayer(n.kind)
  return { ...(def?.defaults ?? {}), ...n.params }
}

export function formatParamValue(v: ParamValue | undefined): string {
  if (v === undefined) return '(none)'
  if (v === null) return 'null'
  if (Array.isArray(v)) return `[${v.join(', ')}]`
  return String(v)
}

interface Adjacency {
  inputs: Map<string, string[]>
  outputs: Map<string, string[]>
}

function adjacency(g: Graph): Adjacency {
  const ids = new Set(g.nodes.map((n) => n.id))
  const inputs = new Map<string, GraphEdge[]>()
  const outputs = new Map<string, string[]>()
  for (const e of g.edges) {
    if (!ids.has(e.source) || !ids.has(e.target)) continue
    inputs.set(e.target, [...(inputs.get(e.target) ?? []), e])
    outputs.set(e.source, [...(outputs.get(e.source) ?? []), e.target])
  }
  const ordered = new Map<string, string[]>()
  for (const [t, es] of inputs) ordered.set(t, [...es].sort((x, y) => (x.targetHandle ?? 0) - (y.targetHandle ?? 0)).map((e) => e.source))
  return { inputs: ordered, outputs }
}

/** Matches nodes of `a` to nodes of `b` (see the module comment). `sameKind` also says whether two Block nodes' definitions correspond. */
function matchNodes(a: Graph, b: Graph, sameKind: (x: GraphNode, y: GraphNode) => boolean): Map<string, { b: string; by: MatchRule }> {
  const ab = new Map<string, { b: string; by: MatchRule }>()
  const ba = new Map<string, string>()
  const match = (x: string, y: string, by: MatchRule) => {
    ab.set(x, { b: y, by })
    ba.set(y, x)
  }
  const bById = new Map(b.nodes.map((n) => [n.id, n]))
  // 1. ids
  for (const n of a.nodes) {
    const m = bById.get(n.id)
    if (m && sameKind(n, m)) match(n.id, m.id, 'id')
  }
  // 2. explicit names, unique among the unmatched
  const byName = (nodes: GraphNode[], matched: (id: string) => boolean) => {
    const m = new Map<string, GraphNode[]>()
    for (const n of nodes) if (n.name !== undefined && !matched(n.id)) m.set(n.name, [...(m.get(n.name) ?? []), n])
    return m
  }
  const namesA = byName(a.nodes, (id) => ab.has(id))
  const namesB = byName(b.nodes, (id) => ba.has(id))
  for (const [name, xs] of namesA) {
    const ys = namesB.get(name)
    if (xs.length === 1 && ys?.length === 1 && sameKind(xs[0]!, ys[0]!)) match(xs[0]!.id, ys[0]!.id, 'name')
  }
  // 3. topology
  const adjA = adjacency(a)
  const adjB = adjacency(b)
  const kindCount = (g: Graph) => {
    const m = new Map<string, number>()
    for (const n of g.nodes) m.set(n.kind, (m.get(n.kind) ?? 0) + 1)
    return m
  }
  const countA = kindCount(a)
  const countB = kindCount(b)
  const mapped = (ids: readonly string[]) => ids.map((id) => ab.get(id)?.b ?? `\u0000${id}`)
  const sameList = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((v, i) => v === y[i])
  const sameSet = (x: readonly string[], y: readonly string[]) => sameList([...x].sort(), [...y].sort())
  for (let changed = true; changed; ) {
    changed = false
    const freeA = a.nodes.filter((n) => !ab.has(n.id))
    const freeB = b.nodes.filter((n) => !ba.has(n.id))
    if (freeA.length === 0 || freeB.length === 0) break
    for (const x of freeA) {
      if (ab.has(x.id)) continue
      const ins = adjA.inputs.get(x.id) ?? []
      const outs = adjA.outputs.get(x.id) ?? []
      const candidates = freeB.filter((y) => {
        if (ba.has(y.id) || !sameKind(x, y)) return false
        const yIns = adjB.inputs.get(y.id) ?? []
        if (ins.length > 0) return ins.every((i) => ab.has(i)) && sameList(mapped(ins), yIns)
        const yOuts = adjB.outputs.get(y.id) ?? []
        return yIns.length === 0 && outs.length > 0 && outs.every((o) => ab.has(o)) && sameSet(mapped(outs), yOuts)
      })
      if (candidates.length === 1) {
        match(x.id, candidates[0]!.id, 'topology')
        changed = true
      }
    }
    for (const x of a.nodes) {
      if (ab.has(x.id) || countA.get(x.kind) !== 1 || countB.get(x.kind) !== 1) continue
      const y = b.nodes.find((n) => n.kind === x.kind)!
      if (!ba.has(y.id) && sameKind(x, y)) {
        match(x.id, y.id, 'topology')
        changed = true
      }
    }
    if (changed) continue
    // The only unmatched node of a kind on each side, sharing a matched neighbour.
    const leftA = a.nodes.filter((n) => !ab.has(n.id))
    const leftB = b.nodes.filter((n) => !ba.has(n.id))
    for (const x of leftA) {
      const sameKindA = leftA.filter((n) => n.kind === x.kind)
      const sameKindB = leftB.filter((n) => n.kind === x.kind && !ba.has(n.id))
      if (sameKindA.length !== 1 || sameKindB.length !== 1) continue
      const y = sameKindB[0]!
      if (!sameKind(x, y)) continue
      const nA = new Set(mapped([...(adjA.inputs.get(x.id) ?? []), ...(adjA.outputs.get(x.id) ?? [])]))
      const nB = [...(adjB.inputs.get(y.id) ?? []), ...(adjB.outputs.get(y.id) ?? [])]
      if (nB.some((id) => nA.has(id))) {
        match(x.id, y.id, 'topology')
        changed = true
        break
      }
    }
  }
  return ab
}

function usedBlocks(doc: GraphDocument): Set<string> {
  const defs = new Map(doc.blocks.map((d) => [d.id, d]))
  const used = new Set<string>()
  const visit = (nodes: readonly GraphNode[]) => {
    for (const n of nodes) {
      const id = n.kind === BLOCK_KIND ? n.params.blockId : undefined
      if (typeof id === 'string' && !used.has(id)) {
        used.add(id)
        const d = defs.get(id)
        if (d) visit(d.nodes)
      }
    }
  }
  visit(doc.nodes)
  return used
}

interface Context {
  level: 'block' | 'expanded'
  /** Block def id in A -> block def id in B (level 'block'). */
  blockMap: Map<string, string>
  /** Block def ids (A side) whose bodies differ. */
  changedBlocks: Set<string>
}

function diffGraph(a: Graph, b: Graph, ctx: Context): Omit<GraphDiff, 'blocks' | 'level' | 'summary' | 'equal' | 'highlightTop'> {
  const sameKind = (x: GraphNode, y: GraphNode) => {
    if (x.kind !== y.kind) return false
    if (x.kind !== BLOCK_KIND) return true
    const bx = x.params.blockId
    return typeof bx === 'string' && ctx.blockMap.get(bx) === y.params.blockId
  }
  const m = matchNodes(a, b, sameKind)
  const bMatched = new Set([...m.values()].map((v) => v.b))
  const aById = new Map(a.nodes.map((n) => [n.id, n]))
  const bById = new Map(b.nodes.map((n) => [n.id, n]))
  const removed = a.nodes.filter((n) => !m.has(n.id)).map(ref)
  const added = b.nodes.filter((n) => !bMatched.has(n.id)).map(ref)
  const changed: ChangedNode[] = []
  const matches: GraphDiff['matches'] = []
  for (const x of a.nodes) {
    const hit = m.get(x.id)
    if (!hit) continue
    matches.push({ a: x.id, b: hit.b, by: hit.by })
    const y = bById.get(hit.b)!
    const px = fullParams(x)
    const py = fullParams(y)
    const params: ParamChange[] = []
    for (const key of new Set([...Object.keys(px), ...Object.keys(py)])) {
      if (x.kind === BLOCK_KIND && key === 'blockId') continue // compared through the block matching
      if (!sameValue(px[key], py[key])) params.push({ param: key, old: px[key], new: py[key] })
    }
    // Names default to ids: two unnamed nodes with different ids are not a rename.
    const renamed = (x.name !== undefined || y.name !== undefined) && displayName(x) !== displayName(y)
    const blockChanged = x.kind === BLOCK_KIND && typeof x.params.blockId === 'string' && ctx.changedBlocks.has(x.params.blockId)
    if (params.length || renamed || blockChanged) changed.push({ a: ref(x), b: ref(y), matchedBy: hit.by, params, renamed, blockChanged })
  }
  // Connections through the matching: A edges in B's id space.
  const key = (s: string, t: string, h: number) => `${s}\u0001${t}\u0001${h}`
  const edgeRef = (e: GraphEdge, byId: Map<string, GraphNode>): EdgeRef => ({
    source: e.source,
    target: e.target,
    targetHandle: e.targetHandle ?? 0,
    sourceName: byId.get(e.source) ? displayName(byId.get(e.source)!) : e.source,
    targetName: byId.get(e.target) ? displayName(byId.get(e.target)!) : e.target,
  })
  const count = (keys: string[]) => {
    const c = new Map<string, number>()
    for (const k of keys) c.set(k, (c.get(k) ?? 0) + 1)
    return c
  }
  const aKeys = a.edges.map((e) => key(m.get(e.source)?.b ?? `\u0000${e.source}`, m.get(e.target)?.b ?? `\u0000${e.target}`, e.targetHandle ?? 0))
  const bKeys = b.edges.map((e) => key(e.source, e.target, e.targetHandle ?? 0))
  const inB = count(bKeys)
  const inA = count(aKeys)
  const removedEdges: EdgeRef[] = []
  a.edges.forEach((e, i) => {
    const k = aKeys[i]!
    const n = inB.get(k) ?? 0
    if (n > 0) inB.set(k, n - 1)
    else removedEdges.push(edgeRef(e, aById))
  })
  const addedEdges: EdgeRef[] = []
  b.edges.forEach((e, i) => {
    const k = bKeys[i]!
    const n = inA.get(k) ?? 0
    if (n > 0) inA.set(k, n - 1)
    else addedEdges.push(edgeRef(e, bById))
  })
  const hA: Record<string, HighlightA> = {}
  const hB: Record<string, HighlightB> = {}
  for (const r of removed) hA[r.id] = 'removed'
  for (const r of added) hB[r.id] = 'added'
  for (const c of changed) {
    hA[c.a.id] = 'changed'
    hB[c.b.id] = 'changed'
  }
  for (const e of removedEdges) for (const id of [e.source, e.target]) if (aById.has(id)) hA[id] ??= 'rewired'
  for (const e of addedEdges) for (const id of [e.source, e.target]) if (bById.has(id)) hB[id] ??= 'rewired'
  return { added, removed, changed, matches, connections: { added: addedEdges, removed: removedEdges }, highlight: { a: hA, b: hB } }
}

function summarize(d: Omit<GraphDiff, 'summary' | 'equal'>): string[] {
  const lines: string[] = []
  const who = (r: NodeRef) => `${r.name} (${r.kind})`
  for (const r of d.removed) lines.push(`Removed ${who(r)}`)
  for (const r of d.added) lines.push(`Added ${who(r)}`)
  for (const c of d.changed) {
    const parts: string[] = []
    if (c.renamed) parts.push(`renamed to ${c.b.name}`)
    for (const p of c.params) parts.push(`${p.param} ${formatParamValue(p.old)} -> ${formatParamValue(p.new)}`)
    if (c.blockChanged) parts.push('block body changed')
    lines.push(`Changed ${who(c.a)}: ${parts.join(', ')}`)
  }
  const edge = (e: EdgeRef) => `${e.sourceName} -> ${e.targetName}${e.targetHandle ? ` (input ${e.targetHandle})` : ''}`
  for (const e of d.connections.removed) lines.push(`Connection removed: ${edge(e)}`)
  for (const e of d.connections.added) lines.push(`Connection added: ${edge(e)}`)
  for (const bd of d.blocks) {
    if (bd.status !== 'changed') lines.push(`Block definition "${bd.name}" ${bd.status}`)
    else for (const l of bd.diff?.summary ?? []) lines.push(`Block "${bd.name}": ${l}`)
  }
  return lines
}

/** Matches block definitions used on either side (by id, then by name) and diffs matched bodies (nested first). */
function diffBlocks(a: GraphDocument, b: GraphDocument): { blockMap: Map<string, string>; changed: Set<string>; diffs: BlockDiff[] } {
  const usedA = usedBlocks(a)
  const usedB = usedBlocks(b)
  const defsA = a.blocks.filter((d) => usedA.has(d.id))
  const defsB = b.blocks.filter((d) => usedB.has(d.id))
  const blockMap = new Map<string, string>()
  const taken = new Set<string>()
  for (const d of defsA) {
    const m = defsB.find((x) => x.id === d.id)
    if (m) {
      blockMap.set(d.id, m.id)
      taken.add(m.id)
    }
  }
  for (const d of defsA) {
    if (blockMap.has(d.id)) continue
    const ms = defsB.filter((x) => !taken.has(x.id) && x.name === d.name)
    if (ms.length === 1) {
      blockMap.set(d.id, ms[0]!.id)
      taken.add(ms[0]!.id)
    }
  }
  const changed = new Set<string>()
  const diffs: BlockDiff[] = []
  const byIdB = new Map(defsB.map((d) => [d.id, d]))
  // Nested definitions first: a body containing a changed block is itself changed. Iterate to a fixed point.
  const bodies = new Map<string, GraphDiff>()
  for (let round = 0; round <= defsA.length; round++) {
    let grew = false
    for (const d of defsA) {
      const other = blockMap.get(d.id)
      if (other === undefined) continue
      const body = diffGraph(d, byIdB.get(other)!, { level: 'block', blockMap, changedBlocks: changed })
      const diff: GraphDiff = { ...body, level: 'block', blocks: [], equal: false, summary: [] }
      const equal = body.added.length === 0 && body.removed.length === 0 && body.changed.length === 0 && body.connections.added.length === 0 && body.connections.removed.length === 0
      bodies.set(d.id, { ...diff, equal, summary: summarize(diff) })
      if (!equal && !changed.has(d.id)) {
        changed.add(d.id)
        grew = true
      }
    }
    if (!grew) break
  }
  for (const d of defsA) {
    const other = blockMap.get(d.id)
    if (other === undefined) diffs.push({ a: d.id, b: null, name: d.name, status: 'removed', diff: null })
    else if (changed.has(d.id)) diffs.push({ a: d.id, b: other, name: d.name, status: 'changed', diff: bodies.get(d.id) ?? null })
  }
  for (const d of defsB) if (!taken.has(d.id)) diffs.push({ a: null, b: d.id, name: d.name, status: 'added', diff: null })
  return { blockMap, changed, diffs }
}

/** The differences between two graph documents (see the module comment). Pure. */
export function diffGraphs(a: GraphDocument, b: GraphDocument, options: GraphDiffOptions = {}): GraphDiff {
  const level = options.level ?? 'block'
  let result: Omit<GraphDiff, 'summary' | 'equal'>
  if (level === 'expanded') {
    const ea = expandBlocks(a)
    const eb = expandBlocks(b)
    const body = diffGraph(ea.doc, eb.doc, { level, blockMap: new Map(), changedBlocks: new Set() })
    const top = <H extends string>(h: Record<string, H>, origin: Record<string, string>): Record<string, H> => {
      const out: Record<string, H> = {}
      for (const [id, mark] of Object.entries(h)) {
        const t = origin[id] ?? id
        // A Block node collecting several marks shows the strongest one of its layers ('changed' unless all agree).
        out[t] = out[t] === undefined || out[t] === mark ? mark : ('changed' as H)
      }
      return out
    }
    result = { ...body, level, blocks: [], highlightTop: { a: top(body.highlight.a, ea.origin), b: top(body.highlight.b, eb.origin) } }
  } else {
    const blocks = diffBlocks(a, b)
    const body = diffGraph(a, b, { level, blockMap: blocks.blockMap, changedBlocks: blocks.changed })
    result = { ...body, level, blocks: blocks.diffs }
  }
  const summary = summarize(result)
  const equal = summary.length === 0
  return { ...result, equal, summary: equal ? ['The graphs are equal'] : summary }
}

