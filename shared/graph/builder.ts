/**
 * A small fluent builder for graph documents in code (templates, block factories, tests).
 * Nodes are laid out top to bottom; branches can be placed with `position`.
 */
import type { BlockDef, GraphDocument, GraphEdge, GraphNode, Params, Position } from './types'
import { BLOCK_INPUT_KIND, BLOCK_KIND, BLOCK_OUTPUT_KIND } from './types'

export interface AddOptions {
  id?: string
  name?: string
  /** Source node id(s) in input-index order. Default: the previously added node (none for the first). */
  from?: string | readonly string[] | null
  position?: Position
}

export const ROW_HEIGHT = 100
export const COLUMN_WIDTH = 260

export class GraphBuilder {
  readonly nodes: GraphNode[] = []
  readonly edges: GraphEdge[] = []
  readonly blocks: BlockDef[] = []
  private last: string | undefined
  private row = 0
  private counters = new Map<string, number>()

  /** Add a node; returns its id. */
  add(kind: string, params: Params = {}, opts: AddOptions = {}): string {
    const id = opts.id ?? this.freshId(kind)
    if (this.nodes.some((n) => n.id === id)) throw new Error(`GraphBuilder: duplicate node id "${id}"`)
    const position = opts.position ?? { x: 0, y: this.row * ROW_HEIGHT }
    this.row = Math.max(this.row, Math.round(position.y / ROW_HEIGHT)) + 1
    const node: GraphNode = { id, kind, params: { ...params }, position }
    if (opts.name !== undefined) node.name = opts.name
    this.nodes.push(node)
    const from = opts.from === undefined ? (this.last === undefined ? [] : [this.last]) : opts.from === null ? [] : typeof opts.from === 'string' ? [opts.from] : opts.from
    from.forEach((source, i) => this.connect(source, id, i))
    this.last = id
    return id
  }

  connect(source: string, target: string, targetHandle = 0): void {
    this.edges.push({ id: `${source}->${target}${targetHandle ? `#${targetHandle}` : ''}`, source, target, targetHandle })
  }

  /** Add a `Block` node using `def` (the definition is added to the document once per id). */
  block(def: BlockDef, repeat = 1, opts: AddOptions = {}): string {
    if (!this.blocks.some((b) => b.id === def.id)) this.blocks.push(def)
    return this.add(BLOCK_KIND, { blockId: def.id, repeat }, { id: opts.id ?? this.freshId(def.id), ...opts })
  }

  /** Id of the most recently added node. */
  get lastId(): string | undefined {
    return this.last
  }

  private freshId(base: string): string {
    const key = base.replace(/[^A-Za-z0-9_]/g, '').toLowerCase() || 'node'
    let n = this.counters.get(key) ?? 0
    let id: string
    do {
      n++
      id = `${key}${n}`
    } while (this.nodes.some((x) => x.id === id))
    this.counters.set(key, n)
    return id
  }

  build(): GraphDocument {
    return { format: 2, nodes: this.nodes, edges: this.edges, blocks: this.blocks }
  }

  /** Build the body of a block definition (the builder must contain one BlockInput and one BlockOutput). */
  buildBlock(id: string, name: string, description?: string): BlockDef {
    const def: BlockDef = { id, name, nodes: this.nodes, edges: this.edges }
    if (description) def.description = description
    return def
  }

  /** Start a block body: adds the BlockInput node and returns its id. */
  blockInput(): string {
    return this.add(BLOCK_INPUT_KIND, {}, { id: 'in', from: null })
  }

  blockOutput(from?: string): string {
    return this.add(BLOCK_OUTPUT_KIND, {}, { id: 'out', ...(from ? { from } : {}) })
  }
}
