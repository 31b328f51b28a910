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
import type { Statement } from 'better-sqlite3'
import type { z } from 'zod'
import type { Db } from '../store/db'
import { FACT_COLUMNS, factFields, type RunFactColumns } from './run-facts'

type Methods = (typeof runsContract)['methods']
type Input<K extends keyof Methods> = z.output<Methods[K]['input']>
type Output<K extends keyof Methods> = MethodOutput<Methods[K]>

/** What the table reads of a run: a few base columns and every fact column (run-facts.ts). */
const TABLE_BASE_COLUMNS = [
  'id', 'project_id', 'group_id', 'name', 'status', 'created_at', 'started_at', 'ended_at', 'duration_ms', 'dataset_id',
  'architecture_version_id', 'backend', 'tags', 'starred', 'notes',
] as const

type TableRowDb = RunFactColumns & {
  id: number
  project_id: number
  group_id: number | null
  name: string
  status: RunStatus
  created_at: string
  started_at: string | null
  ended_at: string | null
  duration_ms: number
  dataset_id: number | null
  architecture_version_id: number | null
  backend: string | null
  tags: string | null
  starred: number
  notes: string | null
}

const METRIC_AGGS = ['last', 'best', 'min', 'max', 'count', 'lastStep'] as const
type MetricAgg = (typeof METRIC_AGGS)[number]

type ExtraSpec = { key: string; kind: 'metric'; name: string; agg: MetricAgg } | { key: string; kind: 'config'; path: string; root: string; training: string }

/** `metric:<name>[:agg]` or a config path (optionally `config:`-prefixed); throws invalid_payload for a bad path. */
export function parseExtraColumn(key: string): ExtraSpec {
  if (key.startsWith('metric:')) {
    const rest = key.slice('metric:'.length)
    const colon = rest.lastIndexOf(':')
    const tail = colon >= 0 ? rest.slice(colon + 1) : ''
    const isAgg = (METRIC_AGGS as readonly string[]).includes(tail)
    const name = isAgg ? rest.slice(0, colon) : rest
    if (!name) throw new ApiError('invalid_payload', `Extra column "${key}" names no metric (use metric:<name> or metric:<name>:<${METRIC_AGGS.join('|')}>)`)
    return { key, kind: 'metric', name, agg: isAgg ? (tail as MetricAgg) : 'last' }
  }
  const path = key.startsWith('config:') ? key.slice('config:'.length) : key
  const parts = parsePath(path)
  if (!parts) throw new ApiError('invalid_payload', `Extra column "${key}" is not a config path (like training.learningRate or optimizer.lr)`)
  const json = (ps: (string | number)[]) => '$' + ps.map((p) => (typeof p === 'number' ? `[${p}]` : `."${p.replace(/["\\]/g, (c) => `\\${c}`)}"`)).join('')
  return { key, kind: 'config', path, root: json(parts), training: json(['training', ...parts]) }
}

const baseColumns = new Set<string>(RUN_TABLE_COLUMNS)

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  const sa = typeof a === 'string' ? a : JSON.stringify(a)
  const sb = typeof b === 'string' ? b : JSON.stringify(b)
  const la = sa.toLowerCase()
  const lb = sb.toLowerCase()
  return la < lb ? -1 : la > lb ? 1 : sa < sb ? -1 : sa > sb ? 1 : 0
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

export function createRunsQueries(db: Db) {
  const tableRows = db.prepare(`SELECT ${[...TABLE_BASE_COLUMNS, ...FACT_COLUMNS].join(', ')} FROM runs WHERE project_id = ?`)
  const nameIdOf = db.prepare('SELECT id FROM metric_names WHERE name = ?').pluck()
  const statsOfName = db.prepare(
    `SELECT s.run_id AS runId, s.count AS count, s.last_step AS lastStep, s.last_value AS lastValue, s.min_value AS minValue, s.max_value AS maxValue
     FROM run_metric_stats s JOIN runs r ON r.id = s.run_id WHERE r.project_id = ? AND s.name_id = ?`,
  )
  const seriesOf = db.prepare('SELECT step, epoch, value, time FROM metrics WHERE run_id = ? AND name_id = ? ORDER BY step').raw()
  const atStep = db.prepare('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND name_id = ? AND step <= ? ORDER BY step DESC LIMIT 1')
  const atEpoch = db.prepare('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND name_id = ? AND epoch <= ? ORDER BY step DESC LIMIT 1')
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

  /** Values of extra columns per run id. */
  const extraValues = (projectId: number, specs: readonly ExtraSpec[]): Map<string, Map<number, ExtraValue>> => {
    const out = new Map<string, Map<number, ExtraValue>>()
    const configSpecs = specs.filter((s): s is Extract<ExtraSpec, { kind: 'config' }> => s.kind === 'config')
    if (configSpecs.length) {
      const sql = `SELECT id, ${configSpecs.map(() => 'coalesce(config -> ?, config -> ?)').join(', ')} FROM runs WHERE project_id = ?`
      let stmt = configExtras.get(sql)
      if (!stmt) {
        stmt = db.prepare<unknown[]>(sql).raw()
        if (configExtras.size > 100) configExtras.clear()
        configExtras.set(sql, stmt)
      }
      const rows = stmt.all(...configSpecs.flatMap((s) => [s.root, s.training]), projectId) as [number, ...(string | null)[]][]
      configSpecs.forEach((s, i) => {
        const m = new Map<number, ExtraValue>()
        for (const r of rows) {
          const text = r[i + 1] as string | null
          if (text === null) continue
          const v = JSON.parse(text) as unknown
          m.set(r[0], v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : JSON.stringify(v))
        }
        out.set(s.key, m)
      })
    }
    for (const s of specs) {
      if (s.kind !== 'metric') continue
      const m = new Map<number, ExtraValue>()
      const id = nameId(s.name)
      if (id !== undefined) {
        const goal = metricGoal(s.name)
        for (const r of statsOfName.all(projectId, id) as { runId: number; count: number; lastStep: number; lastValue: number; minValue: number; maxValue: number }[]) {
          const agg = s.agg === 'best' ? goal : s.agg
          m.set(r.runId, agg === 'last' ? r.lastValue : agg === 'min' ? r.minValue : agg === 'max' ? r.maxValue : agg === 'count' ? r.count : r.lastStep)
        }
      }
      out.set(s.key, m)
    }
    return out
  }

  return {
    table(q: Input<'table'>): RunsTable {
      const requested = [...new Set(q.extraColumns ?? [])]
      const thresholds = q.filter?.metrics ?? []
      const sortColumn = q.sort?.column ?? 'createdAt'
      const needed = [...requested]
      for (const k of [...thresholds.map((t) => t.name), sortColumn]) if (!baseColumns.has(k) && !needed.includes(k)) needed.push(k)
      const specs = needed.map(parseExtraColumn)
      const extras = extraValues(q.projectId, specs)
      const now = Date.now()
      const all = (tableRows.all(q.projectId) as TableRowDb[]).map((r): RunTableRow & { all: Record<string, ExtraValue> } => {
        const allExtra: Record<string, ExtraValue> = {}
        for (const s of specs) allExtra[s.key] = extras.get(s.key)?.get(r.id) ?? null
        const extra: Record<string, ExtraValue> = {}
        for (const k of requested) extra[k] = allExtra[k] ?? null
        const running = r.status === 'running' && r.started_at !== null
        return {
          id: r.id,
          projectId: r.project_id,
          groupId: r.group_id,
          name: r.name,
          status: r.status,
          createdAt: r.created_at,
          startedAt: r.started_at,
          endedAt: r.ended_at,
          durationMs: running ? Math.max(r.duration_ms, now - Date.parse(r.started_at as string)) : r.duration_ms,
          datasetId: r.dataset_id,
          architectureVersionId: r.architecture_version_id,
          ...factFields(r),
          backend: r.backend,
          tags: r.tags ? (JSON.parse(r.tags) as string[]) : [],
          starred: r.starred === 1,
          notes: r.notes,
          extra,
          all: allExtra,
        }
      })
      const valueOf = (row: RunTableRow & { all: Record<string, ExtraValue> }, column: string): unknown =>
        baseColumns.has(column) ? row[column as RunTableColumn] : row.all[column]
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
      matched.sort((a, b) => {
        const va = valueOf(a, sortColumn)
        const vb = valueOf(b, sortColumn)
        const na = va === null || va === undefined
        const nb = vb === null || vb === undefined
        if (na !== nb) return na ? 1 : -1
        const c = na ? 0 : compareValues(va, vb) * dir
        return c !== 0 ? c : compareValues(b.createdAt, a.createdAt) || b.id - a.id
      })
      const offset = q.offset ?? 0
      const page = matched.slice(offset, q.limit === undefined ? undefined : offset + q.limit)
      return {
        rows: page.map(({ all: _all, ...row }) => row),
        total: all.length,
        matched: matched.length,
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
          const rows = seriesOf.all(runId, id) as [number, number, number, number][]
          if (rows.length === 0) continue
          const n = rows.length
          const s = { step: new Array<number>(n), epoch: new Array<number>(n), value: new Array<number>(n), time: new Array<number>(n) }
          for (let i = 0; i < n; i++) {
            const r = rows[i] as [number, number, number, number]
            s.step[i] = r[0]
            s.epoch[i] = r[1]
            s.value[i] = r[2]
            s.time[i] = r[3]
          }
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
            p = atEpoch.get(runId, id, run.bestEpoch + 1e-9) as Point
            where = { epoch: run.bestEpoch, best: true }
          } else {
            // No best epoch recorded: the metric's own best point.
            const s = statsOf.get(runId, id) as { minStep: number; maxStep: number } | undefined
            p = s ? (atStep.get(runId, id, metricGoal(name) === 'max' ? s.maxStep : s.minStep) as Point) : undefined
            where = p ? { step: p.step, best: true } : { best: true }
          }
          return p ? { runId, ...p, at: where } : none(where)
        }
        const where = 'step' in at ? { step: at.step } : { epoch: at.epoch }
        if (id === undefined) return none(where)
        const p = ('step' in at ? atStep.get(runId, id, at.step) : atEpoch.get(runId, id, at.epoch + 1e-9)) as Point
        return p ? { runId, ...p, at: where } : none(where)
      })
    },
  }
}
