/**
 * The saved form of a graph document: zod schema, `parseGraphDocument` and the up-migration table.
 *
 * Format history:
 *   0  unversioned, hand-written JSON: no `format` field, `blocks`, `position`s and edge `id`s may be missing.
 *   1  `{ format: 1, nodes, edges, blocks }`; BatchNorm `momentum` in the tfjs/Keras sense (the fraction of the
 *      moving statistics KEPT per update), default 0.99.
 *   2  current: BatchNorm `momentum` in the PyTorch sense (the fraction of the new batch statistics), default 0.1.
 *      The migration rewrites every BatchNorm's momentum m (0.99 where it was left at the default) as 1 - m, so an
 *      old design trains exactly as before; only new BatchNorm nodes get the new default.
 * Each migration takes a document of format N and returns one of format N + 1.
 */
import { z } from 'zod'
import { flipBatchNormMomentum } from './layers'
import type { GraphDocument } from './types'

export const CURRENT_FORMAT = 2

export class GraphDocumentError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GraphDocumentError'
  }
}

const id = z.string().min(1, 'must not be empty').refine((s) => !s.includes('/'), "must not contain '/' (reserved for expanded block paths)")
const paramValue = z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.number())])
const position = z.object({ x: z.number(), y: z.number() })
const node = z.object({
  id,
  kind: z.string().min(1, 'must not be empty'),
  params: z.record(z.string(), paramValue),
  position,
  name: z.string().optional(),
})
const edge = z.object({
  id: z.string().min(1),
  source: z.string().min(1),
  sourceHandle: z.string().optional(),
  target: z.string().min(1),
  targetHandle: z.number().int().min(0).optional(),
})
const block = z.object({
  id,
  name: z.string(),
  nodes: z.array(node),
  edges: z.array(edge),
  description: z.string().optional(),
})
export const graphDocumentSchema = z.object({
  format: z.literal(CURRENT_FORMAT),
  nodes: z.array(node),
  edges: z.array(edge),
  blocks: z.array(block),
})

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Up-migrations: `MIGRATIONS[n]` turns format n into format n + 1. */
export const MIGRATIONS: Record<number, (doc: Json) => Json> = {
  0: (doc) => {
    const fillGraph = (g: Json, prefix: string): Json => ({
      ...g,
      nodes: (Array.isArray(g.nodes) ? g.nodes : []).map((n: unknown, i: number) =>
        isObject(n) ? { params: {}, position: { x: 0, y: i * 100 }, ...n } : n,
      ),
      edges: (Array.isArray(g.edges) ? g.edges : []).map((e: unknown, i: number) => (isObject(e) ? { id: `${prefix}e${i}`, ...e } : e)),
    })
    const blocks = (Array.isArray(doc.blocks) ? doc.blocks : []).map((b: unknown) => (isObject(b) ? fillGraph(b, '') : b))
    return { ...fillGraph(doc, ''), format: 1, blocks }
  },
  1: (doc) => {
    // BatchNorm momentum: tfjs/Keras "kept" fraction -> PyTorch "new batch" fraction (see the format history).
    const KERAS_DEFAULT = 0.99
    const mapNodes = (nodes: unknown) =>
      Array.isArray(nodes)
        ? nodes.map((n: unknown) => {
            if (!isObject(n) || n.kind !== 'BatchNorm' || !isObject(n.params)) return n
            const m = n.params.momentum === undefined ? KERAS_DEFAULT : n.params.momentum
            // A non-number stays as it is: the analysis reports it on the node.
            return typeof m === 'number' ? { ...n, params: { ...n.params, momentum: flipBatchNormMomentum(m) } } : n
          })
        : nodes
    const blocks = Array.isArray(doc.blocks) ? doc.blocks.map((b: unknown) => (isObject(b) ? { ...b, nodes: mapNodes(b.nodes) } : b)) : doc.blocks
    return { ...doc, nodes: mapNodes(doc.nodes), blocks, format: 2 }
  },
}

/**
 * `doc` at the current format: as it is when it already is, else migrated (and checked) by `parseGraphDocument`.
 * For documents that reach the engine without being parsed (a run's snapshot taken by an older version).
 */
export function upgradeGraphDocument(doc: GraphDocument): GraphDocument {
  return (doc as { format: unknown }).format === CURRENT_FORMAT ? doc : parseGraphDocument(doc)
}

function formatZodIssues(error: z.ZodError): string {
  const lines = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '')
    return `${path || '(document)'}: ${issue.message}`
  })
  const more = error.issues.length > 5 ? `\n  ... and ${error.issues.length - 5} more` : ''
  return lines.map((l) => `  ${l}`).join('\n') + more
}

function checkIntegrity(doc: GraphDocument): string[] {
  const problems: string[] = []
  const checkGraph = (where: string, nodes: GraphDocument['nodes'], edges: GraphDocument['edges']) => {
    const ids = new Set<string>()
    for (const n of nodes) {
      if (ids.has(n.id)) problems.push(`${where}: two nodes have the id "${n.id}"`)
      ids.add(n.id)
    }
    const edgeIds = new Set<string>()
    for (const e of edges) {
      if (edgeIds.has(e.id)) problems.push(`${where}: two edges have the id "${e.id}"`)
      edgeIds.add(e.id)
      for (const end of [e.source, e.target]) {
        if (!ids.has(end)) problems.push(`${where}: edge "${e.id}" refers to node "${end}", which does not exist`)
      }
    }
  }
  checkGraph('graph', doc.nodes, doc.edges)
  const blockIds = new Set<string>()
  for (const b of doc.blocks) {
    if (blockIds.has(b.id)) problems.push(`two block definitions have the id "${b.id}"`)
    blockIds.add(b.id)
    checkGraph(`block "${b.id}"`, b.nodes, b.edges)
  }
  return problems
}

/**
 * Parse a saved document (a JSON string or an already parsed value), migrating older formats up to the current
 * one. Throws `GraphDocumentError` with a message for people when the input is not valid JSON, comes from a newer
 * CNN Studio, or does not have the shape of a graph document (missing fields, dangling edges, duplicate ids).
 * Layer kinds and parameters are NOT checked here: `analyzeGraph` reports those on the nodes, so a document
 * with an unknown kind still opens.
 */
export function parseGraphDocument(input: unknown): GraphDocument {
  let value = input
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input)
    } catch (err) {
      throw new GraphDocumentError(`This file is not valid JSON: ${(err as Error).message}`)
    }
  }
  if (!isObject(value)) throw new GraphDocumentError(`A graph document must be a JSON object, received ${Array.isArray(value) ? 'an array' : typeof value}`)
  let doc: Json = value
  let format = doc.format === undefined ? 0 : doc.format
  if (typeof format !== 'number' || !Number.isInteger(format) || format < 0) {
    throw new GraphDocumentError(`The graph document's "format" must be a whole number, received ${JSON.stringify(format)}`)
  }
  if (format > CURRENT_FORMAT) {
    throw new GraphDocumentError(
      `This graph was saved by a newer CNN Studio (format ${format}); this version reads format ${CURRENT_FORMAT}. Update CNN Studio to open it.`,
    )
  }
  while (format < CURRENT_FORMAT) {
    const migrate = MIGRATIONS[format]
    if (!migrate) throw new GraphDocumentError(`No migration from graph format ${format}`)
    doc = migrate(doc)
    format++
  }
  const result = graphDocumentSchema.safeParse(doc)
  if (!result.success) throw new GraphDocumentError(`This is not a valid CNN Studio graph:\n${formatZodIssues(result.error)}`)
  const parsed = result.data as GraphDocument
  const problems = checkIntegrity(parsed)
  if (problems.length > 0) throw new GraphDocumentError(`This graph document is inconsistent:\n${problems.map((p) => `  ${p}`).join('\n')}`)
  return parsed
}

/** Serialize for saving (stable key order, 2-space indent). */
export function serializeGraphDocument(doc: GraphDocument): string {
  return JSON.stringify(doc, null, 2)
}
