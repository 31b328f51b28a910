/**
 * The architecture editor's state, outside React (see docs: "Editor state outside React"). A vanilla zustand
 * store wraps the pure graph operations of shared/graph with undo/redo history, selection, clipboard, view
 * state (expanded blocks, drags in progress) and a debounced autosave. Components subscribe to slices; tests
 * drive the store directly with an injected `save`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import {
  GraphOpError,
  addNode,
  analyzeGraph,
  canConnect,
  canRedo,
  canUndo,
  connect,
  createHistory,
  disconnect,
  emptyDocument,
  extractSubgraph,
  groupIntoBlock,
  pasteSubgraph,
  pushHistory,
  redo,
  removeNodes,
  renameNode,
  setBlockLayerParam,
  setBlockRepeat,
  setParam,
  setPositions,
  undo,
  ungroupBlock,
  type BlockDef,
  type Connection,
  type GraphAnalysis,
  type GraphDocument,
  type History,
  type ParamValue,
  type Position,
  type Subgraph,
} from '@shared/graph'
import { isInnerId, resolveInner } from './inner'
import { autoLayout, type LayoutSize } from './layout'

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'error'

export interface Notice {
  text: string
  kind: 'error' | 'info'
  seq: number
}

export interface EditorDeps {
  /** Persist the document of a design (autosave: no label). */
  save(designId: number, doc: GraphDocument): Promise<unknown>
  /** Debounce before an autosave (ms). */
  debounceMs?: number
}

export interface EditorState {
  designId: number | null
  history: History<GraphDocument>
  /** history.present, for convenient subscriptions. */
  doc: GraphDocument
  /** Set while an older version is shown: edits are refused until it is restored. */
  readOnly: { version: number } | null
  selectedNodes: string[]
  selectedEdges: string[]
  /** A layer inside an expanded block (flow id `<block node>/0/<layer>`), selected to edit its parameters. */
  selectedInner: string | null
  clipboard: Subgraph | null
  pasteCount: number
  batchSize: number
  /** Block node ids shown expanded in place. */
  expanded: string[]
  /** Positions of nodes being dragged (not yet in the document). */
  dragging: Record<string, Position> | null
  notice: Notice | null
  saveState: SaveState
  saveError: string | null
}

const initial = (): EditorState => {
  const doc = emptyDocument()
  return {
    designId: null,
    history: createHistory(doc),
    doc,
    readOnly: null,
    selectedNodes: [],
    selectedEdges: [],
    selectedInner: null,
    clipboard: null,
    pasteCount: 0,
    batchSize: 32,
    expanded: [],
    dragging: null,
    notice: null,
    saveState: 'idle',
    saveError: null,
  }
}

const PASTE_STEP = 40

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i])

/** Memoized analysis per (document, batch size): every subscriber of one document shares one result. */
const analysisCache = new WeakMap<GraphDocument, Map<number, GraphAnalysis>>()
export function analysisOf(doc: GraphDocument, batchSize: number): GraphAnalysis {
  let byBatch = analysisCache.get(doc)
  if (!byBatch) analysisCache.set(doc, (byBatch = new Map()))
  let a = byBatch.get(batchSize)
  if (!a) byBatch.set(batchSize, (a = analyzeGraph(doc, { batchSize })))
  return a
}

export interface EditorActions {
  getState(): EditorState
  /** Show a document (a design's newest version): resets history and selection. */
  load(designId: number | null, doc: GraphDocument): void
  /** Show an older version read-only. */
  viewVersion(designId: number, doc: GraphDocument, version: number): void
  analysis(): GraphAnalysis
  notify(text: string, kind?: Notice['kind']): void
  /** Apply a pure operation as one undoable edit; GraphOpErrors become a notice. Returns false when refused. */
  edit(fn: (doc: GraphDocument) => GraphDocument, options?: { coalesce?: string }): boolean
  addLayer(kind: string, position: Position, options?: { from?: string }): string | null
  addBlock(def: BlockDef, position: Position, options?: { repeat?: number; name?: string; from?: string }): string | null
  connect(c: Connection): boolean
  checkConnection(c: Connection): { ok: true } | { ok: false; reason: string }
  deleteSelection(): void
  setParam(nodeId: string, name: string, value: ParamValue): void
  setRepeat(nodeId: string, repeat: number): void
  rename(nodeId: string, name: string): void
  /** Ends a coalescing run (e.g. when a field loses focus), so the next edit is its own undo step. */
  endCoalesce(): void
  setDragging(positions: Record<string, Position> | null): void
  commitPositions(positions: Record<string, Position>): void
  select(nodes: readonly string[], edges?: readonly string[]): void
  selectAll(): void
  copy(): boolean
  paste(): void
  duplicate(): void
  groupSelection(name?: string): void
  ungroup(nodeId: string): void
  toggleExpanded(nodeId: string): void
  setExpanded(nodeId: string, expanded: boolean): void
  undo(): void
  redo(): void
  canUndo(): boolean
  canRedo(): boolean
  autoLayout(options?: { size?: (id: string) => LayoutSize }): void
  setBatchSize(n: number): void
  /** Save now if an autosave is pending; resolves when every save so far has finished. */
  flush(): Promise<void>
  dispose(): void
}

export type EditorStore = StoreApi<EditorState> & EditorActions

export function createEditorStore(deps: EditorDeps): EditorStore {
  const store = createStore<EditorState>(() => initial())
  const debounceMs = deps.debounceMs ?? 800
  let timer: ReturnType<typeof setTimeout> | null = null
  let chain: Promise<void> = Promise.resolve()
  let noticeSeq = 0
  const get = store.getState
  const set = store.setState

  const saveNow = (): Promise<void> => {
    if (timer) clearTimeout(timer)
    timer = null
    const { designId, doc } = get()
    if (designId === null || get().saveState !== 'pending') return chain
    set({ saveState: 'saving' })
    chain = chain.then(() =>
      deps.save(designId, doc).then(
        () => {
          if (get().designId === designId && get().saveState === 'saving') set({ saveState: 'saved', saveError: null })
        },
        (e: unknown) => {
          if (get().designId === designId) set({ saveState: 'error', saveError: e instanceof Error ? e.message : String(e) })
        },
      ),
    )
    return chain
  }

  const scheduleSave = () => {
    if (get().designId === null) return
    set({ saveState: 'pending' })
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void saveNow(), debounceMs)
  }

  const setHistory = (history: History<GraphDocument>, extra: Partial<EditorState> = {}) => {
    const doc = history.present
    const ids = new Set(doc.nodes.map((n) => n.id))
    const edgeIds = new Set(doc.edges.map((e) => e.id))
    const s = get()
    const selectedNodes = (extra.selectedNodes ?? s.selectedNodes).filter((id) => ids.has(id))
    const selectedEdges = (extra.selectedEdges ?? s.selectedEdges).filter((id) => edgeIds.has(id))
    const expanded = s.expanded.filter((id) => ids.has(id))
    const selectedInner = s.selectedInner && resolveInner(doc, s.selectedInner) ? s.selectedInner : null
    set({ ...extra, history, doc, selectedNodes, selectedEdges, expanded, selectedInner })
  }

  const actions: EditorActions = {
    getState: get,
    load(designId, doc) {
      if (timer) clearTimeout(timer)
      timer = null
      const keep = get().batchSize
      set({ ...initial(), batchSize: keep, designId, history: createHistory(doc), doc })
    },
    viewVersion(designId, doc, version) {
      actions.load(designId, doc)
      set({ readOnly: { version } })
    },
    analysis: () => analysisOf(get().doc, get().batchSize),
    notify(text, kind = 'error') {
      set({ notice: { text, kind, seq: ++noticeSeq } })
    },
    edit(fn, options = {}) {
      const s = get()
      if (s.readOnly) {
        actions.notify(`Version ${s.readOnly.version} is read-only: restore it as the newest version to edit it.`, 'info')
        return false
      }
      let next: GraphDocument
      try {
        next = fn(s.doc)
      } catch (e) {
        if (e instanceof GraphOpError) {
          actions.notify(e.message)
          return false
        }
        throw e
      }
      if (next === s.doc) return true
      setHistory(pushHistory(s.history, next, options.coalesce !== undefined ? { coalesce: options.coalesce } : {}))
      scheduleSave()
      return true
    },
    addLayer(kind, position, options = {}) {
      let id: string | null = null
      const ok = actions.edit((doc) => {
        const r = addNode(doc, { kind, position })
        id = r.id
        if (options.from && canConnect(r.doc, { source: options.from, target: r.id }).ok) return connect(r.doc, { source: options.from, target: r.id }).doc
        return r.doc
      })
      if (ok && id) actions.select([id])
      return ok ? id : null
    },
    addBlock(def, position, options = {}) {
      let id: string | null = null
      const ok = actions.edit((doc) => {
        const node = { id: 'block', kind: 'Block', params: { blockId: def.id, repeat: options.repeat ?? 1 }, position: { x: 0, y: 0 }, name: options.name ?? def.name }
        const r = pasteSubgraph(doc, { nodes: [node], edges: [], blocks: [def] }, position)
        id = r.idMap.block ?? null
        let next = r.doc
        if (id && options.from && canConnect(next, { source: options.from, target: id }).ok) next = connect(next, { source: options.from, target: id }).doc
        return next
      })
      if (ok && id) actions.select([id])
      return ok ? id : null
    },
    checkConnection: (c) => canConnect(get().doc, c),
    connect(c) {
      const check = canConnect(get().doc, c)
      if (!check.ok) {
        actions.notify(`Cannot connect: ${check.reason}`)
        return false
      }
      return actions.edit((doc) => connect(doc, c).doc)
    },
    deleteSelection() {
      const { selectedNodes, selectedEdges } = get()
      if (selectedNodes.length === 0 && selectedEdges.length === 0) return
      actions.edit((doc) => removeNodes(disconnect(doc, selectedEdges), selectedNodes))
      set({ selectedNodes: [], selectedEdges: [] })
    },
    setParam(nodeId, name, value) {
      // A layer inside a block edits the block's definition (every use and repetition of the block).
      const inner = isInnerId(nodeId) ? resolveInner(get().doc, nodeId) : null
      if (isInnerId(nodeId) && !inner) return
      actions.edit(
        (doc) => (inner ? setBlockLayerParam(doc, inner.def.id, inner.layer.id, name, value) : setParam(doc, nodeId, name, value)),
        { coalesce: `param:${nodeId}:${name}` },
      )
    },
    setRepeat(nodeId, repeat) {
      actions.edit((doc) => setBlockRepeat(doc, nodeId, repeat), { coalesce: `repeat:${nodeId}` })
    },
    rename(nodeId, name) {
      actions.edit((doc) => renameNode(doc, nodeId, name.trim()), { coalesce: `name:${nodeId}` })
    },
    endCoalesce() {
      const h = get().history
      if (h.lastKey !== undefined) {
        const { lastKey: _drop, ...rest } = h
        set({ history: rest })
      }
    },
    setDragging: (dragging) => set({ dragging }),
    commitPositions(positions) {
      set({ dragging: null })
      const doc = get().doc
      const moved = Object.entries(positions).some(([id, p]) => {
        const n = doc.nodes.find((x) => x.id === id)
        return n && (n.position.x !== p.x || n.position.y !== p.y)
      })
      if (moved) actions.edit((d) => setPositions(d, positions))
    },
    select(nodes, edges = []) {
      const s = get()
      const top = nodes.filter((id) => !isInnerId(id))
      const inner = nodes.filter(isInnerId)
      const selectedInner = inner.length === 1 && top.length === 0 && edges.length === 0 ? inner[0]! : null
      if (sameIds(s.selectedNodes, top) && sameIds(s.selectedEdges, edges) && s.selectedInner === selectedInner) return
      set({ selectedNodes: top, selectedEdges: [...edges], selectedInner })
    },
    selectAll() {
      const doc = get().doc
      actions.select(
        doc.nodes.map((n) => n.id),
        doc.edges.map((e) => e.id),
      )
    },
    copy() {
      const { doc, selectedNodes } = get()
      if (selectedNodes.length === 0) return false
      set({ clipboard: extractSubgraph(doc, selectedNodes), pasteCount: 0 })
      return true
    },
    paste() {
      const { clipboard, pasteCount } = get()
      if (!clipboard || clipboard.nodes.length === 0) return
      const step = (pasteCount + 1) * PASTE_STEP
      let ids: string[] = []
      const ok = actions.edit((doc) => {
        const r = pasteSubgraph(doc, clipboard, { x: step, y: step })
        ids = Object.values(r.idMap)
        return r.doc
      })
      if (ok) set({ pasteCount: pasteCount + 1, selectedNodes: ids, selectedEdges: [] })
    },
    duplicate() {
      const { doc, selectedNodes } = get()
      if (selectedNodes.length === 0) return
      let ids: string[] = []
      const ok = actions.edit(() => {
        const r = pasteSubgraph(doc, extractSubgraph(doc, selectedNodes), { x: PASTE_STEP, y: PASTE_STEP })
        ids = Object.values(r.idMap)
        return r.doc
      })
      if (ok) set({ selectedNodes: ids, selectedEdges: [] })
    },
    groupSelection(name) {
      const { selectedNodes } = get()
      let nodeId: string | null = null
      const ok = actions.edit((doc) => {
        const r = groupIntoBlock(doc, selectedNodes, name ? { name } : {})
        nodeId = r.nodeId
        return r.doc
      })
      if (ok && nodeId) set({ selectedNodes: [nodeId], selectedEdges: [] })
    },
    ungroup(nodeId) {
      let ids: string[] = []
      const ok = actions.edit((doc) => {
        const r = ungroupBlock(doc, nodeId)
        ids = r.nodeIds
        return r.doc
      })
      if (ok) set({ selectedNodes: ids, selectedEdges: [], expanded: get().expanded.filter((x) => x !== nodeId) })
    },
    toggleExpanded(nodeId) {
      actions.setExpanded(nodeId, !get().expanded.includes(nodeId))
    },
    setExpanded(nodeId, expanded) {
      const cur = get().expanded
      if (expanded === cur.includes(nodeId)) return
      set({ expanded: expanded ? [...cur, nodeId] : cur.filter((x) => x !== nodeId) })
    },
    undo() {
      const s = get()
      if (s.readOnly || !canUndo(s.history)) return
      setHistory(undo(s.history))
      scheduleSave()
    },
    redo() {
      const s = get()
      if (s.readOnly || !canRedo(s.history)) return
      setHistory(redo(s.history))
      scheduleSave()
    },
    canUndo: () => canUndo(get().history),
    canRedo: () => canRedo(get().history),
    autoLayout(options = {}) {
      actions.edit((d) => setPositions(d, autoLayout(d.nodes, d.edges, options.size ? { size: options.size } : {})))
    },
    setBatchSize(n) {
      if (Number.isInteger(n) && n >= 1) set({ batchSize: n })
    },
    flush: () => saveNow(),
    dispose() {
      if (timer) clearTimeout(timer)
      timer = null
    },
  }
  return Object.assign(store, actions)
}
