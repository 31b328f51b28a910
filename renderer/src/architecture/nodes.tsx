/** Canvas node and edge components: memoized, typed, reading actions from the editor store (no callbacks in data). */
import { memo } from 'react'
import { BaseEdge, Handle, Position, getBezierPath, type Edge, type EdgeProps, type NodeProps } from '@xyflow/react'
import type { GroupNode, LayerNode, RoutedEdgeData } from './flow'
import { Glyph } from './glyphs'
import { setBlockExpanded } from './view'

function targetHandles(count: number) {
  return Array.from({ length: count }, (_, i) => (
    <Handle
      key={i}
      type="target"
      position={Position.Top}
      id={`in-${i}`}
      className={count > 1 ? 'merge-handle' : undefined}
      style={count > 1 ? { left: `${((i + 1) / (count + 1)) * 100}%` } : undefined}
      title={count > 1 ? `Input ${i + 1}` : 'Input'}
    />
  ))
}

export const LayerNodeView = memo(function LayerNodeView({ id, data, selected }: NodeProps<LayerNode>) {
  if (data.port) {
    return (
      <div className={`port-node port-${data.port}`} data-testid="block-port">
        {data.inputs > 0 && <Handle type="target" position={Position.Top} id="in-0" isConnectable={false} />}
        {data.port === 'in' ? 'block input' : 'block output'}
        {data.output && <Handle type="source" position={Position.Bottom} id="out" isConnectable={false} />}
      </div>
    )
  }
  const cls = ['layer-node', `fam-${data.family}`, selected ? 'selected' : '', data.error ? 'has-error' : data.warning ? 'has-warning' : '', data.readOnly ? 'inner' : '', data.block ? 'is-block' : '']
  return (
    <div className={cls.filter(Boolean).join(' ')} data-testid="layer-node" data-kind={data.kind} aria-invalid={data.error ? true : undefined}>
      {targetHandles(data.inputs)}
      <div className="ln-head">
        <span className="ln-swatch" />
        <span className="ln-title" title={data.title}>{data.title}</span>
        {data.block ? (
          <>
            <span className="ln-repeat" title={`${data.block.repeat} chained copies of the block`}>x{data.block.repeat}</span>
            <button
              className="ln-toggle nodrag"
              title="Expand the block in place"
              aria-label={`Expand ${data.title}`}
              onClick={(e) => {
                e.stopPropagation()
                setBlockExpanded(id, true)
              }}
            >
              <Glyph name="expand" size={12} />
            </button>
          </>
        ) : (
          <span className="ln-kind">{data.subtitle}</span>
        )}
      </div>
      <div className="ln-params">{data.params || ' '}</div>
      <div className="ln-foot">
        <span className="ln-shape" data-testid="node-shape">{data.shape ?? '—'}</span>
        {data.paramCount && <span className="ln-count" title="Parameters">{data.paramCount}</span>}
      </div>
      {(data.error ?? data.warning) && (
        <div className={data.error ? 'ln-error' : 'ln-warning'} data-testid={data.error ? 'node-error' : 'node-warning'} title={data.error ?? data.warning ?? ''}>
          <Glyph name="alert" size={11} />
          <span>{data.error ?? data.warning}</span>
        </div>
      )}
      {data.output && <Handle type="source" position={Position.Bottom} id="out" />}
    </div>
  )
})

export const GroupNodeView = memo(function GroupNodeView({ id, data, selected }: NodeProps<GroupNode>) {
  return (
    <div className={`block-group${selected ? ' selected' : ''}${data.error ? ' has-error' : ''}`} data-testid="block-group">
      <Handle type="target" position={Position.Top} id="in-0" />
      <div className="bg-head">
        <Glyph name="block" size={13} />
        <span className="bg-title">{data.title}</span>
        <span className="ln-repeat">x{data.repeat}</span>
        <span className="bg-note">{data.repeat > 1 ? `one of ${data.repeat} identical repetitions` : 'read-only body'}</span>
        <span className="bg-spacer" />
        <span className="ln-shape">{data.shape ?? '—'}</span>
        {data.paramCount && <span className="ln-count">{data.paramCount}</span>}
        <button
          className="ln-toggle nodrag"
          title="Collapse the block"
          aria-label={`Collapse ${data.title}`}
          onClick={(e) => {
            e.stopPropagation()
            setBlockExpanded(id, false)
          }}
        >
          <Glyph name="collapse" size={12} />
        </button>
      </div>
      {data.error && (
        <div className="ln-error bg-error" data-testid="node-error" title={data.error}>
          <Glyph name="alert" size={11} />
          <span>{data.error}</span>
        </div>
      )}
      <Handle type="source" position={Position.Bottom} id="out" />
    </div>
  )
})

/** SVG path through a polyline with rounded corners. */
function roundedPath(points: { x: number; y: number }[], radius = 10): string {
  let d = `M ${points[0]!.x},${points[0]!.y}`
  for (let i = 1; i < points.length - 1; i++) {
    const [a, b, c] = [points[i - 1]!, points[i]!, points[i + 1]!]
    const r = Math.min(radius, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2)
    const towards = (p: { x: number; y: number }) => {
      const len = Math.hypot(p.x - b.x, p.y - b.y) || 1
      return { x: b.x + ((p.x - b.x) / len) * r, y: b.y + ((p.y - b.y) / len) * r }
    }
    const p1 = towards(a)
    const p2 = towards(c)
    d += ` L ${p1.x},${p1.y} Q ${b.x},${b.y} ${p2.x},${p2.y}`
  }
  const last = points[points.length - 1]!
  return `${d} L ${last.x},${last.y}`
}

/**
 * A wire: a curve from the bottom of its source to the top of its target, or, when nodes lie between them (a
 * residual shortcut), down a lane beside them (`data.lane`, from flow.ts edgeLane).
 */
export const RoutedEdgeView = memo(function RoutedEdgeView(props: EdgeProps<Edge<RoutedEdgeData, 'routed'>>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, markerEnd, style, interactionWidth } = props
  const lane = data?.lane ?? null
  if (lane === null || targetY <= sourceY) {
    const [path] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition })
    return <BaseEdge path={path} markerEnd={markerEnd} style={style} interactionWidth={interactionWidth} />
  }
  const gap = Math.min(14, (targetY - sourceY) / 3)
  const points = [
    { x: sourceX, y: sourceY },
    { x: sourceX, y: sourceY + gap },
    { x: lane, y: sourceY + gap },
    { x: lane, y: targetY - gap },
    { x: targetX, y: targetY - gap },
    { x: targetX, y: targetY },
  ]
  return <BaseEdge path={roundedPath(points)} markerEnd={markerEnd} style={style} interactionWidth={interactionWidth} />
})

export const nodeTypes = { layer: LayerNodeView, blockGroup: GroupNodeView }
export const edgeTypes = { routed: RoutedEdgeView }
