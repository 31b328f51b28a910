import { useEffect, useState } from 'react'
import {
  checkParam,
  formatFlops,
  formatInt,
  formatShape,
  getLayer,
  type GraphNode,
  type ParamSpec,
  type ParamValue,
  type Params,
} from '@shared/graph'
import { blockDefOf, repeatOf } from './flow'
import { resolveInner } from './inner'
import { Glyph } from './glyphs'
import { NormFigure } from './NormFigure'
import { editor, useAnalysis, useEditor } from './session'
import { setBlockExpanded } from './view'

/** Text shown in a field for a stored value. */
function toText(spec: ParamSpec, v: ParamValue | undefined): string {
  if (v === undefined || v === null) return ''
  if (spec.type === 'intPair') return Array.isArray(v) ? (v[0] === v[1] ? String(v[0]) : `${v[0]}x${v[1]}`) : String(v)
  if (spec.type === 'shape') return Array.isArray(v) ? v.join('x') : String(v)
  return String(v)
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i

/** Parse what was typed; text that is not a number stays text so the registry's message quotes it. */
export function parseField(spec: ParamSpec, text: string): ParamValue {
  const t = text.trim()
  if (spec.type === 'int' || spec.type === 'number') return NUMBER.test(t) ? Number(t) : t
  if (spec.type === 'intPair' || spec.type === 'shape') {
    const parts = t.replace(/^\[|\]$/g, '').split(/\s*[x×,]\s*|\s+/).filter(Boolean)
    if (parts.length > 0 && parts.every((p) => NUMBER.test(p))) {
      const nums = parts.map(Number)
      if (spec.type === 'intPair' && nums.length === 1) return nums[0]!
      return nums
    }
    return t
  }
  return t
}

function Field({ node, name, spec, params, readOnly }: { node: GraphNode; name: string; spec: ParamSpec; params: Params; readOnly: boolean }) {
  const stored = params[name]
  const [text, setText] = useState(() => toText(spec, stored))
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    // Keep what is typed while it means the stored value ("0." while typing 0.5); otherwise show the store (undo).
    setText((t) => (JSON.stringify(parseField(spec, t)) === JSON.stringify(stored ?? null) ? t : toText(spec, stored)))
    setError(null)
  }, [stored, spec, node.id])
  const id = `f-${node.id}-${name}`
  const apply = (value: ParamValue) => {
    const problem = checkParam(name, spec, value)
    setError(problem ?? null)
    if (!problem) editor.setParam(node.id, name, value)
  }
  let control
  if (spec.type === 'bool') {
    control = <input id={id} type="checkbox" checked={stored === true} disabled={readOnly} onChange={(e) => apply(e.target.checked)} />
  } else if (spec.type === 'enum') {
    control = (
      <select id={id} value={typeof stored === 'string' ? stored : ''} disabled={readOnly} onChange={(e) => apply(e.target.value)}>
        {spec.options.map((o) => (
          <option key={o} value={o}>{o}</option>
        ))}
      </select>
    )
  } else {
    control = (
      <input
        id={id}
        value={text}
        disabled={readOnly}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-err` : undefined}
        inputMode={spec.type === 'number' ? 'decimal' : 'text'}
        onChange={(e) => {
          setText(e.target.value)
          apply(parseField(spec, e.target.value))
        }}
        onBlur={() => {
          editor.endCoalesce()
          if (!error) setText(toText(spec, stored))
        }}
      />
    )
  }
  return (
    <div className={`insp-field${spec.type === 'bool' ? ' bool' : ''}`}>
      <label htmlFor={id} title={spec.help}>{spec.label}</label>
      {control}
      {error && (
        <div className="insp-error" id={`${id}-err`} role="alert">
          {error}
        </div>
      )}
      {!error && spec.help && spec.type !== 'bool' && <div className="insp-help">{spec.help}</div>}
    </div>
  )
}

function NameField({ node, readOnly }: { node: GraphNode; readOnly: boolean }) {
  const [text, setText] = useState(node.name ?? '')
  useEffect(() => setText(node.name ?? ''), [node.name, node.id])
  return (
    <div className="insp-field">
      <label htmlFor={`name-${node.id}`}>Name</label>
      <input
        id={`name-${node.id}`}
        value={text}
        placeholder={node.id}
        disabled={readOnly}
        onChange={(e) => {
          setText(e.target.value)
          editor.rename(node.id, e.target.value)
        }}
        onBlur={() => editor.endCoalesce()}
      />
    </div>
  )
}

function Facts({ nodeId }: { nodeId: string }) {
  const analysis = useAnalysis()
  const agg = analysis.byTopNode[nodeId]
  const info = analysis.nodes[nodeId]
  const rf = info?.receptiveField
  const issues = analysis.issues.filter((i) => i.topNodeId === nodeId)
  return (
    <>
      <dl className="insp-facts">
        <dt>Output</dt>
        <dd data-testid="inspector-shape">{agg?.outputShape ? formatShape(agg.outputShape) : '—'}</dd>
        <dt>Parameters</dt>
        <dd>
          {formatInt(agg?.params ?? 0)}
          {info && info.nonTrainableParams > 0 ? <span className="muted"> ({formatInt(info.nonTrainableParams)} non-trainable)</span> : null}
        </dd>
        <dt>FLOPs</dt>
        <dd>{formatFlops(agg?.flops ?? 0)}</dd>
        {rf && (
          <>
            <dt title="The window of input pixels one output value sees, and the distance between neighbouring outputs' windows">Receptive field</dt>
            <dd>
              {rf.global ? 'whole input (global)' : `${rf.size[0]}x${rf.size[1]} px`}, jump {rf.jump[0]}
              {rf.jump[0] !== rf.jump[1] ? `x${rf.jump[1]}` : ''} px
            </dd>
          </>
        )}
      </dl>
      {issues.length > 0 && (
        <ul className="insp-issues">
          {issues.map((i, k) => (
            <li key={k} className={i.severity}>
              <Glyph name="alert" size={12} />
              <span>{i.message}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  )
}

function BlockInspector({ node, readOnly }: { node: GraphNode; readOnly: boolean }) {
  const doc = useEditor((s) => s.doc)
  const expanded = useEditor((s) => s.expanded.includes(node.id))
  const analysis = useAnalysis()
  const def = blockDefOf(doc, node)
  const [repeat, setRepeat] = useState(String(repeatOf(node)))
  const [error, setError] = useState<string | null>(null)
  useEffect(() => setRepeat(String(repeatOf(node))), [node])
  if (!def) return <p className="insp-error">This block's definition is missing.</p>
  const rows = analysis.table.filter((r) => r.topNodeId === node.id)
  return (
    <>
      <p className="insp-desc">{def.description ?? 'A reusable group of layers.'} The block is one node on the canvas; its body is applied {repeatOf(node)} time(s) in a chain.</p>
      <NameField node={node} readOnly={readOnly} />
      <div className="insp-field">
        <label htmlFor={`repeat-${node.id}`}>Repeat</label>
        <input
          id={`repeat-${node.id}`}
          value={repeat}
          disabled={readOnly}
          aria-invalid={error ? true : undefined}
          onChange={(e) => {
            setRepeat(e.target.value)
            const v = parseField({ type: 'int', min: 1, label: 'Repeat' }, e.target.value)
            const problem = checkParam('repeat', { type: 'int', min: 1, label: 'Repeat' }, v)
            setError(problem ?? null)
            if (!problem) editor.setRepeat(node.id, v as number)
          }}
          onBlur={() => editor.endCoalesce()}
        />
        {error && <div className="insp-error" role="alert">{error}</div>}
      </div>
      <div className="insp-actions">
        <button className="btn btn-sm" onClick={() => setBlockExpanded(node.id, !expanded)}>
          <Glyph name={expanded ? 'collapse' : 'expand'} size={13} /> {expanded ? 'Collapse' : 'Expand in place'}
        </button>
        <button className="btn btn-sm" disabled={readOnly} onClick={() => editor.ungroup(node.id)} title="Replace the block by its layers (all repetitions)">
          <Glyph name="ungroup" size={13} /> Ungroup
        </button>
      </div>
      <Facts nodeId={node.id} />
      <h4 className="insp-sub">Layers inside ({rows.length})</h4>
      <table className="mini-table">
        <thead>
          <tr>
            <th>Layer</th>
            <th>Output</th>
            <th className="num">Params</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td title={r.name}>
                {r.name.split('/').slice(1).join('/')} <span className="muted">{r.kind}</span>
              </td>
              <td>{formatShape(r.outputShape)}</td>
              <td className="num">{formatInt(r.params)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

/** A layer inside an expanded block: its parameters edit the block definition (all uses and repetitions). */
function InnerLayerInspector({ flowId, readOnly }: { flowId: string; readOnly: boolean }) {
  const doc = useEditor((s) => s.doc)
  const analysis = useAnalysis()
  const inner = resolveInner(doc, flowId)
  if (!inner) return null
  const def = getLayer(inner.layer.kind)
  const params: Params = { ...(def?.defaults ?? {}), ...inner.layer.params }
  // Field edits go through editor.setParam with the inner flow id, which routes to the block definition.
  const asNode: GraphNode = { ...inner.layer, id: flowId }
  const info = analysis.nodes[flowId]
  const repetitions = inner.users * repeatOf(inner.blockNode)
  return (
    <>
      <p className="insp-callout" data-testid="inner-layer-note">
        Inside block <strong>{inner.def.name}</strong>: a change applies to {repetitions === 1 ? 'its one use' : `all ${repetitions} repetitions`}
        {inner.users > 1 ? ` (${inner.users} block nodes share this definition)` : ''}.
      </p>
      <p className="insp-desc">{def?.description ?? `Unknown layer kind "${inner.layer.kind}".`}</p>
      {def &&
        Object.entries(def.params as Record<string, ParamSpec>)
          .filter(([, spec]) => !spec.visibleWhen || spec.visibleWhen(params))
          .map(([name, spec]) => <Field key={`${flowId}:${name}`} node={asNode} name={name} spec={spec} params={params} readOnly={readOnly} />)}
      {def?.normAxes && <NormFigure axes={def.normAxes} {...(typeof params.groups === 'number' ? { groups: params.groups } : {})} />}
      <dl className="insp-facts">
        <dt>Output</dt>
        <dd data-testid="inspector-shape">{info?.outputShape ? formatShape(info.outputShape) : '—'}</dd>
        <dt>Parameters</dt>
        <dd>{formatInt((info?.trainableParams ?? 0) + (info?.nonTrainableParams ?? 0))} per repetition</dd>
      </dl>
    </>
  )
}

export function Inspector() {
  const doc = useEditor((s) => s.doc)
  const selectedInner = useEditor((s) => s.selectedInner)
  const selected = useEditor((s) => s.selectedNodes)
  const selectedEdges = useEditor((s) => s.selectedEdges)
  const readOnly = useEditor((s) => s.readOnly !== null)
  const analysis = useAnalysis()
  const node = selected.length === 1 ? doc.nodes.find((n) => n.id === selected[0]) : undefined
  const inner = !node && selectedInner ? resolveInner(doc, selectedInner) : null
  let body
  if (inner && selectedInner) {
    body = <InnerLayerInspector flowId={selectedInner} readOnly={readOnly} />
  } else if (!node) {
    const globalIssues = analysis.issues.filter((i) => !i.topNodeId && i.severity === 'error')
    body = (
      <div className="insp-empty">
        {selected.length > 1 ? (
          <p>
            {selected.length} layers selected. <kbd>Ctrl+G</kbd> groups them into a block, <kbd>Ctrl+D</kbd> duplicates, <kbd>Del</kbd> deletes.
          </p>
        ) : selectedEdges.length > 0 ? (
          <p>{selectedEdges.length === 1 ? 'A connection is' : `${selectedEdges.length} connections are`} selected; <kbd>Del</kbd> removes it.</p>
        ) : (
          <p>Select a layer to edit its parameters. Drag layers from the palette, connect an output (bottom) to an input (top).</p>
        )}
        {globalIssues.map((i, k) => (
          <p key={k} className="insp-error">{i.message}</p>
        ))}
      </div>
    )
  } else if (node.kind === 'Block') {
    body = <BlockInspector node={node} readOnly={readOnly} />
  } else {
    const def = getLayer(node.kind)
    const params: Params = { ...(def?.defaults ?? {}), ...node.params }
    body = (
      <>
        <p className="insp-desc">{def?.description ?? `Unknown layer kind "${node.kind}".`}</p>
        {node.kind === 'Dropout' && (
          <p className="insp-callout" data-testid="dropout-convention">
            <strong>Convention:</strong> rate is the probability of <strong>dropping</strong> a unit (tfjs/Keras). The lectures’ code uses p = probability of <strong>keeping</strong> a unit, so p = 1 − rate (their p = 0.8 is rate 0.2 here).
          </p>
        )}
        <NameField node={node} readOnly={readOnly} />
        {def &&
          Object.entries(def.params as Record<string, ParamSpec>)
            .filter(([, spec]) => !spec.visibleWhen || spec.visibleWhen(params))
            .map(([name, spec]) => <Field key={`${node.id}:${name}`} node={node} name={name} spec={spec} params={params} readOnly={readOnly} />)}
        {def?.normAxes && <NormFigure axes={def.normAxes} {...(typeof params.groups === 'number' ? { groups: params.groups } : {})} />}
        <Facts nodeId={node.id} />
      </>
    )
  }
  const def = node ? getLayer(node.kind) : inner ? getLayer(inner.layer.kind) : undefined
  return (
    <aside className="inspector" aria-label="Inspector">
      <div className="panel-title">
        {node ? (
          <>
            <span>{node.kind === 'Block' ? 'Block' : (def?.label ?? node.kind)}</span>
            <span className="muted mono">{node.id}</span>
          </>
        ) : inner ? (
          <>
            <span>{def?.label ?? inner.layer.kind}</span>
            <span className="muted mono">{inner.def.name} / {inner.layer.name ?? inner.layer.id}</span>
          </>
        ) : (
          'Inspector'
        )}
      </div>
      <div className="insp-scroll">{body}</div>
    </aside>
  )
}
