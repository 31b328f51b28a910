/**
 * Block expansion: replaces every `Block` node by `repeat` chained copies of its body, recursively, and removes
 * the `BlockInput` / `BlockOutput` pass-through nodes. Analysis and compilation work on the flat result.
 *
 * Expanded ids are paths: block node `layer1`, repetition 0, inner node `conv1` -> `layer1/0/conv1`
 * (nested blocks add more segments). Expanded names follow the same pattern with display names. Positions are
 * the block node's position plus the inner position, repetitions stacked downwards, so an editor can show a
 * block "expanded in place".
 */
import { BLOCK_INPUT_KIND, BLOCK_KIND, BLOCK_OUTPUT_KIND } from './types'
import type { BlockDef, GraphDocument, GraphEdge, GraphNode } from './types'
import type { GraphIssue } from './issues'

export interface ExpandResult {
  /** The flat document (`blocks` is empty). Block nodes that could not be expanded stay in place as `Block` nodes. */
  doc: GraphDocument
  /** Expanded node id -> id of the node in the original top-level document it comes from. */
  origin: Record<string, string>
  issues: GraphIssue[]
}

const MAX_DEPTH = 16

export function displayName(node: GraphNode): string {
  return node.name ?? node.id
}

export function blockRepeat(node: GraphNode): number {
  const r = node.params.repeat
  return typeof r === 'number' && Number.isInteger(r) && r >= 1 ? r : 1
}

/** Problems with a block body, in words (empty when it is well formed). */
export function checkBlockDef(def: BlockDef): string[] {
  const problems: string[] = []
  const ins = def.nodes.filter((n) => n.kind === BLOCK_INPUT_KIND)
  const outs = def.nodes.filter((n) => n.kind === BLOCK_OUTPUT_KIND)
  if (ins.length !== 1) problems.push(`must contain exactly one BlockInput node, found ${ins.length}`)
  if (outs.length !== 1) problems.push(`must contain exactly one BlockOutput node, found ${outs.length}`)
  const out = outs[0]
  if (out && def.edges.filter((e) => e.target === out.id).length !== 1) {
    problems.push('its BlockOutput must have exactly one incoming edge')
  }
  const ids = new Set(def.nodes.map((n) => n.id))
  for (const e of def.edges) {
    if (!ids.has(e.source) || !ids.has(e.target)) problems.push(`edge "${e.id}" refers to a node that is not in the block`)
  }
  return problems
}

interface Flat {
  nodes: GraphNode[]
  edges: GraphEdge[]
  issues: GraphIssue[]
}

function expandInto(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  blocks: ReadonlyMap<string, BlockDef>,
  idPrefix: string,
  namePrefix: string,
  offset: { x: number; y: number },
  stack: readonly string[],
  topOf: (id: string) => string,
  out: Flat,
): void {
  // Per block node: [entry node id (BlockInput of rep 0), exit node id (BlockOutput of last rep)].
  const ports = new Map<string, { entry: string; exit: string }>()
  for (const node of nodes) {
    const id = idPrefix + node.id
    const name = namePrefix + displayName(node)
    const position = { x: node.position.x + offset.x, y: node.position.y + offset.y }
    if (node.kind !== BLOCK_KIND) {
      out.nodes.push({ ...node, id, name, position })
      continue
    }
    const blockId = node.params.blockId
    const def = typeof blockId === 'string' ? blocks.get(blockId) : undefined
    const fail = (why: string) => {
      out.issues.push({ severity: 'error', nodeId: id, topNodeId: topOf(id), message: `Block "${name}": ${why}` })
      out.nodes.push({ ...node, id, name, position })
    }
    if (!def) {
      fail(`refers to block definition ${JSON.stringify(blockId)}, which does not exist`)
      continue
    }
    if (stack.includes(def.id) || stack.length >= MAX_DEPTH) {
      fail(`block "${def.name}" contains itself (${[...stack, def.id].join(' -> ')})`)
      continue
    }
    const problems = checkBlockDef(def)
    if (problems.length > 0) {
      fail(`block "${def.name}" ${problems.join('; ')}`)
      continue
    }
    const repeat = blockRepeat(node)
    const ys = def.nodes.map((n) => n.position.y)
    const height = ys.length ? Math.max(...ys) - Math.min(...ys) + 120 : 120
    const inputNode = def.nodes.find((n) => n.kind === BLOCK_INPUT_KIND)!
    const outputNode = def.nodes.find((n) => n.kind === BLOCK_OUTPUT_KIND)!
    for (let r = 0; r < repeat; r++) {
      const p = `${id}/${r}/`
      expandInto(
        def.nodes,
        def.edges,
        blocks,
        p,
        `${name}/${r}/`,
        { x: position.x, y: position.y + r * height },
        [...stack, def.id],
        topOf,
        out,
      )
      if (r > 0) {
        out.edges.push({ id: `${id}/${r - 1}->${r}`, source: `${id}/${r - 1}/${outputNode.id}`, target: p + inputNode.id })
      }
    }
    ports.set(node.id, { entry: `${id}/0/${inputNode.id}`, exit: `${id}/${repeat - 1}/${outputNode.id}` })
  }
  for (const e of edges) {
    const src = ports.get(e.source)
    const dst = ports.get(e.target)
    out.edges.push({
      ...e,
      id: idPrefix + e.id,
      source: src ? src.exit : idPrefix + e.source,
      target: dst ? dst.entry : idPrefix + e.target,
      ...(dst ? { targetHandle: 0 } : {}),
    })
  }
}

/** Remove BlockInput/BlockOutput pass-through nodes, connecting their source straight to their targets. */
function removePassThrough(flat: Flat): void {
  const pass = new Set(flat.nodes.filter((n) => n.kind === BLOCK_INPUT_KIND || n.kind === BLOCK_OUTPUT_KIND).map((n) => n.id))
  if (pass.size === 0) return
  const incoming = new Map<string, GraphEdge>()
  for (const e of flat.edges) if (pass.has(e.target)) incoming.set(e.target, e)
  const resolve = (id: string, seen = 0): GraphEdge | undefined => {
    const e = incoming.get(id)
    if (!e || seen > 1000) return undefined
    return pass.has(e.source) ? resolve(e.source, seen + 1) : e
  }
  const edges: GraphEdge[] = []
  for (const e of flat.edges) {
    if (pass.has(e.target)) continue
    if (!pass.has(e.source)) {
      edges.push(e)
      continue
    }
    const up = resolve(e.source)
    if (up) edges.push({ ...e, source: up.source, ...(up.sourceHandle !== undefined ? { sourceHandle: up.sourceHandle } : {}) })
  }
  flat.edges = edges
  flat.nodes = flat.nodes.filter((n) => !pass.has(n.id))
}

/** The flat graph with every block expanded (see the module comment). Pure. */
export function expandBlocks(doc: GraphDocument): ExpandResult {
  const blocks = new Map(doc.blocks.map((b) => [b.id, b]))
  const top = new Set(doc.nodes.map((n) => n.id))
  const topOf = (id: string) => {
    const head = id.split('/')[0]!
    return top.has(id) ? id : head
  }
  const flat: Flat = { nodes: [], edges: [], issues: [] }
  expandInto(doc.nodes, doc.edges, blocks, '', '', { x: 0, y: 0 }, [], topOf, flat)
  removePassThrough(flat)
  const origin: Record<string, string> = {}
  for (const n of flat.nodes) origin[n.id] = topOf(n.id)
  return { doc: { format: 2, nodes: flat.nodes, edges: flat.edges, blocks: [] }, origin, issues: flat.issues }
}
