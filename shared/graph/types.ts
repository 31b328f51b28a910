/**
 * Plain-JSON types of a graph document. Everything here is serializable as is (no classes, no functions),
 * so a document can be saved, diffed, sent over IPC and held in a store.
 */

/** A tensor shape without the batch axis: channels-last `[H, W, C]`, or flat `[D]`. */
export type Shape = readonly number[]

/** A parameter value as stored in a document (plain JSON). */
export type ParamValue = number | string | boolean | readonly number[] | null

export type Params = Record<string, ParamValue>

export interface Position {
  x: number
  y: number
}

export interface GraphNode {
  /** Unique within its graph (top level or block body). Also the base of the compiled tfjs layer name. */
  id: string
  /** A registered layer kind (`Conv2D`, `Add`, ...) or a structural kind (`Block`, `BlockInput`, `BlockOutput`). */
  kind: string
  params: Params
  position: Position
  /** Display name chosen by the user; defaults to the id. */
  name?: string
}

export interface GraphEdge {
  id: string
  source: string
  /** Reserved for layers with several outputs; unused by the built-in kinds. */
  sourceHandle?: string
  target: string
  /** Input index at the target (matters for merges such as Concatenate, where the order is the channel order). */
  targetHandle?: number
}

/**
 * A reusable sub-graph. Its body contains exactly one `BlockInput` node (where the block's input tensor enters)
 * and exactly one `BlockOutput` node (with exactly one incoming edge: the block's result). A top-level node of
 * kind `Block` with params `{ blockId, repeat }` stands for `repeat` chained copies of the body.
 */
export interface BlockDef {
  id: string
  name: string
  nodes: GraphNode[]
  edges: GraphEdge[]
  /** Optional description shown in the palette / inspector. */
  description?: string
}

export interface GraphDocument {
  /** `CURRENT_FORMAT` of ./schema (older formats are migrated up by `parseGraphDocument`). */
  format: 2
  nodes: GraphNode[]
  edges: GraphEdge[]
  blocks: BlockDef[]
}

/** Structural kinds that are not layers (handled by block expansion, never compiled directly). */
export const BLOCK_KIND = 'Block'
export const BLOCK_INPUT_KIND = 'BlockInput'
export const BLOCK_OUTPUT_KIND = 'BlockOutput'

export interface BlockNodeParams {
  blockId: string
  repeat: number
}
