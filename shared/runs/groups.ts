/**
 * Grouping runs (pure): by one or more columns (a hyperparameter fact such as `learningRate`, a config path such
 * as `training.optimizer.momentum`, any table column), by their tags, or by "everything except the seed" (every
 * hyperparameter fact, the settings fingerprint and every other config column shown, but no seed column).
 *
 * A group has a deterministic key (the JSON of its columns' values, the same whatever the order of the runs), a
 * label in the user's words ("learning rate 0.01, batch size 32"), its runs (in input order) and, per metric
 * column, the count of runs with a value, the mean and the SAMPLE standard deviation (n - 1 in the denominator;
 * 0 for a single value), min and max. Runs without a value for a metric are left out of that metric's numbers.
 * Groups partition the runs: every run is in exactly one group.
 */
import { HYPERPARAMETER_COLUMNS, columnLabel, formatNumber, isSeedColumn } from './columns'

export type GroupValue = number | string | boolean | null

export type GroupBy =
  /** One group per distinct combination of these columns' values. */
  | { readonly kind: 'columns'; readonly columns: readonly string[] }
  /** One group per distinct set of tags (a run tagged `a` and `b` is in the group "tags a, b"). */
  | { readonly kind: 'tags' }
  /** Runs that differ only in their seed share a group. */
  | { readonly kind: 'exceptSeed' }

export interface GroupableRun {
  readonly id: number
  readonly tags: readonly string[]
  /** The run's column values by column key (base columns, config paths, metric columns); absent reads as null. */
  readonly values: Readonly<Record<string, GroupValue | undefined>>
}

export interface MetricStats {
  /** Runs of the group with a finite value for the metric. */
  readonly n: number
  /** null when n is 0. */
  readonly mean: number | null
  /** Sample standard deviation (n - 1); 0 for n = 1, null for n = 0. */
  readonly std: number | null
  readonly min: number | null
  readonly max: number | null
}

export interface RunGroup {
  readonly key: string
  readonly label: string
  /** The grouping columns and the group's value in each (for tags: `tags`, the sorted tags joined by ", "). */
  readonly values: Readonly<Record<string, GroupValue>>
  readonly runIds: readonly number[]
  readonly count: number
  readonly stats: Readonly<Record<string, MetricStats>>
}

/** The columns a grouping compares, given the columns the runs carry (for "everything except the seed"). */
export function groupColumns(by: GroupBy, available: readonly string[]): string[] {
  if (by.kind === 'columns') return [...new Set(by.columns)]
  if (by.kind === 'tags') return ['tags']
  const hyper = new Set<string>(HYPERPARAMETER_COLUMNS)
  const config = available.filter((c) => !hyper.has(c) && !c.startsWith('metric:') && !isSeedColumn(c) && !NOT_SETTINGS.has(c))
  return [...HYPERPARAMETER_COLUMNS.filter((c) => available.includes(c)), ...[...new Set(config)].sort()]
}

/** Base columns that describe a run but are not its settings (never compared by "everything except the seed"). */
const NOT_SETTINGS = new Set([
  'id', 'name', 'status', 'createdAt', 'startedAt', 'endedAt', 'durationMs', 'bestValAccuracy', 'bestEpoch', 'finalLoss', 'paramCount',
  'backend', 'starred', 'tags', 'notes',
])

const norm = (v: GroupValue | undefined): GroupValue => (v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v)

/** Orders values: numbers by size, then booleans, then strings by code unit, nulls last. */
function compareValue(a: GroupValue, b: GroupValue): number {
  const rank = (v: GroupValue) => (v === null ? 3 : typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2)
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  const sa = String(a)
  const sb = String(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}

/** Count, mean, sample std, min and max of the finite numbers among `values`. */
export function metricStats(values: readonly (GroupValue | undefined)[]): MetricStats {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  const n = xs.length
  if (n === 0) return { n, mean: null, std: null, min: null, max: null }
  let mean = 0
  for (const x of xs) mean += x
  mean /= n
  let ss = 0
  for (const x of xs) ss += (x - mean) * (x - mean)
  return { n, mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min: Math.min(...xs), max: Math.max(...xs) }
}

const valuePhrase = (column: string, v: GroupValue): string => {
  if (column === 'tags') return v === '' || v === null ? 'no tags' : `tags ${String(v)}`
  const words = columnLabel(column)
  if (column === 'settingsKey') return v === null ? 'no recorded settings' : `settings ${String(v).slice(0, 6)}`
  return v === null ? `no ${words}` : `${words} ${formatNumber(v)}`
}

/**
 * Groups `runs` and computes each group's statistics of `metrics` (column keys whose values are numbers).
 * Groups come ordered by their values (numbers ascending, nulls last), column by column. The label names the
 * grouping columns' values; for "everything except the seed" only the columns in which the groups differ
 * ("learning rate 0.01"; the settings fingerprint only where nothing else tells two groups apart), or "all
 * settings alike" when there is one group.
 */
export function groupRuns(runs: readonly GroupableRun[], by: GroupBy, metrics: readonly string[]): RunGroup[] {
  const available = new Set<string>()
  if (by.kind === 'exceptSeed') for (const r of runs) for (const k of Object.keys(r.values)) available.add(k)
  const columns = groupColumns(by, [...available])
  const valueOf = (r: GroupableRun, c: string): GroupValue => (c === 'tags' ? [...new Set(r.tags)].sort().join(', ') : norm(r.values[c]))
  const buckets = new Map<string, { values: GroupValue[]; runs: GroupableRun[] }>()
  for (const r of runs) {
    const values = columns.map((c) => valueOf(r, c))
    const key = JSON.stringify(values)
    const b = buckets.get(key)
    if (b) b.runs.push(r)
    else buckets.set(key, { values, runs: [r] })
  }
  const list = [...buckets.entries()].sort(([, a], [, b]) => {
    for (let i = 0; i < columns.length; i++) {
      const c = compareValue(a.values[i] as GroupValue, b.values[i] as GroupValue)
      if (c !== 0) return c
    }
    return 0
  })
  // For "everything except the seed", name only the columns that tell the groups apart.
  // The settings fingerprint is named only when the other columns do not already tell the groups apart.
  let shown = columns.map((_, i) => i)
  if (by.kind === 'exceptSeed') {
    shown = shown.filter((i) => list.some(([, g]) => compareValue(g.values[i] as GroupValue, (list[0]?.[1].values[i] ?? null) as GroupValue) !== 0))
    const fingerprint = columns.indexOf('settingsKey')
    const others = shown.filter((i) => i !== fingerprint)
    if (new Set(list.map(([, g]) => JSON.stringify(others.map((i) => g.values[i])))).size === list.length) shown = others
  }
  return list.map(([key, g]) => {
    const values: Record<string, GroupValue> = {}
    columns.forEach((c, i) => (values[c] = g.values[i] as GroupValue))
    const stats: Record<string, MetricStats> = {}
    for (const m of metrics) stats[m] = metricStats(g.runs.map((r) => r.values[m]))
    const label = shown.length === 0 ? 'all settings alike' : shown.map((i) => valuePhrase(columns[i] as string, g.values[i] as GroupValue)).join(', ')
    return { key, label, values, runIds: g.runs.map((r) => r.id), count: g.runs.length, stats }
  })
}

/**
 * "0.424 ± 0.017" style: mean ± sample std of a group's metric, "—" without values. Plain numbers are rounded as a
 * person reports a measurement: the std to two significant digits and the mean to the same decimal place (so
 * 0.4237 ± 0.01703 reads 0.424 ± 0.017). A unit formatter (percent, duration) formats both values itself.
 */
export function formatMeanStd(s: MetricStats, format: (v: number) => string = formatNumber): string {
  if (s.mean === null || s.std === null) return '—'
  if (format === formatNumber && s.std > 0 && Number.isFinite(s.std) && Number.isFinite(s.mean)) {
    const decimals = Math.min(12, Math.max(0, 1 - Math.floor(Math.log10(s.std))))
    if (decimals > 0 || Math.abs(s.mean) < 1e15) return `${s.mean.toFixed(decimals)} ± ${s.std.toFixed(decimals)}`
  }
  return `${format(s.mean)} ± ${format(s.std)}`
}
