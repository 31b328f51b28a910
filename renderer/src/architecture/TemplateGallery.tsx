import { useMemo, useState } from 'react'
import type { GraphAnalysis } from '@shared/graph'
import { TEMPLATES, analyzeGraph, emptyDocument, formatCompact, formatFlops, setPositions, type GraphDocument, type Shape } from '@shared/graph'
import { reportError } from '../ui/dialogs'
import { Glyph } from './glyphs'
import { autoLayout } from './layout'
import { session, useSession } from './session'

/** Lay a document out for the editor: a layered graph, top to bottom, blocks collapsed. */
export function layoutForEditor(doc: GraphDocument): GraphDocument {
  return setPositions(doc, autoLayout(doc.nodes, doc.edges))
}

function parseShape(text: string): Shape | string {
  const parts = text.trim().split(/\s*[x×,]\s*/).filter(Boolean)
  if ((parts.length === 3 || parts.length === 1) && parts.every((p) => /^\d+$/.test(p) && Number(p) > 0)) return parts.map(Number)
  return `Input size must be H x W x C (e.g. 32x32x3) or D with positive integers, received ${JSON.stringify(text)}`
}

export function TemplateGallery() {
  const hasDesigns = useSession((s) => s.designs.length > 0)
  const [choice, setChoice] = useState<string>('resnet20')
  const template = TEMPLATES.find((t) => t.name === choice)
  const [name, setName] = useState(template?.label ?? 'Untitled design')
  const [inputText, setInputText] = useState(template ? template.defaultInput.join('x') : '32x32x3')
  const [classesText, setClassesText] = useState(String(template?.defaultClasses ?? 10))
  const [busy, setBusy] = useState(false)
  const shape = parseShape(inputText)
  const classes = /^\d+$/.test(classesText.trim()) && Number(classesText) > 0 ? Number(classesText) : null
  const pick = (key: string) => {
    setChoice(key)
    const t = TEMPLATES.find((x) => x.name === key)
    setName(t?.label ?? 'Untitled design')
    if (t) {
      setInputText(t.defaultInput.join('x'))
      setClassesText(String(t.defaultClasses))
    }
  }
  const preview = useMemo((): { doc: GraphDocument; analysis: GraphAnalysis } | { error: string } | null => {
    if (!template || typeof shape === 'string' || classes === null) return null
    try {
      const doc = template.build(shape, classes)
      return { doc, analysis: analyzeGraph(doc) }
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) }
    }
  }, [template, typeof shape === 'string' ? shape : shape.join('x'), classes])
  const firstError = preview && 'analysis' in preview ? preview.analysis.issues.find((i) => i.severity === 'error') : undefined
  const create = async () => {
    setBusy(true)
    try {
      const doc = template && preview && 'doc' in preview ? layoutForEditor(preview.doc) : emptyDocument()
      await session.create(name.trim() || 'Untitled design', doc)
    } catch (e) {
      reportError(e)
    } finally {
      setBusy(false)
    }
  }
  const invalid = !!template && (typeof shape === 'string' || classes === null)
  return (
    <div className="gallery" data-testid="template-gallery">
      <div className="gallery-intro">
        <h2>{hasDesigns ? 'New design' : 'Start a network design'}</h2>
        <p className="muted">Start from a classic architecture adapted to your input size and number of classes, or from a blank canvas. Every template becomes an ordinary editable graph.</p>
      </div>
      <div className="gallery-body">
        <ul className="gallery-list" role="listbox" aria-label="Templates">
          <li>
            <button role="option" aria-selected={choice === 'blank'} className={`tpl${choice === 'blank' ? ' active' : ''}`} onClick={() => (setChoice('blank'), setName('Untitled design'))}>
              <span className="tpl-name">Blank design</span>
              <span className="tpl-desc">An empty canvas: drag an Input and layers from the palette.</span>
            </button>
          </li>
          {TEMPLATES.map((t) => (
            <li key={t.name}>
              <button role="option" aria-selected={choice === t.name} className={`tpl${choice === t.name ? ' active' : ''}`} onClick={() => pick(t.name)}>
                <span className="tpl-name">{t.label}</span>
                <span className="tpl-desc">{t.description}</span>
              </button>
            </li>
          ))}
        </ul>
        <div className="gallery-form">
          <label className="field">
            <span>Design name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Design name" />
          </label>
          {template && (
            <>
              <label className="field">
                <span>Input size (H x W x C)</span>
                <input value={inputText} onChange={(e) => setInputText(e.target.value)} aria-label="Input size" aria-invalid={typeof shape === 'string' ? true : undefined} />
                {typeof shape === 'string' && <span className="field-error">{shape}</span>}
              </label>
              <label className="field">
                <span>Classes</span>
                <input value={classesText} onChange={(e) => setClassesText(e.target.value)} aria-label="Classes" aria-invalid={classes === null ? true : undefined} />
                {classes === null && <span className="field-error">Classes must be a positive integer, received {JSON.stringify(classesText)}</span>}
              </label>
              {preview && 'analysis' in preview && (
                <div className="tpl-preview">
                  <span>
                    <strong>{formatCompact(preview.analysis.totals.params)}</strong> params
                  </span>
                  <span>
                    <strong>{formatFlops(preview.analysis.totals.flops)}</strong> / image
                  </span>
                  <span>
                    <strong>{preview.analysis.table.length}</strong> layers
                  </span>
                </div>
              )}
              {firstError && <p className="field-error">At this size: {firstError.message}</p>}
              {preview && 'error' in preview && <p className="field-error">{preview.error}</p>}
            </>
          )}
          <div className="gallery-actions">
            {hasDesigns && (
              <button className="btn" onClick={() => useSession.setState({ gallery: false })}>
                Cancel
              </button>
            )}
            <button className="btn btn-primary" disabled={busy || invalid} onClick={() => void create()}>
              <Glyph name="plus" size={14} /> {template ? `Create from ${template.label}` : 'Create blank design'}
            </button>
          </div>
        </div>
      </div>
    </div>
  )
}
