/**
 * The Data section: dataset list (left) with imports in progress, then the selected dataset's tabs
 * (Samples, Statistics, Augmentations).
 */
import { useEffect, useState, type DragEvent } from 'react'
import type { DatasetDetail, DatasetSummary } from '@shared/api'
import { api } from '../api/client'
import { useApp } from '../app/store'
import { ConfirmDialog, reportError, useToasts } from '../ui/dialogs'
import { plural } from '../ui/format'
import { Icon } from '../ui/icons'
import { AugmentationsTab } from './AugmentationsTab'
import { ImportDialog } from './ImportDialog'
import { SamplesTab } from './SamplesTab'
import { StatisticsTab } from './StatisticsTab'
import { PHASE_LABELS, useData, type DataTab, type ImportJob } from './store'
import './data.css'

export function datasetMeta(d: DatasetSummary): string {
  return `${d.itemCount.toLocaleString('en-US')} images · ${d.size.height}×${d.size.width} ${d.channels === 1 ? 'gray' : 'RGB'} · ${d.classes.length} class${d.classes.length === 1 ? '' : 'es'}`
}

function JobCard({ job }: { job: ImportJob }) {
  const cancel = useData((s) => s.cancel)
  const dismiss = useData((s) => s.dismissJob)
  const fraction = job.total > 0 ? Math.min(1, job.done / job.total) : null
  return (
    <div className={`job-card${job.status === 'failed' ? ' failed' : ''}`} data-testid="import-job" aria-live="polite">
      <div className="job-head">
        <span className="job-name" title={job.name}>{job.name}</span>
        {job.status === 'failed' ? (
          <button className="icon-btn" aria-label="Dismiss" title="Dismiss" onClick={() => dismiss(job.jobId)}><Icon name="close" size={14} /></button>
        ) : (
          <button className="btn btn-small" disabled={job.status === 'cancelling'} onClick={() => void cancel(job.jobId)}>
            {job.status === 'cancelling' ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      {job.status === 'failed' ? (
        <div className="job-error" role="alert">{job.message}</div>
      ) : (
        <>
          <div className="progress" role="progressbar" aria-label={`Importing ${job.name}`} aria-valuemin={0} aria-valuemax={job.total || undefined} aria-valuenow={job.total ? job.done : undefined}>
            <div className={`progress-fill${fraction === null ? ' indeterminate' : ''}`} style={fraction === null ? undefined : { width: `${fraction * 100}%` }} />
          </div>
          <div className="job-meta">
            <span data-testid="import-phase">{PHASE_LABELS[job.phase]}</span>
            {job.total > 0 && <span>{job.done.toLocaleString('en-US')} / {job.total.toLocaleString('en-US')}</span>}
          </div>
        </>
      )}
    </div>
  )
}

function ImportReport({ detail, open, onToggle }: { detail: DatasetDetail; open: boolean; onToggle: () => void }) {
  const count = detail.skipped.length + detail.notFollowed.length
  if (count === 0) return null
  return (
    <div className="import-report" data-testid="import-report">
      <button className="report-toggle" aria-expanded={open} onClick={onToggle}>
        <span className="warn-dot" />
        {detail.skipped.length > 0 && <span>{plural(detail.skipped.length, 'file')} skipped</span>}
        {detail.skipped.length > 0 && detail.notFollowed.length > 0 && <span className="muted">·</span>}
        {detail.notFollowed.length > 0 && <span>{plural(detail.notFollowed.length, 'link')} not followed</span>}
        <Icon name="chevron" size={13} className={`chev${open ? ' open' : ''}`} />
      </button>
      {open && (
        <table className="report-table">
          <tbody>
            {detail.skipped.map((f) => (
              <tr key={`s:${f.path}`} data-testid="skipped-file">
                <td className="mono">{f.path}</td>
                <td>{f.reason}</td>
              </tr>
            ))}
            {detail.notFollowed.map((f) => (
              <tr key={`l:${f.path}`} data-testid="not-followed">
                <td className="mono">{f.path} <span className="tag">link</span></td>
                <td>{f.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

const TABS: { id: DataTab; label: string }[] = [
  { id: 'samples', label: 'Samples' },
  { id: 'statistics', label: 'Statistics' },
  { id: 'augmentations', label: 'Augmentations' },
]

function DatasetPanel({ projectId, dataset }: { projectId: number; dataset: DatasetSummary }) {
  const tab = useData((s) => s.tab)
  const setTabRaw = useData((s) => s.setTab)
  const reportFor = useData((s) => s.reportFor)
  const clearReport = useData((s) => s.clearReport)
  const loadDetail = useData((s) => s.detail)
  const [detail, setDetail] = useState<DatasetDetail | null>(null)
  const [reportOpen, setReportOpen] = useState(false)
  // The import report opens once after an import; moving on to another tab folds it away.
  const setTab = (t: DataTab) => {
    setReportOpen(false)
    setTabRaw(t)
  }

  useEffect(() => {
    let live = true
    setDetail(null)
    loadDetail(dataset.id).then((d) => live && setDetail(d), reportError)
    return () => {
      live = false
    }
  }, [dataset.id, loadDetail])

  useEffect(() => {
    if (reportFor === dataset.id) {
      setReportOpen(true)
      clearReport()
    }
  }, [reportFor, dataset.id, clearReport])

  return (
    <div className="dataset-panel">
      <header className="dataset-header">
        <div className="dataset-title">
          <h2 data-testid="dataset-name">{dataset.name}</h2>
          <span className="muted small">
            {datasetMeta(dataset)} · {dataset.aspect} · {dataset.source === 'mnist' ? 'built-in MNIST' : <span className="mono" title={dataset.sourcePath ?? ''}>{dataset.sourcePath}</span>}
          </span>
        </div>
        <nav className="tabs" role="tablist" aria-label="Dataset views">
          {TABS.map((t) => (
            <button key={t.id} role="tab" aria-selected={tab === t.id} className={`tab${tab === t.id ? ' active' : ''}`} onClick={() => setTab(t.id)}>
              {t.label}
            </button>
          ))}
        </nav>
      </header>
      {detail && <ImportReport detail={detail} open={reportOpen} onToggle={() => setReportOpen((o) => !o)} />}
      <div className="tab-body" role="tabpanel" aria-label={TABS.find((t) => t.id === tab)?.label}>
        {tab === 'samples' && <SamplesTab dataset={dataset} />}
        {tab === 'statistics' && (detail ? <StatisticsTab detail={detail} /> : <div className="loading">Loading statistics…</div>)}
        {tab === 'augmentations' && (detail ? <AugmentationsTab projectId={projectId} detail={detail} /> : <div className="loading">Loading…</div>)}
      </div>
    </div>
  )
}

/** The path of a dropped folder where the host exposes it (Electron, through the preload bridge); null otherwise. */
function droppedPath(e: DragEvent): string | null {
  const file = e.dataTransfer.files[0]
  if (!file) return null
  return window.studioBridge?.pathForFile?.(file) || null
}

export function DataView({ projectId }: { projectId: number }) {
  const { datasets, loaded, selectedId, jobs, load, select, addJob } = useData()
  const canDrop = useApp((s) => s.info?.capabilities.canDropFolders ?? false)
  const [importing, setImporting] = useState<{ path?: string } | null>(null)
  const [deleting, setDeleting] = useState<DatasetSummary | null>(null)
  const [dragOver, setDragOver] = useState(false)

  useEffect(() => {
    void load(projectId)
  }, [projectId, load])

  const selected = datasets.find((d) => d.id === selectedId) ?? null

  const addMnist = async () => {
    try {
      const res = await api().datasets.importMnist({ projectId })
      addJob({ jobId: res.jobId, datasetId: res.datasetId, name: 'MNIST' })
    } catch (e) {
      reportError(e)
    }
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragOver(false)
    const path = droppedPath(e)
    if (path) setImporting({ path })
    else useToasts.getState().toast('info', 'This window cannot read the path of a dropped folder: type or paste the folder path in the import dialog.')
  }

  return (
    <div
      className={`data-view${dragOver ? ' drag-over' : ''}`}
      data-testid="data-view"
      onDragOver={(e) => {
        if (!canDrop || !e.dataTransfer.types.includes('Files')) return
        e.preventDefault()
        setDragOver(true)
      }}
      onDragLeave={(e) => e.currentTarget === e.target && setDragOver(false)}
      onDrop={canDrop ? onDrop : undefined}
    >
      <aside className="data-sidebar" aria-label="Datasets">
        <div className="sidebar-head">
          <h2>Datasets</h2>
        </div>
        <div className="sidebar-actions">
          <button className="btn btn-primary" onClick={() => setImporting({})}><Icon name="folder" size={15} /> Import folder…</button>
          <button className="btn" onClick={() => void addMnist()} title="10,000 labelled 28×28 digits, shipped with the studio">Add MNIST (built in)</button>
        </div>
        {jobs.length > 0 && (
          <div className="jobs">
            {jobs.map((j) => <JobCard key={j.jobId} job={j} />)}
          </div>
        )}
        <ul className="dataset-list" aria-label="Datasets of this project">
          {datasets.map((d) => (
            <li key={d.id} aria-current={d.id === selectedId ? 'true' : undefined} className={`dataset-item${d.id === selectedId ? ' selected' : ''}`} data-testid="dataset-item">
              <button className="dataset-item-main" aria-pressed={d.id === selectedId} onClick={() => select(d.id)}>
                <span className="dataset-item-name">{d.name}</span>
                <span className="dataset-item-meta">{datasetMeta(d)}</span>
              </button>
              <button className="icon-btn danger" aria-label={`Delete ${d.name}`} title="Delete dataset" onClick={() => setDeleting(d)}>
                <Icon name="trash" size={15} />
              </button>
            </li>
          ))}
        </ul>
        {loaded && datasets.length === 0 && jobs.length === 0 && <p className="sidebar-empty muted small">No datasets yet.{canDrop ? ' Drop a folder here, or use the buttons above.' : ''}</p>}
      </aside>
      <div className="data-main">
        {selected ? (
          <DatasetPanel key={selected.id} projectId={projectId} dataset={selected} />
        ) : loaded ? (
          <div className="empty-state">
            <Icon name="data" size={40} />
            <h2>No dataset yet</h2>
            <p>Import a folder of images with one subfolder per class, or add the built-in MNIST digits. The studio decodes them once at your training resolution, splits them (train / val / locked test), and computes the per-channel mean and standard deviation.</p>
            <p className="muted small">Then preview augmentations exactly as training will see them.</p>
            <div className="empty-actions">
              <button className="btn btn-primary" onClick={() => setImporting({})}>Import folder…</button>
              <button className="btn" onClick={() => void addMnist()}>Add MNIST (built in)</button>
            </div>
          </div>
        ) : null}
      </div>
      {importing && <ImportDialog projectId={projectId} {...(importing.path ? { initialPath: importing.path } : {})} onClose={() => setImporting(null)} />}
      {deleting && (
        <ConfirmDialog
          title="Delete dataset"
          message={<p>Delete <strong>{deleting.name}</strong> and its cached images? The original folder is not touched.</p>}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await api().datasets.delete({ id: deleting.id })
            await load(projectId)
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </div>
  )
}
