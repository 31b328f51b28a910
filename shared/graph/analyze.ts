/**
 * Whole-graph analysis (pure): block expansion, topological order, parameter validation, shape inference,
 * parameter / FLOP / memory totals, receptive fields and a Keras-style layer table, with every problem located
 * on a node or an edge and said in words.
 */
import { expandBlocks, displayName } from './expand'
import type { GraphIssue } from './issues'
import { upgradeGraphDocument } from './schema'
import { ShapeError, FLOP_CONVENTION, fmtShape, getLayer, product, validateParams, type LayerDef } from './registry'
import type { GraphDocument, GraphEdge, GraphNode, Params, Shape } from './types'

export interface ReceptiveField {
  /** Size in input pixels [h, w] of the window one output value sees. */
  size: [number, number]
  /** Distance in input pixels between neighbouring outputs (cumulative stride) [h, w]. */
  jump: [number, number]
  /** Input-pixel coordinate (0 = centre of the first pixel) of the centre of the first output's window [h, w]. */
  start: [number, number]
  /** True after Flatten / Dense / GlobalAveragePool: every output sees the whole input. */
  global: boolean
}

export interface NodeAnalysis {
  id: string
  name: string
  kind: string
  /** Source node ids in input-index order. */
  inputs: string[]
  /** Validated parameters (defaults merged); undefined when invalid. */
  params?: Params
  outputShape?: Shape
  trainableParams: number
  nonTrainableParams: number
  flops: number
  receptiveField?: ReceptiveField
  /** Id of the node in the document as given (a collapsed Block for inner nodes). */
  topNodeId: string
}

export interface LayerRow {
  id: string
  name: string
  kind: string
  outputShape: Shape
  params: number
  trainableParams: number
  nonTrainableParams: number
  flops: number
  /** Names of the layers feeding this one (Keras "connected to"). */
  inputs: string[]
  topNodeId: string
}

export interface GraphTotals {
  trainableParams: number
  nonTrainableParams: number
  params: number
  /** Forward FLOPs for one image, see `flopConvention`. */
  flops: number
  flopConvention: string
  batchSize: number
  /** Bytes of all layer outputs (Input included) for `batchSize` images in float32: what training keeps for backprop. */
  activationBytes: number
  /** Bytes of all weights in float32. */
  paramBytes: number
}

export interface GraphAnalysis {
  /** The flat graph that was analysed (blocks expanded). */
  flat: GraphDocument
  /** Topological order of the flat graph's node ids (nodes on cycles are left out). */
  order: string[]
  nodes: Record<string, NodeAnalysis>
  inputIds: string[]
  /** Model outputs: the Output nodes, or, when there is none, the reachable nodes without outgoing edges. */
  outputIds: string[]
  issues: GraphIssue[]
  /** True when there is no error (warnings allowed). */
  ok: boolean
  totals: GraphTotals
  /** Rows in topological order for every node with a shape. */
  table: LayerRow[]
  /** Aggregates per node of the document as given (a Block node sums its expansion): for a collapsed editor view. */
  byTopNode: Record<string, { outputShape?: Shape; params: number; flops: number; errors: number }>
}

export interface AnalyzeOptions {
  /** Batch size for the activation-memory estimate (default 1). */
  batchSize?: number
}

function incomingByTarget(edges: readonly GraphEdge[]): Map<string, GraphEdge[]> {
  const m = new Map<string, GraphEdge[]>()
  for (const e of edges) {
    const list = m.get(e.target) ?? []
    list.push(e)
    m.set(e.target, list)
  }
  for (const list of m.values()) list.sort((a, b) => (a.targetHandle ?? 0) - (b.targetHandle ?? 0))
  return m
}

/** Kahn's algorithm. Returns the order and the nodes left over (those on or behind a cycle). */
export function topologicalOrder(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): { order: string[]; cyclic: string[] } {
  const ids = nodes.map((n) => n.id)
  const indeg = new Map(ids.map((id) => [id, 0]))
  const out = new Map<string, string[]>()
  for (const e of edges) {
    if (!indeg.has(e.source) || !indeg.has(e.target)) continue
    indeg.set(e.target, indeg.get(e.target)! + 1)
    out.set(e.source, [...(out.get(e.source) ?? []), e.target])
  }
  const queue = ids.filter((id) => indeg.get(id) === 0)
  const order: string[] = []
  while (queue.length > 0) {
    const id = queue.shift()!
    order.push(id)
    for (const t of out.get(id) ?? []) {
      const d = indeg.get(t)! - 1
      indeg.set(t, d)
      if (d === 0) queue.push(t)
    }
  }
  const done = new Set(order)
  return { order, cyclic: ids.filter((id) => !done.has(id)) }
}

/** Find one cycle among `candidates` (for the message); returns node ids in order. */
function findCycle(candidates: readonly string[], edges: readonly GraphEdge[]): string[] {
  const set = new Set(candidates)
  const next = new Map<string, string[]>()
  for (const e of edges) if (set.has(e.source) && set.has(e.target)) next.set(e.source, [...(next.get(e.source) ?? []), e.target])
  const state = new Map<string, 1 | 2>()
  const path: string[] = []
  const dfs = (id: string): string[] | undefined => {
    state.set(id, 1)
    path.push(id)
    for (const t of next.get(id) ?? []) {
      if (state.get(t) === 1) return [...path.slice(path.indexOf(t)), t]
      if (!state.has(t)) {
        const c = dfs(t)
        if (c) return c
      }
    }
    path.pop()
    state.set(id, 2)
    return undefined
  }
  for (const id of candidates) {
    if (!state.has(id)) {
      const c = dfs(id)
      if (c) return c
    }
  }
  return []
}

function reach(start: readonly string[], adj: Map<string, string[]>): Set<string> {
  const seen = new Set(start)
  const stack = [...start]
  while (stack.length > 0) {
    for (const t of adj.get(stack.pop()!) ?? []) {
      if (!seen.has(t)) {
        seen.add(t)
        stack.push(t)
      }
    }
  }
  return seen
}

function combineRf(inputs: ReceptiveField[]): ReceptiveField | undefined {
  if (inputs.length === 0) return undefined
  const first = inputs[0]!
  if (inputs.length === 1) return first
  return {
    size: [Math.max(...inputs.map((r) => r.size[0])), Math.max(...inputs.map((r) => r.size[1]))],
    jump: [Math.max(...inputs.map((r) => r.jump[0])), Math.max(...inputs.map((r) => r.jump[1]))],
    start: first.start,
    global: inputs.some((r) => r.global),
  }
}

function stepRf(def: LayerDef, params: Params, rfIn: ReceptiveField | undefined, inShape: Shape | undefined, outShape: Shape, netInput: Shape | undefined): ReceptiveField | undefined {
  if (!rfIn) return undefined
  const step = def.receptiveField(params)
  if (step === 'identity') return rfIn
  if (step === 'global' || rfIn.global) {
    const full: [number, number] = netInput && netInput.length === 3 ? [netInput[0]!, netInput[1]!] : rfIn.size
    return { size: full, jump: rfIn.jump, start: rfIn.start, global: true }
  }
  const size: [number, number] = [0, 0]
  const jump: [number, number] = [0, 0]
  const start: [number, number] = [0, 0]
  for (const a of [0, 1] as const) {
    const k = step.dilation[a] * (step.kernel[a] - 1) + 1
    const inLen = inShape?.[a] ?? 1
    const outLen = outShape[a] ?? 1
    const padTotal = step.padding === 'same' ? Math.max((outLen - 1) * step.stride[a] + k - inLen, 0) : 0
    const padBefore = Math.floor(padTotal / 2)
    size[a] = rfIn.size[a] + (k - 1) * rfIn.jump[a]
    jump[a] = rfIn.jump[a] * step.stride[a]
    start[a] = rfIn.start[a] + ((k - 1) / 2 - padBefore) * rfIn.jump[a]
  }
  return { size, jump, start, global: false }
}

/** Analyse a document (blocks are expanded first). Pure and synchronous; cheap enough to run on every edit. */
export function analyzeGraph(input: GraphDocument, options: AnalyzeOptions = {}): GraphAnalysis {
  // A document of an older format (a run snapshot, a hand-made object) is migrated first: its parameters keep their meaning.
  const doc = upgradeGraphDocument(input)
  const batchSize = options.batchSize ?? 1
  const expanded = expandBlocks(doc)
  const flat = expanded.doc
  const issues: GraphIssue[] = [...expanded.issues]
  const nodeById = new Map(flat.nodes.map((n) => [n.id, n]))
  const topOf = (id: string) => expanded.origin[id] ?? id
  const nodeIssue = (id: string, message: string, severity: 'error' | 'warning' = 'error') =>
    issues.push({ severity, message, nodeId: id, topNodeId: topOf(id) })
  const label = (n: GraphNode) => `${n.kind} "${displayName(n)}"`

  // Edges: dangling, self loops, into Input, duplicate input slots.
  const goodEdges: GraphEdge[] = []
  const slotTaken = new Set<string>()
  for (const e of flat.edges) {
    const src = nodeById.get(e.source)
    const dst = nodeById.get(e.target)
    const edgeIssue = (message: string) => issues.push({ severity: 'error', message, edgeId: e.id, ...(dst ? { nodeId: dst.id, topNodeId: topOf(dst.id) } : {}) })
    if (!src || !dst) {
      edgeIssue(`Edge "${e.id}" connects ${JSON.stringify(e.source)} to ${JSON.stringify(e.target)}, but ${!src ? e.source : e.target} does not exist`)
      continue
    }
    if (e.source === e.target) {
      edgeIssue(`${label(dst)} is connected to itself`)
      continue
    }
    const slot = `${e.target}#${e.targetHandle ?? 0}`
    if (slotTaken.has(slot)) {
      edgeIssue(`${label(dst)} has two edges into input ${e.targetHandle ?? 0}; each input takes one edge`)
      continue
    }
    slotTaken.add(slot)
    goodEdges.push(e)
  }

  const { order, cyclic } = topologicalOrder(flat.nodes, goodEdges)
  if (cyclic.length > 0) {
    const cycle = findCycle(cyclic, goodEdges)
    const words = cycle.map((id) => displayName(nodeById.get(id)!)).join(' -> ')
    const onCycle = new Set(cycle)
    for (const id of cyclic) {
      if (onCycle.has(id)) nodeIssue(id, `${label(nodeById.get(id)!)} is part of a cycle (${words}); data must flow one way from the Input to the Output`)
      else nodeIssue(id, `${label(nodeById.get(id)!)} comes after a cycle and cannot be computed`)
    }
  }

  const inputIds = flat.nodes.filter((n) => n.kind === 'Input').map((n) => n.id)
  if (inputIds.length === 0) issues.push({ severity: 'error', message: 'The graph has no Input node; add one and connect it to the first layer' })
  if (inputIds.length > 1) {
    for (const id of inputIds.slice(1)) nodeIssue(id, `${label(nodeById.get(id)!)}: only one Input is supported, and "${displayName(nodeById.get(inputIds[0]!)!)}" is already the Input`)
  }
  const primaryInput = inputIds[0]

  const incoming = incomingByTarget(goodEdges)
  const fwd = new Map<string, string[]>()
  const bwd = new Map<string, string[]>()
  for (const e of goodEdges) {
    fwd.set(e.source, [...(fwd.get(e.source) ?? []), e.target])
    bwd.set(e.target, [...(bwd.get(e.target) ?? []), e.source])
  }
  const fromInput = reach(primaryInput ? [primaryInput] : [], fwd)

  const nodes: Record<string, NodeAnalysis> = {}
  for (const n of flat.nodes) {
    nodes[n.id] = {
      id: n.id,
      name: displayName(n),
      kind: n.kind,
      inputs: (incoming.get(n.id) ?? []).map((e) => e.source),
      trainableParams: 0,
      nonTrainableParams: 0,
      flops: 0,
      topNodeId: topOf(n.id),
    }
  }

  const netInputShape = primaryInput ? (nodeById.get(primaryInput)!.params.shape as Shape | undefined) : undefined
  for (const id of order) {
    const n = nodeById.get(id)!
    const info = nodes[id]!
    const def = getLayer(n.kind)
    if (!def) {
      if (n.kind !== 'Block') nodeIssue(id, `Unknown layer kind "${n.kind}" (node "${displayName(n)}"); this version of CNN Studio cannot use it`)
      continue
    }
    const v = validateParams(n.kind, n.params, displayName(n))
    for (const w of v.warnings) nodeIssue(id, w, 'warning')
    for (const msg of v.errors) nodeIssue(id, msg)
    const nIn = info.inputs.length
    if (nIn < def.arity.min) {
      if (nIn === 0) nodeIssue(id, `${label(n)} has no input; connect a layer to it`)
      else nodeIssue(id, `${label(n)} needs at least ${def.arity.min} inputs but has ${nIn}`)
      continue
    }
    if (nIn > def.arity.max) {
      nodeIssue(id, def.arity.max === 0 ? `${label(n)} takes no input but ${nIn} edges go into it` : `${label(n)} takes ${def.arity.max === 1 ? 'one input' : `${def.arity.max} inputs`} but ${nIn} are connected; merge them with Add or Concatenate first`)
      continue
    }
    if (n.kind !== 'Input' && !fromInput.has(id)) {
      nodeIssue(id, `${label(n)} is not connected to the Input`)
      continue
    }
    if (v.errors.length > 0) continue
    const inShapes = info.inputs.map((s) => nodes[s]?.outputShape)
    if (inShapes.some((s) => s === undefined)) continue // an upstream problem was already reported
    const shapes = inShapes as Shape[]
    let out: Shape
    try {
      out = def.inferShape(v.params, shapes)
    } catch (err) {
      if (err instanceof ShapeError) {
        nodeIssue(id, `${label(n)}: ${err.message}`)
        continue
      }
      throw err
    }
    if (out.some((d) => !(d > 0))) {
      nodeIssue(id, `${label(n)}: output would be ${fmtShape(out)}, which is empty; the input ${fmtShape(shapes[0] ?? [])} is too small for this kernel/stride`)
      continue
    }
    info.params = v.params
    info.outputShape = out
    const count = def.paramCount(v.params, shapes)
    info.trainableParams = count.trainable
    info.nonTrainableParams = count.nonTrainable
    info.flops = def.flops(v.params, shapes, out)
    if (n.kind === 'Input') {
      info.receptiveField = out.length === 3 ? { size: [1, 1], jump: [1, 1], start: [0, 0], global: false } : undefined
    } else {
      const rfIn = combineRf(info.inputs.map((s) => nodes[s]?.receptiveField).filter((r): r is ReceptiveField => r !== undefined))
      info.receptiveField = stepRf(def, v.params, rfIn, shapes[0], out, netInputShape)
    }
  }

  // Outputs and dead ends.
  const outputNodes = flat.nodes.filter((n) => n.kind === 'Output').map((n) => n.id)
  const outputIds = outputNodes.length > 0 ? outputNodes : [...fromInput].filter((id) => !(fwd.get(id)?.length))
  if (primaryInput && outputIds.length === 0) issues.push({ severity: 'error', message: 'The graph has no output: nothing is connected after the Input' })
  const toOutput = reach(outputIds, bwd)
  for (const id of fromInput) {
    if (!toOutput.has(id)) {
      const n = nodeById.get(id)!
      nodeIssue(id, `${label(n)} does not lead to the Output; its result is unused`, 'warning')
    }
  }

  const table: LayerRow[] = []
  let trainableParams = 0
  let nonTrainableParams = 0
  let flops = 0
  let activationElems = 0
  for (const id of order) {
    const info = nodes[id]!
    if (!info.outputShape) continue
    trainableParams += info.trainableParams
    nonTrainableParams += info.nonTrainableParams
    flops += info.flops
    activationElems += product(info.outputShape)
    table.push({
      id,
      name: info.name,
      kind: info.kind,
      outputShape: info.outputShape,
      params: info.trainableParams + info.nonTrainableParams,
      trainableParams: info.trainableParams,
      nonTrainableParams: info.nonTrainableParams,
      flops: info.flops,
      inputs: info.inputs.map((s) => nodes[s]?.name ?? s),
      topNodeId: info.topNodeId,
    })
  }

  const byTopNode: GraphAnalysis['byTopNode'] = {}
  for (const n of doc.nodes) byTopNode[n.id] = { params: 0, flops: 0, errors: 0 }
  for (const id of order) {
    const info = nodes[id]!
    const agg = byTopNode[info.topNodeId]
    if (!agg) continue
    agg.params += info.trainableParams + info.nonTrainableParams
    agg.flops += info.flops
  }
  // Output shape of a top-level node: its own, or (for a block) that of the expanded node feeding its successors.
  for (const id of order) {
    const info = nodes[id]!
    const agg = byTopNode[info.topNodeId]
    if (agg && info.outputShape && (info.topNodeId === id || (fwd.get(id) ?? []).some((t) => topOf(t) !== info.topNodeId) || !(fwd.get(id)?.length))) {
      agg.outputShape = info.outputShape
    }
  }
  for (const issue of issues) {
    if (issue.severity === 'error' && issue.topNodeId && byTopNode[issue.topNodeId]) byTopNode[issue.topNodeId]!.errors++
  }

  return {
    flat,
    order,
    nodes,
    inputIds,
    outputIds,
    issues,
    ok: !issues.some((i) => i.severity === 'error'),
    totals: {
      trainableParams,
      nonTrainableParams,
      params: trainableParams + nonTrainableParams,
      flops,
      flopConvention: FLOP_CONVENTION,
      batchSize,
      activationBytes: activationElems * 4 * batchSize,
      paramBytes: (trainableParams + nonTrainableParams) * 4,
    },
    table,
    byTopNode,
  }
}
