/**
 * Auto-layout (pure): the graph as a layered DAG, top to bottom (the input at the top), laid out by dagre
 * (@dagrejs/dagre, the Sugiyama-style layout Netron uses). Parallel branches (a projection shortcut, an
 * Inception-style split) sit side by side in one rank; long edges get their own lane so a residual skip runs
 * beside the chain it skips. Also pure: where a new node goes (below the selection, in a free spot) and how a
 * wire is routed around the nodes between its ends.
 */
import dagre from '@dagrejs/dagre'
import type { GraphEdge, GraphNode, Position } from '@shared/graph'

export interface LayoutSize {
  width: number
  height: number
}

export interface Rect extends Position, LayoutSize {}

export interface LayoutOptions {
  /** Size of each node (default: NODE_SIZE). Expanded blocks are larger. */
  size?: (id: string) => LayoutSize
  /** Horizontal space between nodes of one rank. */
  gapX?: number
  /** Vertical space between ranks. */
  gapY?: number
  /** Top-left corner of the layout's bounding box. */
  origin?: Position
}

export const NODE_SIZE: LayoutSize = { width: 184, height: 78 }

/** Horizontal and vertical space the editor keeps between nodes. */
export const GAP_X = 48
export const GAP_Y = 44

/**
 * Top-left position of every node: ranks top to bottom (every edge points down unless it closes a cycle),
 * nodes of a rank side by side, the whole layout's bounding box starting at `origin`.
 */
export function autoLayout(nodes: readonly GraphNode[], edges: readonly GraphEdge[], options: LayoutOptions = {}): Record<string, Position> {
  if (nodes.length === 0) return {}
  const size = options.size ?? (() => NODE_SIZE)
  const origin = options.origin ?? { x: 0, y: 0 }
  const g = new dagre.graphlib.Graph({ multigraph: true })
  g.setGraph({ rankdir: 'TB', nodesep: options.gapX ?? GAP_X, ranksep: options.gapY ?? GAP_Y, edgesep: 24, marginx: 0, marginy: 0 })
  g.setDefaultEdgeLabel(() => ({}))
  const ids = new Set<string>()
  for (const n of nodes) {
    const s = size(n.id)
    g.setNode(n.id, { width: s.width, height: s.height })
    ids.add(n.id)
  }
  // Inputs in handle order, so the main path (input 0) stays straight and a shortcut (input 1) takes a side lane.
  const sorted = [...edges].sort((a, b) => (a.target === b.target ? (a.targetHandle ?? 0) - (b.targetHandle ?? 0) : 0))
  for (const e of sorted) {
    if (!ids.has(e.source) || !ids.has(e.target) || e.source === e.target) continue
    g.setEdge(e.source, e.target, { weight: (e.targetHandle ?? 0) === 0 ? 2 : 1, minlen: 1 }, e.id)
  }
  dagre.layout(g)
  // Merge inputs are drawn left to right by index (input 0 = the main path); dagre may route a shortcut on either
  // side. Mirror the layout when more shortcuts arrive from the left than from the right, so wires do not cross.
  const approach = (e: GraphEdge): number | undefined => {
    const pts = g.edge(e.source, e.target, e.id)?.points
    return pts && pts.length >= 2 ? pts[pts.length - 2]!.x : undefined
  }
  let crossed = 0
  for (const id of ids) {
    const ins = sorted.filter((e) => e.target === id && ids.has(e.source) && e.source !== e.target)
    for (let i = 1; i < ins.length; i++) {
      const a = approach(ins[i - 1]!)
      const b = approach(ins[i]!)
      if (a !== undefined && b !== undefined && Math.abs(a - b) > 1) crossed += b < a ? 1 : -1
    }
  }
  const flip = crossed > 0 ? -1 : 1
  const raw: Record<string, Position> = {}
  let minX = Number.POSITIVE_INFINITY
  let minY = Number.POSITIVE_INFINITY
  for (const n of nodes) {
    const p = g.node(n.id)
    const s = size(n.id)
    const pos = { x: flip * p.x - s.width / 2, y: p.y - s.height / 2 }
    raw[n.id] = pos
    minX = Math.min(minX, pos.x)
    minY = Math.min(minY, pos.y)
  }
  const out: Record<string, Position> = {}
  for (const [id, p] of Object.entries(raw)) out[id] = { x: Math.round(p.x - minX + origin.x), y: Math.round(p.y - minY + origin.y) }
  return out
}

export function overlaps(a: Rect, b: Rect, margin = 0): boolean {
  return a.x < b.x + b.width + margin && a.x + a.width + margin > b.x && a.y < b.y + b.height + margin && a.y + a.height + margin > b.y
}

/**
 * Where a new node of `size` goes: below `anchor` (the selected node: centred under it, one rank lower) or,
 * without one, at `fallback`; never on top of `obstacles`. When that spot is taken (the chain continues below
 * the selection), the nearest free spot in the same row beside it, else one row further down.
 */
export function placeNewNode(anchor: Rect | null, size: LayoutSize, obstacles: readonly Rect[], fallback: Position, gapX = GAP_X, gapY = GAP_Y): Position {
  const start = anchor ? { x: anchor.x + anchor.width / 2 - size.width / 2, y: anchor.y + anchor.height + gapY } : fallback
  const stepX = size.width + gapX
  const stepY = size.height + gapY
  const free = (p: Position) => !obstacles.some((o) => overlaps({ ...p, ...size }, o, 8))
  for (let row = 0; row < 200; row++) {
    for (let k = 0; k <= 6; k++) {
      // Right before left: the main path stays straight in the layout, branches go right.
      for (const dx of k === 0 ? [0] : [k * stepX, -k * stepX]) {
        const p = { x: Math.round(start.x + dx), y: Math.round(start.y + row * stepY) }
        if (free(p)) return p
      }
    }
  }
  const bottom = Math.max(start.y, ...obstacles.map((o) => o.y + o.height))
  return { x: Math.round(start.x), y: Math.round(bottom + gapY) }
}

/** Does the segment a-b pass through the rectangle (shrunk by nothing, grown by `margin`)? */
export function segmentHitsRect(a: Position, b: Position, r: Rect, margin = 0): boolean {
  const x0 = r.x - margin
  const x1 = r.x + r.width + margin
  const y0 = r.y - margin
  const y1 = r.y + r.height + margin
  // Liang-Barsky clipping.
  let t0 = 0
  let t1 = 1
  const dx = b.x - a.x
  const dy = b.y - a.y
  const clip = (p: number, q: number): boolean => {
    if (p === 0) return q >= 0
    const t = q / p
    if (p < 0) {
      if (t > t1) return false
      if (t > t0) t0 = t
    } else {
      if (t < t0) return false
      if (t < t1) t1 = t
    }
    return true
  }
  return clip(-dx, a.x - x0) && clip(dx, x1 - a.x) && clip(-dy, a.y - y0) && clip(dy, y1 - a.y) && t0 < t1
}

/** Does a polyline cross any of the rectangles? */
export function pathHits(points: readonly Position[], rects: readonly Rect[], margin = 0): Rect[] {
  return rects.filter((r) => points.some((p, i) => i > 0 && segmentHitsRect(points[i - 1]!, p, r, margin)))
}

/**
 * A wire from `source` (the bottom of the source node) to `target` (the top of the target node), as a polyline:
 * straight when nothing lies between them, else down, aside into a free vertical lane beside the nodes in the
 * way (the side with the shorter detour), down the lane, and back to the target. Pure: the canvas calls it with
 * the nodes' rectangles (minus both ends).
 */
export function routeEdge(source: Position, target: Position, obstacles: readonly Rect[], margin = 14): Position[] {
  const straight = [source, target]
  if (target.y <= source.y) return straight
  if (pathHits(straight, obstacles, margin / 2).length === 0) return straight
  const top = source.y + margin
  const bottom = target.y - margin
  const band = obstacles.filter((o) => o.y < bottom && o.y + o.height > top)
  const lane = (dir: 1 | -1): number => {
    let x = dir > 0 ? Math.max(source.x, target.x) : Math.min(source.x, target.x)
    for (let guard = 0; guard < band.length + 1; guard++) {
      const hit = band.find((o) => x > o.x - margin && x < o.x + o.width + margin)
      if (!hit) break
      x = dir > 0 ? hit.x + hit.width + margin : hit.x - margin
    }
    return x
  }
  const right = lane(1)
  const left = lane(-1)
  const cost = (x: number) => Math.abs(x - source.x) + Math.abs(x - target.x)
  const x = cost(right) <= cost(left) ? right : left
  return [source, { x: source.x, y: top }, { x, y: top }, { x, y: bottom }, { x: target.x, y: bottom }, target]
}

/** Bounding box of rectangles (null when there are none). */
export function boundsOf(rects: readonly Rect[]): Rect | null {
  if (rects.length === 0) return null
  const x = Math.min(...rects.map((r) => r.x))
  const y = Math.min(...rects.map((r) => r.y))
  return { x, y, width: Math.max(...rects.map((r) => r.x + r.width)) - x, height: Math.max(...rects.map((r) => r.y + r.height)) - y }
}

/** Node text is 12 px (titles) in flow units; fit-view never zooms out so far that it falls under 11 px. */
export const NODE_TEXT_PX = 12
export const READABLE_TEXT_PX = 11
export const FIT_MIN_ZOOM = READABLE_TEXT_PX / NODE_TEXT_PX

/**
 * The viewport that shows `bounds` in a `width` x `height` pane: the whole graph when that keeps text readable,
 * else at the readable zoom floor, centred horizontally, from the top (the input) down; the rest is a scroll away.
 */
export function fitViewport(bounds: Rect, width: number, height: number, options: { padding?: number; maxZoom?: number; minZoom?: number } = {}): { x: number; y: number; zoom: number } {
  const padding = options.padding ?? 0.12
  const maxZoom = options.maxZoom ?? 1.1
  const minZoom = options.minZoom ?? FIT_MIN_ZOOM
  const fit = Math.min(width / (bounds.width * (1 + padding)), height / (bounds.height * (1 + padding)))
  const zoom = Math.max(minZoom, Math.min(maxZoom, fit))
  const x = width / 2 - (bounds.x + bounds.width / 2) * zoom
  const fitsHeight = bounds.height * zoom * (1 + padding) <= height + 0.5
  const y = fitsHeight ? height / 2 - (bounds.y + bounds.height / 2) * zoom : 24 - bounds.y * zoom
  return { x, y, zoom }
}
