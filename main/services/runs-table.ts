/**
 * The runs table (sort, filter, extra columns) over the run facts (run-facts.ts), and the overlay
 * queries (metricsMany, valueAt). Everything here reads narrow columns and the run_metric_stats table; a run's
 * config JSON is only touched for extra config columns (with SQLite's `->`, never parsed whole in JS).
 */
import {
  ApiError,
  RUN_TABLE_COLUMNS,
  type ExtraValue,
  type MethodOutput,
  type RunStatus,
  type RunTableColumn,
  type RunTableRow,
  type RunsTable,
  type runsContract,
} from '@shared/api'
import { downsampleMinMax, metricGoal, parsePath } from '@shared/compare'
import { METRIC_AGGS, groupColumns, groupRuns, type GroupValue, type MetricColumn, parseMetricColumn } from '@shared/runs'
import type { Statement } from 'better-sqlite3'
import type { z } from 'zod'
import type { Db } from '../store/db'
import { createChunkStore, decodeChunk, lastAtOrBefore, STRIDE, unpack } from './metric-chunks'
import { FACT_COLUMNS, FACT_FIELDS, type RunFactFields } from './run-facts'

type Methods = (typeof runsContract)['methods']
type Input<K extends keyof Methods> = z.output<Methods[K]['input']>
type Output<K extends keyof Methods> = MethodOutput<Methods[K]>

/** What the table reads of a run: a few base columns and every fact column (run-facts.ts). */
const TABLE_BASE_COLUMNS = [
  'id', 'project_id', 'group_id', 'name', 'status', 'created_at', 'started_at', 'ended_at', 'duration_ms', 'dataset_id',
  'architecture_version_id', 'backend', 'tags', 'starred', 'notes',
] as const

/** What the table reads: from the covering index runs_table alone (migration 10; a test checks the plan). */
export const RUNS_TABLE_SQL = `SELECT ${[...TABLE_BASE_COLUMNS, ...FACT_COLUMNS].join(', ')} FROM runs WHERE project_id = ?`

/** A column's place in a row of RUNS_TABLE_SQL. */
const AT = Object.fromEntries(TABLE_BASE_COLUMNS.map((c, i) => [c, i])) as Record<(typeof TABLE_BASE_COLUMNS)[number], number>

type ExtraSpec = ({ key: string; kind: 'metric' } & MetricColumn) | { key: string; kind: 'config'; path: string; root: string; training: string }

/** A metric column (shared/runs parseMetricColumn) or a config path (optionally `config:`-prefixed); throws invalid_payload for a bad key. */
export function parseExtraColumn(key: string): ExtraSpec {
  if (key.startsWith('metric:')) {
    const m = parseMetricColumn(key)
    if (!m) throw new ApiError('invalid_payload', `Extra column "${key}" names no metric (use metric:<name>, metric:<name>:<${METRIC_AGGS.join('|')}>, metric:<name>:step=<n> or metric:<name>:epoch=<n>)`)
    return { key, kind: 'metric', ...m }
  }
  const path = key.startsWith('config:') ? key.slice('config:'.length) : key
  const parts = parsePath(path)
  if (!parts) throw new ApiError('invalid_payload', `Extra column "${key}" is not a config path (like training.learningRate or optimizer.lr)`)
  const json = (ps: (string | number)[]) => '$' + ps.map((p) => (typeof p === 'number' ? `[${p}]` : `."${p.replace(/["\\]/g, (c) => `\\${c}`)}"`)).join('')
  return { key, kind: 'config', path, root: json(parts), training: json(['training', ...parts]) }
}

const baseColumns = new Set<string>(RUN_TABLE_COLUMNS)

/** The numeric result columns a group row shows mean ± std of (with every metric column requested). */
const RESULT_COLUMNS = ['bestValAccuracy', 'bestEpoch', 'finalLoss', 'durationMs', 'paramCount'] as const

/**
 * A value as the table sorts it, worked out once per row (a 10,000-row sort compares ~140,000 pairs; lowering
 * strings in every comparison was most of the table's time): numbers and booleans by value (each among its own
 * kind), anything else by its text, case-insensitively first.
 */
interface SortKey {
  readonly kind: 'number' | 'boolean' | 'text'
  readonly num: number
  readonly value: unknown
  /** The text and its lower case: for a number or boolean only once it meets a key of another kind. */
  text: string | null
  lower: string | null
}

function sortKey(v: unknown): SortKey {
  const kind = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'text'
  if (kind !== 'text') return { kind, num: Number(v), value: v, text: null, lower: null }
  const text = typeof v === 'string' ? v : JSON.stringify(v)
  return { kind, num: 0, value: v, text, lower: text.toLowerCase() }
}

function texts(k: SortKey): SortKey & { text: string; lower: string } {
  if (k.text === null) {
    k.text = JSON.stringify(k.value)
    k.lower = k.text.toLowerCase()
  }
  return k as SortKey & { text: string; lower: string }
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a.kind !== 'text' && a.kind === b.kind) return a.num - b.num
  const x = texts(a)
  const y = texts(b)
  return x.lower < y.lower ? -1 : x.lower > y.lower ? 1 : x.text < y.text ? -1 : x.text > y.text ? 1 : 0
}

const testThreshold = (v: unknown, op: string, x: number): boolean => {
  if (typeof v === 'boolean') v = Number(v)
  if (typeof v !== 'number' || Number.isNaN(v)) return false
  switch (op) {
    case '>':
      return v > x
    case '>=':
      return v >= x
    case '<':
      return v < x
    case '<=':
      return v <= x
    case '=':
      return v === x
    default:
      return v !== x
  }
}

const point = (p: [number, number, number] | undefined) => (p ? { step: p[0], epoch: p[1], value: p[2] } : undefined)

/** A run's statistics of one metric: [runId, count, lastStep, lastEpoch, lastValue, minValue, maxValue]. */
type StatsRow = [number, number, number, number, number, number, number]

/**
 * Values the table keeps per column and run, each with the stamp it was read under: a run's value is read again
 * when its stamp differs (or after forget). At most 64 columns are kept; asking for another starts afresh.
 */
class KeptValues<V, S = string> {
  private readonly columns = new Map<string, Map<number, { stamp: S; value: V }>>()

  column(key: string): Map<number, { stamp: S; value: V }> {
    let c = this.columns.get(key)
    if (!c) {
      if (this.columns.size >= 64) this.columns.clear()
      c = new Map()
      this.columns.set(key, c)
    }
    return c
  }

  forget(runId: number): void {
    for (const c of this.columns.values()) c.delete(runId)
  }
}

export function createRunsQueries(db: Db) {
  const tableRows = db.prepare(RUNS_TABLE_SQL).raw()
  /**
   * What a query read last (a project's rows, a metric's statistics of a project's runs), while the database is as
   * it was then: no row changed through this connection (total_changes(): every insert, update and delete,
   * triggers' and cascades' included) and no other connection committed (PRAGMA data_version: the CLI, another
   * host). Reading 10,000 rows makes ~140,000 strings (~100 ms), each metric's statistics ~15 ms; a sort, a filter
   * or a grouping of the same runs reuses them. Any write at all reads them again.
   */
  const totalChanges = db.prepare('SELECT total_changes()').pluck()
  const dataVersion = db.prepare('PRAGMA data_version').pluck()
  const keptReads = new Map<string, { stamp: string; value: unknown }>()
  const whileUnchanged = <T>(key: string, read: () => T): T => {
    const stamp = `${String(dataVersion.get())}:${String(totalChanges.get())}`
    const kept = keptReads.get(key)
    if (kept?.stamp === stamp) return kept.value as T
    const value = read()
    if (keptReads.size >= 32) keptReads.clear()
    keptReads.set(key, { stamp, value })
    return value
  }
  const rowsOf = (projectId: number) => whileUnchanged(`rows:${projectId}`, () => tableRows.all(projectId) as unknown[][])
  const nameIdOf = db.prepare('SELECT id FROM metric_names WHERE name = ?').pluck()
  // Per run of the project with points of a name: [runId, count, lastStep, lastEpoch, lastValue, minValue, maxValue].
  const statsOfName = db
    .prepare(
      `SELECT s.run_id, s.count, s.last_step, s.last_epoch, s.last_value, s.min_value, s.max_value
       FROM run_metric_stats s JOIN runs r ON r.id = s.run_id WHERE r.project_id = ? AND s.name_id = ?`,
    )
    .raw()
  // The value at a step (an epoch) of the given runs: their last point at or before it (for a step one seek per
  // run, the chunk holding it; for an epoch the chunks that start at or below it).
  const chunkAtStepOf = db
    .prepare(
      `SELECT s.run_id, (SELECT c.data FROM metric_chunks c WHERE c.run_id = s.run_id AND c.name_id = s.name_id AND c.first_step <= ? ORDER BY c.first_step DESC LIMIT 1)
       FROM run_metric_stats s WHERE s.run_id IN (SELECT value FROM json_each(?)) AND s.name_id = ?`,
    )
    .raw()
  const chunksToEpochOf = db
    .prepare(
      `SELECT c.run_id, c.data FROM metric_chunks c
       WHERE c.run_id IN (SELECT value FROM json_each(?)) AND c.name_id = ? AND c.min_epoch <= ? ORDER BY c.run_id, c.first_step`,
    )
    .raw()
  const chunks = createChunkStore(db)
  const statsOf = db.prepare('SELECT min_step AS minStep, max_step AS maxStep FROM run_metric_stats WHERE run_id = ? AND name_id = ?')
  const bestEpochOf = db.prepare('SELECT id, best_epoch AS bestEpoch FROM runs WHERE id = ?')
  const configExtras = new Map<string, Statement<unknown[]>>()

  const nameId = (name: string): number | undefined => nameIdOf.get(name) as number | undefined

  const checkRuns = (ids: readonly number[]) => {
    const found = new Set(
      db
        .prepare(`SELECT id FROM runs WHERE id IN (${ids.map(() => '?').join(',')})`)
        .pluck()
        .all(...ids) as number[],
    )
    const missing = ids.filter((id) => !found.has(id))
    if (missing.length) throw new ApiError('not_found', `Run${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist (deleted?)`)
  }

  /**
   * Config values by path and run. A run's config snapshot is written once, at its creation, and reading a value
   * from it has SQLite parse the whole snapshot (about 11 KB with a ResNet-20 graph: 10,000 runs took ~500 ms a
   * column, on every refresh of the table); so each run's value is read once. SQLite gives a deleted run's id to
   * the next run: a deletion here forgets the run (forget), and an entry holds the run's created_at for a run
   * deleted and made again by another process (the CLI).
   */
  const configValues = new KeptValues<ExtraValue>() // stamped with the run's created_at
  const configValueOf = (text: string | null): ExtraValue => {
    if (text === null) return null
    const v = JSON.parse(text) as unknown
    return v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : JSON.stringify(v)
  }

  /**
   * Metric values at a step or an epoch by column and run: reading them means a chunk's blob a run (10,000 runs:
   * ~100 ms a column, on every refresh), so a run's value is kept while its statistics of that metric (count, last
   * step and value, min, max) stay as they were, and every write through this process forgets the run (forget).
   * Only a rewrite by another process (the CLI) that changed points but left all five statistics as they were
   * would go unseen until this process writes the run or restarts.
   */
  const metricValues = new KeptValues<number | null, StatsRow>()
  /** Whether two statistics rows of a run's metric have the same count, last step and value, min and max. */
  const sameStats = (a: StatsRow, b: StatsRow) => a[1] === b[1] && a[2] === b[2] && a[4] === b[4] && a[5] === b[5] && a[6] === b[6]

  /** Values of extra columns per run id, for the project's runs `rows`. */
  const extraValues = (projectId: number, specs: readonly ExtraSpec[], rows: readonly { id: number; createdAt: string }[]): Map<string, Map<number, ExtraValue>> => {
    const out = new Map<string, Map<number, ExtraValue>>()
    const configSpecs = [...new Map(specs.filter((s): s is Extract<ExtraSpec, { kind: 'config' }> => s.kind === 'config').map((s) => [s.path, s])).values()]
    if (configSpecs.length) {
      const kept = configSpecs.map((s) => configValues.column(s.path))
      const missing = rows.filter((r) => kept.some((c) => c.get(r.id)?.stamp !== r.createdAt))
      if (missing.length) {
        const all = missing.length === rows.length
        const sql = `SELECT id, created_at, ${configSpecs.map(() => 'coalesce(config -> ?, config -> ?)').join(', ')} FROM runs WHERE ${all ? 'project_id = ?' : 'id IN (SELECT value FROM json_each(?))'}`
        let stmt = configExtras.get(sql)
        if (!stmt) {
          stmt = db.prepare<unknown[]>(sql).raw()
          if (configExtras.size > 100) configExtras.clear()
          configExtras.set(sql, stmt)
        }
        const read = stmt.all(...configSpecs.flatMap((s) => [s.root, s.training]), all ? projectId : JSON.stringify(missing.map((r) => r.id))) as [number, string, ...(string | null)[]][]
        for (const r of read) kept.forEach((c, i) => c.set(r[0], { stamp: r[1], value: configValueOf(r[i + 2] as string | null) }))
      }
      const byPath = new Map(configSpecs.map((s, i) => [s.path, kept[i]!]))
      for (const s of specs) {
        if (s.kind !== 'config') continue
        const cache = byPath.get(s.path)!
        const m = new Map<number, ExtraValue>()
        for (const r of rows) {
          const v = cache.get(r.id)?.value ?? null
          if (v !== null) m.set(r.id, v)
        }
        out.set(s.key, m)
      }
    }
    // Each name's statistics read once for all its columns.
    const statsByName = new Map<number, StatsRow[]>()
    const statsOfMetric = (nameId: number) =>
      statsByName.get(nameId) ?? statsByName.set(nameId, whileUnchanged(`stats:${projectId}:${nameId}`, () => statsOfName.all(projectId, nameId) as StatsRow[])).get(nameId)!
    for (const s of specs) {
      if (s.kind !== 'metric') continue
      const m = new Map<number, ExtraValue>()
      const id = nameId(s.name)
      if (id === undefined) {
        // No run recorded the metric: the column is empty.
      } else if ('at' in s) {
        // The runs whose metric reached the step (epoch), and of those the ones whose value is not kept yet.
        const stats = statsOfMetric(id)
        const reached = s.at === 'step' ? stats.filter((r) => r[2] >= s.value) : stats.filter((r) => r[3] >= s.value - 1e-9)
        const kept = metricValues.column(s.key)
        // Stamped with the statistics row itself (compared field by field: a text stamp a run cost more than the rest).
        const stale = reached.filter((r) => {
          const k = kept.get(r[0])
          return k === undefined || !sameStats(k.stamp, r)
        })
        const missing = stale.map((r) => r[0])
        if (missing.length) {
          const found = new Map<number, number>()
          if (s.at === 'step') {
            for (const [runId, blob] of chunkAtStepOf.all(s.value, JSON.stringify(missing), id) as [number, Buffer | null][]) {
              if (blob === null) continue
              const p = decodeChunk(blob)
              const i = lastAtOrBefore(p, s.value)
              if (i >= 0) found.set(runId, p[i * STRIDE + 2] as number)
            }
          } else {
            // The greatest epoch at or below it, ties to the greatest step (chunks come in step order).
            const epoch = s.value + 1e-9
            let best: { runId: number; epoch: number; value: number } | null = null
            for (const [runId, blob] of chunksToEpochOf.all(JSON.stringify(missing), id, epoch) as [number, Buffer][]) {
              if (!best || best.runId !== runId) {
                if (best && best.epoch > -Infinity) found.set(best.runId, best.value)
                best = { runId, epoch: -Infinity, value: NaN }
              }
              const p = decodeChunk(blob)
              for (let k = 0; k < p.length; k += STRIDE) {
                const e = p[k + 1] as number
                if (e <= epoch && e >= best.epoch) {
                  best.epoch = e
                  best.value = p[k + 2] as number
                }
              }
            }
            if (best && best.epoch > -Infinity) found.set(best.runId, best.value)
          }
          for (const r of stale) kept.set(r[0], { stamp: r, value: found.get(r[0]) ?? null })
        }
        for (const r of reached) {
          const v = kept.get(r[0])?.value ?? null
          if (v !== null) m.set(r[0], v)
        }
      } else {
        const goal = metricGoal(s.name)
        const agg = s.agg === 'best' ? goal : s.agg
        const at = agg === 'last' ? 4 : agg === 'min' ? 5 : agg === 'max' ? 6 : agg === 'count' ? 1 : 2
        for (const r of statsOfMetric(id)) m.set(r[0], r[at] as number)
      }
      out.set(s.key, m)
    }
    return out
  }

  return {
    /** Forgets all that is kept of a deleted run (its id can be given again). */
    forget(runId: number): void {
      configValues.forget(runId)
      metricValues.forget(runId)
    },

    /** Forgets the metric values kept of a run whose metrics were written. */
    forgetMetrics(runId: number): void {
      metricValues.forget(runId)
    },

    table(q: Input<'table'>): RunsTable {
      const requested = [...new Set(q.extraColumns ?? [])]
      const thresholds = q.filter?.metrics ?? []
      const sortColumn = q.sort?.column ?? 'createdAt'
      const needed = [...requested]
      const groupBy = q.group?.kind === 'columns' ? q.group.columns.filter((c) => c !== 'tags') : []
      for (const k of [...thresholds.map((t) => t.name), sortColumn, ...groupBy]) if (!baseColumns.has(k) && !needed.includes(k)) needed.push(k)
      const specs = needed.map(parseExtraColumn)
      // Rows as arrays (better-sqlite3's objects of 30 keys cost twice the query), made into table rows here. The
      // facts (and the extra columns) start as copies of a template with every field: a spread copies its shape at
      // once, and setting fields that exist is several times faster than adding them one by one.
      const now = Date.now()
      const factsTemplate: Record<string, unknown> = {}
      for (const f of FACT_FIELDS) factsTemplate[f] = null
      const extraTemplate: Record<string, ExtraValue> = {}
      for (const k of requested) extraTemplate[k] = null
      const valuesTemplate: Record<string, ExtraValue> = {}
      for (const s of specs) valuesTemplate[s.key] = null
      const factsAt = TABLE_BASE_COLUMNS.length
      const all = rowsOf(q.projectId).map((v): RunTableRow => {
        const status = v[AT.status] as RunStatus
        const startedAt = v[AT.started_at] as string | null
        const durationMs = v[AT.duration_ms] as number
        const tags = v[AT.tags] as string | null
        const facts = { ...factsTemplate }
        for (let i = 0; i < FACT_FIELDS.length; i++) facts[FACT_FIELDS[i]!] = v[factsAt + i]
        return {
          id: v[AT.id] as number,
          projectId: v[AT.project_id] as number,
          groupId: v[AT.group_id] as number | null,
          name: v[AT.name] as string,
          status,
          createdAt: v[AT.created_at] as string,
          startedAt,
          endedAt: v[AT.ended_at] as string | null,
          durationMs: status === 'running' && startedAt !== null ? Math.max(durationMs, now - Date.parse(startedAt)) : durationMs,
          datasetId: v[AT.dataset_id] as number | null,
          architectureVersionId: v[AT.architecture_version_id] as number | null,
          ...(facts as unknown as RunFactFields),
          backend: v[AT.backend] as string | null,
          tags: tags ? (JSON.parse(tags) as string[]) : [],
          starred: v[AT.starred] === 1,
          notes: v[AT.notes] as string | null,
          extra: { ...extraTemplate },
        }
      })
      // Every extra column's value of each run (requested, or read for sorting, thresholds and grouping).
      const extras = extraValues(q.projectId, specs, all)
      const valuesOf = new Map<number, Record<string, ExtraValue>>()
      for (const r of all) {
        const values = { ...valuesTemplate }
        for (const s of specs) values[s.key] = extras.get(s.key)?.get(r.id) ?? null
        for (const k of requested) (r.extra as Record<string, ExtraValue>)[k] = values[k] ?? null
        valuesOf.set(r.id, values)
      }
      const valueOf = (row: RunTableRow, column: string): unknown =>
        baseColumns.has(column) ? row[column as RunTableColumn] : valuesOf.get(row.id)![column]
      const f = q.filter ?? {}
      const statuses = f.status === undefined ? null : new Set<string>(Array.isArray(f.status) ? f.status : [f.status])
      const text = f.text?.trim().toLowerCase() ?? ''
      const matched = all.filter((r) => {
        if (statuses && !statuses.has(r.status)) return false
        if (f.starred !== undefined && r.starred !== f.starred) return false
        if (f.groupId !== undefined && r.groupId !== f.groupId) return false
        if (f.datasetId !== undefined && r.datasetId !== f.datasetId) return false
        if (f.tags && !f.tags.every((t) => r.tags.includes(t))) return false
        if (text) {
          const hay = [r.name, r.notes, r.datasetName, r.architectureName, r.optimizer, r.backend, r.engine, r.schedule, r.status, ...r.tags]
          if (!hay.some((h) => h !== null && h.toLowerCase().includes(text))) return false
        }
        for (const t of thresholds) if (!testThreshold(valueOf(r, t.name), t.op, t.value)) return false
        return true
      })
      const dir = (q.sort?.dir ?? 'desc') === 'asc' ? 1 : -1
      const keyed = matched.map((row) => {
        const v = valueOf(row, sortColumn)
        return { row, none: v === null || v === undefined, key: sortKey(v), created: sortKey(row.createdAt) }
      })
      keyed.sort((a, b) => {
        if (a.none !== b.none) return a.none ? 1 : -1
        const c = a.none ? 0 : compareKeys(a.key, b.key) * dir
        return c !== 0 ? c : compareKeys(b.created, a.created) || b.row.id - a.row.id
      })
      keyed.forEach((k, i) => (matched[i] = k.row))
      let groups: RunsTable['groups']
      if (q.group) {
        const by = q.group
        const metrics = [...RESULT_COLUMNS, ...requested.filter((k) => k.startsWith('metric:'))]
        // The runs' values: every base column and every extra one; "everything except the seed" compares the
        // hyperparameter facts, the settings fingerprint and the config columns shown (shared/runs groupColumns).
        // Each run's values of only the columns the grouping reads (the same for every run; 30-odd values a run
        // for 10,000 runs were most of the grouping's time).
        const extraKeys = specs.map((s) => s.key).filter((k) => by.kind !== 'exceptSeed' || requested.includes(k))
        const extraKeySet = new Set(extraKeys)
        const read = [...new Set([...groupColumns(by, [...RUN_TABLE_COLUMNS, ...extraKeys]), ...metrics])]
        groups = groupRuns(
          matched.map((r) => {
            const values: Record<string, GroupValue> = {}
            const extra = valuesOf.get(r.id)!
            for (const c of read) values[c] = extraKeySet.has(c) ? (extra[c] ?? null) : baseColumns.has(c) ? r[c as RunTableColumn] : null
            return { id: r.id, tags: r.tags, values }
          }),
          by,
          metrics,
        )
        // Sorted by a column a group row shows: the groups by its mean, in the table's direction.
        if ((metrics as readonly string[]).includes(sortColumn)) {
          const mean = (g: NonNullable<typeof groups>[number]) => g.stats[sortColumn]?.mean ?? null
          groups.sort((a, b) => {
            const ma = mean(a)
            const mb = mean(b)
            return ma === mb ? 0 : ma === null ? 1 : mb === null ? -1 : (ma - mb) * dir
          })
        }
      }
      const offset = q.offset ?? 0
      const page = matched.slice(offset, q.limit === undefined ? undefined : offset + q.limit)
      return {
        rows: page,
        total: all.length,
        matched: matched.length,
        ...(groups ? { groups } : {}),
      }
    },

    metricNames({ projectId }: Input<'metricNames'>): Output<'metricNames'> {
      const rows = db
        .prepare(
          `SELECT n.name AS name, COUNT(*) AS runs FROM run_metric_stats s JOIN runs r ON r.id = s.run_id JOIN metric_names n ON n.id = s.name_id
           WHERE r.project_id = ? GROUP BY n.name ORDER BY n.name`,
        )
        .all(projectId) as { name: string; runs: number }[]
      return rows.map((r) => ({ ...r, goal: metricGoal(r.name) }))
    },

    tagsInUse({ projectId }: Input<'tagsInUse'>): Output<'tagsInUse'> {
      const counts = new Map<string, number>()
      for (const t of db.prepare('SELECT tags FROM runs WHERE project_id = ? AND tags IS NOT NULL').pluck().all(projectId) as string[]) {
        for (const tag of new Set(JSON.parse(t) as string[])) counts.set(tag, (counts.get(tag) ?? 0) + 1)
      }
      return [...counts].map(([tag, runs]) => ({ tag, runs })).sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
    },

    metricsMany({ runIds, names, downsample }: Input<'metricsMany'>): Output<'metricsMany'> {
      checkRuns(runIds)
      const ids = [...new Set(names)].map((n) => [n, nameId(n)] as const)
      return runIds.map((runId) => {
        const series: Output<'metricsMany'>[number]['series'] = {}
        for (const [name, id] of ids) {
          if (id === undefined) continue
          const packed = chunks.series(runId, id)
          if (packed.length === 0) continue
          const s = unpack(packed)
          const n = s.step.length
          const d = downsample && n > downsample.maxPoints ? downsampleMinMax(s, downsample.maxPoints) : s
          series[name] = { ...d, count: n, downsampled: d !== s }
        }
        return { runId, series }
      })
    },

    valueAt({ runIds, name, at }: Input<'valueAt'>): Output<'valueAt'> {
      checkRuns(runIds)
      const id = nameId(name)
      return runIds.map((runId) => {
        const none = (where: Output<'valueAt'>[number]['at']) => ({ runId, step: null, epoch: null, value: null, at: where })
        type Point = { step: number; epoch: number; value: number } | undefined
        if (at === 'best') {
          const run = bestEpochOf.get(runId) as { bestEpoch: number | null }
          if (id === undefined) return none({ best: true })
          let p: Point
          let where: Output<'valueAt'>[number]['at']
          if (run.bestEpoch !== null) {
            p = point(chunks.atEpoch(runId, id, run.bestEpoch + 1e-9, 'byStep'))
            where = { epoch: run.bestEpoch, best: true }
          } else {
            // No best epoch recorded: the metric's own best point.
            const s = statsOf.get(runId, id) as { minStep: number; maxStep: number } | undefined
            p = s ? point(chunks.atStep(runId, id, metricGoal(name) === 'max' ? s.maxStep : s.minStep)) : undefined
            where = p ? { step: p.step, best: true } : { best: true }
          }
          return p ? { runId, ...p, at: where } : none(where)
        }
        const where = 'step' in at ? { step: at.step } : { epoch: at.epoch }
        if (id === undefined) return none(where)
        const p = point('step' in at ? chunks.atStep(runId, id, at.step) : chunks.atEpoch(runId, id, at.epoch + 1e-9, 'byStep'))
        return p ? { runId, ...p, at: where } : none(where)
      })
    },
  }
}
