/**
 * Bridges between panels and the canvas viewport (center, fit, focus) and the palette's item keys. The canvas
 * registers its viewport functions on mount; everything else calls them through here.
 */
import { bottleneckBlock, residualBasicBlock, vggBlock, type BlockDef, type Position } from '@shared/graph'
import { editor } from './session'
import { NODE_SIZE, placeNewNode } from './layout'
import { viewSize } from './flow'

export const PALETTE_MIME = 'application/x-cnn-studio-palette'

interface ViewApi {
  center(): Position
  fit(): void
  focus(id: string): void
  focusCanvas(): void
}

let view: ViewApi | null = null
export function registerView(api: ViewApi): void {
  view = api
}
export const canvasView = {
  center: () => view?.center() ?? { x: 0, y: 0 },
  fit: () => view?.fit(),
  focus: (id: string) => view?.focus(id),
  focusCanvas: () => view?.focusCanvas(),
}

/** Channels of the selected node's output (to size a new block), or undefined. */
function selectedChannels(): { from: string; channels: number } | undefined {
  const s = editor.getState()
  if (s.selectedNodes.length !== 1) return undefined
  const id = s.selectedNodes[0]!
  const shape = editor.analysis().byTopNode[id]?.outputShape
  return shape && shape.length === 3 ? { from: id, channels: shape[2]! } : undefined
}

export interface BuiltinBlock {
  key: string
  label: string
  description: string
  make(channels: number): BlockDef
}

export const BUILTIN_BLOCKS: BuiltinBlock[] = [
  {
    key: 'residual-basic',
    label: 'Residual basic',
    description: 'conv3x3-BN-ReLU-conv3x3-BN + identity shortcut, then ReLU (ResNet-18/34). Width = channels of the selected layer.',
    make: (c) => residualBasicBlock({ filters: c, stride: 1, inputChannels: c }),
  },
  {
    key: 'bottleneck',
    label: 'Bottleneck',
    description: '1x1-3x3-1x1 (x4 expansion) with BN and a shortcut (ResNet-50+).',
    make: (c) => bottleneckBlock({ filters: Math.max(1, Math.round(c / 4)), stride: 1, inputChannels: c }),
  },
  {
    key: 'vgg',
    label: 'VGG block',
    description: '2 x (conv3x3-ReLU), then 2x2 max pool stride 2.',
    make: (c) => vggBlock({ convs: 2, filters: c }),
  },
]

/** A free spot for a new node: below `anchor` (the selected node), else around the canvas centre. */
function freeSpot(anchorId: string | undefined): Position {
  const { doc, expanded } = editor.getState()
  const size = viewSize(doc, expanded)
  const rects = doc.nodes.map((n) => ({ id: n.id, ...n.position, ...size(n.id) }))
  const anchor = rects.find((r) => r.id === anchorId) ?? null
  return placeNewNode(anchor, NODE_SIZE, rects, canvasView.center())
}

/**
 * Add a palette item (`layer:Conv2D`, `builtin:residual-basic`, `user:block1`). With `connect`, a single selected
 * layer feeds the new node; it is placed below the selection (or the canvas centre), in a spot no node covers.
 */
export function addFromPalette(item: string, position: Position | null, options: { connect: boolean }): string | null {
  const [type, key] = [item.slice(0, item.indexOf(':')), item.slice(item.indexOf(':') + 1)]
  const s = editor.getState()
  const sel = s.selectedNodes.length === 1 ? s.doc.nodes.find((n) => n.id === s.selectedNodes[0]) : undefined
  const from = options.connect && sel && sel.kind !== 'Output' ? sel.id : undefined
  const pos = position ?? freeSpot(sel?.id)
  if (type === 'layer') return editor.addLayer(key, pos, from ? { from } : {})
  if (type === 'builtin') {
    const b = BUILTIN_BLOCKS.find((x) => x.key === key)
    if (!b) return null
    const def = b.make(selectedChannels()?.channels ?? 64)
    return editor.addBlock(def, pos, { name: def.name, ...(from ? { from } : {}) })
  }
  if (type === 'user') {
    const def = s.doc.blocks.find((b) => b.id === key)
    return def ? editor.addBlock(def, pos, { name: def.name, ...(from ? { from } : {}) }) : null
  }
  return null
}

/** Auto-layout with the sizes nodes have on screen (expanded blocks are large), then fit the view. */
export function layoutNow(): void {
  const s = editor.getState()
  editor.autoLayout({ size: viewSize(s.doc, s.expanded) })
  setTimeout(() => canvasView.fit(), 30)
}

/** Expand or collapse a block in place; when the expanded body would cover other layers, lay the graph out again. */
const laidOutOnExpand = new Set<string>()

export function setBlockExpanded(id: string, expanded: boolean): void {
  editor.setExpanded(id, expanded)
  if (editor.getState().readOnly) return
  if (!expanded) {
    // Give the room back when expanding had moved the other layers.
    if (laidOutOnExpand.delete(id)) layoutNow()
    return
  }
  const { doc, expanded: open } = editor.getState()
  const size = viewSize(doc, open)
  const node = doc.nodes.find((n) => n.id === id)
  if (!node) return
  const g = { ...node.position, ...size(id) }
  const overlaps = doc.nodes.some((n) => {
    if (n.id === id) return false
    const o = { ...n.position, ...size(n.id) }
    return o.x < g.x + g.width && o.x + o.width > g.x && o.y < g.y + g.height && o.y + o.height > g.y
  })
  if (overlaps) {
    laidOutOnExpand.add(id)
    layoutNow()
  }
}
