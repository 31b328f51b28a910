import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react'
import {
  Background,
  BackgroundVariant,
  ControlButton,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type IsValidConnection,
  type Edge,
} from '@xyflow/react'
import { DataCache, buildFlow, type AppNode } from './flow'
import { Glyph } from './glyphs'
import { edgeTypes, nodeTypes } from './nodes'
import { addFromPalette, registerView, PALETTE_MIME } from './view'
import { editor, useAnalysis, useEditor, useSession } from './session'
import { NODE_SIZE, fitViewport } from './layout'

const handleIndex = (h: string | null | undefined) => (h && h.startsWith('in-') ? Number(h.slice(3)) : 0)

export function Canvas() {
  const doc = useEditor((s) => s.doc)
  const selectedNodes = useEditor((s) => s.selectedNodes)
  const selectedEdges = useEditor((s) => s.selectedEdges)
  const selectedInner = useEditor((s) => s.selectedInner)
  const expanded = useEditor((s) => s.expanded)
  const dragging = useEditor((s) => s.dragging)
  const readOnly = useEditor((s) => s.readOnly !== null)
  const snap = useSession((s) => s.snap)
  const analysis = useAnalysis()
  const cache = useRef(new DataCache())
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({})
  const rf = useReactFlow<AppNode, Edge>()
  const wrapper = useRef<HTMLDivElement>(null)

  /**
   * Fit the graph (or `ids`) to the pane, but never so small that node text drops under 11 px: a tall graph is
   * shown from the top (its input) down at the readable zoom, and scrolls.
   */
  const fitTo = useCallback(
    (ids: readonly string[], duration = 0) => {
      const r = wrapper.current?.getBoundingClientRect()
      const pick = ids.length ? rf.getNodes().filter((n) => ids.includes(n.id)) : rf.getNodes().filter((n) => !n.parentId)
      if (!r || r.width === 0 || pick.length === 0) return
      void rf.setViewport(fitViewport(rf.getNodesBounds(pick), r.width, r.height), { duration })
    },
    [rf],
  )

  const fitRequest = useSession((s) => s.fitRequest)
  const fitted = useRef(0)
  useEffect(() => {
    if (fitRequest === 0 || fitted.current === fitRequest) return
    fitted.current = fitRequest
    if (editor.getState().doc.nodes.length === 0) return
    setTimeout(() => fitTo([]), 60)
  }, [fitRequest, fitTo])

  const flow = useMemo(
    () => buildFlow({ doc, analysis, selectedNodes, selectedEdges, selectedInner, expanded, dragging, readOnly }, cache.current),
    [doc, analysis, selectedNodes, selectedEdges, selectedInner, expanded, dragging, readOnly],
  )
  const nodes = useMemo(() => flow.nodes.map((n) => (measured[n.id] ? { ...n, measured: measured[n.id] } : n)), [flow.nodes, measured])

  registerView({
    center: () => {
      const r = wrapper.current?.getBoundingClientRect()
      if (!r) return { x: 0, y: 0 }
      const p = rf.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 })
      return { x: p.x - NODE_SIZE.width / 2, y: p.y - NODE_SIZE.height / 2 }
    },
    fit: () => fitTo(editor.getState().selectedNodes, 200),
    focus: (id) => void rf.fitView({ nodes: [{ id }], padding: 1.2, duration: 250, maxZoom: 1.2 }),
    focusCanvas: () => wrapper.current?.querySelector<HTMLElement>('.react-flow')?.focus(),
  })

  const onNodesChange = useCallback((changes: NodeChange<AppNode>[]) => {
    const s = editor.getState()
    let sel: Set<string> | null = null
    let drag: Record<string, { x: number; y: number }> | null = null
    let dims: Record<string, { width: number; height: number }> | null = null
    for (const c of changes) {
      if (c.type === 'select') {
        sel ??= new Set(s.selectedInner ? [...s.selectedNodes, s.selectedInner] : s.selectedNodes)
        if (c.selected) sel.add(c.id)
        else sel.delete(c.id)
      } else if (c.type === 'position' && c.position && c.dragging) {
        drag ??= { ...(s.dragging ?? {}) }
        drag[c.id] = c.position
      } else if (c.type === 'dimensions' && c.dimensions) {
        dims ??= {}
        dims[c.id] = c.dimensions
      }
    }
    if (sel) editor.select([...sel], s.selectedEdges)
    if (drag) editor.setDragging(drag)
    if (dims) {
      const d = dims
      setMeasured((m) => ({ ...m, ...d }))
    }
  }, [])

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const s = editor.getState()
    let sel: Set<string> | null = null
    for (const c of changes) {
      if (c.type === 'select') {
        sel ??= new Set(s.selectedEdges)
        if (c.selected) sel.add(c.id)
        else sel.delete(c.id)
      }
    }
    if (sel) editor.select(editor.getState().selectedNodes, [...sel])
  }, [])

  const onNodeDragStop = useCallback((_e: unknown, _n: AppNode, dragged: AppNode[]) => {
    const positions: Record<string, { x: number; y: number }> = {}
    for (const n of dragged) if (!n.parentId) positions[n.id] = n.position
    editor.commitPositions(positions)
  }, [])

  const onConnect = useCallback((c: Connection) => {
    editor.connect({ source: c.source, target: c.target, targetHandle: handleIndex(c.targetHandle) })
  }, [])

  const isValidConnection: IsValidConnection<Edge> = useCallback(
    (c) => !c.source.includes('/') && !c.target.includes('/') && editor.checkConnection({ source: c.source, target: c.target }).ok,
    [],
  )

  const onConnectEnd = useCallback((_e: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid === false && state.fromNode && state.toNode && state.fromNode.id !== state.toNode.id) {
      const check = editor.checkConnection({ source: state.fromNode.id, target: state.toNode.id })
      if (!check.ok) editor.notify(`Cannot connect: ${check.reason}`)
    }
  }, [])

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(PALETTE_MIME)) {
      e.preventDefault()
      e.dataTransfer.dropEffect = 'copy'
    }
  }, [])

  const onDrop = useCallback(
    (e: DragEvent) => {
      const item = e.dataTransfer.getData(PALETTE_MIME)
      if (!item) return
      e.preventDefault()
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY })
      addFromPalette(item, { x: p.x - NODE_SIZE.width / 2, y: p.y - 20 }, { connect: false })
      wrapper.current?.querySelector<HTMLElement>('.react-flow')?.focus()
    },
    [rf],
  )

  return (
    <div className="canvas" ref={wrapper} onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<AppNode, Edge>
        nodes={nodes}
        edges={flow.edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Control', 'Meta', 'Shift']}
        snapToGrid={snap}
        snapGrid={[16, 16]}
        panOnScroll
        minZoom={0.08}
        maxZoom={2.5}
        defaultEdgeOptions={{ type: 'default' }}
        proOptions={{ hideAttribution: true }}
        nodesConnectable={!readOnly}
        tabIndex={0}
      >
        <Background variant={BackgroundVariant.Dots} gap={16} size={1} />
        <MiniMap pannable zoomable nodeStrokeWidth={3} className="minimap" ariaLabel="Minimap" />
        <Controls showInteractive={false} position="bottom-left">
          <ControlButton onClick={() => useSession.setState((s) => ({ snap: !s.snap }))} title={snap ? 'Snap to grid: on' : 'Snap to grid: off'} aria-pressed={snap}>
            <Glyph name="grid" size={12} />
          </ControlButton>
        </Controls>
      </ReactFlow>
    </div>
  )
}
