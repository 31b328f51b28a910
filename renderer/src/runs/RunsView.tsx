/**
 * The Runs section: the runs table first; selecting runs (checkboxes) opens Compare below it; a run's name opens
 * its detail. An empty project says how to start a run.
 */
import { useEffect, useRef, useState } from 'react'
import { unpackRunsTable, type MetricNameInfo, type RunsTable as RunsTableData } from '@shared/api'
import { api } from '../api/client'
import { useApp } from '../app/store'
import { reportError } from '../ui/dialogs'
import { Icon } from '../ui/icons'
import { changes, useLive } from '../ui/live'
import { Compare } from './Compare'
import { ExportPytorchDialog } from './ExportPytorchDialog'
import { ImportResultsDialog } from './ImportResultsDialog'
import { RunDetail } from './RunDetail'
import { RunsTable } from './RunsTable'
import { useRunsView } from './store'
import { toQuery } from './table-state'
import './runs.css'

/**
 * The most runs Compare draws at once. Above it the page would ask for every run's curves and settings (thousands
 * of calls and series; it froze with 10,000): it says so instead, until Compare reads big selections as groups.
 */
const COMPARE_MAX = 1000

const NO_TAGS: { tag: string; runs: number }[] = []
const NO_METRICS: MetricNameInfo[] = []

export function RunsView({ projectId }: { projectId: number }) {
  const { table, selected, detail, forProject, setTable, setSelected, open } = useRunsView()
  const navigate = useApp((s) => s.navigate)
  const ready = useRunsView((s) => s.projectId === projectId)
  const [exporting, setExporting] = useState<{ id: number; name: string } | null>(null)
  const [importing, setImporting] = useState(false)

  useEffect(() => forProject(projectId), [projectId])

  // A burst of run changes (a training run's epochs) is one reload of the table.
  const runChanges = [changes(api().runs, 'onDidChange', (e) => e.projectId === projectId)]
  const tableLive = useLive(() => api().runs.table(toQuery(projectId, table)).then(unpackRunsTable), [projectId, table], { enabled: ready, on: runChanges, debounceMs: 250 })
  const data: RunsTableData | null = tableLive.value ?? null
  const loading = tableLive.loading
  const facets = useLive(
    () => Promise.all([api().runs.tagsInUse({ projectId }), api().runs.metricNames({ projectId })]).then(([tags, metricNames]) => ({ tags, metricNames })),
    [projectId],
    { on: runChanges, debounceMs: 250 },
  ).value
  const tags: { tag: string; runs: number }[] = facets?.tags ?? NO_TAGS
  const metricNames: MetricNameInfo[] = facets?.metricNames ?? NO_METRICS

  if (!ready) return null
  if (detail !== null) return <RunDetail key={detail} runId={detail} onBack={() => open(null)} />
  if (data && data.total === 0) {
    return (
      <div className="empty-state" data-testid="runs-empty">
        <Icon name="runs" size={40} />
        <h2>No runs yet</h2>
        <p>Every training run is kept with its configuration, curves and checkpoints. Select runs here to overlay their curves, diff their hyperparameters and architectures, and inspect their mistakes.</p>
        <p className="muted small">
          Start a run from the Train section, or from a terminal: <code>studio train --template lenet5 --dataset mnist --epochs 3</code>
        </p>
        <button className="btn btn-primary" onClick={() => navigate({ name: 'workspace', projectId, section: 'train' })}>
          Go to Train
        </button>
        <button className="btn" onClick={() => setImporting(true)} data-testid="import-results">
          Import results…
        </button>
        {importing && <ImportResultsDialog projectId={projectId} onOpen={(id) => open(id)} onClose={() => setImporting(false)} />}
      </div>
    )
  }
  return (
    <div className={`runs-view${selected.length > 0 ? ' comparing' : ''}`} data-testid="runs-view">
      <div className="runs-actions">
        <button className="btn btn-sm" onClick={() => setImporting(true)} title="A PyTorch project trained elsewhere (metrics.jsonl, run.json, best.pt / last.pt) as a run" data-testid="import-results">
          Import results…
        </button>
      </div>
      <RunsTable
        rows={data?.rows ?? []}
        {...(data?.groups ? { groups: data.groups } : {})}
        total={data?.total ?? 0}
        matched={data?.matched ?? 0}
        state={table}
        onState={setTable}
        selected={selected}
        onSelected={setSelected}
        onOpen={(id) => open(id)}
        onExportPytorch={(r) => setExporting({ id: r.id, name: r.name })}
        tags={tags}
        metricNames={metricNames}
        loading={loading}
      />
      {selected.length > COMPARE_MAX ? (
        <p className="runs-hint muted small" data-testid="compare-too-many">
          {selected.length.toLocaleString('en-US')} runs are selected: Compare draws up to {COMPARE_MAX.toLocaleString('en-US')} at once. Group the table (a group compares as one band) or narrow the selection.
        </p>
      ) : selected.length > 0 ? (
        <Compare runIds={selected} tableRows={data?.rows ?? []} metricNames={metricNames} onRemove={(id) => setSelected(selected.filter((x) => x !== id))} onOpen={(id) => open(id)} />
      ) : (
        data && data.rows.length > 0 && <p className="runs-hint muted small">Tick runs to compare them: curves overlaid, what differs in their settings and architectures, and how hyperparameters relate to the result.</p>
      )}
      {importing && <ImportResultsDialog projectId={projectId} onOpen={(id) => open(id)} onClose={() => setImporting(false)} />}
      {exporting && <ExportPytorchDialog target={{ kind: 'run', runId: exporting.id, name: exporting.name }} onClose={() => setExporting(null)} />}
    </div>
  )
}
