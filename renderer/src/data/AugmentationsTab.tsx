/**
 * Augmentations: the project's pipeline (left) and the preview grid (right). Column j of the grid is the N source
 * images, as one batch in row order, through trainingInputs(batch, …, pipeline, S, j): what the trainer does to
 * its batch at step j of a run seeded S (run in a worker). It is not the batch the run draws at step j.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import type { DatasetDetail } from '@shared/api'
import { getKindSpec, NO_TTA, TEN_CROP, ttaViewList, type AugmentPipeline, type TtaSpec } from '@shared/augment/spec-only'
import { api } from '../api/client'
import { BACKEND_LABELS, type BackendName } from '../backend/labels'
import { ConfirmDialog, PromptDialog, reportError } from '../ui/dialogs'
import { Icon } from '../ui/icons'
import { errorMessage } from '../workers/protocol'
import { PipelineEditor } from './PipelineEditor'
import { usePipelineDoc, type SaveState } from './pipelineDoc'
import { describeSample, drawsUndone } from './preview-display'
import { requestPreview } from './preview-client'
import type { PreviewResult } from './preview-protocol'

const PREVIEW_DEBOUNCE_MS = 120

// ------------------------------------------------------------------ sources

interface Sources {
  images: Uint8Array
  labels: Int32Array
  /** Cache index of each row. */
  idx: number[]
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** Classes drawn from in the preview, and images fetched per class (raw pixels, training split). */
const MAX_CLASSES = 24
const PER_CLASS = 12

/** N training images spread over the classes (round robin); `page` moves on to other images. */
function useSources(detail: DatasetDetail, rows: number, page: number): Sources | null {
  const [pool, setPool] = useState<{ idx: number; classIndex: number; data: Uint8Array }[][] | null>(null)
  useEffect(() => {
    let live = true
    const classes = detail.classes.slice(0, MAX_CLASSES).map((_, c) => c)
    Promise.all(classes.map((c) => api().datasets.samples({ id: detail.id, split: 'train', classIndex: c, format: 'raw', limit: PER_CLASS })))
      .then((pages) => live && setPool(pages.map((p) => p.items.map((s) => ({ idx: s.idx, classIndex: s.classIndex, data: decodeBase64(s.data) }))).filter((l) => l.length > 0)), reportError)
    return () => {
      live = false
    }
  }, [detail.id, detail.classes])
  return useMemo(() => {
    if (!pool || pool.length === 0) return null
    const total = pool.reduce((n, l) => n + l.length, 0)
    const chosen: (typeof pool)[number] = []
    for (let k = page * rows; chosen.length < Math.min(rows, total) && k < page * rows + total * 2; k++) {
      const list = pool[k % pool.length]!
      const item = list[Math.floor(k / pool.length) % list.length]!
      if (!chosen.includes(item)) chosen.push(item)
    }
    const size = detail.size.height * detail.size.width * detail.channels
    const images = new Uint8Array(chosen.length * size)
    chosen.forEach((s, i) => images.set(s.data, i * size))
    return { images, labels: Int32Array.from(chosen.map((s) => s.classIndex)), idx: chosen.map((s) => s.idx) }
  }, [pool, rows, page, detail])
}

// ------------------------------------------------------------------ tiles

function Tile({ rgba, width, height, size, onEnter, onLeave, testId }: { rgba: Uint8ClampedArray<ArrayBuffer>; width: number; height: number; size: number; onEnter?: (el: HTMLElement) => void; onLeave?: () => void; testId?: string }) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const ctx = ref.current?.getContext('2d')
    if (ctx) ctx.putImageData(new ImageData(rgba, width, height), 0, 0)
  }, [rgba, width, height])
  return (
    <canvas
      ref={ref}
      className="tile"
      data-testid={testId}
      width={width}
      height={height}
      style={{ width: size, height: (size * height) / width }}
      onMouseEnter={(e) => onEnter?.(e.currentTarget)}
      onMouseLeave={onLeave}
    />
  )
}

// ------------------------------------------------------------------ TTA (saved in the pipeline document)

type TtaChoice = 'none' | 'flips' | 'tenCrop'
const TTA_SPECS: Record<TtaChoice, { label: string; spec: TtaSpec }> = {
  none: { label: 'None', spec: NO_TTA },
  flips: { label: 'Flips', spec: { crops: 'full', cropFractions: [1], flip: true } },
  tenCrop: { label: '10-crop', spec: TEN_CROP },
}

/** The preset a pipeline's TTA spec corresponds to ('none' when absent). */
function ttaChoiceOf(spec: TtaSpec | null): TtaChoice {
  if (!spec) return 'none'
  const found = (Object.keys(TTA_SPECS) as TtaChoice[]).find((c) => JSON.stringify(TTA_SPECS[c].spec) === JSON.stringify(spec))
  return found ?? 'none'
}

// ------------------------------------------------------------------ the tab

function SaveBadge({ save }: { save: SaveState }) {
  const text =
    save.kind === 'saving' ? 'Saving…' : save.kind === 'saved' ? `Saved · v${save.version}${save.edits > 1 ? ` · ${save.edits} edits` : ''}` : save.kind === 'invalid' ? `Not saved: ${save.count} problem${save.count === 1 ? '' : 's'} to fix` : save.kind === 'error' ? `Save failed: ${save.message}` : ''
  const title = save.kind === 'saved' ? 'Edits less than a minute apart are kept as one version; every run records the exact steps it trained with.' : undefined
  return (
    <span className={`save-badge ${save.kind}`} data-testid="pipeline-save-state" title={title}>
      {text}
    </span>
  )
}

/** A fresh seed for Reseed (the seed itself is then shown and reproducible). */
const randomSeed = () => (crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) % 1_000_000

export function AugmentationsTab({ projectId, detail }: { projectId: number; detail: DatasetDetail }) {
  const shape = useMemo(() => ({ height: detail.size.height, width: detail.size.width, channels: detail.channels }), [detail])
  const doc = usePipelineDoc(projectId, shape)
  const [rows, setRows] = useState(Math.min(6, Math.max(3, detail.classes.length * 2)))
  const [cols, setCols] = useState(8)
  const [seed, setSeed] = useState(1)
  const [seedText, setSeedText] = useState('1')
  const [fixedSeed, setFixedSeed] = useState(true)
  const [showOriginal, setShowOriginal] = useState(false)
  const [tileSize, setTileSize] = useState(() => (detail.size.width <= 32 ? 64 : 80))
  const [page, setPage] = useState(0)
  const [result, setResult] = useState<PreviewResult | null>(null)
  const [previewError, setPreviewError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [hover, setHover] = useState<{ row: number; col: number; x: number; y: number } | null>(null)
  const [dialog, setDialog] = useState<'new' | 'rename' | 'delete' | null>(null)
  const tta = ttaChoiceOf(doc.tta)
  const setTta = (c: TtaChoice) => doc.setTta(c === 'none' ? null : TTA_SPECS[c].spec)
  const sources = useSources(detail, rows, page)
  const latest = useRef(0)

  const pipelineKey = doc.valid ? JSON.stringify(doc.valid) : null
  // Without a fixed seed, every change of the pipeline draws with a new seed.
  useEffect(() => {
    if (!fixedSeed && pipelineKey !== null) {
      const s = randomSeed()
      setSeed(s)
      setSeedText(String(s))
    }
  }, [pipelineKey, fixedSeed])

  useEffect(() => {
    if (!sources || pipelineKey === null) return
    const pipeline = JSON.parse(pipelineKey) as AugmentPipeline
    const ticket = ++latest.current
    setBusy(true)
    const timer = setTimeout(() => {
      requestPreview({
        images: sources.images,
        labels: sources.labels,
        imageShape: [detail.size.height, detail.size.width, detail.channels],
        classCount: detail.classes.length,
        pipeline,
        seed,
        steps: Array.from({ length: cols }, (_, j) => j),
      }).then(
        (res) => {
          if (ticket !== latest.current) return
          setBusy(false)
          setPreviewError(null)
          setResult(res)
        },
        (error: unknown) => {
          if (ticket !== latest.current) return
          setBusy(false)
          setPreviewError(errorMessage(error))
        },
      )
    }, PREVIEW_DEBOUNCE_MS)
    return () => clearTimeout(timer)
  }, [sources, pipelineKey, seed, cols, detail])

  const reseed = () => {
    const s = randomSeed()
    setSeed(s)
    setSeedText(String(s))
  }

  const stepLabels = useMemo(() => new Map((doc.valid?.steps ?? []).map((s) => [s.id, getKindSpec(s.kind).label])), [doc.valid])
  const issues = doc.validation && !doc.validation.ok ? doc.validation.errors : []
  const docIssues = issues.filter((i) => i.stepIndex === null)
  const warnings = doc.validation?.warnings ?? []
  const current = doc.pipelines.find((p) => p.id === doc.currentId)
  const [h, w] = [detail.size.height, detail.size.width]
  const backend = result ? (BACKEND_LABELS[result.backend as BackendName] ?? result.backend) : null
  const ttaViews = ttaViewList(TTA_SPECS[tta].spec)

  const hoverLines = (() => {
    if (!hover || !result) return null
    const draw = result.draws[hover.col]
    if (!draw) return null
    const lines = describeSample(draw.record, hover.row, stepLabels)
    const label = draw.labels[hover.row] ?? []
    const parts = label.map((v, c) => ({ v, c })).filter((x) => x.v > 1e-6).sort((a, b) => b.v - a.v)
    const labelText = parts.map((x) => (parts.length === 1 ? detail.classes[x.c] : `${detail.classes[x.c]} ${x.v.toFixed(2)}`)).join(' · ')
    return { title: `Image ${hover.row + 1} · as augmented at training step ${draw.step} · seed ${seed}`, lines, labelText }
  })()

  return (
    <div className="aug-tab">
      <aside className="aug-left">
        <div className="pipeline-bar">
          <select aria-label="Pipeline" value={doc.currentId ?? ''} onChange={(e) => void doc.open(Number(e.target.value)).catch(reportError)}>
            {doc.pipelines.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
          <button className="icon-btn" title="New pipeline" aria-label="New pipeline" onClick={() => setDialog('new')}><Icon name="plus" size={15} /></button>
          <button className="icon-btn" title="Rename pipeline" aria-label="Rename pipeline" onClick={() => setDialog('rename')}><Icon name="edit" size={15} /></button>
          <button className="icon-btn danger" title="Delete pipeline" aria-label="Delete pipeline" onClick={() => setDialog('delete')}><Icon name="trash" size={15} /></button>
          <span className="spacer" />
          <SaveBadge save={doc.save} />
        </div>
        {docIssues.map((i, k) => <div key={k} className="form-error" role="alert">{i.message}</div>)}
        {warnings.map((m, k) => <div key={k} className="form-warning">{m}</div>)}
        {doc.steps ? (
          <PipelineEditor store={doc.store} issues={issues} stats={detail.stats ? { mean: detail.stats.mean, std: detail.stats.std } : null} />
        ) : (
          <div className="loading">Loading pipeline…</div>
        )}
        <section className="tta-box">
          <div className="tta-head">
            <span className="param-label">Test-time augmentation</span>
            <div className="segmented" role="radiogroup" aria-label="Test-time augmentation">
              {(Object.keys(TTA_SPECS) as TtaChoice[]).map((c) => (
                <button key={c} role="radio" aria-checked={tta === c} className={tta === c ? 'on' : ''} onClick={() => setTta(c)}>{TTA_SPECS[c].label}</button>
              ))}
            </div>
          </div>
          <p className="muted small">
            {ttaViews.length === 1 ? 'One view per test image: the image itself.' : `${ttaViews.length} views per test image, predictions averaged: ${tta === 'flips' ? 'the image and its mirror' : 'centre and 4 corners at 87.5% of the side, each also mirrored'}.`}{' '}
            Saved with the pipeline; evaluating a run (its detail, <code>studio evaluate</code>, an exported model) shows the accuracy with and without it.
          </p>
        </section>
      </aside>

      <section className="aug-right" aria-label="Augmentation preview">
        <div className="toolbar preview-toolbar">
          <div className="toolbar-group">
          <button className="btn" onClick={reseed} title="Draw with a new random seed">↻ Reseed</button>
          <label className="check">
            <input type="checkbox" checked={fixedSeed} onChange={(e) => setFixedSeed(e.target.checked)} /> Fixed seed
          </label>
          <label className="inline-field">
            <span>Seed</span>
            <input
              className="num"
              aria-label="Preview seed"
              value={seedText}
              disabled={!fixedSeed}
              onChange={(e) => {
                setSeedText(e.target.value)
                const n = Number(e.target.value)
                if (e.target.value.trim() !== '' && Number.isInteger(n) && n >= 0) setSeed(n)
              }}
            />
          </label>
          <div className="segmented" role="radiogroup" aria-label="Before or after">
            <button role="radio" aria-checked={showOriginal} className={showOriginal ? 'on' : ''} onClick={() => setShowOriginal(true)}>Before</button>
            <button role="radio" aria-checked={!showOriginal} className={!showOriginal ? 'on' : ''} onClick={() => setShowOriginal(false)}>After</button>
          </div>
          </div>
          <div className="toolbar-group">
          <label className="inline-field"><span>Images</span>
            <select aria-label="Source images" value={rows} onChange={(e) => setRows(Number(e.target.value))}>
              {[2, 3, 4, 6, 8, 10].map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          <label className="inline-field"><span>Draws</span>
            <select aria-label="Draws" value={cols} onChange={(e) => setCols(Number(e.target.value))}>
              {[4, 6, 8, 10, 12].map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          <button className="btn" onClick={() => setPage((p) => p + 1)} title="Other source images from the training split">Other images</button>
          <label className="inline-field"><span>Zoom</span>
            <input type="range" min={40} max={200} step={8} value={tileSize} aria-label="Tile size" onChange={(e) => setTileSize(Number(e.target.value))} />
          </label>
          </div>
        </div>
        <p className="preview-legend small" data-testid="preview-legend">
          Column <b>j</b>: these {sources?.labels.length ?? rows} images as one batch, augmented exactly as step <b>j</b> of a training run with seed <b>{seed}</b> augments
          its batch (the trainer’s own code; mixup mixes these images with each other). The run itself draws other images at step j: it shuffles the whole training split
          into batches of its own size.{backend ? ` Computed with ${backend}; training on another backend can round a few pixel values differently.` : ''}{' '}
          <span className="muted">Hover a tile for the drawn parameters.{result && displayNote(doc.valid)}</span>
        </p>
        {previewError && <div className="form-error" role="alert">Preview failed: {previewError}</div>}
        {!doc.valid && doc.steps && <div className="form-warning">The pipeline has problems (see the steps on the left); the preview shows the last valid version.</div>}
        <div className={`preview-scroll${busy ? ' busy' : ''}`} tabIndex={0} role="region" aria-label="Augmentation preview">
          {result && sources ? (
            <table className={`preview-grid${tileSize > w ? ' pixelated' : ''}`} data-testid="preview-grid" data-seed={seed}>
              <thead>
                <tr>
                  <th className="row-head">Source</th>
                  {result.draws.map((d) => <th key={d.step}>step {d.step}</th>)}
                </tr>
              </thead>
              <tbody>
                {result.sources.map((src, i) => (
                  <tr key={i}>
                    <td className="row-head">
                      <Tile rgba={src} width={w} height={h} size={tileSize} testId="source-tile" />
                      <span className="row-label">{detail.classes[sources.labels[i] ?? 0] ?? ''}</span>
                    </td>
                    {result.draws.map((d, j) => (
                      <td key={d.step}>
                        <Tile
                          rgba={showOriginal ? src : d.tiles[i]!}
                          width={w}
                          height={h}
                          size={tileSize}
                          testId="preview-tile"
                          onEnter={(el) => {
                            const r = el.getBoundingClientRect()
                            setHover({ row: i, col: j, x: r.right + 8, y: r.top })
                          }}
                          onLeave={() => setHover(null)}
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <div className="loading">{previewError ? '' : 'Rendering the preview…'}</div>
          )}
        </div>
        <div className="preview-status small muted" data-testid="preview-status">
          {backend ? `Preview computed in a worker on TF.js ${backend}${result?.fellBack ? ' (fell back to CPU: a kernel is missing on the preferred backend)' : ''} · ${Math.round(result?.ms ?? 0)} ms for ${result?.draws.length ?? 0} batches of ${result?.sources.length ?? 0}` : 'Starting the preview worker…'}
          {busy && ' · updating…'}
        </div>
      </section>
      {hover && hoverLines && (
        <div className="tile-popover" style={{ left: Math.min(hover.x, window.innerWidth - 320), top: Math.min(hover.y, window.innerHeight - 200) }} role="tooltip" data-testid="tile-popover">
          <div className="popover-title">{hoverLines.title}</div>
          {hoverLines.lines.map((l, k) => <div key={k} className="popover-line">{l}</div>)}
          <div className="popover-label">Label: {hoverLines.labelText}</div>
        </div>
      )}
      {dialog === 'new' && <PromptDialog title="New pipeline" label="Pipeline name" initial="Pipeline" confirmLabel="Create" onSubmit={doc.create} onClose={() => setDialog(null)} />}
      {dialog === 'rename' && current && <PromptDialog title="Rename pipeline" label="Pipeline name" initial={current.name} confirmLabel="Rename" onSubmit={doc.rename} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && current && (
        <ConfirmDialog title="Delete pipeline" message={<p>Delete the pipeline <strong>{current.name}</strong> and its {current.versionCount} versions?</p>} confirmLabel="Delete" danger onConfirm={doc.remove} onClose={() => setDialog(null)} />
      )}
    </div>
  )
}

function displayNote(pipeline: AugmentPipeline | null): string {
  return drawsUndone(pipeline) ? ' Normalized tiles are drawn de-normalized (x·std + mean) so they stay recognisable.' : ''
}
