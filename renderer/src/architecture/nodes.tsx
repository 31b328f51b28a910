/** Canvas node components: memoized, typed, reading actions from the editor store (no callbacks in data). */
import { memo } from 'react'
import { Handle, Position, type NodeProps } from '@xyflow/react'
import type { GroupNode, LayerNode } from './flow'
import { Glyph } from './glyphs'
import { setBlockExpanded } from './view'

function targetHandles(count: number) {
  return Array.from({ length: count }, (_, i) => (
    <Handle
      key={i}
      type="target"
      position={Position.Left}
      id={`in-${i}`}
      className={count > 1 ? 'merge-handle' : undefined}
      style={count > 1 ? { top: `${((i + 1) / (count + 1)) * 100}%` } : undefined}
      title={count > 1 ? `Input ${i + 1}` : 'Input'}
    />
  ))
}

export const LayerNodeView = memo(function LayerNodeView({ id, data, selected }: NodeProps<LayerNode>) {
  if (data.port) {
    return (
      <div className={`port-node port-${data.port}`} data-testid="block-port">
        {data.inputs > 0 && <Handle type="target" position={Position.Left} id="in-0" isConnectable={false} />}
        {data.port === 'in' ? 'block input' : 'block output'}
        {data.output && <Handle type="source" position={Position.Right} id="out" isConnectable={false} />}
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
      {data.output && <Handle type="source" position={Position.Right} id="out" />}
    </div>
  )
})

export const GroupNodeView = memo(function GroupNodeView({ id, data, selected }: NodeProps<GroupNode>) {
  return (
    <div className={`block-group${selected ? ' selected' : ''}${data.error ? ' has-error' : ''}`} data-testid="block-group">
      <Handle type="target" position={Position.Left} id="in-0" style={{ top: 17 }} />
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
      <Handle type="source" position={Position.Right} id="out" style={{ top: 17 }} />
    </div>
  )
})

export const nodeTypes = { layer: LayerNodeView, blockGroup: GroupNodeView }
