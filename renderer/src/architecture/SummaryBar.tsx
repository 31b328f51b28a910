import { useRef, useState } from 'react'
import { formatBytes, formatFlops, formatInt, formatShape, formatCompact } from '@shared/graph'
import { Glyph } from './glyphs'
import { editor, useAnalysis, useEditor, useSession } from './session'
import { canvasView } from './view'

export function LayersTable() {
  const analysis = useAnalysis()
  const selected = useEditor((s) => s.selectedNodes)
  return (
    <div className="layers-panel" aria-label="Layer table">
      <table className="layers-table">
        <thead>
          <tr>
            <th>Layer (name)</th>
            <th>Kind</th>
            <th>Output shape</th>
            <th className="num">Params</th>
            <th className="num">FLOPs</th>
            <th>Connected to</th>
          </tr>
        </thead>
        <tbody>
          {analysis.table.map((r) => (
            <tr
              key={r.id}
              className={selected.includes(r.topNodeId) ? 'selected' : undefined}
              onClick={() => {
                editor.select([r.topNodeId])
                canvasView.focus(r.topNodeId)
              }}
            >
              <td className="mono">{r.name}</td>
              <td>{r.kind}</td>
              <td className="mono">{formatShape(r.outputShape)}</td>
              <td className="num">{formatInt(r.params)}</td>
              <td className="num">{formatFlops(r.flops)}</td>
              <td className="mono muted">{r.inputs.join(', ')}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={3}>Total ({analysis.table.length} layers)</td>
            <td className="num">{formatInt(analysis.totals.params)}</td>
            <td className="num">{formatFlops(analysis.totals.flops)}</td>
            <td />
          </tr>
        </tfoot>
      </table>
    </div>
  )
}

export function SummaryBar() {
  const analysis = useAnalysis()
  const batch = useEditor((s) => s.batchSize)
  const layersOpen = useSession((s) => s.layersOpen)
  const [batchText, setBatchText] = useState(String(batch))
  const cursor = useRef(0)
  const t = analysis.totals
  const errors = analysis.issues.filter((i) => i.severity === 'error')
  const warnings = analysis.issues.filter((i) => i.severity === 'warning')
  const gotoError = () => {
    if (errors.length === 0) return
    const issue = errors[cursor.current % errors.length]!
    cursor.current++
    if (issue.topNodeId) {
      editor.select([issue.topNodeId])
      canvasView.focus(issue.topNodeId)
    }
    editor.notify(issue.message)
  }
  const batchBad = !/^\s*\d+\s*$/.test(batchText) || Number(batchText) < 1
  return (
    <footer className="summary-bar" aria-label="Model summary">
      <span className="sb-item" title={`${formatInt(t.params)} parameters (${formatBytes(t.paramBytes)} in float32)`} data-testid="total-params">
        <span className="sb-label">Params</span>
        <strong>{formatCompact(t.params)}</strong>
        <span className="muted">
          {formatInt(t.trainableParams)} trainable · {formatInt(t.nonTrainableParams)} non-trainable
        </span>
      </span>
      <span className="sb-item" title={t.flopConvention}>
        <span className="sb-label">FLOPs / image</span>
        <strong>{formatFlops(t.flops)}</strong>
      </span>
      <span className="sb-item" title="Memory of every layer's output kept for the backward pass (float32)">
        <span className="sb-label">Activations</span>
        <strong>{formatBytes(t.activationBytes)}</strong>
        <label className="sb-batch">
          at batch
          <input
            value={batchText}
            aria-label="Batch size"
            aria-invalid={batchBad ? true : undefined}
            title={batchBad ? `Batch size must be a positive integer, received ${JSON.stringify(batchText)}` : 'Batch size for the activation memory estimate'}
            onChange={(e) => {
              setBatchText(e.target.value)
              const n = Number(e.target.value)
              if (/^\s*\d+\s*$/.test(e.target.value) && n >= 1) editor.setBatchSize(n)
            }}
          />
        </label>
      </span>
      <span className="sb-spacer" />
      {warnings.length > 0 && (
        <span className="sb-warn" title={warnings.map((w) => w.message).join('\n')}>
          {warnings.length} warning{warnings.length > 1 ? 's' : ''}
        </span>
      )}
      <button
        className={`sb-btn${errors.length ? ' sb-errors' : ' sb-ok'}`}
        onClick={gotoError}
        disabled={errors.length === 0}
        title={errors.length ? 'Select and zoom to the next error' : 'No errors'}
        data-testid="error-count"
      >
        <Glyph name={errors.length ? 'alert' : 'check'} size={13} />
        {errors.length ? `${errors.length} error${errors.length > 1 ? 's' : ''}` : 'No errors'}
      </button>
      <button className={`sb-btn${layersOpen ? ' active' : ''}`} aria-pressed={layersOpen} onClick={() => useSession.setState({ layersOpen: !layersOpen })} title="Keras-style layer table">
        <Glyph name="table" size={13} /> Layers
      </button>
    </footer>
  )
}
