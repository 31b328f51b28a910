/**
 * Layers inside an expanded block: the canvas shows one repetition of the block's body with flow ids
 * `<block node id>/0/<layer id>` (the same ids the analysis gives the first repetition's layers).
 */
import { BLOCK_INPUT_KIND, BLOCK_KIND, BLOCK_OUTPUT_KIND, type BlockDef, type GraphDocument, type GraphNode } from '@shared/graph'

export const innerFlowId = (blockNodeId: string, layerId: string): string => `${blockNodeId}/0/${layerId}`

export const isInnerId = (id: string): boolean => id.includes('/')

export interface InnerLayer {
  /** The top-level Block node the layer is shown in. */
  readonly blockNode: GraphNode
  readonly def: BlockDef
  readonly layer: GraphNode
  /** Block nodes sharing the definition (a change applies to all of them). */
  readonly users: number
}

/** The layer behind an inner flow id, or null when it no longer exists or is the block's input/output port. */
export function resolveInner(doc: GraphDocument, flowId: string): InnerLayer | null {
  const [blockNodeId, , layerId] = flowId.split('/')
  const blockNode = doc.nodes.find((n) => n.id === blockNodeId && n.kind === BLOCK_KIND)
  const def = blockNode && doc.blocks.find((b) => b.id === blockNode.params.blockId)
  const layer = def?.nodes.find((n) => n.id === layerId)
  if (!blockNode || !def || !layer || layer.kind === BLOCK_INPUT_KIND || layer.kind === BLOCK_OUTPUT_KIND) return null
  const users = doc.nodes.filter((n) => n.kind === BLOCK_KIND && n.params.blockId === def.id).length
  return { blockNode, def, layer, users }
}
