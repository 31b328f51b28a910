/**
 * A TF.js layers-model topology (the `modelTopology` of a model.json, or a Keras `model_config`) -> a studio graph
 * document. Pure: no tfjs at run time.
 *
 * - Sequential models (`config.layers`, or an old-style array) and functional models (`config.layers` with
 *   `inbound_nodes`, `input_layers`, `output_layers`) are read. A layer called more than once (shared weights),
 *   nested models and layers of other classes are refused with the layer's name and class.
 * - Every layer becomes one node whose id is its tfjs name (sanitized to `[A-Za-z0-9_]` like compileGraph names
 *   its layers, the original kept as the node's `name`), so the compiled model's weights are `<id>/kernel`, ... and
 *   the file's weights can be matched by name (`layers` gives tfjs name -> node id).
 * - A fused activation (`activation: 'relu'` on a Conv2D/Dense/...) becomes an activation node after the layer
 *   (`<id>_relu`); a Dense with softmax that is the model's last layer becomes the studio's Output (one tfjs Dense
 *   with softmax, as in the file). Activation('linear') and Dropout keep their places (linear as nothing).
 * - Positions: columns by longest path from the inputs, left to right.
 */
import { analyzeGraph } from './analyze'
import type { GraphDocument, GraphEdge, GraphNode, Params } from './types'
import { flipBatchNormMomentum } from './layers'

export class TfjsImportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TfjsImportError'
  }
}

export interface TfjsImportResult {
  readonly document: GraphDocument
  /** tfjs layer name -> node id (for layers that carry weights, and every other mapped layer). */
  readonly layers: Record<string, string>
  /** The model's name in the file, when it has one. */
  readonly modelName: string | null
  /** Things that were adapted (initializers, regularizers ignored, ...), for the user. */
  readonly notes: string[]
}

interface RawLayer {
  readonly name: string
  readonly className: string
  readonly config: Record<string, unknown>
  /** Inbound tfjs layer names, in input order (functional models only). */
  readonly inbound: string[] | null
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The tfjs layer name compileGraph gives a node id (`[A-Za-z0-9_]`, never starting with a digit). */
export function sanitizeLayerName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_')
  return /^[0-9]/.test(s) ? `n_${s}` : s
}

/** The topology object from a parsed model.json, a bare topology, or a Keras `{ model_config }` wrapper. */
function topologyOf(json: unknown): { className: string; config: unknown } {
  let t: unknown = json
  if (isObject(t) && 'modelTopology' in t) t = t.modelTopology
  if (isObject(t) && 'model_config' in t) t = t.model_config
  if (!isObject(t) || typeof t.class_name !== 'string') {
    throw new TfjsImportError('This is not a TF.js layers model: model.json has no modelTopology with a class_name (graph models from the converter cannot be imported)')
  }
  return { className: t.class_name, config: t.config }
}

function readLayers(className: string, config: unknown): { layers: RawLayer[]; outputs: string[] | null; name: string | null } {
  const name = isObject(config) && typeof config.name === 'string' ? config.name : null
  const list = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : null
  if (list === null) throw new TfjsImportError(`The ${className} model in model.json has no layer list`)
  const functional = className === 'Model' || className === 'Functional'
  if (!functional && className !== 'Sequential') {
    throw new TfjsImportError(`Models of class ${className} cannot be imported (only Sequential and functional Model)`)
  }
  const layers = list.map((l, i): RawLayer => {
    if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) {
      throw new TfjsImportError(`Layer ${i} of the model is malformed (no class_name/config)`)
    }
    const lname = typeof l.config.name === 'string' ? l.config.name : typeof l.name === 'string' ? l.name : `layer_${i}`
    let inbound: string[] | null = null
    if (functional) {
      const nodes = l.inbound_nodes
      if (!Array.isArray(nodes)) throw new TfjsImportError(`Layer "${lname}" (${l.class_name}) has no inbound_nodes`)
      if (nodes.length > 1) {
        throw new TfjsImportError(`Layer "${lname}" (${l.class_name}) is applied ${nodes.length} times (shared weights); the studio's graph has one node per layer`)
      }
      inbound = []
      for (const call of nodes) {
        if (!Array.isArray(call)) throw new TfjsImportError(`Layer "${lname}" (${l.class_name}) has inbound_nodes in a format this importer does not read`)
        for (const ref of call) {
          if (!Array.isArray(ref) || typeof ref[0] !== 'string') {
            throw new TfjsImportError(`Layer "${lname}" (${l.class_name}) has an inbound node reference this importer does not read`)
          }
          if (ref[1] !== 0 && ref[1] !== undefined) throw new TfjsImportError(`Layer "${lname}" (${l.class_name}) uses the output of a shared layer "${ref[0]}"`)
          inbound.push(ref[0])
        }
      }
    }
    return { name: lname, className: l.class_name, config: l.config, inbound }
  })
  let outputs: string[] | null = null
  if (functional && isObject(config) && Array.isArray(config.output_layers)) {
    outputs = config.output_layers.map((o) => (Array.isArray(o) && typeof o[0] === 'string' ? o[0] : '')).filter((s) => s !== '')
  }
  return { layers, outputs, name }
}

const pairOf = (v: unknown, fallback: number | number[]): number | number[] => {
  if (typeof v === 'number') return v
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return v[0] === v[1] ? (v[0] as number) : [v[0] as number, v[1] as number]
  return fallback
}
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback)
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback)

/** Activation name (tfjs/Keras) -> activation node kind; null for linear. */
const ACTIVATION_KINDS: Record<string, string | null> = {
  linear: null,
  relu: 'ReLU',
  elu: 'ELU',
  gelu: 'GELU',
  swish: 'SiLU',
  silu: 'SiLU',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softmax: 'Softmax',
}

interface Mapped {
  /** The main node (null: the layer is an identity and its output is its input). */
  readonly kind: string | null
  readonly params: Params
  /** A fused activation to put after the node. */
  readonly activation: string | null
}

function activationOf(layer: RawLayer): string | null {
  const a = layer.config.activation
  if (a === undefined || a === null) return null
  if (typeof a !== 'string') throw new TfjsImportError(`Layer "${layer.name}" (${layer.className}) has an activation this importer does not read: ${JSON.stringify(a)}`)
  if (!(a in ACTIVATION_KINDS)) {
    throw new TfjsImportError(`Layer "${layer.name}" (${layer.className}) uses the activation '${a}', which the studio does not have (supported: ${Object.keys(ACTIVATION_KINDS).join(', ')})`)
  }
  return ACTIVATION_KINDS[a] ?? null
}

function requireChannelsLast(layer: RawLayer): void {
  const f = layer.config.data_format
  if (f !== undefined && f !== null && f !== 'channels_last') {
    throw new TfjsImportError(`Layer "${layer.name}" (${layer.className}) uses data_format '${String(f)}'; the studio is channels-last only`)
  }
}

function padding(layer: RawLayer): string {
  const p = layer.config.padding ?? 'valid'
  if (p !== 'same' && p !== 'valid') throw new TfjsImportError(`Layer "${layer.name}" (${layer.className}) uses padding ${JSON.stringify(p)} (only 'same' and 'valid')`)
  return p
}

function mapLayer(layer: RawLayer, isLast: boolean): Mapped {
  const c = layer.config
  switch (layer.className) {
    case 'InputLayer':
      return { kind: 'Input', params: { shape: inputShapeOf(layer) }, activation: null }
    case 'Conv2D': {
      requireChannelsLast(layer)
      if (num(c.groups, 1) !== 1) throw new TfjsImportError(`Layer "${layer.name}" (Conv2D) is a grouped convolution (groups ${String(c.groups)}), which the studio does not have`)
      return {
        kind: 'Conv2D',
        params: {
          filters: num(c.filters, 1),
          kernelSize: pairOf(c.kernel_size, 3),
          strides: pairOf(c.strides, 1),
          padding: padding(layer),
          dilationRate: pairOf(c.dilation_rate, 1),
          useBias: bool(c.use_bias, true),
          kernelInitializer: 'heNormal',
          stddev: 0.01,
        },
        activation: activationOf(layer),
      }
    }
    case 'DepthwiseConv2D':
      requireChannelsLast(layer)
      return {
        kind: 'DepthwiseConv2D',
        params: {
          kernelSize: pairOf(c.kernel_size, 3),
          strides: pairOf(c.strides, 1),
          padding: padding(layer),
          depthMultiplier: num(c.depth_multiplier, 1),
          dilationRate: pairOf(c.dilation_rate, 1),
          useBias: bool(c.use_bias, true),
          depthwiseInitializer: 'heNormal',
          stddev: 0.01,
        },
        activation: activationOf(layer),
      }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      requireChannelsLast(layer)
      const poolSize = pairOf(c.pool_size, 2)
      return {
        kind: layer.className === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool',
        params: { poolSize, strides: c.strides === null || c.strides === undefined ? poolSize : pairOf(c.strides, poolSize), padding: padding(layer) },
        activation: null,
      }
    }
    case 'GlobalAveragePooling2D':
      requireChannelsLast(layer)
      if (c.keepdims === true) throw new TfjsImportError(`Layer "${layer.name}" (GlobalAveragePooling2D) keeps the spatial dimensions (keepdims), which the studio does not have`)
      return { kind: 'GlobalAveragePool', params: {}, activation: null }
    case 'Flatten':
      return { kind: 'Flatten', params: {}, activation: null }
    case 'Dense': {
      const activation = activationOf(layer)
      const params = { units: num(c.units, 1), useBias: bool(c.use_bias, true), kernelInitializer: 'heNormal', stddev: 0.01 }
      if (activation === 'Softmax' && isLast) return { kind: 'Output', params: { ...params, kernelInitializer: 'normal' }, activation: null }
      return { kind: 'Dense', params, activation }
    }
    case 'BatchNormalization': {
      const axis = c.axis ?? -1
      if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) {
        throw new TfjsImportError(`Layer "${layer.name}" (BatchNormalization) normalizes axis ${JSON.stringify(axis)}; the studio's BatchNorm is per channel (axis -1)`)
      }
      return {
        kind: 'BatchNorm',
        params: { momentum: flipBatchNormMomentum(num(c.momentum, 0.99)), epsilon: num(c.epsilon, 0.001), center: bool(c.center, true), scale: bool(c.scale, true) },
        activation: null,
      }
    }
    case 'LayerNormalization':
      // The axis is checked against the input rank after the graph is built (the studio normalizes all feature axes).
      return { kind: 'LayerNorm', params: { epsilon: num(c.epsilon, 0.001), center: bool(c.center, true), scale: bool(c.scale, true) }, activation: null }
    case 'InstanceNormalization':
      return { kind: 'InstanceNorm', params: { epsilon: num(c.epsilon, 0.001) }, activation: null }
    case 'GroupNormalization':
      return { kind: 'GroupNorm', params: { groups: num(c.groups, 32), epsilon: num(c.epsilon, 0.001) }, activation: null }
    case 'Dropout':
      if (c.noise_shape !== undefined && c.noise_shape !== null) throw new TfjsImportError(`Layer "${layer.name}" (Dropout) has a noise_shape, which the studio does not have`)
      return { kind: 'Dropout', params: { rate: num(c.rate, 0.5) }, activation: null }
    case 'Activation': {
      const kind = activationOf(layer)
      return { kind, params: kind === 'ELU' ? { alpha: 1 } : {}, activation: null }
    }
    case 'ReLU':
      if (c.max_value !== undefined && c.max_value !== null) {
        throw new TfjsImportError(`Layer "${layer.name}" (ReLU) is capped at max_value ${String(c.max_value)} (ReLU6), which the studio does not have`)
      }
      return { kind: 'ReLU', params: {}, activation: null }
    case 'LeakyReLU':
      return { kind: 'LeakyReLU', params: { alpha: num(c.alpha, 0.3) }, activation: null }
    case 'ELU':
      if (num(c.alpha, 1) !== 1) throw new TfjsImportError(`Layer "${layer.name}" (ELU) has alpha ${String(c.alpha)}; tfjs 4.22 and the studio only implement alpha 1`)
      return { kind: 'ELU', params: { alpha: 1 }, activation: null }
    case 'Softmax': {
      const axis = c.axis ?? -1
      if (axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) {
        throw new TfjsImportError(`Layer "${layer.name}" (Softmax) is over axis ${JSON.stringify(axis)}; the studio's Softmax is over the last axis`)
      }
      return { kind: 'Softmax', params: {}, activation: null }
    }
    case 'Add':
      return { kind: 'Add', params: {}, activation: null }
    case 'Concatenate': {
      const axis = c.axis ?? -1
      if (axis !== -1) throw new TfjsImportError(`Layer "${layer.name}" (Concatenate) joins along axis ${JSON.stringify(axis)}; the studio concatenates channels (axis -1)`)
      return { kind: 'Concatenate', params: {}, activation: null }
    }
    default:
      throw new TfjsImportError(
        `Layer "${layer.name}" (${layer.className}) cannot be imported: the studio has no ${layer.className} layer (supported: InputLayer, Conv2D, DepthwiseConv2D, MaxPooling2D, ` +
          'AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, BatchNormalization, LayerNormalization, InstanceNormalization, GroupNormalization, ' +
          'Dropout, Activation, ReLU, LeakyReLU, ELU, Softmax, Add, Concatenate)',
      )
  }
}

function inputShapeOf(layer: RawLayer): number[] {
  const c = layer.config
  const batch = c.batch_input_shape ?? c.batch_shape
  const shape = Array.isArray(batch) ? batch.slice(1) : Array.isArray(c.input_shape) ? c.input_shape : null
  if (shape === null || shape.length === 0 || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new TfjsImportError(`Layer "${layer.name}" (${layer.className}) has no fixed input shape (${JSON.stringify(shape)}); the studio needs [H, W, C] or [D]`)
  }
  return shape as number[]
}

/** Maps a TF.js layers-model topology (a parsed model.json, or its `modelTopology`) onto a graph document. */
export function graphFromTfjsTopology(modelJson: unknown): TfjsImportResult {
  const topo = topologyOf(modelJson)
  const { layers, outputs, name } = readLayers(topo.className, topo.config)
  if (layers.length === 0) throw new TfjsImportError('The model has no layers')
  const sequential = layers.every((l) => l.inbound === null)

  // Sequential: an explicit InputLayer, or the first layer's batch_input_shape (tfjs names the input `<first>_input`).
  const chain: RawLayer[] = [...layers]
  if (sequential && chain[0]!.className !== 'InputLayer') {
    const first = chain[0]!
    chain.unshift({ name: `${first.name}_input`, className: 'InputLayer', config: { batch_input_shape: [null, ...inputShapeOf(first)] }, inbound: null })
  }
  const byName = new Map<string, RawLayer>()
  for (const l of chain) {
    if (byName.has(l.name)) throw new TfjsImportError(`Two layers are named "${l.name}"`)
    byName.set(l.name, l)
  }
  const lastLayers = new Set(sequential ? [chain.at(-1)!.name] : (outputs ?? []))

  const nodes: GraphNode[] = []
  const edges: GraphEdge[] = []
  const usedIds = new Set<string>()
  const layerIds: Record<string, string> = {}
  /** tfjs layer name -> the node id that carries its output. */
  const outputOf = new Map<string, string>()
  const notes: string[] = []
  // Layer nodes keep their (sanitized) names; added activation nodes avoid every layer's name.
  const reserved = new Set(chain.map((l) => sanitizeLayerName(l.name)))
  const freshId = (base: string, isLayer: boolean) => {
    let id = base
    for (let i = 2; usedIds.has(id) || (!isLayer && reserved.has(id)); i++) id = `${base}_${i}`
    usedIds.add(id)
    return id
  }
  const connect = (sources: string[], target: string) => {
    sources.forEach((source, i) => {
      edges.push({ id: `e${edges.length + 1}`, source, target, ...(sources.length > 1 ? { targetHandle: i } : {}) })
    })
  }
  const layerNormChecks: { id: string; layer: RawLayer }[] = []

  chain.forEach((layer, i) => {
    const inbound = sequential ? (i === 0 ? [] : [chain[i - 1]!.name]) : layer.inbound!
    const sources = inbound.map((n) => {
      const src = outputOf.get(n)
      if (src === undefined) {
        throw new TfjsImportError(
          byName.has(n) ? `Layer "${layer.name}" (${layer.className}) is listed before its input "${n}"` : `Layer "${layer.name}" (${layer.className}) takes its input from "${n}", which is not in the model`,
        )
      }
      return src
    })
    if (layer.className === 'InputLayer' && sources.length > 0) throw new TfjsImportError(`Input layer "${layer.name}" has inputs`)
    if (layer.className !== 'InputLayer' && sources.length === 0) throw new TfjsImportError(`Layer "${layer.name}" (${layer.className}) has no input`)
    const mapped = mapLayer(layer, lastLayers.has(layer.name))
    if (mapped.kind === null) {
      // An identity (Activation('linear')): its consumers read its input.
      if (sources.length !== 1) throw new TfjsImportError(`Layer "${layer.name}" (${layer.className}) has ${sources.length} inputs`)
      outputOf.set(layer.name, sources[0]!)
      notes.push(`${layer.name} (linear activation) was left out: it does nothing`)
      return
    }
    const id = freshId(sanitizeLayerName(layer.name), true)
    layerIds[layer.name] = id
    nodes.push({ id, kind: mapped.kind, params: mapped.params, position: { x: 0, y: 0 }, ...(id !== layer.name ? { name: layer.name } : {}) })
    connect(sources, id)
    if (mapped.kind === 'LayerNorm') layerNormChecks.push({ id, layer })
    let out = id
    if (mapped.activation !== null) {
      const actId = freshId(`${id}_${mapped.activation.toLowerCase()}`, false)
      nodes.push({ id: actId, kind: mapped.activation, params: mapped.activation === 'ELU' ? { alpha: 1 } : {}, position: { x: 0, y: 0 } })
      connect([id], actId)
      out = actId
    }
    outputOf.set(layer.name, out)
  })

  const document: GraphDocument = { format: 2, nodes, edges, blocks: [] }
  layout(document)

  const analysis = analyzeGraph(document)
  for (const { id, layer } of layerNormChecks) {
    const src = analysis.nodes[id]?.inputs[0]
    const shape = src === undefined ? undefined : analysis.nodes[src]?.outputShape
    const axis = layer.config.axis ?? -1
    const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (typeof a === 'number' && shape && a < 0 ? a + shape.length + 1 : a))
    const all = shape ? Array.from({ length: shape.length }, (_, k) => k + 1) : null
    if (all !== null && (axes.length !== all.length || axes.some((a, k) => a !== all[k]))) {
      throw new TfjsImportError(
        `Layer "${layer.name}" (LayerNormalization) normalizes axis ${JSON.stringify(axis)} of a ${shape!.length}-D input; the studio's LayerNorm normalizes all feature axes (${JSON.stringify(all)})`,
      )
    }
  }
  const errors = analysis.issues.filter((x) => x.severity === 'error')
  if (errors.length > 0) {
    throw new TfjsImportError(`The imported graph is not valid in the studio:\n${errors.map((e) => `  ${e.message}`).join('\n')}`)
  }
  return { document, layers: layerIds, modelName: name, notes }
}

/** Columns by longest path from a source, rows in document order within a column. */
function layout(doc: GraphDocument): void {
  const depth = new Map<string, number>()
  const incoming = new Map<string, string[]>()
  for (const e of doc.edges) incoming.set(e.target, [...(incoming.get(e.target) ?? []), e.source])
  // Nodes are in topological order (each added after its inputs).
  for (const n of doc.nodes) depth.set(n.id, Math.max(-1, ...(incoming.get(n.id) ?? []).map((s) => depth.get(s) ?? 0)) + 1)
  const rows = new Map<number, number>()
  for (const n of doc.nodes) {
    const d = depth.get(n.id) ?? 0
    const r = rows.get(d) ?? 0
    rows.set(d, r + 1)
    n.position = { x: d * 220, y: r * 120 }
  }
}

/**
 * The name a weight has in the imported file, for a variable of the model compiled from the imported document
 * (`<node id>/<weight>` -> `<tfjs layer name>/<weight>`); null when the node is not an imported layer.
 */
export function importedWeightName(result: Pick<TfjsImportResult, 'layers'>, variableName: string): string | null {
  const slash = variableName.indexOf('/')
  if (slash <= 0) return null
  const nodeId = variableName.slice(0, slash)
  for (const [layer, id] of Object.entries(result.layers)) if (id === nodeId) return `${layer}${variableName.slice(slash)}`
  return null
}
