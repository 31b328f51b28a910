/**
 * A stored evaluation of a checkpoint: the accuracy without and with the pipeline's test-time augmentation, the confusion matrix (counts or row-normalized; it sums to the number of
 * evaluated images, said above it), per-class precision / recall / F1, and the misclassified images (true,
 * predicted, confidence), most confident first, drawn from the dataset cache through the evaluation worker.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import type { DatasetDetail, EvaluationRecord } from '@shared/api'
import { confusionTotal, normalizeConfusion } from '@shared/compare'
import { cacheSpec, evalRequest, splitRows } from './eval-client'
import type { ImagesResult } from './eval-protocol'
import { drawRgba, imageToRgba } from './images'
import { formatPercent } from './table-state'

export function ConfusionMatrix(props: { classes: readonly string[]; confusion: readonly (readonly number[])[]; normalized: boolean }) {
  const norm = useMemo(() => normalizeConfusion(props.confusion), [props.confusion])
  const C = props.classes.length
  const maxCount = Math.max(1, ...props.confusion.flat())
  const cell = C > 20 ? 18 : C > 12 ? 26 : 40
  return (
    <div className="cm-wrap">
      <div className="cm-axis-y">True class</div>
      <div>
        <div className="cm-axis-x">Predicted class</div>
        <table className="cm" data-testid="confusion-matrix" style={{ ['--cm-cell' as string]: `${cell}px` }}>
          <thead>
            <tr>
              <th>
                <span className="sr-only">True class, then predicted class</span>
              </th>
              {props.classes.map((c) => (
                <th key={c} className="cm-col" title={c}>
                  {C > 20 ? '' : c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.confusion.map((row, t) => (
              <tr key={t}>
                <th className="cm-row" title={props.classes[t]}>
                  {props.classes[t]}
                </th>
                {row.map((v, p) => {
                  const share = norm[t]?.[p] ?? 0
                  const intensity = props.normalized ? share : v / maxCount
                  const diag = t === p
                  return (
                    <td
                      key={p}
                      className={`cm-cell${diag ? ' diag' : ''}${intensity > 0.55 ? ' dark' : ''}`}
                      style={{ ['--cm-a' as string]: String(Math.round(intensity * 100)) }}
                      title={`true ${props.classes[t]}, predicted ${props.classes[p]}: ${v} (${(share * 100).toFixed(1)}% of the row)`}
                      data-count={v}
                    >
                      {C > 20 ? '' : props.normalized ? (v === 0 ? '' : share >= 0.995 ? '1' : share.toFixed(2).replace(/^0/, '')) : v === 0 ? '' : v}
                    </td>
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

export function Thumb({ pixels, h, w, c }: { pixels: Uint8Array; h: number; w: number; c: number }) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => drawRgba(ref.current, imageToRgba(pixels, h, w, c), w, h), [pixels, h, w, c])
  return <canvas ref={ref} className="thumb" />
}

const GALLERY = 48

function Mistakes(props: { evaluation: EvaluationRecord; dataset: DatasetDetail | null }) {
  const ev = props.evaluation
  const items = ev.misclassified.slice(0, GALLERY)
  const [images, setImages] = useState<ImagesResult | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    const ds = props.dataset
    if (!ds || items.length === 0) return
    let live = true
    setError(null)
    splitRows(ds.id, ev.split, ev.split === 'test')
      .then((rows) => evalRequest('images', { cache: cacheSpec(ds), rows: items.map((m) => rows.indices[m.index] ?? 0) }))
      .then(
        (r) => live && setImages(r),
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      )
    return () => {
      live = false
    }
  }, [ev.id, props.dataset?.id])
  if (ev.misclassifiedTotal === 0) return <p className="muted small">No mistakes: every evaluated image was classified correctly.</p>
  const [h, w, c] = images?.shape ?? [0, 0, 0]
  const size = h * w * c
  return (
    <div>
      <p className="muted small">
        {ev.misclassifiedTotal} misclassified of {ev.count}; the {items.length} most confident mistakes first.
        {!props.dataset && ' The dataset no longer exists: images cannot be shown.'}
        {error && <span className="field-error"> {error}</span>}
      </p>
      <div className="mistakes" data-testid="mistakes">
        {items.map((m, i) => (
          <figure key={m.index} className="mistake">
            {images ? <Thumb pixels={images.images.subarray(i * size, (i + 1) * size)} h={h} w={w} c={c} /> : <div className="thumb placeholder" />}
            <figcaption>
              <span className="m-true" title="True class">
                {ev.classes[m.label]}
              </span>
              <span className="m-arrow">→</span>
              <span className="m-pred" title="Predicted class">
                {ev.classes[m.predicted]}
              </span>
              <span className="m-conf" title="Confidence of the prediction">
                {(m.confidence * 100).toFixed(0)}%
              </span>
            </figcaption>
          </figure>
        ))}
      </div>
    </div>
  )
}

/** The accuracy with the pipeline's test-time augmentation, next to the plain one (or why there is none). */
function TtaAccuracy({ evaluation: ev }: { evaluation: EvaluationRecord }) {
  const t = ev.tta
  if (t.status === 'none') return <span className="muted small" data-testid="eval-tta"> · no test-time augmentation in this run’s pipeline</span>
  if (t.status === 'unknown') return <span className="muted small" data-testid="eval-tta"> · evaluated before test-time augmentation was applied: evaluate again to compare</span>
  const gain = t.accuracy !== null && ev.accuracy !== null ? (t.accuracy - ev.accuracy) * 100 : null
  return (
    <span data-testid="eval-tta" title={`Softmax probabilities averaged over ${t.views} views of each image${t.loss !== null ? `; loss with TTA ${t.loss.toFixed(4)}` : ''}`}>
      {' · '}with TTA ({t.description}) <b data-testid="eval-tta-accuracy">{formatPercent(t.accuracy, 2)}</b>
      {gain !== null && <span className="muted small"> ({gain >= 0 ? '+' : '−'}{Math.abs(gain).toFixed(2)} points)</span>}
    </span>
  )
}

export function EvaluationView(props: { evaluation: EvaluationRecord; dataset: DatasetDetail | null }) {
  const ev = props.evaluation
  const [normalized, setNormalized] = useState(false)
  const sum = confusionTotal(ev.confusion)
  const r = ev.report
  const pct = (v: number | null) => (v === null ? '—' : v.toFixed(3))
  return (
    <div className="evaluation" data-testid="evaluation">
      <div className="eval-head">
        <span className={`split-badge split-${ev.split}`}>{ev.split === 'test' ? 'TEST split' : 'Validation split'}</span>
        <span>
          Checkpoint <b>{ev.checkpoint ? `${ev.checkpoint.kind} · epoch ${ev.checkpoint.epoch}` : 'deleted'}</b>
        </span>
        <span>
          Accuracy <b data-testid="eval-accuracy">{formatPercent(ev.accuracy, 2)}</b>
          <TtaAccuracy evaluation={ev} />
        </span>
        <span>
          Loss <b>{ev.loss === null ? '—' : ev.loss.toFixed(4)}</b>
        </span>
        <span data-testid="eval-count">
          <b>{ev.count.toLocaleString('en-US')}</b> images evaluated
        </span>
      </div>
      {ev.split === 'test' && <p className="test-warning">Evaluated on the locked test split: use this score once, to report, not to choose hyperparameters.</p>}
      <div className="eval-grid">
        <section className="cmp-card">
          <header className="cmp-head">
            <h3>Confusion matrix</h3>
            <div className="segmented" role="radiogroup" aria-label="Confusion values">
              <button role="radio" aria-checked={!normalized} className={!normalized ? 'on' : ''} onClick={() => setNormalized(false)}>
                Counts
              </button>
              <button role="radio" aria-checked={normalized} className={normalized ? 'on' : ''} onClick={() => setNormalized(true)}>
                Normalized
              </button>
            </div>
            <span className="muted small" data-testid="confusion-sum">
              Sums to {sum.toLocaleString('en-US')} = the {ev.count.toLocaleString('en-US')} evaluated images
            </span>
          </header>
          <ConfusionMatrix classes={ev.classes} confusion={ev.confusion} normalized={normalized} />
        </section>
        <section className="cmp-card">
          <header className="cmp-head">
            <h3>Per class</h3>
          </header>
          <table className="mini-table report" data-testid="class-report">
            <thead>
              <tr>
                <th>Class</th>
                <th className="num">Precision</th>
                <th className="num">Recall</th>
                <th className="num">F1</th>
                <th className="num">Support</th>
              </tr>
            </thead>
            <tbody>
              {r.perClass.map((k) => (
                <tr key={k.classIndex}>
                  <td>{k.className}</td>
                  <td className="num">{pct(k.precision)}</td>
                  <td className="num">{pct(k.recall)}</td>
                  <td className="num">
                    <span className="f1-bar" style={{ ['--f1' as string]: String(k.f1 ?? 0) }}>
                      {pct(k.f1)}
                    </span>
                  </td>
                  <td className="num">{k.support}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th>Macro avg</th>
                <td className="num">{pct(r.macro.precision)}</td>
                <td className="num">{pct(r.macro.recall)}</td>
                <td className="num">{pct(r.macro.f1)}</td>
                <td className="num">{r.count}</td>
              </tr>
              <tr>
                <th>Weighted avg</th>
                <td className="num">{pct(r.weighted.precision)}</td>
                <td className="num">{pct(r.weighted.recall)}</td>
                <td className="num">{pct(r.weighted.f1)}</td>
                <td className="num">{r.count}</td>
              </tr>
            </tfoot>
          </table>
        </section>
      </div>
      <section className="cmp-card">
        <header className="cmp-head">
          <h3>Mistakes</h3>
        </header>
        <Mistakes evaluation={ev} dataset={props.dataset} />
      </section>
    </div>
  )
}
