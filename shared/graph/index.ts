/**
 * CNN Studio graph core: pure TypeScript over plain JSON (no DOM, no Node; tfjs is imported for types only).
 * The editor store wraps these functions; React only reads the results. Compile to tfjs with
 * `compileGraph` from `shared/tfjs/compile` (the only part that loads tfjs).
 *
 * Document (types.ts, schema.ts)
 *   GraphDocument { format: 2, nodes: GraphNode[], edges: GraphEdge[], blocks: BlockDef[] }
 *   parseGraphDocument(jsonOrValue): GraphDocument      throws GraphDocumentError (newer format, malformed, dangling)
 *   serializeGraphDocument(doc): string; CURRENT_FORMAT; MIGRATIONS (format n -> n+1)
 *
 * Layer registry (registry.ts, layers.ts: the built-in kinds register on import)
 *   defineLayer(def), getLayer(kind), listLayers()      LayerDef: kind, family, label, description, arity,
 *       defaults, params (ParamSpec per field, for forms), validate, inferShape, paramCount, flops,
 *       receptiveField, normAxes, toTfjs(params, { tf, name, ... })
 *   validateParams(kind, params, nodeName) -> { params, errors, warnings }   messages quote received values
 *   FLOP_CONVENTION (multiply-add = 2 FLOPs), ShapeError, INITIALIZERS
 *
 * Analysis (analyze.ts, expand.ts)
 *   analyzeGraph(doc, { batchSize }) -> GraphAnalysis { flat, order, nodes[id] (shape, params, flops,
 *       receptiveField), issues (GraphIssue located by nodeId / edgeId / topNodeId), ok, totals, table, byTopNode }
 *   expandBlocks(doc) -> { doc (flat), origin (expanded id -> top-level id), issues }; topologicalOrder(nodes, edges)
 *
 * Operations (ops.ts): pure, return new documents; creators also return ids; throw GraphOpError
 *   addNode(doc, { kind, position, params?, id?, name? }) -> { doc, id };  removeNodes(doc, ids)
 *   canConnect(doc, conn) -> { ok } | { ok: false, reason };  connect(doc, conn) -> { doc, id };  disconnect(doc, edgeIds)
 *   setParam(doc, id, name, value); setParams(doc, id, partial); renameNode(doc, id, name); setPositions(doc, {id: pos})
 *   extractSubgraph(doc, ids) -> Subgraph;  pasteSubgraph(doc, sub, offset) -> { doc, idMap };  duplicateNodes(doc, ids, offset)
 *   groupIntoBlock(doc, ids, { name?, blockId? }) -> { doc, nodeId, blockId };  ungroupBlock(doc, nodeId) -> { doc, nodeIds }
 *   setBlockRepeat(doc, nodeId, n); pruneBlocks(doc); createNodeId(doc, base); emptyDocument()
 *
 * History (history.ts): createHistory(v, { limit }), pushHistory(h, v, { coalesce? }), undo, redo, canUndo, canRedo
 *
 * Blocks and templates (blocks.ts, templates.ts, builder.ts)
 *   residualBasicBlock, bottleneckBlock, plainBlock, vggBlock -> BlockDef; a node { kind: 'Block', params:
 *   { blockId, repeat } } uses one. TEMPLATES, getTemplate(name).build(inputShape, classes). GraphBuilder for code.
 *
 * Formatting (format.ts): formatInt, formatCompact, formatParams, formatFlops, formatBytes, formatShape
 */
import './layers'
export * from './types'
export * from './issues'
export * from './registry'
export * from './schema'
export * from './builder'
export * from './expand'
export * from './analyze'
export { INITIALIZERS, OUTPUT_INIT, type InitializerName } from './layers'
export * from './blocks'
export * from './templates'
export * from './fit'
export * from './format'
export * from './ops'
export * from './history'
export * from './diff'
export * from './import-tfjs'
