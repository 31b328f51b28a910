/**
 * The runs table: virtualized (only the rows in view are in the page, any number of runs), sortable by every
 * column, filterable (text, status, tags, starred, metric thresholds), with user-chosen extra columns (config
 * paths; metrics showing best, last, min, max, or the value at a step or an epoch), grouping (group rows with
 * mean ± std and the run count, opening in place), CSV export, and inline star, rename, tags and notes.
 * Checkboxes select runs for Compare; a run's name opens its detail.
 */
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { RUN_STATUSES, type MetricNameInfo, type RunStatus, type RunTableRow } from '@shared/api'
import { METRIC_AGGS, columnLabel, formatMeanStd, runsToCsv, type GroupBy, type MetricAgg, type MetricStats, type RunGroup } from '@shared/runs'
import { api } from '../api/client'
import { ConfirmDialog, Modal, PromptDialog, reportError } from '../ui/dialogs'
import { Icon } from '../ui/icons'
import { ActionsMenu } from '../ui/menu'
import { runColor } from './colors'
import { backendLabel, optimizerLabel } from './settings'
import './runs-table.css'
import {
  addExtraColumn,
  extraColumnLabel,
  formatCount,
  formatDuration,
  formatDurationCompact,
  formatNumber,
  formatPercent,
  formatStarted,
  formatStartedShort,
  metricChoiceOf,
  parseThreshold,
  removeExtraColumn,
  setMetricChoice,
  tableLines,
  toggleAll,
  toggleIds,
  toggleSelected,
  toggleSort,
  windowRange,
  withFilter,
  type TableLine,
  type TableState,
} from './table-state'
import { fileStem, saveExport } from '../api/save-file'

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
  /** In the CSV export only: the table shows it inside another column. */
  readonly csvOnly?: boolean
  /** Text that gives way: the column takes what the window leaves and its text ends in an ellipsis (name, dataset, architecture). */
  readonly flex?: boolean
  /** How a group row shows the column's mean ± std (numeric result columns only). */
  readonly stat?: (v: number) => string
}

const engineWords = (engine: string | null) => (engine === 'pytorch' ? 'PyTorch' : engine === 'tfjs' ? 'TF.js' : (engine ?? '—'))

const COLUMNS: readonly Column[] = [
  { key: 'status', label: 'Status', cell: (r) => <StatusChip status={r.status} /> },
  { key: 'startedAt', label: 'Started', cell: (r) => <span title={formatStarted(r.startedAt ?? r.createdAt)}>{formatStartedShort(r.startedAt ?? r.createdAt)}</span> },
  { key: 'durationMs', label: 'Duration', num: true, cell: (r) => formatDurationCompact(r.durationMs), stat: formatDurationCompact },
  { key: 'datasetName', label: 'Dataset', flex: true, cell: (r) => <span className="trunc" title={r.datasetName ?? undefined}>{r.datasetName ?? '—'}</span> },
  {
    key: 'architectureName',
    label: 'Architecture',
    flex: true,
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
    stat: (v) => formatPercent(v),
  },
  { key: 'finalLoss', label: 'Last-epoch loss', title: 'Mean training loss over the last epoch (the Train view’s “Last step loss” is the loss of the final step alone)', num: true, cell: (r) => formatNumber(r.finalLoss), stat: formatNumber },
  { key: 'paramCount', label: 'Params', num: true, cell: (r) => <span title={r.paramCount?.toLocaleString('en-US')}>{formatCount(r.paramCount)}</span> },
  // The table shows the engine in the Backend cell ("TF.js WASM", "PyTorch CUDA"); the CSV keeps both columns.
  { key: 'engine', label: 'Engine', csvOnly: true, cell: (r) => engineWords(r.engine) },
  {
    key: 'backend',
    label: 'Backend',
    title: 'The engine and the backend the run trained on (sort by backend)',
    cell: (r) => (
      <>
        {r.engine !== null && <span className="muted">{engineWords(r.engine)} </span>}
        {backendLabel(r.backend)}
      </>
    ),
  },
]
/** The columns the table draws (the CSV export has them all). */
const TABLE_COLUMNS = COLUMNS.filter((c) => !c.csvOnly)
/** A group row's name also takes the leading columns that have no mean ± std (status, start time). */
const GROUP_LABEL_SPAN = Math.max(0, TABLE_COLUMNS.findIndex((c) => c.stat !== undefined))

/** A cell's classes: numbers align right; flexible text columns give way to the others (runs.css `.flex-col`). */
const cellClass = (c: { num?: boolean; flex?: boolean }) => `${c.num ? 'num' : ''}${c.flex ? 'flex-col' : ''}`

const COMMON_CONFIG_COLUMNS = ['training.optimizer.momentum', 'training.weightDecay', 'training.schedule.type', 'training.seed', 'pipeline.name', 'dataset.shape']

/** The groupings the toolbar offers (with every config column shown): value, words, GroupBy. */
const GROUPINGS: readonly { value: string; label: string; by: GroupBy | null }[] = [
  { value: '', label: 'No grouping', by: null },
  { value: 'exceptSeed', label: 'Everything except the seed', by: { kind: 'exceptSeed' } },
  { value: 'tags', label: 'Tags', by: { kind: 'tags' } },
  ...['training.seed', 'learningRate', 'batchSize', 'optimizer', 'weightDecay', 'schedule', 'datasetName', 'architectureName', 'backend'].map((c) => ({
    value: `col:${c}`,
    label: columnLabel(c).replace(/^./, (x) => x.toUpperCase()),
    by: { kind: 'columns', columns: [c] } as const,
  })),
]
const groupingValue = (g: GroupBy | null): string => (g === null ? '' : g.kind === 'columns' ? `col:${g.columns.join('+')}` : g.kind)

const AGG_WORDS: Record<MetricAgg, string> = { best: 'Best', last: 'Last', min: 'Min', max: 'Max', count: 'Points', lastStep: 'Last step' }

/** The table's lines are all one height (CSS fixes it); the window is measured from the first row. */
const DEFAULT_ROW_HEIGHT = 33

export interface RunsTableProps {
  readonly rows: readonly RunTableRow[]
  /** With grouping: the groups of the matched runs. */
  readonly groups?: readonly RunGroup[]
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
  const [openGroups, setOpenGroups] = useState<ReadonlySet<string>>(() => new Set())
  const [exportNote, setExportNote] = useState<string | null>(null)
  const latest = useRef<RowActions>(null as unknown as RowActions)
  const actions = useMemo<RowActions>(
    () => ({
      toggle: (id) => latest.current.toggle(id),
      toggleIds: (ids) => latest.current.toggleIds(ids),
      toggleGroup: (key) => latest.current.toggleGroup(key),
      open: (id) => latest.current.open(id),
      star: (r) => latest.current.star(r),
      untag: (r, t) => latest.current.untag(r, t),
      tag: (id) => latest.current.tag(id),
      rename: (r) => latest.current.rename(r),
      notes: (r) => latest.current.notes(r),
      exportPytorch: (r) => latest.current.exportPytorch(r),
      remove: (r) => latest.current.remove(r),
    }),
    [],
  )
  const selectedSet = useMemo(() => new Set(selected), [selected])
  const allListed = useMemo(() => rows.length > 0 && rows.every((r) => selectedSet.has(r.id)), [rows, selectedSet])
  const selectedRows = useMemo(() => (selectedSet.size === 0 ? [] : rows.filter((r) => selectedSet.has(r.id))), [rows, selectedSet])
  const lines = useMemo(() => tableLines(rows, props.groups, openGroups), [rows, props.groups, openGroups])
  const metricExtras = useMemo(() => state.extraColumns.filter((c) => c.startsWith('metric:')), [state.extraColumns])
  const span = 3 + TABLE_COLUMNS.length + 1 + state.extraColumns.length + 1

  const header = (key: string, label: string, title?: string, num?: boolean, flex?: boolean) => {
    const active = state.sort.column === key
    return (
      <th key={key} className={cellClass({ num, flex }) || undefined} aria-sort={active ? (state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button className="th-sort" title={title ?? `Sort by ${label}`} aria-label={`Sort by ${label}`} onClick={() => onState(toggleSort(state, key))}>
          {label}
          <span className={`sort-mark${active ? ' on' : ''}`}>{active ? (state.sort.dir === 'asc' ? '▲' : '▼') : '▲'}</span>
        </button>
      </th>
    )
  }

  const addThreshold = () => {
    const t = parseThreshold(thresholdText, state.extraColumns)
    if (!t) {
      setThresholdError('Write a column from the list, a comparison (>, <, ≥, ≤ or =) and a number: best val accuracy ≥ 0.9 keeps runs whose best val accuracy is at least 90%')
      return
    }
    setThresholdError(null)
    setThresholdText('')
    onState(withFilter(state, { thresholds: [...state.thresholds, t] }))
  }

  const columnChoices = [...props.metricNames.flatMap((m) => [`metric:${m.name}:best`, `metric:${m.name}:last`]), ...COMMON_CONFIG_COLUMNS]
  const addColumn = () => {
    if (!columnText.trim()) return
    onState(addExtraColumn(state, columnText, columnChoices))
    setColumnText('')
  }

  const exportCsv = async () => {
    const columns = [
      { key: 'id', label: 'Run id' },
      { key: 'name', label: 'Run' },
      ...COLUMNS.map((c) => ({ key: c.key, label: c.label })),
      { key: 'tags', label: 'Tags' },
      ...state.extraColumns.map((c) => ({ key: c, label: extraColumnLabel(c) })),
    ]
    const value = (r: RunTableRow) => (key: string) => (key in r.extra ? r.extra[key] : (r as unknown as Record<string, string | number | boolean | null | string[]>)[key])
    const csv = runsToCsv(columns, rows.map((r) => ({ id: r.id, value: value(r) })), props.groups)
    const stem = fileStem(`runs${state.group ? ` by ${GROUPINGS.find((g) => g.value === groupingValue(state.group))?.label ?? 'group'}` : ''}`)
    setExportNote(await saveExport({ name: `${stem}.csv`, mime: 'text/csv', bytes: new TextEncoder().encode(csv), kind: { name: 'CSV table', extensions: ['csv'] } }))
  }

  const toggleGroup = (key: string) =>
    setOpenGroups((open) => {
      const next = new Set(open)
      if (!next.delete(key)) next.add(key)
      return next
    })

  const star = (r: RunTableRow) => void api().runs.star({ runIds: [r.id], starred: !r.starred }).catch(reportError)
  const untag = (r: RunTableRow, tag: string) => void api().runs.untag({ runIds: [r.id], tags: [tag] }).catch(reportError)

  // The rows' handlers, one stable object for the table's life (memoized rows keep it); each calls the latest closure.
  latest.current = {
    toggle: (id) => props.onSelected(toggleSelected(selected, id)),
    toggleIds: (ids) => props.onSelected(toggleIds(selected, ids)),
    toggleGroup,
    open: props.onOpen,
    star,
    untag,
    tag: (id) => setDialog({ kind: 'tag', ids: [id] }),
    rename: (row) => setDialog({ kind: 'rename', row }),
    notes: (row) => setDialog({ kind: 'notes', row }),
    exportPytorch: props.onExportPytorch,
    remove: (row) => setDialog({ kind: 'delete', rows: [row] }),
  }

  const head = (
        <thead>
          <tr>
            <th className="col-check">
              <input type="checkbox" aria-label="Select all listed runs" checked={allListed} onChange={() => props.onSelected(toggleAll(selected, rows))} />
            </th>
            {header('starred', '★', 'Sort by starred')}
            {header('name', 'Run', undefined, false, true)}
            {TABLE_COLUMNS.map((c) => header(c.key, c.label, c.title, c.num, c.flex))}
            <th>Tags</th>
            {state.extraColumns.map((c) => (
              <th key={c} className="num extra-col">
                <button className="th-sort" title={`Sort by ${c}`} onClick={() => onState(toggleSort(state, c))}>
                  {extraColumnLabel(c)}
                  <span className={`sort-mark${state.sort.column === c ? ' on' : ''}`}>{state.sort.column === c && state.sort.dir === 'desc' ? '▼' : '▲'}</span>
                </button>
                <MetricChoice column={c} onChoose={(choice) => onState(setMetricChoice(state, c, choice))} />
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
  )

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
        <label className="inline-field" title="Keep the runs whose column passes a number: pick the column from the list as you type, then a comparison (>, <, ≥, ≤ or =) and the number. best val accuracy ≥ 0.9: best val accuracy at least 90%; last-epoch loss < 0.5: the last epoch's loss under 0.5">
          <span>Threshold</span>
          <input
            list="runs-threshold-names"
            placeholder="e.g. best val accuracy ≥ 0.9"
            aria-label="Add a metric threshold"
            aria-invalid={thresholdError ? true : undefined}
            value={thresholdText}
            onChange={(e) => setThresholdText(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && addThreshold()}
          />
        </label>
        <datalist id="runs-threshold-names">
          {[['bestValAccuracy', '≥'], ['finalLoss', '<'], ['learningRate', '≤'], ['durationMs', '<'], ...state.extraColumns.map((c) => [c, '>'])].map(([c, op]) => `${columnLabel(c!)} ${op} `).map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        {state.thresholds.map((t, i) => (
          <span key={`${t.name}${t.op}${t.value}`} className="filter-chip on removable" data-testid="threshold-chip">
            {columnLabel(t.name)} {t.op.replace('>=', '≥').replace('<=', '≤').replace('!=', '≠')} {t.value}
            <button aria-label={`Remove threshold ${columnLabel(t.name)}`} onClick={() => onState(withFilter(state, { thresholds: state.thresholds.filter((_, k) => k !== i) }))}>
              <Icon name="close" size={11} />
            </button>
          </span>
        ))}
        <label className="inline-field" title="Add a column: pick a training setting (momentum) or a metric's best or last value (val/loss (best): the lowest val loss) from the list as you type">
          <span>Column</span>
          <input
            list="runs-extra-columns"
            placeholder="e.g. val/loss (best)"
            aria-label="Add a column"
            value={columnText}
            onChange={(e) => setColumnText(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && addColumn()}
          />
        </label>
        <datalist id="runs-extra-columns">
          {columnChoices.map((v) => (
            <option key={v} value={columnLabel(v)} />
          ))}
        </datalist>
        <label className="inline-field" title="Group rows: a group row shows each result's mean ± standard deviation and its run count">
          <span>Group by</span>
          <select
            aria-label="Group runs by"
            value={groupingValue(state.group)}
            onChange={(e) => {
              const v = e.target.value
              const by = GROUPINGS.find((g) => g.value === v)?.by ?? (v.startsWith('col:') ? ({ kind: 'columns', columns: [v.slice(4)] } as const) : null)
              setOpenGroups(new Set())
              onState(withFilter(state, { group: by }))
            }}
          >
            {GROUPINGS.map((g) => (
              <option key={g.value} value={g.value}>
                {g.label}
              </option>
            ))}
            {state.extraColumns
              .filter((c) => !c.startsWith('metric:') && !GROUPINGS.some((g) => g.value === `col:${c}`))
              .map((c) => (
                <option key={c} value={`col:${c}`}>
                  {extraColumnLabel(c)}
                </option>
              ))}
          </select>
        </label>
        <button className="btn btn-sm" title="The table as shown (its columns, filter and grouping) as a CSV file" disabled={rows.length === 0} onClick={() => void exportCsv().catch(reportError)}>
          Export CSV
        </button>
        {exportNote && (
          <span className="muted small" role="status" data-testid="export-note">
            {exportNote}
          </span>
        )}
        <span className="spacer" />
        {thresholdError && <span className="field-error" role="alert">{thresholdError}</span>}
        <span className="muted small" data-testid="runs-count">
          {props.matched === props.total ? `${props.total} runs` : `${props.matched} of ${props.total} runs`}
          {props.groups ? ` in ${props.groups.length} group${props.groups.length === 1 ? '' : 's'}` : ''}
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
      <RunsGrid
        lines={lines}
        head={head}
        span={span}
        selected={selectedSet}
        extraColumns={state.extraColumns}
        metricExtras={metricExtras}
        actions={actions}
        rowCount={lines.length + 1}
        empty={rows.length === 0 && !props.loading}
      />
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

/** What a row can ask of the table (one stable object: memoized rows do not render again when the table does). */
interface RowActions {
  toggle(id: number): void
  toggleIds(ids: readonly number[]): void
  toggleGroup(key: string): void
  open(id: number): void
  star(r: RunTableRow): void
  untag(r: RunTableRow, tag: string): void
  tag(id: number): void
  rename(r: RunTableRow): void
  notes(r: RunTableRow): void
  exportPytorch(r: RunTableRow): void
  remove(r: RunTableRow): void
}

/**
 * The scrolling part of the table: only the lines in view (and a few either side) are rendered; spacer rows keep
 * the scroll height. It holds the scroll position itself, so a scroll renders the window (memoized rows: only the
 * lines that come into view), not the toolbar. The lines' height is fixed by CSS; it is measured once from the
 * first row, and the viewport's height from a ResizeObserver: nothing reads layout while the window renders.
 */
const RunsGrid = memo(function RunsGrid(props: {
  lines: readonly TableLine[]
  head: React.ReactNode
  span: number
  selected: ReadonlySet<number>
  extraColumns: readonly string[]
  metricExtras: readonly string[]
  actions: RowActions
  rowCount: number
  empty: boolean
}) {
  const { lines, selected, extraColumns, metricExtras, actions } = props
  const scrollRef = useRef<HTMLDivElement>(null)
  const [view, setView] = useState({ top: 0, height: 600, rowHeight: DEFAULT_ROW_HEIGHT })
  const frame = useRef(0)
  const measured = useRef(false)
  const onScroll = useCallback(() => {
    cancelAnimationFrame(frame.current)
    frame.current = requestAnimationFrame(() => {
      const el = scrollRef.current
      if (el) setView((v) => (v.top === el.scrollTop ? v : { ...v, top: el.scrollTop }))
    })
  }, [])
  useLayoutEffect(() => {
    const el = scrollRef.current
    if (!el) return
    const resize = () => setView((v) => (v.height === el.clientHeight ? v : { ...v, height: el.clientHeight, top: el.scrollTop }))
    resize()
    const observer = new ResizeObserver(resize)
    observer.observe(el)
    return () => {
      observer.disconnect()
      cancelAnimationFrame(frame.current)
    }
  }, [])
  useLayoutEffect(() => {
    if (measured.current) return
    const row = scrollRef.current?.querySelector<HTMLElement>('tbody tr[data-line]')
    if (!row) return
    measured.current = true
    const rowHeight = row.offsetHeight || DEFAULT_ROW_HEIGHT
    setView((v) => (v.rowHeight === rowHeight ? v : { ...v, rowHeight }))
  }, [lines])
  const { start, end } = windowRange(view.top, view.height, view.rowHeight, lines.length)
  return (
    <div className="runs-table-scroll" ref={scrollRef} onScroll={onScroll} data-testid="runs-table-scroll">
      <table className="runs-table" data-testid="runs-table" aria-rowcount={props.rowCount}>
        {props.head}
        <tbody>
          {start > 0 && (
            <tr className="spacer-row" aria-hidden="true">
              <td colSpan={props.span} style={{ height: start * view.rowHeight }} />
            </tr>
          )}
          {lines.slice(start, end).map((line, i) =>
            line.kind === 'group' ? (
              <GroupRow key={`g:${line.group.key}`} group={line.group} open={line.open} index={start + i} selected={line.group.runIds.every((id) => selected.has(id))} extraColumns={extraColumns} metricExtras={metricExtras} actions={actions} />
            ) : (
              <RunRow key={line.row.id} row={line.row} inGroup={line.inGroup} index={start + i} selected={selected.has(line.row.id)} extraColumns={extraColumns} actions={actions} />
            ),
          )}
          {end < lines.length && (
            <tr className="spacer-row" aria-hidden="true">
              <td colSpan={props.span} style={{ height: (lines.length - end) * view.rowHeight }} />
            </tr>
          )}
        </tbody>
      </table>
      {props.empty && <div className="runs-none">No run matches these filters.</div>}
    </div>
  )
})

const GroupRow = memo(function GroupRow(props: { group: RunGroup; open: boolean; index: number; selected: boolean; extraColumns: readonly string[]; metricExtras: readonly string[]; actions: RowActions }) {
  const { group: g, open, actions } = props
  return (
    <tr className={`group-row${open ? ' open' : ''}`} data-line={props.index} data-testid="group-row" data-group-key={g.key}>
      <td className="col-check">
        <input type="checkbox" aria-label={`Select the ${g.count} runs of ${g.label}`} checked={props.selected} onChange={() => actions.toggleIds(g.runIds)} />
      </td>
      <td colSpan={2 + GROUP_LABEL_SPAN} className="col-group">
        <button className="group-toggle" aria-expanded={open} onClick={() => actions.toggleGroup(g.key)} title={open ? 'Close the group' : 'Show its runs'}>
          <span className="chev" aria-hidden="true">{open ? '▾' : '▸'}</span>
          <span className="trunc group-label" data-testid="group-label" title={g.label}>{g.label}</span>
          <span className="muted" data-testid="group-count">
            {' '}
            · {g.count} run{g.count === 1 ? '' : 's'}
          </span>
        </button>
      </td>
      {TABLE_COLUMNS.slice(GROUP_LABEL_SPAN).map((c) => (
        <td key={c.key} className={cellClass(c) || undefined} data-col={c.key}>
          {c.stat && g.stats[c.key] ? <GroupStat s={g.stats[c.key] as MetricStats} format={c.stat} /> : ''}
        </td>
      ))}
      <td />
      {props.extraColumns.map((c) => (
        <td key={c} className="num" data-col={c}>
          {props.metricExtras.includes(c) && g.stats[c] ? <GroupStat s={g.stats[c] as MetricStats} format={formatNumber} /> : ''}
        </td>
      ))}
      <td />
    </tr>
  )
})

const RunRow = memo(function RunRow(props: { row: RunTableRow; inGroup: boolean; index: number; selected: boolean; extraColumns: readonly string[]; actions: RowActions }) {
  const { row: r, actions } = props
  return (
    <tr className={`${props.selected ? 'selected' : ''}${props.inGroup ? ' in-group' : ''}`} data-line={props.index} data-testid="run-row" data-run-id={r.id}>
      <td className="col-check">
        <input type="checkbox" aria-label={`Select ${r.name}`} checked={props.selected} onChange={() => actions.toggle(r.id)} />
      </td>
      <td className="col-star">
        <button className={`star${r.starred ? ' on' : ''}`} aria-pressed={r.starred} aria-label={r.starred ? `Unstar ${r.name}` : `Star ${r.name}`} onClick={() => actions.star(r)}>
          {r.starred ? '★' : '☆'}
        </button>
      </td>
      <td className="flex-col col-run">
        <div className="col-name">
          <RunSwatch id={r.id} />
          <button className="run-link" onClick={() => actions.open(r.id)} title={r.notes ?? `Open ${r.name}`}>
            {r.name}
          </button>
          {r.notes && (
            <span className="note-mark" title={r.notes} aria-label="Has notes">
              ✎
            </span>
          )}
        </div>
      </td>
      {TABLE_COLUMNS.map((c) => (
        <td key={c.key} className={cellClass(c) || undefined}>
          {c.cell(r)}
        </td>
      ))}
      <td className="col-tags" title={r.tags.length > 0 ? r.tags.map((t) => `#${t}`).join(' ') : undefined}>
        {r.tags.map((t) => (
          <span key={t} className="tag-chip">
            #{t}
            <button aria-label={`Remove tag ${t} from ${r.name}`} onClick={() => actions.untag(r, t)}>
              <Icon name="close" size={9} />
            </button>
          </span>
        ))}
        <button className="tag-add" aria-label={`Add a tag to ${r.name}`} title="Add a tag" onClick={() => actions.tag(r.id)}>
          +
        </button>
      </td>
      {props.extraColumns.map((c) => (
        <td key={c} className="num" data-col={c}>
          {formatNumber(r.extra[c] ?? null)}
        </td>
      ))}
      <td className="col-actions">
        <ActionsMenu
          label={`Actions for ${r.name}`}
          actions={[
            { label: 'Rename…', onSelect: () => actions.rename(r) },
            { label: 'Notes…', onSelect: () => actions.notes(r) },
            { label: 'Export as PyTorch project…', onSelect: () => actions.exportPytorch(r) },
            { label: 'Delete…', onSelect: () => actions.remove(r), danger: true },
          ]}
        >
          <Icon name="more" size={14} strokeWidth={3} />
        </ActionsMenu>
      </td>
    </tr>
  )
})

/** A group row's cell: mean ± sample standard deviation (n shown when some runs lack the value). */
function GroupStat({ s, format }: { s: MetricStats; format: (v: number) => string }) {
  return (
    <span className="group-stat" title={s.n > 0 ? `mean ${format(s.mean as number)}, sample std ${format(s.std as number)}, min ${format(s.min as number)}, max ${format(s.max as number)} over ${s.n} run${s.n === 1 ? '' : 's'}` : 'No run of the group has a value'}>
      {formatMeanStd(s, format)
        .split(' ± ')
        .map((part, i) => (i === 0 ? part : <span key={i} className="group-std"> ± {part}</span>))}
    </span>
  )
}

/** What a metric column shows: best, last, min, max, or the value at a step or an epoch. */
function MetricChoice({ column, onChoose }: { column: string; onChoose: (c: NonNullable<ReturnType<typeof metricChoiceOf>>) => void }) {
  const m = metricChoiceOf(column)
  const [at, setAt] = useState(() => (m && 'at' in m ? String(m.value) : ''))
  if (!m) return null
  const kind = 'at' in m ? m.at : m.agg
  const commit = (which: 'step' | 'epoch', text: string) => {
    const value = Number(text)
    if (text.trim() !== '' && Number.isFinite(value) && value >= 0 && (which === 'epoch' || Number.isInteger(value))) onChoose({ name: m.name, at: which, value })
  }
  return (
    <span className="metric-choice">
      <select
        aria-label={`What ${m.name} shows`}
        value={kind}
        onChange={(e) => {
          const v = e.target.value
          if (v === 'step' || v === 'epoch') commit(v, at || (v === 'step' ? '1000' : '1'))
          else onChoose({ name: m.name, agg: v as MetricAgg })
        }}
      >
        {METRIC_AGGS.filter((a) => a !== 'count' && a !== 'lastStep').map((a) => (
          <option key={a} value={a}>
            {AGG_WORDS[a]}
          </option>
        ))}
        <option value="step">At step…</option>
        <option value="epoch">At epoch…</option>
      </select>
      {'at' in m && (
        <input
          className="metric-at"
          aria-label={`${m.name} at ${m.at}`}
          inputMode="decimal"
          value={at}
          onChange={(e) => setAt(e.target.value)}
          onBlur={() => commit(m.at, at)}
          onKeyDown={(e) => e.key === 'Enter' && commit(m.at, at)}
        />
      )}
    </span>
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
