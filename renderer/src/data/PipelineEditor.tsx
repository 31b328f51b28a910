/**
 * The ordered list of augmentation steps: add any registered kind, reorder (buttons or drag), enable/disable,
 * probability, parameters from the kind's paramDocs, with validatePipeline's messages under the fields, undo and
 * redo. Every edit is a command of the editor's store (pipelineStore.ts); this component only renders it.
 */
import { useEffect, useRef, useState } from 'react'
import { useStore } from 'zustand'
import { getKindSpec, listAugmentKinds, type AugmentKind, type ChannelMoments, type ParamDoc, type ValidationIssue } from '@shared/augment/spec-only'
import { Icon } from '../ui/icons'
import type { DraftStep, PipelineEditorStore } from './pipelineStore'

const KINDS = listAugmentKinds()
const fromStats = (kind: AugmentKind) => getKindSpec(kind).paramsFromStats

function parseNumberText(text: string): unknown {
  const t = text.trim()
  if (t === '') return t
  const n = Number(t)
  return Number.isFinite(n) ? n : t
}

/** A number for people: 4/3 -> "1.333" (the stored value keeps its full precision until the user edits it). */
export function numberText(value: unknown): string {
  if (typeof value !== 'number') return String(value ?? '')
  return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(Number(value.toPrecision(4)))
}

/** A number input that keeps what the user typed; the committed value is a number when it parses. */
function NumInput({ value, onChange, label, step, min, max, invalid }: { value: unknown; onChange: (v: unknown) => void; label: string; step?: number | undefined; min?: number | undefined; max?: number | undefined; invalid?: boolean }) {
  const [text, setText] = useState(() => numberText(value))
  useEffect(() => {
    if (parseNumberText(text) !== value && text !== numberText(value)) setText(numberText(value))
    // Only outside changes resync the text.
  }, [value])
  return (
    <input
      className="num"
      aria-label={label}
      aria-invalid={invalid ? true : undefined}
      type="text"
      inputMode="decimal"
      value={text}
      onChange={(e) => {
        setText(e.target.value)
        onChange(parseNumberText(e.target.value))
      }}
      onKeyDown={(e) => {
        if (step === undefined || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return
        const n = Number(text)
        if (!Number.isFinite(n)) return
        e.preventDefault()
        let next = Number((n + (e.key === 'ArrowUp' ? step : -step)).toFixed(6))
        if (min !== undefined) next = Math.max(min, next)
        if (max !== undefined) next = Math.min(max, next)
        setText(String(next))
        onChange(next)
      }}
    />
  )
}

function ListInput({ value, onChange, label, invalid }: { value: unknown; onChange: (v: unknown) => void; label: string; invalid?: boolean }) {
  const show = (v: unknown) => (Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? String(Number(x.toFixed(4))) : String(x))).join(', ') : String(v ?? ''))
  const [text, setText] = useState(() => show(value))
  const last = useRef(value)
  useEffect(() => {
    if (value !== last.current) setText(show(value))
  }, [value])
  return (
    <input
      className="list-input mono"
      aria-label={label}
      aria-invalid={invalid ? true : undefined}
      value={text}
      onChange={(e) => {
        setText(e.target.value)
        const parts = e.target.value.split(/[,\s]+/).filter((s) => s !== '')
        const next = parts.map(parseNumberText)
        last.current = next
        onChange(next)
      }}
    />
  )
}

function ParamControl({ doc, value, onChange, errors, stepLabel }: { doc: ParamDoc; value: unknown; onChange: (v: unknown) => void; errors: string[]; stepLabel: string }) {
  const label = `${stepLabel} ${doc.label}`
  const invalid = errors.length > 0
  let control
  if (doc.type === 'range') {
    const pair = Array.isArray(value) ? value : [value, value]
    control = (
      <div className="range-inputs">
        <NumInput label={`${label} min`} value={pair[0]} step={doc.step} min={doc.min} max={doc.max} invalid={invalid} onChange={(v) => onChange([v, pair[1]])} />
        <span className="muted">to</span>
        <NumInput label={`${label} max`} value={pair[1]} step={doc.step} min={doc.min} max={doc.max} invalid={invalid} onChange={(v) => onChange([pair[0], v])} />
        {doc.unit && <span className="unit">{doc.unit}</span>}
      </div>
    )
  } else if (doc.type === 'enum') {
    control = (
      <select aria-label={label} value={String(value)} onChange={(e) => onChange(e.target.value)}>
        {doc.options?.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    )
  } else if (doc.type === 'numberList') {
    control = <ListInput label={label} value={value} onChange={onChange} invalid={invalid} />
  } else if (doc.type === 'kindList') {
    const chosen = Array.isArray(value) ? (value as unknown[]) : []
    control = (
      <div className="kind-list" role="group" aria-label={label}>
        {doc.options?.map((o) => (
          <label key={o} className="check">
            <input
              type="checkbox"
              aria-label={`${label} ${getKindSpec(o as AugmentKind).label}`}
              checked={chosen.includes(o)}
              onChange={(e) => onChange(e.target.checked ? doc.options!.filter((x) => x === o || chosen.includes(x)) : chosen.filter((x) => x !== o))}
            />{' '}
            {getKindSpec(o as AugmentKind).label}
          </label>
        ))}
      </div>
    )
  } else {
    control = (
      <div className="range-inputs">
        <NumInput label={label} value={value} step={doc.step ?? (doc.type === 'integer' ? 1 : undefined)} min={doc.min} max={doc.max} invalid={invalid} onChange={onChange} />
        {doc.unit && <span className="unit">{doc.unit}</span>}
      </div>
    )
  }
  return (
    <div className="param">
      <span className="param-label" title={doc.doc}>{doc.label}</span>
      {control}
      {errors.map((m, i) => <span key={i} className="field-error" role="alert">{m}</span>)}
    </div>
  )
}

function StepCard(props: {
  step: DraftStep
  index: number
  count: number
  issues: ValidationIssue[]
  onEnabled: (enabled: boolean) => void
  onP: (p: unknown) => void
  onParam: (name: string, value: unknown) => void
  /** A field lost focus: the next edit is its own undo step. */
  onFieldDone: () => void
  onMove: (to: number) => void
  onRemove: () => void
  onFromStats: (() => void) | null
  dragging: boolean
  onDragStart: () => void
  onDragEnd: () => void
  onDropHere: () => void
}) {
  const { step, index, issues } = props
  const def = getKindSpec(step.kind)
  const paramErrors = (name: string) => issues.filter((i) => i.path[0] === 'params' && i.path[1] === name).map((i) => i.message)
  const pErrors = issues.filter((i) => i.path[0] === 'p').map((i) => i.message)
  const other = issues.filter((i) => !(i.path[0] === 'p' || (i.path[0] === 'params' && typeof i.path[1] === 'string' && def.paramDocs.some((d) => d.name === i.path[1])))).map((i) => i.message)
  const [over, setOver] = useState(false)
  return (
    <li
      className={`step-card${step.enabled ? '' : ' disabled'}${issues.length ? ' has-error' : ''}${props.dragging ? ' dragging' : ''}${over ? ' drop-target' : ''}`}
      data-testid="step-card"
      data-kind={step.kind}
      onBlur={props.onFieldDone}
      onDragOver={(e) => {
        e.preventDefault()
        setOver(true)
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault()
        setOver(false)
        props.onDropHere()
      }}
    >
      <div className="step-head">
        <span className="drag-handle" draggable onDragStart={props.onDragStart} onDragEnd={props.onDragEnd} title="Drag to reorder" aria-hidden="true">⋮⋮</span>
        <label className="switch" title={step.enabled ? 'Enabled: click to skip this step' : 'Disabled: kept but skipped'}>
          <input type="checkbox" aria-label={`Enable ${def.label}`} checked={step.enabled} onChange={(e) => props.onEnabled(e.target.checked)} />
          <span />
        </label>
        <span className="step-title" title={def.description}>{index + 1}. {def.label}</span>
        <span className="step-actions">
          <button className="icon-btn" aria-label={`Move ${def.label} up`} title="Move up" disabled={index === 0} onClick={() => props.onMove(index - 1)}>▲</button>
          <button className="icon-btn" aria-label={`Move ${def.label} down`} title="Move down" disabled={index === props.count - 1} onClick={() => props.onMove(index + 1)}>▼</button>
          <button className="icon-btn danger" aria-label={`Remove ${def.label}`} title="Remove step" onClick={props.onRemove}><Icon name="trash" size={14} /></button>
        </span>
      </div>
      <div className="step-body">
        <div className="param">
          <span className="param-label" title="Per-image probability that this step is applied">Probability p</span>
          <div className="range-inputs">
            <input
              type="range"
              min={0}
              max={1}
              step={0.05}
              aria-label={`${def.label} probability slider`}
              value={typeof step.p === 'number' ? step.p : 0}
              disabled={def.role === 'preprocess'}
              onChange={(e) => props.onP(Number(e.target.value))}
            />
            <NumInput label={`${def.label} probability`} value={step.p} step={0.05} min={0} max={1} invalid={pErrors.length > 0} onChange={props.onP} />
          </div>
          {pErrors.map((m, i) => <span key={i} className="field-error" role="alert">{m}</span>)}
        </div>
        {def.paramDocs.map((doc) => (
          <ParamControl
            key={doc.name}
            doc={doc}
            stepLabel={def.label}
            value={step.params[doc.name]}
            errors={paramErrors(doc.name)}
            onChange={(v) => props.onParam(doc.name, v)}
          />
        ))}
        {props.onFromStats && (
          <button className="link small" onClick={props.onFromStats}>Fill from the dataset’s training mean / std</button>
        )}
        {other.map((m, i) => <span key={i} className="field-error" role="alert">{m}</span>)}
      </div>
    </li>
  )
}

export function PipelineEditor({ store, issues, stats }: { store: PipelineEditorStore; issues: readonly ValidationIssue[]; stats: ChannelMoments | null }) {
  const steps = useStore(store, (s) => s.steps) ?? []
  const undoable = useStore(store, (s) => s.history !== null && s.history.past.length > 0)
  const redoable = useStore(store, (s) => s.history !== null && s.history.future.length > 0)
  const [menu, setMenu] = useState(false)
  const [drag, setDrag] = useState<number | null>(null)
  const menuRef = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!menu) return
    const close = (e: MouseEvent) => {
      if (!menuRef.current?.contains(e.target as Node)) setMenu(false)
    }
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && setMenu(false)
    window.addEventListener('mousedown', close)
    window.addEventListener('keydown', esc)
    return () => {
      window.removeEventListener('mousedown', close)
      window.removeEventListener('keydown', esc)
    }
  }, [menu])

  const add = (kind: AugmentKind) => {
    store.addStep(kind, stats)
    setMenu(false)
  }

  return (
    <div className="pipeline-editor">
      <ol className="step-list" aria-label="Augmentation steps">
        {steps.map((s, i) => (
          <StepCard
            key={s.id}
            step={s}
            index={i}
            count={steps.length}
            issues={issues.filter((x) => x.stepIndex === i)}
            onEnabled={(enabled) => store.setEnabled(i, enabled)}
            onP={(p) => store.setP(i, p)}
            onParam={(name, value) => store.setParam(i, name, value)}
            onFieldDone={store.endCoalesce}
            onMove={(to) => store.moveStep(i, to)}
            onRemove={() => store.removeStep(i)}
            onFromStats={fromStats(s.kind) && stats ? () => store.fillFromStats(i, stats) : null}
            dragging={drag === i}
            onDragStart={() => setDrag(i)}
            onDragEnd={() => setDrag(null)}
            onDropHere={() => {
              if (drag !== null) store.moveStep(drag, i)
              setDrag(null)
            }}
          />
        ))}
      </ol>
      {steps.length === 0 && <p className="muted small empty-steps">No steps: training uses the images as they are. Add a step to see its effect on the right.</p>}
      <div className="add-step" ref={menuRef}>
        <button className="btn add-btn" aria-haspopup="menu" aria-expanded={menu} onClick={() => setMenu((m) => !m)}>
          <Icon name="plus" size={15} /> Add step
        </button>
        <button className="btn" aria-label="Undo pipeline edit" title="Undo the last edit of the steps" disabled={!undoable} onClick={store.undo}>↶ Undo</button>
        <button className="btn" aria-label="Redo pipeline edit" title="Redo" disabled={!redoable} onClick={store.redo}>↷ Redo</button>
        {menu && (
          <ul className="kind-menu" role="menu" aria-label="Augmentation kinds">
            {KINDS.map((k) => (
              <li key={k.kind} role="menuitem" tabIndex={0} aria-label={k.label} onClick={() => add(k.kind)} onKeyDown={(e) => e.key === 'Enter' && add(k.kind)}>
                <span className="kind-label">{k.label}{k.mixesLabels && <span className="tag">mixes labels</span>}</span>
                <span className="kind-desc">{k.description}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  )
}
