/**
 * The runs table's view state (pure): sorting, filters, extra columns and paging, turned into a `runs.table`
 * query; selection; and the formatting of the table's numbers.
 */
import type { RunStatus, RunTableRow, RunsTableQuery, ThresholdOp } from '@shared/api'

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
  /** Extra columns: config paths (`training.momentum`) or metrics (`metric:val/loss:min`). */
  readonly extraColumns: readonly string[]
  readonly page: number
  readonly pageSize: number
}

export const INITIAL_TABLE_STATE: TableState = {
  sort: { column: 'createdAt', dir: 'desc' },
  text: '',
  statuses: [],
  tags: [],
  starredOnly: false,
  thresholds: [],
  extraColumns: [],
  page: 0,
  pageSize: 100,
}

/** Text-like columns sort ascending first; numbers and dates descending (best / newest first). */
const TEXT_COLUMNS = new Set(['name', 'status', 'datasetName', 'architectureName', 'optimizer', 'schedule', 'backend', 'engine'])
/** Columns where smaller is better (first click sorts ascending). */
const LOWER_FIRST = new Set(['finalLoss'])

export function toggleSort(state: TableState, column: string): TableState {
  if (state.sort.column === column) return { ...state, sort: { column, dir: state.sort.dir === 'asc' ? 'desc' : 'asc' }, page: 0 }
  const lowerFirst = TEXT_COLUMNS.has(column) || LOWER_FIRST.has(column) || /^metric:.*loss/i.test(column)
  return { ...state, sort: { column, dir: lowerFirst ? 'asc' : 'desc' }, page: 0 }
}

/** Any change of the filter goes back to the first page. */
export function withFilter(state: TableState, patch: Partial<Omit<TableState, 'sort' | 'page' | 'pageSize'>>): TableState {
  return { ...state, ...patch, page: 0 }
}

export function addExtraColumn(state: TableState, column: string): TableState {
  const c = column.trim()
  if (!c || state.extraColumns.includes(c)) return state
  return { ...state, extraColumns: [...state.extraColumns, c] }
}

export function removeExtraColumn(state: TableState, column: string): TableState {
  const extraColumns = state.extraColumns.filter((c) => c !== column)
  const sort = state.sort.column === column ? INITIAL_TABLE_STATE.sort : state.sort
  return { ...state, extraColumns, sort, thresholds: state.thresholds.filter((t) => t.name !== column) }
}

export function pageCount(matched: number, pageSize: number): number {
  return Math.max(1, Math.ceil(matched / pageSize))
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
    limit: state.pageSize,
    offset: state.page * state.pageSize,
  }
}

/** Parses `bestValAccuracy >= 0.9` or `metric:val/loss:min < 0.5` (null when it is not a threshold). */
export function parseThreshold(text: string): Threshold | null {
  const m = /^\s*([^<>=!]+?)\s*(>=|<=|!=|>|<|=)\s*(\S.*)$/.exec(text)
  if (!m) return null
  const value = Number((m[3] as string).trim())
  if (!Number.isFinite(value)) return null
  return { name: (m[1] as string).trim(), op: m[2] as ThresholdOp, value }
}

/** Selection kept in the order runs were picked (the first two are the architecture diff's A and B). */
export function toggleSelected(selected: readonly number[], id: number): number[] {
  return selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id]
}

/** Selects every row of the page, or clears them when all are already selected. */
export function toggleAll(selected: readonly number[], rows: readonly Pick<RunTableRow, 'id'>[]): number[] {
  const ids = rows.map((r) => r.id)
  const all = ids.length > 0 && ids.every((id) => selected.includes(id))
  return all ? selected.filter((id) => !ids.includes(id)) : [...selected, ...ids.filter((id) => !selected.includes(id))]
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

/** Numbers of any size for people: 0.001 -> "1e-3"; 0.4224 -> "0.4224"; 1234.5 -> "1,234.5". */
export function formatNumber(v: unknown): string {
  if (v === null || v === undefined) return '—'
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v !== 'number') return String(v)
  if (!Number.isFinite(v)) return String(v)
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a < 1e-3 || a >= 1e6) {
    const [m, e] = v.toExponential(2).split('e') as [string, string]
    return `${m.replace(/\.?0+$/, '')}e${Number(e)}`
  }
  if (Number.isInteger(v)) return v.toLocaleString('en-US')
  return String(Number(v.toPrecision(4)))
}

/** "2026-03-01 14:05" in local time. */
export function formatStarted(iso: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** A short label of an extra column for its header: `metric:val/loss:min` -> `val/loss (min)`. */
export function extraColumnLabel(column: string): string {
  const m = /^metric:(.+?)(?::(last|best|min|max|count|lastStep))?$/.exec(column)
  if (m) return m[2] ? `${m[1]} (${m[2]})` : (m[1] as string)
  return column.replace(/^config:/, '').replace(/^training\./, '')
}
