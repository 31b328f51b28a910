/**
 * Sample browser: all classes as rows (first images of each), or one class as a paged grid; split filter and
 * zoom. Thumbnails are the cached images (PNG at the training resolution), drawn pixelated when enlarged.
 */
import { useEffect, useState } from 'react'
import type { DatasetSample, DatasetSplit, DatasetSummary } from '@shared/api'
import { api } from '../api/client'
import { Modal, reportError } from '../ui/dialogs'

const PAGE = 60
const PER_CLASS_ROW = 14

type SplitFilter = DatasetSplit | 'all'

function Thumb({ sample, size, onOpen }: { sample: DatasetSample; size: number; onOpen: () => void }) {
  return (
    <button className="thumb" style={{ width: size, height: size }} title={`${sample.className} · ${sample.split}${sample.source ? ` · ${sample.source}` : ''}`} onClick={onOpen}>
      <img src={`data:image/png;base64,${sample.data}`} alt={`${sample.className} sample ${sample.idx}`} draggable={false} />
      {sample.split === 'test' && <span className="thumb-badge">test</span>}
    </button>
  )
}

function ClassRow({ dataset, classIndex, split, size, onOpen, onMore }: { dataset: DatasetSummary; classIndex: number; split: SplitFilter; size: number; onOpen: (s: DatasetSample) => void; onMore: () => void }) {
  const [items, setItems] = useState<DatasetSample[] | null>(null)
  const [total, setTotal] = useState(0)
  useEffect(() => {
    let live = true
    api()
      .datasets.samples({ id: dataset.id, classIndex, limit: PER_CLASS_ROW, ...(split === 'all' ? {} : { split }) })
      .then((page) => {
        if (!live) return
        setItems(page.items)
        setTotal(page.total)
      }, reportError)
    return () => {
      live = false
    }
  }, [dataset.id, classIndex, split])
  return (
    <section className="class-row" data-testid="class-row">
      <header>
        <button className="link class-name" onClick={onMore}>{dataset.classes[classIndex]}</button>
        <span className="muted small" data-testid="class-count">{items === null ? '…' : `${total.toLocaleString('en-US')} image${total === 1 ? '' : 's'}`}</span>
        {total > PER_CLASS_ROW && <button className="link small" onClick={onMore}>Show all</button>}
      </header>
      <div className="thumb-strip">
        {items === null
          ? Array.from({ length: 6 }, (_, i) => <div key={i} className="thumb skeleton" style={{ width: size, height: size }} />)
          : items.map((s) => <Thumb key={s.idx} sample={s} size={size} onOpen={() => onOpen(s)} />)}
      </div>
    </section>
  )
}

export function SamplesTab({ dataset }: { dataset: DatasetSummary }) {
  const [classIndex, setClassIndex] = useState<number | null>(null)
  const [split, setSplit] = useState<SplitFilter>('all')
  const [size, setSize] = useState(() => (dataset.size.height <= 32 ? 64 : 96))
  const [offset, setOffset] = useState(0)
  const [page, setPage] = useState<{ items: DatasetSample[]; total: number } | null>(null)
  const [open, setOpen] = useState<DatasetSample | null>(null)

  useEffect(() => setOffset(0), [classIndex, split])
  useEffect(() => {
    if (classIndex === null) return
    let live = true
    setPage(null)
    api()
      .datasets.samples({ id: dataset.id, classIndex, offset, limit: PAGE, ...(split === 'all' ? {} : { split }) })
      .then((p) => live && setPage({ items: p.items, total: p.total }), reportError)
    return () => {
      live = false
    }
  }, [dataset.id, classIndex, split, offset])

  const pixelated = size > dataset.size.width
  return (
    <div className={`samples-tab${pixelated ? ' pixelated' : ''}`}>
      <div className="toolbar">
        <div className="chips" role="radiogroup" aria-label="Class">
          <button role="radio" aria-checked={classIndex === null} className={`chip${classIndex === null ? ' on' : ''}`} onClick={() => setClassIndex(null)}>All classes</button>
          {dataset.classes.map((c, i) => (
            <button key={c} role="radio" aria-checked={classIndex === i} className={`chip${classIndex === i ? ' on' : ''}`} onClick={() => setClassIndex(i)}>{c}</button>
          ))}
        </div>
        <span className="spacer" />
        <label className="inline-field">
          <span>Split</span>
          <select value={split} onChange={(e) => setSplit(e.target.value as SplitFilter)} aria-label="Split">
            <option value="all">All splits</option>
            <option value="train">Train</option>
            <option value="val">Validation</option>
            <option value="test">Test (locked)</option>
          </select>
        </label>
        <label className="inline-field">
          <span>Zoom</span>
          <input type="range" min={32} max={192} step={8} value={size} aria-label="Thumbnail size" onChange={(e) => setSize(Number(e.target.value))} />
        </label>
      </div>
      {classIndex === null ? (
        <div className="class-rows">
          {dataset.classes.map((_, i) => (
            <ClassRow key={`${i}:${split}`} dataset={dataset} classIndex={i} split={split} size={size} onOpen={setOpen} onMore={() => setClassIndex(i)} />
          ))}
        </div>
      ) : (
        <>
          <div className="thumb-grid" data-testid="sample-grid">
            {page?.items.map((s) => <Thumb key={s.idx} sample={s} size={size} onOpen={() => setOpen(s)} />)}
          </div>
          {page && (
            <div className="pager">
              <button className="btn btn-small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
              <span className="muted small">
                {page.total === 0 ? 'No images' : `${(offset + 1).toLocaleString('en-US')}–${Math.min(offset + PAGE, page.total).toLocaleString('en-US')} of ${page.total.toLocaleString('en-US')}`}
              </span>
              <button className="btn btn-small" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>Next</button>
            </div>
          )}
        </>
      )}
      {open && (
        <Modal title={`${open.className} · #${open.idx}`} onClose={() => setOpen(null)} footer={<button className="btn" onClick={() => setOpen(null)}>Close</button>}>
          <div className="sample-zoom">
            <img src={`data:image/png;base64,${open.data}`} alt={`${open.className} sample ${open.idx}`} />
            <dl className="kv">
              <dt>Class</dt><dd>{open.className}</dd>
              <dt>Split</dt><dd>{open.split}{open.split === 'test' ? ' (locked)' : ''}</dd>
              <dt>Size</dt><dd>{dataset.size.height}×{dataset.size.width}×{dataset.channels}</dd>
              {open.source && (<><dt>File</dt><dd className="mono">{open.source}</dd></>)}
            </dl>
          </div>
        </Modal>
      )}
    </div>
  )
}
