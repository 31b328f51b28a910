/**
 * Layer names of a compiled graph: every node with a shape is named after its (expanded) node id, sanitized to
 * `[A-Za-z0-9_]` (`layer1/0/conv1` -> `layer1_0_conv1`), made unique in topological order (`_2`, `_3`). The tfjs
 * compiler names its layers so (checkpoint variables are `<layer>/<weight>`) and the PyTorch export names its
 * modules so. Pure.
 */
import type { GraphAnalysis } from './analyze'

/** tfjs layer name for a node id: `[A-Za-z0-9_]` only, never starting with a digit. */
export function tfjsLayerName(nodeId: string): string {
  const s = nodeId.replace(/[^A-Za-z0-9_]/g, '_')
  return /^[0-9]/.test(s) ? `n_${s}` : s
}

/** Flat node id -> layer name, for the nodes the compiler builds (those with a shape and valid parameters). */
export function layerNames(analysis: Pick<GraphAnalysis, 'order' | 'nodes'>): Record<string, string> {
  const names: Record<string, string> = {}
  const used = new Set<string>()
  for (const id of analysis.order) {
    const info = analysis.nodes[id]
    if (!info?.outputShape || !info.params) continue
    let name = tfjsLayerName(id)
    for (let i = 2; used.has(name); i++) name = `${tfjsLayerName(id)}_${i}`
    used.add(name)
    names[id] = name
  }
  return names
}

/**
 * Layer name -> the node id the editor shows for it (`stages_0_conv1` -> `stages/0/conv1`): what a view of a
 * compiled model (a run's layers, its activations, its update ratios) shows people. Names it does not know
 * (tfjs's own, such as a model's input when the graph has none) are returned as they are.
 */
export function editorNames(analysis: Pick<GraphAnalysis, 'order' | 'nodes'>): (layerName: string) => string {
  const byLayer = new Map(Object.entries(layerNames(analysis)).map(([id, name]) => [name, id]))
  return (layerName) => byLayer.get(layerName) ?? layerName
}
