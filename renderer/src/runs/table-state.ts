/**
 * The runs table's view state (pure): sorting, filters, extra columns (a metric column's choice: best, last,
 * min, max, at a step or an epoch) and grouping, turned into a `runs.table` query; selection; the rows as the
 * virtualized table lays them out (group rows, open groups' runs); and the formatting of the table's numbers.
 */
import type { RunStatus, RunTableRow, RunsTableQuery, ThresholdOp } from '@shared/api'
import { columnKeyFromWords, formatNumber, metricColumnKey, parseMetricColumn, type GroupBy, type MetricColumn, type RunGroup } from '@shared/runs'

export { formatNumber }

export interface Threshold {
  readonly name: string
  readonly op: ThresholdOp
  readonly value: number
}

export interface TableState {
  readonly sort: { readonly column: string; readonly dir: 'asc' | 'desc' }
  readonly text: string
  readonly statuses: readonly RunStatus[]
  readonly tags: readonly string[]
  readonly starredOnly: boolean
  readonly thresholds: readonly Threshold[]
  /** Extra columns: config paths (`training.momentum`) or metrics (`metric:val/loss:min`, `metric:val/acc:step=500`). */
  readonly extraColumns: readonly string[]
  /** How the rows are grouped (null: one row per run). */
  readonly group: GroupBy | null
}

export const INITIAL_TABLE_STATE: TableState = {
  sort: { column: 'createdAt', dir: 'desc' },
  text: '',
  statuses: [],
  tags: [],
  starredOnly: false,
  thresholds: [],
  extraColumns: [],
  group: null,
}

/** Text-like columns sort ascending first; numbers and dates descending (best / newest first). */
const TEXT_COLUMNS = new Set(['name', 'status', 'datasetName', 'architectureName', 'optimizer', 'schedule', 'backend', 'engine'])
/** Columns where smaller is better (first click sorts ascending). */
const LOWER_FIRST = new Set(['finalLoss'])

export function toggleSort(state: TableState, column: string): TableState {
  if (state.sort.column === column) return { ...state, sort: { column, dir: state.sort.dir === 'asc' ? 'desc' : 'asc' } }
  const lowerFirst = TEXT_COLUMNS.has(column) || LOWER_FIRST.has(column) || /^metric:.*loss/i.test(column)
  return { ...state, sort: { column, dir: lowerFirst ? 'asc' : 'desc' } }
}

export function withFilter(state: TableState, patch: Partial<Omit<TableState, 'sort'>>): TableState {
  return { ...state, ...patch }
}

/**
 * Changes what a metric column shows (best, last, min, max, at a step or an epoch): the column, its sort and its
 * thresholds follow the new key. A choice the table already has as a column leaves the state as it is.
 */
export function setMetricChoice(state: TableState, column: string, choice: MetricColumn): TableState {
  const next = metricColumnKey(choice)
  if (next === column || state.extraColumns.includes(next)) return state
  return {
    ...state,
    extraColumns: state.extraColumns.map((c) => (c === column ? next : c)),
    sort: state.sort.column === column ? { ...state.sort, column: next } : state.sort,
    thresholds: state.thresholds.map((t) => (t.name === column ? { ...t, name: next } : t)),
  }
}

/** The metric column of a key (a bare `metric:x` reads as its last value). */
export const metricChoiceOf = (column: string): MetricColumn | null => parseMetricColumn(column)

/** Adds a column named by its key or in the table's words (`val/loss (min)`; see columnKeyFromWords). */
export function addExtraColumn(state: TableState, column: string, candidates: readonly string[] = []): TableState {
  const c = columnKeyFromWords(column, candidates)
  if (!c || state.extraColumns.includes(c)) return state
  return { ...state, extraColumns: [...state.extraColumns, c] }
}

export function removeExtraColumn(state: TableState, column: string): TableState {
  const extraColumns = state.extraColumns.filter((c) => c !== column)
  const sort = state.sort.column === column ? INITIAL_TABLE_STATE.sort : state.sort
  return { ...state, extraColumns, sort, thresholds: state.thresholds.filter((t) => t.name !== column) }
}

export function toQuery(projectId: number, state: TableState): RunsTableQuery {
  const filter: NonNullable<RunsTableQuery['filter']> = {
    ...(state.text.trim() ? { text: state.text.trim() } : {}),
    ...(state.statuses.length > 0 ? { status: [...state.statuses] } : {}),
    ...(state.tags.length > 0 ? { tags: [...state.tags] } : {}),
    ...(state.starredOnly ? { starred: true } : {}),
    ...(state.thresholds.length > 0 ? { metrics: state.thresholds.map((t) => ({ ...t })) } : {}),
  }
  return {
    projectId,
    sort: { ...state.sort },
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
    ...(state.extraColumns.length > 0 ? { extraColumns: [...state.extraColumns] } : {}),
    ...(state.group ? { group: state.group.kind === 'columns' ? { kind: 'columns', columns: [...state.group.columns] } : { ...state.group } } : {}),
  }
}

/** A line of the virtualized table: a group row or a run row (inside an open group, or ungrouped). */
export type TableLine = { readonly kind: 'group'; readonly group: RunGroup; readonly open: boolean } | { readonly kind: 'run'; readonly row: RunTableRow; readonly inGroup: boolean }

/** The table's lines: every run in order, or each group followed by its runs when it is open. */
export function tableLines(rows: readonly RunTableRow[], groups: readonly RunGroup[] | undefined, open: ReadonlySet<string>): TableLine[] {
  if (!groups) return rows.map((row) => ({ kind: 'run', row, inGroup: false }))
  const byId = new Map(rows.map((r) => [r.id, r]))
  const out: TableLine[] = []
  for (const group of groups) {
    const isOpen = open.has(group.key)
    out.push({ kind: 'group', group, open: isOpen })
    if (!isOpen) continue
    for (const id of group.runIds) {
      const row = byId.get(id)
      if (row) out.push({ kind: 'run', row, inGroup: true })
    }
  }
  return out
}

/** The rows a fixed-height window shows: first and last index (exclusive) with `overscan` rows either side. */
export function windowRange(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 8): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const end = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan)
  return { start, end: Math.max(start, end) }
}

const OP_SYMBOLS: Readonly<Record<string, ThresholdOp>> = { '≥': '>=', '≤': '<=', '≠': '!=' }

/**
 * Parses a threshold in the table's words or keys: `best val accuracy ≥ 0.9`, `bestValAccuracy >= 0.9`,
 * `val/loss (min) < 0.5`, `metric:val/loss:min<0.5` (null when it is not a threshold). `candidates`: the extra
 * columns whose labels may name them (shared/runs columnKeyFromWords).
 */
export function parseThreshold(text: string, candidates: readonly string[] = []): Threshold | null {
  const m = /^\s*([^<>=!≥≤≠]+?)\s*(>=|<=|!=|>|<|=|≥|≤|≠)\s*(\S.*)$/.exec(text)
  if (!m) return null
  const value = Number((m[3] as string).trim())
  if (!Number.isFinite(value)) return null
  const op = OP_SYMBOLS[m[2] as string] ?? (m[2] as ThresholdOp)
  return { name: columnKeyFromWords(m[1] as string, candidates), op, value }
}

/** Selection kept in the order runs were picked (the first two are the architecture diff's A and B). */
export function toggleSelected(selected: readonly number[], id: number): number[] {
  return selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id]
}

/** Selects every listed row, or clears them when all are already selected. */
export function toggleAll(selected: readonly number[], rows: readonly Pick<RunTableRow, 'id'>[]): number[] {
  return toggleIds(selected, rows.map((r) => r.id))
}

/** Selects these runs, or clears them when all are already selected (a group's checkbox); linear in the sizes. */
export function toggleIds(selected: readonly number[], ids: readonly number[]): number[] {
  const have = new Set(selected)
  const all = ids.length > 0 && ids.every((id) => have.has(id))
  if (all) {
    const drop = new Set(ids)
    return selected.filter((id) => !drop.has(id))
  }
  return [...selected, ...ids.filter((id) => !have.has(id))]
}

// Formatting ---------------------------------------------------------------------------------------------------

/** 00:04:31, or 2d 03:10:00 past a day; "—" for nothing. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—'
  const s = Math.round(ms / 1000)
  const d = Math.floor(s / 86400)
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, '0')
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  const ss = String(s % 60).padStart(2, '0')
  return `${d > 0 ? `${d}d ` : ''}${hh}:${mm}:${ss}`
}

/** A duration without its leading zeros, as the runs table shows it (rows and the group rows' mean ± std): 00:04:31 -> 4:31, 01:05:12 -> 1:05:12. */
export const formatDurationCompact = (ms: number | null | undefined): string => formatDuration(ms).replace(/^00:/, '').replace(/^0(?=\d)/, '')

/** 138,357,544 -> "138.4 M"; 61,706 -> "61.7 K". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—'
  const a = Math.abs(n)
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)} B`
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)} M`
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)} K`
  return n.toLocaleString('en-US')
}

export function formatPercent(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)}%`
}

/** "2026-03-01 14:05" in local time. */
export function formatStarted(iso: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/**
 * The start time as the table shows it, short: `Dec 2, 17:35` this year, `2025-12-02` before (the full time is the
 * cell's title, formatStarted).
 */
export function formatStartedShort(iso: string | null, now = new Date()): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  if (d.getFullYear() !== now.getFullYear()) return formatStarted(iso).slice(0, 10)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${MONTHS[d.getMonth()]} ${d.getDate()}, ${p(d.getHours())}:${p(d.getMinutes())}`
}
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** A short label of an extra column for its header: `metric:val/loss:min` -> `val/loss (min)` (shared/runs columnLabel). */
export { columnLabel as extraColumnLabel } from '@shared/runs'
