/**
 * Pure design edits for a search trial (tested in tests/renderer/procedure-variants.test.ts): a width multiplier
 * (Conv2D `filters` and Dense `units` times m, rounded, at least 1; the Output head's classes untouched; block
 * bodies too) and one dropout rate for every Dropout layer. Both return a new document and never mutate theirs.
 */
import { setBlockLayerParam, setParam } from '@shared/graph/ops'
import type { GraphDocument, GraphNode } from '@shared/graph/types'

/** Layer kind -> the parameter the width multiplier scales. */
export const WIDTH_PARAMS: Readonly<Record<string, string>> = { Conv2D: 'filters', Dense: 'units' }

export function scaledWidth(value: number, m: number): number {
  return Math.max(1, Math.round(value * m))
}

function scalable(n: GraphNode): string | null {
  const p = WIDTH_PARAMS[n.kind]
  return p !== undefined && typeof n.params[p] === 'number' ? p : null
}

/** The design with every Conv2D's filters and Dense's units multiplied by `m` (>= 1 each). */
export function scaleGraphWidth(doc: GraphDocument, m: number): GraphDocument {
  if (!(m > 0) || !Number.isFinite(m)) throw new Error(`The width multiplier must be a positive number (got ${m})`)
  let out = doc
  for (const n of doc.nodes) {
    const p = scalable(n)
    if (p) out = setParam(out, n.id, p, scaledWidth(n.params[p] as number, m))
  }
  for (const b of doc.blocks)
    for (const n of b.nodes) {
      const p = scalable(n)
      if (p) out = setBlockLayerParam(out, b.id, n.id, p, scaledWidth(n.params[p] as number, m))
    }
  return out
}

/** Dropout layers of the design (top level and inside blocks). */
export function countDropout(doc: GraphDocument): number {
  return doc.nodes.filter((n) => n.kind === 'Dropout').length + doc.blocks.reduce((a, b) => a + b.nodes.filter((n) => n.kind === 'Dropout').length, 0)
}

/** The design with every Dropout layer's rate set to `rate` (0 <= rate < 1). */
export function setDropout(doc: GraphDocument, rate: number): GraphDocument {
  if (!(rate >= 0 && rate < 1)) throw new Error(`A dropout rate must be in [0, 1) (got ${rate})`)
  let out = doc
  for (const n of doc.nodes) if (n.kind === 'Dropout') out = setParam(out, n.id, 'rate', rate)
  for (const b of doc.blocks) for (const n of b.nodes) if (n.kind === 'Dropout') out = setBlockLayerParam(out, b.id, n.id, 'rate', rate)
  return out
}

/** A trial's design: the base with the trial's `width` and `dropout` (when present) applied; the base itself otherwise. */
export function trialDesign(doc: GraphDocument, params: Readonly<Record<string, number | string | boolean>>): GraphDocument {
  let out = doc
  const w = params.width
  if (typeof w === 'number' && w !== 1) out = scaleGraphWidth(out, w)
  const d = params.dropout
  if (typeof d === 'number') out = setDropout(out, d)
  return out
}

/** Whether a trial changes the design (so the run needs its own document). */
export function variesDesign(params: Readonly<Record<string, unknown>>): boolean {
  return typeof params.width === 'number' || typeof params.dropout === 'number'
}
