/**
 * The runs table: paged (100 rows a page, any number of runs), sortable by every column, filterable (text,
 * status, tags, starred, metric thresholds), with user-chosen extra columns (config paths, metrics) and inline
 * star, rename, tags and notes. Checkboxes select runs for Compare; a run's name opens its detail.
 */
import { useState } from 'react'
import { RUN_STATUSES, type MetricNameInfo, type RunStatus, type RunTableRow } from '@shared/api'
import { api } from '../api/client'
import { ConfirmDialog, Modal, PromptDialog, reportError } from '../ui/dialogs'
import { Icon } from '../ui/icons'
import { runColor } from './colors'
import { backendLabel, optimizerLabel } from './settings'
import {
  addExtraColumn,
  extraColumnLabel,
  formatCount,
  formatDuration,
  formatNumber,
  formatPercent,
  formatStarted,
  pageCount,
  parseThreshold,
  removeExtraColumn,
  toggleAll,
  toggleSelected,
  toggleSort,
  withFilter,
  type TableState,
} from './table-state'

export const STATUS_LABEL: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  completed: 'Completed',
  failed: 'Failed',
}

export function StatusChip({ status }: { status: RunStatus }) {
  return (
    <span className={`status-chip status-${status}`} data-testid="run-status">
      {STATUS_LABEL[status]}
    </span>
  )
}

export function RunSwatch({ id }: { id: number }) {
  return <span className="run-swatch" style={{ background: runColor(id) }} aria-hidden="true" />
}

interface Column {
  readonly key: string
  readonly label: string
  readonly title?: string
  readonly num?: boolean
  readonly cell: (r: RunTableRow) => React.ReactNode
}

const COLUMNS: readonly Column[] = [
  { key: 'status', label: 'Status', cell: (r) => <StatusChip status={r.status} /> },
  { key: 'startedAt', label: 'Started', cell: (r) => <span className="mono">{formatStarted(r.startedAt ?? r.createdAt)}</span> },
  { key: 'durationMs', label: 'Duration', num: true, cell: (r) => formatDuration(r.durationMs) },
  { key: 'datasetName', label: 'Dataset', cell: (r) => <span className="trunc" title={r.datasetName ?? undefined}>{r.datasetName ?? '—'}</span> },
  {
    key: 'architectureName',
    label: 'Architecture',
    cell: (r) => (
      <span className="trunc" title={r.architectureName ?? undefined}>
        {r.architectureName ?? '—'}
        {r.architectureVersion !== null && <span className="muted"> v{r.architectureVersion}</span>}
      </span>
    ),
  },
  { key: 'optimizer', label: 'Optimizer', cell: (r) => optimizerLabel(r.optimizer) },
  { key: 'learningRate', label: 'LR', title: 'Base learning rate', num: true, cell: (r) => formatNumber(r.learningRate) },
  { key: 'batchSize', label: 'Batch', num: true, cell: (r) => formatNumber(r.batchSize) },
  { key: 'epochs', label: 'Epochs', num: true, cell: (r) => formatNumber(r.epochs) },
  {
    key: 'bestValAccuracy',
    label: 'Best val acc',
    title: 'Best validation accuracy @ the epoch it was reached',
    num: true,
    cell: (r) => (
      <>
        <b>{formatPercent(r.bestValAccuracy)}</b>
        {r.bestEpoch !== null && <span className="muted"> @{r.bestEpoch}</span>}
      </>
    ),
  },
  { key: 'finalLoss', label: 'Last-epoch loss', title: 'Mean training loss over the last epoch (the Train view’s “Last step loss” is the loss of the final step alone)', num: true, cell: (r) => formatNumber(r.finalLoss) },
  { key: 'paramCount', label: 'Params', num: true, cell: (r) => <span title={r.paramCount?.toLocaleString('en-US')}>{formatCount(r.paramCount)}</span> },
  { key: 'engine', label: 'Engine', cell: (r) => (r.engine === 'pytorch' ? 'PyTorch' : r.engine === 'tfjs' ? 'TF.js' : (r.engine ?? '—')) },
  { key: 'backend', label: 'Backend', cell: (r) => backendLabel(r.backend) },
]

const COMMON_CONFIG_COLUMNS = ['training.optimizer.momentum', 'training.weightDecay', 'training.schedule.type', 'training.seed', 'pipeline.name', 'dataset.shape']

export interface RunsTableProps {
  readonly rows: readonly RunTableRow[]
  readonly total: number
  readonly matched: number
  readonly state: TableState
  readonly onState: (s: TableState) => void
  readonly selected: readonly number[]
  readonly onSelected: (ids: number[]) => void
  readonly onOpen: (id: number) => void
  /** "Export as PyTorch project..." of one run (row action, and the selection's when it is one run). */
  readonly onExportPytorch: (run: { id: number; name: string }) => void
  readonly tags: readonly { tag: string; runs: number }[]
  readonly metricNames: readonly MetricNameInfo[]
  readonly loading: boolean
}

type Dialog =
  | { kind: 'rename'; row: RunTableRow }
  | { kind: 'notes'; row: RunTableRow }
  | { kind: 'tag'; ids: number[] }
  | { kind: 'delete'; rows: RunTableRow[] }
  | null

export function RunsTable(props: RunsTableProps) {
  const { rows, state, onState, selected } = props
  const [dialog, setDialog] = useState<Dialog>(null)
  const [thresholdText, setThresholdText] = useState('')
  const [thresholdError, setThresholdError] = useState<string | null>(null)
  const [columnText, setColumnText] = useState('')
  const pages = pageCount(props.matched, state.pageSize)
  const allOnPage = rows.length > 0 && rows.every((r) => selected.includes(r.id))
  const selectedRows = rows.filter((r) => selected.includes(r.id))

  const header = (key: string, label: string, title?: string, num?: boolean) => {
    const active = state.sort.column === key
    return (
      <th key={key} className={num ? 'num' : undefined} aria-sort={active ? (state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button className="th-sort" title={title ?? `Sort by ${label}`} aria-label={`Sort by ${label}`} onClick={() => onState(toggleSort(state, key))}>
          {label}
          <span className={`sort-mark${active ? ' on' : ''}`}>{active ? (state.sort.dir === 'asc' ? '▲' : '▼') : '▲'}</span>
        </button>
      </th>
    )
  }

  const addThreshold = () => {
    const t = parseThreshold(thresholdText)
    if (!t) {
      setThresholdError('Write it as column op number, e.g. bestValAccuracy >= 0.9 or metric:val/loss:min < 0.5')
      return
    }
    setThresholdError(null)
    setThresholdText('')
    onState(withFilter(state, { thresholds: [...state.thresholds, t] }))
  }

  const addColumn = () => {
    if (!columnText.trim()) return
    onState(addExtraColumn(state, columnText))
    setColumnText('')
  }

  const star = (r: RunTableRow) => void api().runs.star({ runIds: [r.id], starred: !r.starred }).catch(reportError)
  const untag = (r: RunTableRow, tag: string) => void api().runs.untag({ runIds: [r.id], tags: [tag] }).catch(reportError)

  return (
    <div className="runs-table-wrap">
      <div className="runs-filters" role="search">
        <label className="runs-search">
          <Icon name="search" size={14} />
          <input
            placeholder="Filter by name, notes, tags, dataset…"
            aria-label="Filter runs"
            value={state.text}
            onChange={(e) => onState(withFilter(state, { text: e.target.value }))}
          />
        </label>
        <div className="chip-group" role="group" aria-label="Status">
          {RUN_STATUSES.map((s) => {
            const on = state.statuses.includes(s)
            return (
              <button
                key={s}
                className={`filter-chip${on ? ' on' : ''}`}
                aria-pressed={on}
                onClick={() => onState(withFilter(state, { statuses: on ? state.statuses.filter((x) => x !== s) : [...state.statuses, s] }))}
              >
                {STATUS_LABEL[s]}
              </button>
            )
          })}
        </div>
        <button
          className={`filter-chip${state.starredOnly ? ' on' : ''}`}
          aria-pressed={state.starredOnly}
          title="Only starred runs"
          onClick={() => onState(withFilter(state, { starredOnly: !state.starredOnly }))}
        >
          ★ Starred
        </button>
        {props.tags.length > 0 && (
          <div className="chip-group" role="group" aria-label="Tags">
            {props.tags.map(({ tag, runs }) => {
              const on = state.tags.includes(tag)
              return (
                <button
                  key={tag}
                  className={`filter-chip tag${on ? ' on' : ''}`}
                  aria-pressed={on}
                  onClick={() => onState(withFilter(state, { tags: on ? state.tags.filter((t) => t !== tag) : [...state.tags, tag] }))}
                >
                  #{tag} <span className="muted">{runs}</span>
                </button>
              )
            })}
          </div>
        )}
      </div>
      <div className="runs-filters second">
        <label className="inline-field" title="Numeric filter on a column or an extra column">
          <span>Threshold</span>
          <input
            list="runs-threshold-names"
            placeholder="bestValAccuracy >= 0.9"
            aria-label="Add a metric threshold"
            aria-invalid={thresholdError ? true : undefined}
            value={thresholdText}
            onChange={(e) => setThresholdText(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && addThreshold()}
          />
        </label>
        <datalist id="runs-threshold-names">
          {['bestValAccuracy >= ', 'finalLoss < ', 'learningRate <= ', 'durationMs < ', ...state.extraColumns.map((c) => `${c} > `)].map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        {state.thresholds.map((t, i) => (
          <span key={`${t.name}${t.op}${t.value}`} className="filter-chip on removable" data-testid="threshold-chip">
            {t.name} {t.op} {t.value}
            <button aria-label={`Remove threshold ${t.name}`} onClick={() => onState(withFilter(state, { thresholds: state.thresholds.filter((_, k) => k !== i) }))}>
              <Icon name="close" size={11} />
            </button>
          </span>
        ))}
        <label className="inline-field" title="Add a column: a config path (training.momentum) or a metric (metric:val/loss:min)">
          <span>Column</span>
          <input
            list="runs-extra-columns"
            placeholder="metric:val/loss:min"
            aria-label="Add a column"
            value={columnText}
            onChange={(e) => setColumnText(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && addColumn()}
          />
        </label>
        <datalist id="runs-extra-columns">
          {props.metricNames.flatMap((m) => [`metric:${m.name}:best`, `metric:${m.name}:last`]).map((v) => (
            <option key={v} value={v} />
          ))}
          {COMMON_CONFIG_COLUMNS.map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        <span className="spacer" />
        {thresholdError && <span className="field-error" role="alert">{thresholdError}</span>}
        <span className="muted small" data-testid="runs-count">
          {props.matched === props.total ? `${props.total} runs` : `${props.matched} of ${props.total} runs`}
        </span>
      </div>
      {selected.length > 0 && (
        <div className="runs-bulk" role="toolbar" aria-label="Selected runs">
          <span>
            <b>{selected.length}</b> selected
          </span>
          <button className="btn btn-sm" onClick={() => void api().runs.star({ runIds: [...selected], starred: true }).catch(reportError)}>★ Star</button>
          <button className="btn btn-sm" onClick={() => setDialog({ kind: 'tag', ids: [...selected] })}># Tag…</button>
          {selectedRows.length === 1 && <button className="btn btn-sm" onClick={() => props.onExportPytorch(selectedRows[0]!)}>Export as PyTorch project…</button>}
          {selectedRows.length > 0 && (
            <button className="btn btn-sm btn-danger-ghost" onClick={() => setDialog({ kind: 'delete', rows: selectedRows })}>
              <Icon name="trash" size={13} /> Delete…
            </button>
          )}
          <button className="btn btn-sm" onClick={() => props.onSelected([])}>Clear selection</button>
        </div>
      )}
      <div className="runs-table-scroll">
        <table className="runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th className="col-check">
                <input type="checkbox" aria-label="Select all runs on this page" checked={allOnPage} onChange={() => props.onSelected(toggleAll(selected, rows))} />
              </th>
              {header('starred', '★', 'Sort by starred')}
              {header('name', 'Run')}
              {COLUMNS.map((c) => header(c.key, c.label, c.title, c.num))}
              <th>Tags</th>
              {state.extraColumns.map((c) => (
                <th key={c} className="num extra-col">
                  <button className="th-sort" title={`Sort by ${c}`} onClick={() => onState(toggleSort(state, c))}>
                    {extraColumnLabel(c)}
                    <span className={`sort-mark${state.sort.column === c ? ' on' : ''}`}>{state.sort.column === c && state.sort.dir === 'desc' ? '▼' : '▲'}</span>
                  </button>
                  <button className="th-remove" aria-label={`Remove column ${c}`} title="Remove this column" onClick={() => onState(removeExtraColumn(state, c))}>
                    <Icon name="close" size={10} />
                  </button>
                </th>
              ))}
              <th className="col-actions">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const isSel = selected.includes(r.id)
              return (
                <tr key={r.id} className={isSel ? 'selected' : undefined} data-testid="run-row" data-run-id={r.id}>
                  <td className="col-check">
                    <input type="checkbox" aria-label={`Select ${r.name}`} checked={isSel} onChange={() => props.onSelected(toggleSelected(selected, r.id))} />
                  </td>
                  <td className="col-star">
                    <button className={`star${r.starred ? ' on' : ''}`} aria-pressed={r.starred} aria-label={r.starred ? `Unstar ${r.name}` : `Star ${r.name}`} onClick={() => star(r)}>
                      {r.starred ? '★' : '☆'}
                    </button>
                  </td>
                  <td>
                    <div className="col-name">
                    <RunSwatch id={r.id} />
                    <button className="run-link" onClick={() => props.onOpen(r.id)} title={r.notes ?? `Open ${r.name}`}>
                      {r.name}
                    </button>
                    {r.notes && (
                      <span className="note-mark" title={r.notes} aria-label="Has notes">
                        ✎
                      </span>
                    )}
                    </div>
                  </td>
                  {COLUMNS.map((c) => (
                    <td key={c.key} className={c.num ? 'num' : undefined}>
                      {c.cell(r)}
                    </td>
                  ))}
                  <td className="col-tags">
                    {r.tags.map((t) => (
                      <span key={t} className="tag-chip">
                        #{t}
                        <button aria-label={`Remove tag ${t} from ${r.name}`} onClick={() => untag(r, t)}>
                          <Icon name="close" size={9} />
                        </button>
                      </span>
                    ))}
                    <button className="tag-add" aria-label={`Add a tag to ${r.name}`} title="Add a tag" onClick={() => setDialog({ kind: 'tag', ids: [r.id] })}>
                      +
                    </button>
                  </td>
                  {state.extraColumns.map((c) => (
                    <td key={c} className="num">
                      {formatNumber(r.extra[c] ?? null)}
                    </td>
                  ))}
                  <td className="col-actions">
                    <button className="icon-btn" title="Rename" aria-label={`Rename ${r.name}`} onClick={() => setDialog({ kind: 'rename', row: r })}>
                      <Icon name="edit" size={13} />
                    </button>
                    <button className="icon-btn" title="Notes" aria-label={`Notes of ${r.name}`} onClick={() => setDialog({ kind: 'notes', row: r })}>
                      ✎
                    </button>
                    <button className="icon-btn" title="Export as PyTorch project…" aria-label={`Export ${r.name} as PyTorch project`} onClick={() => props.onExportPytorch(r)}>
                      <Icon name="folder" size={13} />
                    </button>
                    <button className="icon-btn danger" title="Delete" aria-label={`Delete ${r.name}`} onClick={() => setDialog({ kind: 'delete', rows: [r] })}>
                      <Icon name="trash" size={13} />
                    </button>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
        {rows.length === 0 && !props.loading && <div className="runs-none">No run matches these filters.</div>}
      </div>
      {pages > 1 && (
        <div className="runs-pager">
          <button className="btn btn-sm" disabled={state.page === 0} onClick={() => onState({ ...state, page: state.page - 1 })}>
            Previous
          </button>
          <span className="muted small">
            Page {state.page + 1} of {pages} · rows {state.page * state.pageSize + 1}–{Math.min(props.matched, (state.page + 1) * state.pageSize)}
          </span>
          <button className="btn btn-sm" disabled={state.page >= pages - 1} onClick={() => onState({ ...state, page: state.page + 1 })}>
            Next
          </button>
        </div>
      )}
      {dialog?.kind === 'rename' && (
        <PromptDialog
          title="Rename run"
          label="Name"
          initial={dialog.row.name}
          confirmLabel="Rename"
          onSubmit={async (name) => {
            await api().runs.rename({ id: dialog.row.id, name })
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'tag' && (
        <PromptDialog
          title={dialog.ids.length > 1 ? `Tag ${dialog.ids.length} runs` : 'Add a tag'}
          label="Tags (separated by commas)"
          initial=""
          confirmLabel="Add"
          onSubmit={async (text) => {
            const tags = text
              .split(',')
              .map((t) => t.trim().replace(/^#/, ''))
              .filter(Boolean)
            if (tags.length === 0) throw new Error('Write at least one tag')
            await api().runs.tag({ runIds: dialog.ids, tags })
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'notes' && <NotesDialog id={dialog.row.id} name={dialog.row.name} initial={dialog.row.notes ?? ''} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={dialog.rows.length > 1 ? `Delete ${dialog.rows.length} runs?` : `Delete “${dialog.rows[0]?.name}”?`}
          danger
          confirmLabel="Delete"
          message={
            <p>
              {dialog.rows.length > 1 ? 'These runs' : 'The run'}, {dialog.rows.length > 1 ? 'their' : 'its'} metrics and evaluations are removed, and{' '}
              <b>{dialog.rows.length > 1 ? 'their' : 'its'} checkpoint files are deleted from the data folder</b>. This cannot be undone.
            </p>
          }
          onConfirm={async () => {
            for (const r of dialog.rows) await api().runs.delete({ id: r.id })
            props.onSelected(selected.filter((id) => !dialog.rows.some((r) => r.id === id)))
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  )
}

export function NotesDialog(props: { id: number; name: string; initial: string; onClose: () => void }) {
  const [text, setText] = useState(props.initial)
  const [busy, setBusy] = useState(false)
  return (
    <Modal
      title={`Notes · ${props.name}`}
      onClose={props.onClose}
      footer={
        <>
          <button className="btn" onClick={props.onClose}>Cancel</button>
          <button
            className="btn btn-primary"
            disabled={busy}
            onClick={() => {
              setBusy(true)
              api()
                .runs.setNotes({ id: props.id, notes: text })
                .then(props.onClose, (e: unknown) => {
                  setBusy(false)
                  reportError(e)
                })
            }}
          >
            Save
          </button>
        </>
      }
    >
      <textarea className="notes-input" aria-label="Notes" rows={8} value={text} autoFocus onChange={(e) => setText(e.target.value)} />
    </Modal>
  )
}
