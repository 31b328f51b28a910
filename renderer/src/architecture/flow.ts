/**
 * Document + analysis -> xyflow nodes and edges (pure). Node data is plain values only (no callbacks): the
 * node components read actions from the editor store. Data objects are reused while unchanged so memoized
 * node components do not re-render on unrelated edits.
 */
import type { Edge, Node } from '@xyflow/react'
import {
  BLOCK_INPUT_KIND,
  BLOCK_KIND,
  BLOCK_OUTPUT_KIND,
  formatCompact,
  formatShape,
  getLayer,
  type BlockDef,
  type GraphAnalysis,
  type GraphDocument,
  type GraphIssue,
  type GraphNode,
  type Params,
  type Position,
} from '@shared/graph'
import { NODE_SIZE, autoLayout, routeEdge, type Rect } from './layout'

export type LayerData = {
  kind: string
  family: string
  title: string
  subtitle: string
  params: string
  shape: string | null
  paramCount: string | null
  error: string | null
  warning: string | null
  /** Target handles to draw (0 for Input; merges: connected inputs + one free). */
  inputs: number
  output: boolean
  readOnly: boolean
  port: 'in' | 'out' | null
  block: { repeat: number; layers: number; expanded: boolean } | null
}

export type GroupData = {
  title: string
  repeat: number
  shape: string | null
  paramCount: string | null
  error: string | null
  inputs: number
}

/** A wire's route: `lane` is the x of the vertical lane it takes around the nodes in its way (null: straight). */
export type RoutedEdgeData = { lane: number | null }

export type LayerNode = Node<LayerData, 'layer'>
export type GroupNode = Node<GroupData, 'blockGroup'>
export type AppNode = LayerNode | GroupNode

export const PORT_SIZE = { width: 64, height: 26 }
const GROUP_PAD = 16
const GROUP_HEADER = 34
const GROUP_MIN_WIDTH = 420

const pairText = (v: unknown): string => (Array.isArray(v) ? (v[0] === v[1] ? `${v[0]}x${v[1]}` : `${v[0]}x${v[1]}`) : `${String(v)}x${String(v)}`)
const strideText = (v: unknown): string => {
  const s = Array.isArray(v) ? (v[0] === v[1] ? v[0] : `${v[0]},${v[1]}`) : v
  return s === 1 || s === undefined ? '' : ` /${String(s)}`
}

/** The few parameters worth showing on a node, e.g. "64 · 3x3 /2 same". */
export function paramSummary(kind: string, params: Params): string {
  const p = { ...(getLayer(kind)?.defaults ?? {}), ...params }
  switch (kind) {
    case 'Input':
      return Array.isArray(p.shape) ? formatShape(p.shape) : ''
    case 'Conv2D':
      return `${String(p.filters)} · ${pairText(p.kernelSize)}${strideText(p.strides)} ${String(p.padding)}`
    case 'DepthwiseConv2D':
      return `x${String(p.depthMultiplier)} · ${pairText(p.kernelSize)}${strideText(p.strides)} ${String(p.padding)}`
    case 'MaxPool':
    case 'AvgPool':
      return `${pairText(p.poolSize)}${strideText(p.strides)} ${String(p.padding)}`
    case 'Dense':
      return `${String(p.units)} units`
    case 'Output':
      return `${String(p.units)} classes · softmax`
    case 'Dropout':
      return `drop ${String(p.rate)}`
    case 'GroupNorm':
      return `${String(p.groups)} groups`
    case 'LeakyReLU':
      return `α ${String(p.alpha)}`
    default:
      return ''
  }
}

/** The first issue's message, without the `Kind "name": ` prefix (the node already says which layer it is). */
function firstIssue(issues: readonly GraphIssue[], severity: 'error' | 'warning'): string | null {
  const m = issues.find((i) => i.severity === severity)?.message
  if (!m) return null
  const short = m.replace(/^[A-Za-z0-9]+ "[^"]*": /, '')
  return short.charAt(0).toUpperCase() + short.slice(1)
}

export function blockDefOf(doc: GraphDocument, node: GraphNode): BlockDef | undefined {
  return node.kind === BLOCK_KIND ? doc.blocks.find((b) => b.id === node.params.blockId) : undefined
}

export function repeatOf(node: GraphNode): number {
  const r = node.params.repeat
  return typeof r === 'number' && r >= 1 ? r : 1
}

/** Layout of a block body for the expanded view: inner positions (relative to the group) and the group size. */
export function blockBodyLayout(def: BlockDef): { positions: Record<string, Position>; width: number; height: number } {
  const size = (id: string) => {
    const n = def.nodes.find((x) => x.id === id)
    return n && (n.kind === BLOCK_INPUT_KIND || n.kind === BLOCK_OUTPUT_KIND) ? PORT_SIZE : NODE_SIZE
  }
  // Top to bottom like the graph around it (block input at the top), a little tighter.
  const raw = autoLayout(def.nodes, def.edges, { size, gapX: 40, gapY: 32, origin: { x: GROUP_PAD, y: GROUP_HEADER + GROUP_PAD } })
  let width = 0
  let height = 0
  for (const [id, p] of Object.entries(raw)) {
    const s = size(id)
    width = Math.max(width, p.x + s.width)
    height = Math.max(height, p.y + s.height)
  }
  // Wide enough for the header (name, repeat, note, shape, count); the body centred in it.
  const shift = Math.max(0, (GROUP_MIN_WIDTH - (width + GROUP_PAD)) / 2)
  if (shift > 0) for (const p of Object.values(raw)) p.x = Math.round(p.x + shift)
  return { positions: raw, width: Math.max(GROUP_MIN_WIDTH, width + GROUP_PAD), height: height + GROUP_PAD }
}

/** Where a wire leaves a node (bottom centre) and enters input `handle` of `inputs` (spread along the top). */
export function handlePoints(src: Rect, dst: Rect, handle: number, inputs: number): { source: Position; target: Position } {
  const n = Math.max(1, inputs)
  return { source: { x: src.x + src.width / 2, y: src.y + src.height }, target: { x: dst.x + (dst.width * (Math.min(handle, n - 1) + 1)) / (n + 1), y: dst.y } }
}

/** The lane of a wire between two of `rects` (keyed by node id): null when nothing lies between its ends. */
export function edgeLane(rects: ReadonlyMap<string, Rect>, source: string, target: string, handle: number, inputs: number): number | null {
  const s = rects.get(source)
  const t = rects.get(target)
  if (!s || !t) return null
  const ends = handlePoints(s, t, handle, inputs)
  const obstacles = [...rects].filter(([id]) => id !== source && id !== target).map(([, r]) => r)
  const route = routeEdge(ends.source, ends.target, obstacles)
  return route.length > 2 ? route[2]!.x : null
}

export interface FlowInput {
  doc: GraphDocument
  analysis: GraphAnalysis
  selectedNodes: readonly string[]
  selectedEdges: readonly string[]
  /** A layer inside an expanded block selected for editing (see inner.ts). */
  selectedInner?: string | null
  expanded: readonly string[]
  dragging: Record<string, Position> | null
  readOnly: boolean
}

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => (typeof a[k] === 'object' && a[k] !== null && typeof b[k] === 'object' && b[k] !== null ? JSON.stringify(a[k]) === JSON.stringify(b[k]) : a[k] === b[k]))
}

/** Keeps the previous data object of a node when nothing in it changed. */
export class DataCache {
  private map = new Map<string, Record<string, unknown>>()
  keep<T extends Record<string, unknown>>(id: string, data: T): T {
    const prev = this.map.get(id)
    if (prev && shallowEqual(prev, data)) return prev as T
    this.map.set(id, data)
    return data
  }
}

export function buildFlow(input: FlowInput, cache: DataCache = new DataCache()): { nodes: AppNode[]; edges: Edge[] } {
  const { doc, analysis, readOnly } = input
  const selN = new Set(input.selectedNodes)
  const selE = new Set(input.selectedEdges)
  const expanded = new Set(input.expanded)
  const issuesByTop = new Map<string, GraphIssue[]>()
  const errorEdges = new Set<string>()
  for (const i of analysis.issues) {
    if (i.topNodeId) issuesByTop.set(i.topNodeId, [...(issuesByTop.get(i.topNodeId) ?? []), i])
    if (i.edgeId && i.severity === 'error') errorEdges.add(i.edgeId)
  }
  const incoming = new Map<string, number>()
  for (const e of doc.edges) incoming.set(e.target, Math.max(incoming.get(e.target) ?? 0, (e.targetHandle ?? 0) + 1))

  const nodes: AppNode[] = []
  const edges: Edge[] = []
  // Rectangles (nominal sizes) and input counts of the top-level nodes, to route wires around nodes in their way.
  const rects = new Map<string, Rect>()
  const inputCount = new Map<string, number>()
  for (const n of doc.nodes) {
    const def = getLayer(n.kind)
    const agg = analysis.byTopNode[n.id]
    const issues = issuesByTop.get(n.id) ?? []
    const position = input.dragging?.[n.id] ?? n.position
    const merge = def !== undefined && def.arity.max > 1
    const inputs = def ? (def.arity.max === 0 ? 0 : merge ? Math.max(2, (incoming.get(n.id) ?? 0) + 1) : 1) : 1
    const shape = agg?.outputShape ? formatShape(agg.outputShape) : null
    const paramCount = agg && agg.params > 0 ? formatCompact(agg.params) : null
    const blockDef = blockDefOf(doc, n)
    if (blockDef && expanded.has(n.id)) {
      const body = blockBodyLayout(blockDef)
      rects.set(n.id, { ...position, width: body.width, height: body.height })
      inputCount.set(n.id, 1)
      const innerRects = new Map<string, Rect>()
      const innerInputs = new Map<string, number>()
      nodes.push({
        id: n.id,
        type: 'blockGroup',
        position,
        selected: selN.has(n.id),
        draggable: !readOnly,
        width: body.width,
        height: body.height,
        data: cache.keep(n.id, { title: n.name ?? blockDef.name, repeat: repeatOf(n), shape, paramCount, error: firstIssue(issues, 'error'), inputs: 1 }),
      })
      const innerIssues = new Map<string, GraphIssue[]>()
      for (const i of issues) {
        const seg = i.nodeId?.split('/')
        if (seg && seg[0] === n.id && seg[2]) innerIssues.set(seg[2], [...(innerIssues.get(seg[2]) ?? []), i])
      }
      for (const inner of blockDef.nodes) {
        const id = `${n.id}/0/${inner.id}`
        const port = inner.kind === BLOCK_INPUT_KIND ? 'in' : inner.kind === BLOCK_OUTPUT_KIND ? 'out' : null
        const ia = analysis.nodes[id]
        const idef = getLayer(inner.kind)
        const ii = innerIssues.get(inner.id) ?? []
        const at = body.positions[inner.id] ?? { x: 0, y: 0 }
        innerRects.set(inner.id, { x: position.x + at.x, y: position.y + at.y, ...(port ? PORT_SIZE : NODE_SIZE) })
        innerInputs.set(inner.id, port === 'in' ? 0 : idef && idef.arity.max > 1 ? 2 : 1)
        nodes.push({
          id,
          type: 'layer',
          parentId: n.id,
          extent: 'parent',
          position: body.positions[inner.id] ?? { x: 0, y: 0 },
          draggable: false,
          // Inner layers can be selected to edit their parameters (the block definition), not moved or rewired.
          selectable: !readOnly && !port,
          selected: id === input.selectedInner,
          connectable: false,
          deletable: false,
          data: cache.keep(id, {
            kind: inner.kind,
            family: idef?.family ?? 'block',
            title: port ? (port === 'in' ? 'in' : 'out') : (inner.name ?? inner.id),
            subtitle: idef?.label ?? inner.kind,
            params: paramSummary(inner.kind, inner.params),
            shape: ia?.outputShape ? formatShape(ia.outputShape) : null,
            paramCount: ia && ia.trainableParams + ia.nonTrainableParams > 0 ? formatCompact(ia.trainableParams + ia.nonTrainableParams) : null,
            error: firstIssue(ii, 'error'),
            warning: null,
            inputs: port === 'in' ? 0 : idef && idef.arity.max > 1 ? 2 : 1,
            output: port !== 'out',
            readOnly: true,
            port,
            block: null,
          }),
        })
      }
      for (const e of blockDef.edges) {
        edges.push({
          id: `${n.id}/0/${e.id}`,
          source: `${n.id}/0/${e.source}`,
          target: `${n.id}/0/${e.target}`,
          sourceHandle: 'out',
          targetHandle: `in-${e.targetHandle ?? 0}`,
          type: 'routed',
          data: { lane: edgeLane(innerRects, e.source, e.target, e.targetHandle ?? 0, innerInputs.get(e.target) ?? 1) } satisfies RoutedEdgeData,
          selectable: false,
          deletable: false,
          className: 'inner-edge',
        })
      }
      continue
    }
    rects.set(n.id, { ...position, ...NODE_SIZE })
    inputCount.set(n.id, inputs)
    nodes.push({
      id: n.id,
      type: 'layer',
      position,
      selected: selN.has(n.id),
      draggable: !readOnly,
      connectable: !readOnly,
      data: cache.keep(n.id, {
        kind: n.kind,
        family: def?.family ?? (blockDef ? 'block' : 'unknown'),
        title: blockDef ? (n.name ?? blockDef.name) : (n.name ?? n.id),
        subtitle: blockDef ? 'Block' : (def?.label ?? n.kind),
        params: blockDef ? `${blockDef.nodes.length - 2} layers per block` : paramSummary(n.kind, n.params),
        shape,
        paramCount,
        error: firstIssue(issues, 'error'),
        warning: firstIssue(issues, 'warning'),
        inputs,
        output: n.kind !== 'Output',
        readOnly,
        port: null,
        block: blockDef ? { repeat: repeatOf(n), layers: blockDef.nodes.length - 2, expanded: false } : null,
      }),
    })
  }
  for (const e of doc.edges) {
    const error = errorEdges.has(e.id)
    edges.push({
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: 'out',
      targetHandle: `in-${e.targetHandle ?? 0}`,
      type: 'routed',
      data: { lane: edgeLane(rects, e.source, e.target, e.targetHandle ?? 0, inputCount.get(e.target) ?? 1) } satisfies RoutedEdgeData,
      selected: selE.has(e.id),
      deletable: !readOnly,
      ...(error ? { className: 'edge-error' } : {}),
    })
  }
  return { nodes, edges }
}

/** Size of a node on the canvas for layout: expanded blocks are as large as their body. */
export function viewSize(doc: GraphDocument, expanded: readonly string[]): (id: string) => { width: number; height: number } {
  const open = new Set(expanded)
  return (id) => {
    const n = doc.nodes.find((x) => x.id === id)
    const def = n && open.has(id) ? blockDefOf(doc, n) : undefined
    if (!def) return NODE_SIZE
    const b = blockBodyLayout(def)
    return { width: b.width, height: b.height }
  }
}
