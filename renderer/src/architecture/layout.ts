/**
 * Auto-layout (pure): layered left to right by topological depth (longest path from a source), nodes of one
 * layer stacked vertically in the order of their predecessors. Long chains wrap into bands of `wrap` layers,
 * like lines of text, so a 20-layer network still fits a screen at a readable zoom.
 */
import { topologicalOrder, type GraphEdge, type GraphNode, type Position } from '@shared/graph'

export interface LayoutSize {
  width: number
  height: number
}

export interface LayoutOptions {
  /** Size of each node (default: NODE_SIZE). Expanded blocks are larger. */
  size?: (id: string) => LayoutSize
  /** Layers per band before wrapping (default: no wrap). */
  wrap?: number
  gapX?: number
  gapY?: number
  /** Extra vertical space between bands. */
  bandGap?: number
  origin?: Position
}

export const NODE_SIZE: LayoutSize = { width: 184, height: 78 }

/** Depth (layer index) of every node: 0 for sources, else 1 + max depth of its predecessors. Nodes on cycles get the next free depth. */
export function layerDepths(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Map<string, number> {
  const { order, cyclic } = topologicalOrder(nodes, edges)
  const preds = new Map<string, string[]>()
  for (const e of edges) preds.set(e.target, [...(preds.get(e.target) ?? []), e.source])
  const depth = new Map<string, number>()
  for (const id of order) {
    const ds = (preds.get(id) ?? []).map((p) => depth.get(p)).filter((d): d is number => d !== undefined)
    depth.set(id, ds.length ? Math.max(...ds) + 1 : 0)
  }
  let next = Math.max(-1, ...depth.values()) + 1
  for (const id of cyclic) depth.set(id, next++)
  return depth
}

/** Pick a wrap width (layers per band) so the layout's aspect ratio is close to `aspect` (width / height). */
export function chooseWrap(layers: number, aspect: number, size: LayoutSize = NODE_SIZE, gapX = 56, gapY = 36): number {
  if (layers <= 4) return Math.max(layers, 1)
  const colW = size.width + gapX
  const bandH = size.height + gapY + 40
  let best = layers
  let bestScore = Number.POSITIVE_INFINITY
  for (let wrap = 3; wrap <= layers; wrap++) {
    const bands = Math.ceil(layers / wrap)
    const score = Math.abs(Math.log((wrap * colW) / (bands * bandH) / aspect))
    if (score < bestScore - 1e-9) {
      bestScore = score
      best = wrap
    }
  }
  return best
}

export function autoLayout(nodes: readonly GraphNode[], edges: readonly GraphEdge[], options: LayoutOptions = {}): Record<string, Position> {
  const size = options.size ?? (() => NODE_SIZE)
  const gapX = options.gapX ?? 56
  const gapY = options.gapY ?? 36
  const bandGap = options.bandGap ?? 72
  const origin = options.origin ?? { x: 0, y: 0 }
  const depth = layerDepths(nodes, edges)
  const layerCount = Math.max(0, ...depth.values()) + 1
  const wrap = Math.max(1, options.wrap ?? layerCount)
  const layers: string[][] = Array.from({ length: layerCount }, () => [])
  // Stable order inside a layer: document order first, then refined by the predecessors' rows.
  for (const n of nodes) layers[depth.get(n.id) ?? 0]!.push(n.id)
  const preds = new Map<string, string[]>()
  for (const e of edges) preds.set(e.target, [...(preds.get(e.target) ?? []), e.source])
  const row = new Map<string, number>()
  for (const layer of layers) {
    const key = (id: string) => {
      const rows = (preds.get(id) ?? []).map((p) => row.get(p)).filter((r): r is number => r !== undefined)
      return rows.length ? Math.min(...rows) : Number.POSITIVE_INFINITY
    }
    const indexed = layer.map((id, i) => ({ id, i, k: key(id) }))
    indexed.sort((a, b) => (a.k === b.k ? a.i - b.i : a.k - b.k))
    layer.splice(0, layer.length, ...indexed.map((x) => x.id))
    layer.forEach((id, i) => row.set(id, i))
  }
  // Column widths per band (a wide expanded block widens only its own band), then band heights.
  const out: Record<string, Position> = {}
  let bandY = origin.y
  for (let start = 0; start < layerCount; start += wrap) {
    let x = origin.x
    let bandHeight = 0
    for (let l = start; l < Math.min(layerCount, start + wrap); l++) {
      let y = bandY
      let w = 0
      for (const id of layers[l]!) {
        out[id] = { x, y }
        y += size(id).height + gapY
        w = Math.max(w, size(id).width)
      }
      x += (w || NODE_SIZE.width) + gapX
      bandHeight = Math.max(bandHeight, y - gapY - bandY)
    }
    bandY += bandHeight + bandGap
  }
  return out
}
