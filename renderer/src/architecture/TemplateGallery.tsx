import { useEffect, useMemo, useState } from 'react'
import type { DatasetSummary } from '@shared/api'
import type { GraphAnalysis } from '@shared/graph'
import { TEMPLATES, analyzeGraph, emptyDocument, formatCompact, formatFlops, setPositions, type GraphDocument, type Shape } from '@shared/graph'
import { api } from '../api/client'
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

/** The project's ready datasets (null while loading), for sizing a template to the data it will train on. */
function useReadyDatasets(projectId: number | null): DatasetSummary[] | null {
  const [list, setList] = useState<DatasetSummary[] | null>(null)
  useEffect(() => {
    if (projectId === null) return
    let live = true
    const load = () =>
      api()
        .datasets.list({ projectId })
        .then((r) => live && setList(r.filter((d) => d.status === 'ready')), reportError)
    void load()
    // A dataset that finishes importing while the gallery is open sizes it too.
    const off = api().datasets.on('onDidChange', () => void load())
    return () => {
      live = false
      off()
    }
  }, [projectId])
  return list
}

const sizeOf = (d: DatasetSummary) => ({ input: `${d.size.height}x${d.size.width}x${d.channels}`, classes: String(d.classes.length) })

export function TemplateGallery() {
  const hasDesigns = useSession((s) => s.designs.length > 0)
  const projectId = useSession((s) => s.projectId)
  const datasets = useReadyDatasets(projectId)
  const [choice, setChoice] = useState<string>('resnet20')
  const template = TEMPLATES.find((t) => t.name === choice)
  const [name, setName] = useState(template?.label ?? 'Untitled design')
  const [inputText, setInputText] = useState(template ? template.defaultInput.join('x') : '32x32x3')
  const [classesText, setClassesText] = useState(String(template?.defaultClasses ?? 10))
  // 'template': the template's own size; else the id of the dataset the design is sized for (the first one by default).
  const [sizeFor, setSizeFor] = useState<number | 'template' | null>(null)
  const fitted = datasets?.find((d) => d.id === sizeFor) ?? null
  useEffect(() => {
    const first = datasets?.[0]
    if (sizeFor !== null || !first) return
    setSizeFor(first.id)
    setInputText(sizeOf(first).input)
    setClassesText(sizeOf(first).classes)
  }, [datasets, sizeFor])
  const chooseSize = (value: string) => {
    const d = datasets?.find((x) => String(x.id) === value)
    setSizeFor(d ? d.id : 'template')
    const size = d ? sizeOf(d) : template ? { input: template.defaultInput.join('x'), classes: String(template.defaultClasses) } : null
    if (size) {
      setInputText(size.input)
      setClassesText(size.classes)
    }
  }
  const [busy, setBusy] = useState(false)
  const shape = parseShape(inputText)
  const classes = /^\d+$/.test(classesText.trim()) && Number(classesText) > 0 ? Number(classesText) : null
  const pick = (key: string) => {
    setChoice(key)
    const t = TEMPLATES.find((x) => x.name === key)
    setName(t?.label ?? 'Untitled design')
    // Sized for a dataset: the size stays the dataset's.
    if (t && !fitted) {
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
              {datasets && datasets.length > 0 && (
                <label className="field">
                  <span>Size for</span>
                  <select value={String(sizeFor ?? 'template')} onChange={(e) => chooseSize(e.target.value)} aria-label="Size for">
                    {datasets.map((d) => (
                      <option key={d.id} value={String(d.id)}>
                        Dataset “{d.name}” ({d.size.height}×{d.size.width}×{d.channels}, {d.classes.length} classes)
                      </option>
                    ))}
                    <option value="template">The template's own size</option>
                  </select>
                </label>
              )}
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
