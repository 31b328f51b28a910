/**
 * Compare: the confusion diff of two evaluations (two runs, or two checkpoints of one run) of the same images:
 * refused in words when the splits differ (shared/compare splitMismatch); otherwise the per-cell difference B - A
 * (green where B is better: more on the diagonal, fewer off it), the per-class precision / recall deltas, and the
 * images one gets right and the other wrong (from the stored mistakes).
 */
import { useEffect, useMemo, useState } from 'react'
import type { DatasetDetail, EvaluationRecord, Run } from '@shared/api'
import { canonicalJson, diffConfusion, fingerprint, getPath, rightWrong, splitMismatch } from '@shared/compare'
import { api } from '../api/client'
import { changes, useLive } from '../ui/live'
import { cacheSpec, evalRequest, splitRows } from './eval-client'
import type { ImagesResult } from './eval-protocol'
import { Thumb } from './Evaluation'
import { formatPercent } from './table-state'

interface Choice {
  readonly run: Run
  readonly evaluation: EvaluationRecord
}

const evalLabel = (c: Choice) => `${c.run.name} · ${c.evaluation.checkpoint ? `${c.evaluation.checkpoint.kind} checkpoint, epoch ${c.evaluation.checkpoint.epoch}` : 'removed checkpoint'} · ${c.evaluation.split === 'val' ? 'validation' : 'test'}`

const signed = (v: number | null, digits = 1) => (v === null ? '—' : `${v > 0 ? '+' : v < 0 ? '−' : '±'}${(Math.abs(v) * 100).toFixed(digits)} pt`)

function identity(c: Choice) {
  const split = getPath(c.run.config, 'dataset.split')
  return {
    name: c.run.name,
    split: c.evaluation.split,
    datasetId: c.run.datasetId,
    splitKey: split === undefined ? null : fingerprint(canonicalJson(split)),
    count: c.evaluation.count,
    classes: c.evaluation.classes,
  }
}

export function ConfusionDiffSection(props: { runs: readonly Run[] }) {
  const ids = props.runs.map((r) => r.id)
  const evaluations =
    useLive(
      () => Promise.all(props.runs.map((run) => api().runs.evaluations({ runId: run.id }).then((list) => list.map((evaluation) => ({ run, evaluation }))))).then((l) => l.flat()),
      [ids.join(',')],
      { on: [changes(api().runs, 'onDidChange', (e) => ids.includes(e.runId))] },
    ).value ?? []
  const [aId, setA] = useState<number | null>(null)
  const [bId, setB] = useState<number | null>(null)
  const a = evaluations.find((c) => c.evaluation.id === aId) ?? evaluations[0]
  const b = evaluations.find((c) => c.evaluation.id === bId) ?? evaluations.find((c) => c !== a && c.run.id !== a?.run.id) ?? evaluations.find((c) => c !== a)
  const pick = (label: 'A' | 'B', value: Choice | undefined, set: (id: number) => void) => (
    <label className="inline-field">
      <span>{label}</span>
      <select aria-label={`Confusion diff evaluation ${label}`} value={value?.evaluation.id ?? ''} onChange={(e) => set(Number(e.target.value))}>
        {evaluations.map((c) => (
          <option key={c.evaluation.id} value={c.evaluation.id}>
            {evalLabel(c)}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <section className="cmp-card" aria-label="Confusion diff">
      <header className="cmp-head">
        <h3>Confusion diff</h3>
        {evaluations.length >= 2 && (
          <>
            {pick('A', a, setA)}
            {pick('B', b, setB)}
          </>
        )}
      </header>
      {a && b && a !== b ? (
        <DiffBody a={a} b={b} />
      ) : (
        <p className="muted small">
          Evaluate two of the selected runs (or two checkpoints of one run) on the same split in their detail view (Evaluate tab) to see where their
          predictions differ.
        </p>
      )}
    </section>
  )
}

function DiffBody({ a, b }: { a: Choice; b: Choice }) {
  const mismatch = splitMismatch(identity(a), identity(b))
  const diff = useMemo(() => (mismatch ? null : diffConfusion(a.evaluation.confusion, b.evaluation.confusion, a.evaluation.classes)), [a.evaluation.id, b.evaluation.id, mismatch])
  if (mismatch || !diff) {
    return (
      <p className="field-error" role="alert" data-testid="confusion-diff-refused">
        These two evaluations cannot be compared: {mismatch}
      </p>
    )
  }
  const classes = a.evaluation.classes
  const C = classes.length
  const maxAbs = Math.max(1, ...diff.cells.flat().map(Math.abs))
  const cell = C > 20 ? 18 : C > 12 ? 26 : 40
  return (
    <div className="cdiff" data-testid="confusion-diff">
      <p className="small">
        B − A on the same {a.evaluation.count.toLocaleString('en-US')} images: accuracy {formatPercent(a.evaluation.accuracy, 2)} → {formatPercent(b.evaluation.accuracy, 2)} (
        <b data-testid="accuracy-delta">{signed(diff.accuracyDelta, 2)}</b>). Green: B does better there (more correct on the diagonal, fewer confusions off it); red: worse.
      </p>
      <div className="cdiff-grid">
        <div className="cm-wrap">
          <div className="cm-axis-y">True class</div>
          <div>
            <div className="cm-axis-x">Predicted class</div>
            <table className="cm" data-testid="confusion-diff-matrix" style={{ ['--cm-cell' as string]: `${cell}px` }}>
              <thead>
                <tr>
                  <th>
                    <span className="sr-only">True class, then predicted class</span>
                  </th>
                  {classes.map((c) => (
                    <th key={c} className="cm-col" title={c}>
                      {C > 20 ? '' : c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {diff.cells.map((row, t) => (
                  <tr key={t}>
                    <th className="cm-row" title={classes[t]}>
                      {classes[t]}
                    </th>
                    {row.map((d, p) => {
                      const better = t === p ? d > 0 : d < 0
                      return (
                        <td
                          key={p}
                          className={`cm-cell cdiff-cell${d === 0 ? '' : better ? ' better' : ' worse'}`}
                          style={{ ['--cm-a' as string]: String(Math.round((Math.abs(d) / maxAbs) * 100)) }}
                          title={`true ${classes[t]}, predicted ${classes[p]}: A ${a.evaluation.confusion[t]?.[p]}, B ${b.evaluation.confusion[t]?.[p]} (${d > 0 ? '+' : ''}${d})`}
                          data-diff={d}
                        >
                          {C > 20 || d === 0 ? '' : d > 0 ? `+${d}` : `−${-d}`}
                        </td>
                      )
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        <table className="mini-table" data-testid="class-deltas">
          <thead>
            <tr>
              <th>Class</th>
              <th className="num">Precision A → B</th>
              <th className="num">Δ</th>
              <th className="num">Recall A → B</th>
              <th className="num">Δ</th>
            </tr>
          </thead>
          <tbody>
            {diff.perClass.map((c) => (
              <tr key={c.classIndex} data-testid="class-delta">
                <td>{c.className}</td>
                <td className="num">
                  {formatPercent(c.precisionA)} → {formatPercent(c.precisionB)}
                </td>
                <td className={`num ${c.precisionDelta === null || c.precisionDelta === 0 ? '' : c.precisionDelta > 0 ? 'delta-up' : 'delta-down'}`} data-testid="precision-delta">
                  {signed(c.precisionDelta)}
                </td>
                <td className="num">
                  {formatPercent(c.recallA)} → {formatPercent(c.recallB)}
                </td>
                <td className={`num ${c.recallDelta === null || c.recallDelta === 0 ? '' : c.recallDelta > 0 ? 'delta-up' : 'delta-down'}`} data-testid="recall-delta">
                  {signed(c.recallDelta)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <RightWrong a={a} b={b} />
    </div>
  )
}

const GALLERY = 24

function RightWrong({ a, b }: { a: Choice; b: Choice }) {
  const rw = useMemo(() => rightWrong(a.evaluation, b.evaluation), [a.evaluation.id, b.evaluation.id])
  const [dataset, setDataset] = useState<DatasetDetail | null>(null)
  const [images, setImages] = useState<{ onlyA: ImagesResult; onlyB: ImagesResult } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const datasetId = a.run.datasetId
  useEffect(() => {
    if (datasetId === null) return
    let live = true
    api()
      .datasets.get({ id: datasetId })
      .then(
        (d) => live && setDataset(d),
        () => live && setError('The runs’ dataset no longer exists: the images cannot be shown.'),
      )
    return () => {
      live = false
    }
  }, [datasetId])
  useEffect(() => {
    if (!dataset) return
    let live = true
    const split = a.evaluation.split
    splitRows(dataset.id, split, split === 'test')
      .then((rows) =>
        Promise.all(
          [rw.onlyA, rw.onlyB].map((list) => evalRequest('images', { cache: cacheSpec(dataset), rows: list.slice(0, GALLERY).map((i) => rows.indices[i] ?? 0) })),
        ),
      )
      .then(
        ([onlyA, onlyB]) => live && setImages({ onlyA: onlyA as ImagesResult, onlyB: onlyB as ImagesResult }),
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      )
    return () => {
      live = false
    }
  }, [dataset?.id, rw])
  const mistakeOf = (ev: EvaluationRecord) => new Map(ev.misclassified.map((m) => [m.index, m]))
  const wrongA = mistakeOf(a.evaluation)
  const wrongB = mistakeOf(b.evaluation)
  const gallery = (list: number[], imgs: ImagesResult | undefined, wrong: Map<number, EvaluationRecord['misclassified'][number]>, testId: string) => {
    const [h, w, c] = imgs?.shape ?? [0, 0, 0]
    const size = h * w * c
    return (
      <div className="mistakes" data-testid={testId} data-count={list.length}>
        {list.slice(0, GALLERY).map((index, i) => {
          const m = wrong.get(index)
          return (
            <figure key={index} className="mistake">
              {imgs && size > 0 ? <Thumb pixels={imgs.images.subarray(i * size, (i + 1) * size)} h={h} w={w} c={c} /> : <div className="thumb placeholder" />}
              {m && (
                <figcaption>
                  <span className="m-true" title="True class">
                    {a.evaluation.classes[m.label]}
                  </span>
                  <span className="m-arrow">→</span>
                  <span className="m-pred" title="The other one's prediction">
                    {a.evaluation.classes[m.predicted]}
                  </span>
                </figcaption>
              )}
            </figure>
          )
        })}
        {list.length === 0 && <p className="muted small">None.</p>}
      </div>
    )
  }
  return (
    <div className="cdiff-images">
      {!rw.complete && <p className="muted small">Only the most confident mistakes are stored for large evaluations, so these lists may be incomplete.</p>}
      {error && <p className="field-error">{error}</p>}
      <h4>
        A right, B wrong <span className="muted">({rw.onlyA.length})</span>
      </h4>
      {gallery(rw.onlyA, images?.onlyA, wrongB, 'only-a-right')}
      <h4>
        B right, A wrong <span className="muted">({rw.onlyB.length})</span>
      </h4>
      {gallery(rw.onlyB, images?.onlyB, wrongA, 'only-b-right')}
    </div>
  )
}
