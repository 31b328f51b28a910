/**
 * Graph document -> tf.LayersModel through the tfjs functional API.
 *
 * Blocks are expanded, nodes are built in topological order with the registry's `toTfjs`, merges receive their
 * inputs in input-index order, and every tfjs layer is named after its (expanded) node id, sanitized to
 * `[A-Za-z0-9_]` (`layer1/0/conv1` -> `layer1_0_conv1`), so weights can later be matched to nodes.
 */
import * as tf from '@tensorflow/tfjs'
import { analyzeGraph, type GraphAnalysis } from '../graph/analyze'
import { getLayer } from '../graph/registry'
import '../graph/layers'
import { layerNames as nodeLayerNames, tfjsLayerName } from '../graph/names'
import type { GraphDocument } from '../graph/types'
import { cyrb128 } from '../random/hash'
import { CUSTOM_LAYERS } from './layers'

export class CompileError extends Error {
  constructor(
    message: string,
    readonly analysis: GraphAnalysis,
  ) {
    super(message)
    this.name = 'CompileError'
  }
}

export interface CompiledGraph {
  model: tf.LayersModel
  /** Flat node id -> tfjs layer name. */
  layerNames: Record<string, string>
  analysis: GraphAnalysis
}

export { tfjsLayerName }

/** A layer's initializer seed: a function of the run seed and the layer name only (stable under graph edits elsewhere). */
export function layerSeed(seed: number | string, layerName: string): number {
  return cyrb128(`${String(seed)}/${layerName}`)[0]
}

/**
 * Compile a document. Throws `CompileError` (with the analysis attached) when the graph has errors. With
 * `seed`, every random initializer is seeded, so the same seed gives the same initial weights (runs replay).
 * The caller owns the model: call `model.dispose()` when done.
 */
export function compileGraph(doc: GraphDocument, options: { name?: string; seed?: number | string } = {}): CompiledGraph {
  const analysis = analyzeGraph(doc)
  const errors = analysis.issues.filter((i) => i.severity === 'error')
  if (errors.length > 0) {
    throw new CompileError(`The graph has ${errors.length} error(s):\n${errors.map((e) => `  ${e.message}`).join('\n')}`, analysis)
  }
  const layerNames = nodeLayerNames(analysis)
  const tensors = new Map<string, tf.SymbolicTensor>()
  const inputs: tf.SymbolicTensor[] = []
  const flatById = new Map(analysis.flat.nodes.map((n) => [n.id, n]))
  for (const id of analysis.order) {
    const info = analysis.nodes[id]!
    const node = flatById.get(id)!
    if (!info.outputShape || !info.params) continue
    const name = layerNames[id]!
    if (node.kind === 'Input') {
      const x = tf.input({ shape: [...info.outputShape], name })
      inputs.push(x)
      tensors.set(id, x)
      continue
    }
    const def = getLayer(node.kind)!
    const inputShapes = info.inputs.map((s) => analysis.nodes[s]!.outputShape!)
    const seed = options.seed === undefined ? undefined : layerSeed(options.seed, name)
    const layer = def.toTfjs(info.params, { tf, name, inputShapes, outputShape: info.outputShape, custom: CUSTOM_LAYERS, ...(seed === undefined ? {} : { seed }) })
    const ins = info.inputs.map((s) => tensors.get(s)!)
    const y = layer.apply(ins.length === 1 ? ins[0]! : ins) as tf.SymbolicTensor
    tensors.set(id, y)
  }
  const outputs = analysis.outputIds.map((id) => tensors.get(id)).filter((t): t is tf.SymbolicTensor => t !== undefined)
  const model = tf.model({ inputs, outputs: outputs.length === 1 ? outputs[0]! : outputs, ...(options.name ? { name: options.name } : {}) })
  return { model, layerNames, analysis }
}

/** Trainable / non-trainable parameter counts of a tfjs model, from its weights. */
export function countModelParams(model: tf.LayersModel): { trainable: number; nonTrainable: number } {
  const sum = (ws: tf.LayerVariable[]) => ws.reduce((acc, w) => acc + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0)
  return { trainable: sum(model.trainableWeights), nonTrainable: sum(model.nonTrainableWeights) }
}
