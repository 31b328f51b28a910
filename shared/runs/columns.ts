/**
 * The runs table's columns in the user's words (pure): header labels of the base columns and of extra columns
 * (`metric:val/loss:min`, `metric:val/acc:step=500`, config paths), which columns are hyperparameters, which one is
 * the seed, and the one number format of the table, its group rows and its CSV export.
 */

/** Labels of the base columns (RUN_TABLE_COLUMNS, shared/api) as a sentence names them. */
export const COLUMN_WORDS: Readonly<Record<string, string>> = {
  id: 'run id',
  name: 'name',
  status: 'status',
  createdAt: 'created',
  startedAt: 'started',
  endedAt: 'ended',
  durationMs: 'duration (ms)',
  datasetName: 'dataset',
  architectureName: 'architecture',
  architectureVersion: 'architecture version',
  optimizer: 'optimizer',
  learningRate: 'learning rate',
  batchSize: 'batch size',
  epochs: 'epochs',
  weightDecay: 'weight decay',
  schedule: 'schedule',
  bestValAccuracy: 'best val accuracy',
  bestEpoch: 'best epoch',
  finalLoss: 'last-epoch loss',
  paramCount: 'parameters',
  backend: 'backend',
  starred: 'starred',
  settingsKey: 'settings',
  tags: 'tags',
}

/**
 * The hyperparameter facts of a run (base columns): what "everything except the seed" compares, with
 * `settingsKey` (the fingerprint of the whole config snapshot without its seed) catching every other setting.
 */
export const HYPERPARAMETER_COLUMNS = [
  'datasetName',
  'architectureName',
  'architectureVersion',
  'optimizer',
  'learningRate',
  'batchSize',
  'epochs',
  'weightDecay',
  'schedule',
  'settingsKey',
] as const

/** The metric columns' choices: what a metric column shows of its series. */
export const METRIC_AGGS = ['last', 'best', 'min', 'max', 'count', 'lastStep'] as const
export type MetricAgg = (typeof METRIC_AGGS)[number]

/** A metric column: `metric:<name>`, `metric:<name>:<agg>`, `metric:<name>:step=<n>` or `metric:<name>:epoch=<n>`. */
export type MetricColumn = { readonly name: string } & ({ readonly agg: MetricAgg } | { readonly at: 'step' | 'epoch'; readonly value: number })

/** Parses a metric column key (null when the key is not `metric:...` or names no metric). */
export function parseMetricColumn(key: string): MetricColumn | null {
  if (!key.startsWith('metric:')) return null
  const rest = key.slice('metric:'.length)
  const colon = rest.lastIndexOf(':')
  const tail = colon >= 0 ? rest.slice(colon + 1) : ''
  const at = /^(step|epoch)=(-?\d+(?:\.\d+)?)$/.exec(tail)
  if (at) {
    const name = rest.slice(0, colon)
    return name ? { name, at: at[1] as 'step' | 'epoch', value: Number(at[2]) } : null
  }
  const isAgg = (METRIC_AGGS as readonly string[]).includes(tail)
  const name = isAgg ? rest.slice(0, colon) : rest
  return name ? { name, agg: isAgg ? (tail as MetricAgg) : 'last' } : null
}

/** The key of a metric column (the inverse of parseMetricColumn). */
export function metricColumnKey(c: MetricColumn): string {
  return 'agg' in c ? `metric:${c.name}:${c.agg}` : `metric:${c.name}:${c.at}=${c.value}`
}

/** A config column's path without its `config:` prefix and without `training.` (where hyperparameters live). */
const configPath = (key: string): string => key.replace(/^config:/, '').replace(/^training\./, '')

/** Whether a column is the run's seed (`training.seed`, `seed`, `config:training.seed`). */
export const isSeedColumn = (key: string): boolean => !key.startsWith('metric:') && configPath(key) === 'seed'

/** A column's header label: `metric:val/loss:min` -> `val/loss (min)`, `metric:val/acc:step=500` -> `val/acc (step 500)`. */
export function columnLabel(key: string): string {
  const m = parseMetricColumn(key)
  if (m) return 'agg' in m ? (m.agg === 'last' && !key.endsWith(':last') ? m.name : `${m.name} (${m.agg === 'lastStep' ? 'last step' : m.agg})`) : `${m.name} (${m.at} ${m.value})`
  return COLUMN_WORDS[key] ?? configPath(key)
}

/** Numbers of any size for people: 0.001 -> "1e-3"; 0.4224 -> "0.4224"; 1234.5 -> "1,234.5"; null -> "—". */
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

/**
 * The column a person names, in the table's words or as its key: `best val accuracy` -> `bestValAccuracy`,
 * `val/loss (min)` -> `metric:val/loss:min`, `val/acc (step 500)` -> `metric:val/acc:step=500`; a key is kept as it
 * is. `candidates` are the other keys on offer (extra columns, config paths), matched by their labels. Matching
 * ignores case and repeated spaces; text that names nothing known comes back trimmed, unchanged.
 */
export function columnKeyFromWords(text: string, candidates: readonly string[] = []): string {
  const t = text.trim()
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim()
  const wanted = norm(t)
  if (t in COLUMN_WORDS || candidates.includes(t) || parseMetricColumn(t)) return t
  for (const key of [...Object.keys(COLUMN_WORDS), ...candidates]) if (norm(columnLabel(key)) === wanted) return key
  const m = /^(.+?)\s*\((best|last|min|max|count|last step|step (-?\d+(?:\.\d+)?)|epoch (-?\d+(?:\.\d+)?))\)$/i.exec(t)
  if (m) {
    const name = (m[1] as string).trim()
    const what = norm(m[2] as string)
    if (m[3] !== undefined) return metricColumnKey({ name, at: 'step', value: Number(m[3]) })
    if (m[4] !== undefined) return metricColumnKey({ name, at: 'epoch', value: Number(m[4]) })
    return metricColumnKey({ name, agg: what === 'last step' ? 'lastStep' : (what as MetricAgg) })
  }
  return t
}
