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
 * - Which kind reads a layer, and how, is each kind's `fromTfjs` in the layer registry (shared/graph/layers.ts):
 *   this module has no list of classes of its own.
 */
import { analyzeGraph } from './analyze'
import { getLayer, listLayers, type LayerDef } from './registry'
import './layers'
import { TfjsImportError, tfjsReader, type TfjsImport, type TfjsLayer } from './tfjs-config'
import type { GraphDocument, GraphEdge, GraphNode, Params } from './types'

export { TfjsImportError } from './tfjs-config'

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

interface Mapped {
  /** The main node (null: the layer is an identity and its output is its input). */
  readonly kind: string | null
  readonly params: Params
  /** A fused activation to put after the node. */
  readonly activation: string | null
  /** The kind's check that needs the built graph (LayerNorm's axes). */
  readonly check?: NonNullable<TfjsImport<Params>['check']>
}

/** What the registry says about TF.js layers: activation names -> kinds, and the kinds reading each class. */
interface ImportTable {
  readonly activations: ReadonlyMap<string, string>
  readonly byClass: ReadonlyMap<string, LayerDef[]>
}

function importTable(): ImportTable {
  const activations = new Map<string, string>()
  const byClass = new Map<string, LayerDef[]>()
  for (const def of listLayers()) {
    for (const a of def.fromTfjs?.activations ?? []) activations.set(a, def.kind)
    for (const c of def.fromTfjs?.classNames ?? []) byClass.set(c, [...(byClass.get(c) ?? []), def])
  }
  // Kinds with a condition are asked first (Output before Dense).
  for (const [c, defs] of byClass) byClass.set(c, [...defs.filter((d) => d.fromTfjs?.when), ...defs.filter((d) => !d.fromTfjs?.when)])
  return { activations, byClass }
}

/** An `Activation('<name>')` layer: the kind that activation name means, with its defaults. */
const ACTIVATION_CLASS = 'Activation'

function mapLayer(raw: RawLayer, isOutput: boolean, table: ImportTable): Mapped {
  const layer: TfjsLayer = { name: raw.name, className: raw.className, config: raw.config, isOutput }
  const r = tfjsReader(layer, table.activations)
  if (layer.className === ACTIVATION_CLASS) {
    const kind = r.activation()
    return { kind, params: kind === null ? {} : { ...getLayer(kind)!.defaults }, activation: null }
  }
  const def = (table.byClass.get(layer.className) ?? []).find((d) => d.fromTfjs!.when?.(layer) ?? true)
  if (!def) {
    const supported = [...table.byClass.keys(), ACTIVATION_CLASS]
    throw new TfjsImportError(
      `Layer "${layer.name}" (${layer.className}) cannot be imported: the studio has no ${layer.className} layer (supported: ${supported.join(', ')})`,
    )
  }
  const imp = def.fromTfjs!
  const out = imp.read!(layer, r)
  return { kind: def.kind, params: out.params, activation: out.activation ?? null, ...(imp.check ? { check: imp.check } : {}) }
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
    chain.unshift({ name: `${first.name}_input`, className: 'InputLayer', config: { batch_input_shape: [null, ...tfjsReader(first, new Map()).inputShape()] }, inbound: null })
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
  const table = importTable()
  const checks: { id: string; layer: RawLayer; check: NonNullable<Mapped['check']> }[] = []

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
    const mapped = mapLayer(layer, lastLayers.has(layer.name), table)
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
    if (mapped.check) checks.push({ id, layer, check: mapped.check })
    let out = id
    if (mapped.activation !== null) {
      const actId = freshId(`${id}_${mapped.activation.toLowerCase()}`, false)
      nodes.push({ id: actId, kind: mapped.activation, params: { ...getLayer(mapped.activation)!.defaults }, position: { x: 0, y: 0 } })
      connect([id], actId)
      out = actId
    }
    outputOf.set(layer.name, out)
  })

  const document: GraphDocument = { format: 2, nodes, edges, blocks: [] }
  layout(document)

  const analysis = analyzeGraph(document)
  for (const { id, layer, check } of checks) {
    const src = analysis.nodes[id]?.inputs[0]
    const shape = src === undefined ? undefined : (analysis.nodes[src]?.outputShape ?? undefined)
    check({ name: layer.name, className: layer.className, config: layer.config, isOutput: lastLayers.has(layer.name) }, shape, tfjsReader(layer, table.activations))
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
