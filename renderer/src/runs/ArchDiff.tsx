/**
 * Architecture diff between two runs' graph snapshots (shared/graph diffGraphs): the list of changes, and both
 * graphs drawn read-only (the editor's flow rendering, without its store) with removed / added / changed /
 * rewired nodes highlighted on each side.
 */
import { useMemo, useRef } from 'react'
import { Background, ReactFlow, ReactFlowProvider } from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import { analyzeGraph, diffGraphs, formatParamValue, type GraphDiff, type GraphDocument } from '@shared/graph'
import '../architecture/architecture.css'
import { buildFlow } from '../architecture/flow'
import { NODE_SIZE, autoLayout, boundsOf, fitViewport } from '../architecture/layout'
import { edgeTypes, nodeTypes } from '../architecture/nodes'

/** The flow nodes of a document, read-only, each with a `diff-<mark>` class where the diff highlights it. */
export function diffFlow(source: GraphDocument, marks: Record<string, string>) {
  // Laid out afresh (top to bottom, like the editor's auto-layout) so both sides read the same way.
  const positions = autoLayout(source.nodes, source.edges)
  const doc: GraphDocument = { ...source, nodes: source.nodes.map((n) => ({ ...n, position: positions[n.id] ?? n.position })) }
  const flow = buildFlow({ doc, analysis: analyzeGraph(doc), selectedNodes: [], selectedEdges: [], expanded: [], dragging: null, readOnly: true })
  return {
    nodes: flow.nodes.map((n) => {
      const mark = marks[n.id]
      return { ...n, draggable: false, selectable: false, connectable: false, ...(mark ? { className: `diff-node diff-${mark}` } : {}) }
    }),
    edges: flow.edges.map((e) => ({ ...e, selectable: false, deletable: false })),
  }
}

function GraphPane({ doc, marks, title, testId }: { doc: GraphDocument; marks: Record<string, string>; title: string; testId: string }) {
  const { nodes, edges } = useMemo(() => diffFlow(doc, marks), [doc, marks])
  const pane = useRef<HTMLDivElement>(null)
  // Readable text (the editor's fit-view floor), from the top, or with the first highlighted node in view.
  const viewport = () => {
    const r = pane.current?.getBoundingClientRect()
    const bounds = boundsOf(nodes.map((n) => ({ ...n.position, ...NODE_SIZE })))
    if (!r || !bounds) return undefined
    const v = fitViewport(bounds, r.width, r.height)
    const marked = nodes.find((n) => n.className)
    if (marked && (marked.position.y + NODE_SIZE.height) * v.zoom + v.y > r.height) v.y = r.height / 3 - marked.position.y * v.zoom
    return v
  }
  return (
    <div className="diff-pane" data-testid={testId}>
      <div className="diff-pane-title">{title}</div>
      <div className="canvas diff-canvas" ref={pane}>
        <ReactFlowProvider>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onInit={(rf) => {
              const v = viewport()
              if (v) void rf.setViewport(v)
            }}
            panOnScroll
            minZoom={0.1}
            nodesDraggable={false}
            nodesConnectable={false}
            elementsSelectable={false}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={18} size={1} />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
    </div>
  )
}

export function changeLines(diff: GraphDiff): { kind: 'added' | 'removed' | 'changed' | 'rewired'; text: string }[] {
  if (diff.equal) return []
  const out: { kind: 'added' | 'removed' | 'changed' | 'rewired'; text: string }[] = []
  for (const n of diff.removed) out.push({ kind: 'removed', text: `Removed ${n.kind} “${n.name}”` })
  for (const n of diff.added) out.push({ kind: 'added', text: `Added ${n.kind} “${n.name}”` })
  for (const c of diff.changed) {
    const parts = c.params.map((p) => `${p.param} ${formatParamValue(p.old)} → ${formatParamValue(p.new)}`)
    if (c.renamed) parts.unshift(`renamed “${c.a.name}” → “${c.b.name}”`)
    if (c.blockChanged) parts.push('block body changed')
    out.push({ kind: 'changed', text: `${c.b.kind} “${c.b.name}”: ${parts.join('; ')}` })
  }
  for (const e of diff.connections.removed) out.push({ kind: 'rewired', text: `Connection removed: ${e.sourceName} → ${e.targetName}` })
  for (const e of diff.connections.added) out.push({ kind: 'rewired', text: `Connection added: ${e.sourceName} → ${e.targetName}` })
  return out
}

export function ArchDiff(props: { a: GraphDocument; b: GraphDocument; aName: string; bName: string }) {
  const diff = useMemo(() => diffGraphs(props.a, props.b, { level: 'block' }), [props.a, props.b])
  const lines = changeLines(diff)
  return (
    <div className="arch-diff">
      <div className="arch-diff-list" data-testid="arch-diff-summary">
        {diff.equal ? (
          <p className="diff-equal">
            <span className="ok-dot" /> The graphs are equal
          </p>
        ) : (
          <ul>
            {lines.map((l, i) => (
              <li key={i} className={`diff-line diff-${l.kind}`}>
                <span className="diff-badge">{l.kind}</span>
                {l.text}
              </li>
            ))}
          </ul>
        )}
        <div className="diff-legend muted small">
          <span className="lg lg-removed" /> removed (A) <span className="lg lg-added" /> added (B) <span className="lg lg-changed" /> changed <span className="lg lg-rewired" /> rewired
        </div>
      </div>
      <div className="arch-diff-graphs">
        <GraphPane doc={props.a} marks={diff.highlight.a} title={`A · ${props.aName}`} testId="arch-graph-a" />
        <GraphPane doc={props.b} marks={diff.highlight.b} title={`B · ${props.bName}`} testId="arch-graph-b" />
      </div>
    </div>
  )
}
