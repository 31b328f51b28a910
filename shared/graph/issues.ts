/** A problem found in a graph, located on a node or an edge, in words. */
export interface GraphIssue {
  severity: 'error' | 'warning'
  message: string
  /** Node id in the analysed (flat) graph; for nodes inside blocks this is the expanded path `block/0/conv1`. */
  nodeId?: string
  edgeId?: string
  /** The node of the document as given (the collapsed Block node for issues inside a block). */
  topNodeId?: string
}
