/**
 * The runs repository: the rows of `runs`, `metrics` and `checkpoints`, their mapping to the API types, and the
 * SQL. No files, no events (the runs service does those). Metric ingest writes each name's points of a batch as
 * packed chunks (metric-chunks.ts) and keeps run_metric_stats up to date in the same transaction (runs-stats.ts).
 */
import {
  ApiError,
  type CheckpointInfo,
  type CheckpointKind,
  type MetricSeries,
  type Run,
  type RunStatus,
  type RunSummary,
} from '@shared/api'
import type { MetricPoint } from '../../shared/train/metrics'
import type { Db } from '../store/db'
import type { WrittenCheckpoint } from '../store/checkpoint-files'
import { DERIVED_SET, summaryFactFields, type DerivedFacts, type RunFactColumns } from './run-facts'
import { createChunkStore, STRIDE, unpack } from './metric-chunks'
import { addToBatch, createStatsStore, startBatch } from './runs-stats'

export type RunRow = RunFactColumns & {
  id: number
  project_id: number
  group_id: number | null
  name: string
  status: RunStatus
  config: string
  architecture_version_id: number | null
  dataset_id: number | null
  pipeline_version_id: number | null
  backend: string | null
  app_version: string
  created_at: string
  started_at: string | null
  ended_at: string | null
  duration_ms: number
  summary: string | null
  notes: string | null
  tags: string | null
  starred: number
  derived: number
}

export interface CheckpointRow {
  id: number
  run_id: number
  kind: CheckpointKind
  epoch: number
  step: number
  path: string
  bytes: number
  metrics: string | null
  created_at: string
}

export const tagsOf = (r: Pick<RunRow, 'tags'>): string[] => (r.tags ? (JSON.parse(r.tags) as string[]) : [])

export const toSummary = (r: RunRow): RunSummary => ({
  id: r.id,
  projectId: r.project_id,
  groupId: r.group_id,
  name: r.name,
  status: r.status,
  backend: r.backend,
  appVersion: r.app_version,
  createdAt: r.created_at,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  durationMs: r.duration_ms,
  ...summaryFactFields(r),
  starred: r.starred === 1,
  tags: tagsOf(r),
  notes: r.notes,
  datasetId: r.dataset_id,
  architectureVersionId: r.architecture_version_id,
})

export const toRun = (r: RunRow): Run => ({
  ...toSummary(r),
  config: JSON.parse(r.config) as unknown,
  summary: r.summary ? (JSON.parse(r.summary) as Record<string, unknown>) : null,
})

export const toCheckpoint = (r: CheckpointRow): CheckpointInfo => ({
  id: r.id,
  runId: r.run_id,
  kind: r.kind,
  epoch: r.epoch,
  step: r.step,
  bytes: r.bytes,
  metrics: r.metrics ? (JSON.parse(r.metrics) as Record<string, number>) : null,
  createdAt: r.created_at,
})

export interface NewRun {
  readonly projectId: number
  readonly groupId: number | null
  readonly name: string
  readonly config: unknown
  readonly architectureVersionId: number | null
  readonly datasetId: number | null
  readonly pipelineVersionId: number | null
  readonly backend: string | null
  readonly appVersion: string
  readonly createdAt: string
  readonly summary: Record<string, unknown> | null
}

/** One recorded value: the recorder's point (shared/train/metrics.ts), one home for both sides. */
export type { MetricPoint } from '../../shared/train/metrics'

export type RunsRepository = ReturnType<typeof createRunsRepository>

export function createRunsRepository(db: Db) {
  const byId = db.prepare('SELECT * FROM runs WHERE id = ?')
  const exists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck()
  const writeDerived = db.prepare(`UPDATE runs SET ${DERIVED_SET}, derived = 1 WHERE id = @id`)
  const chunks = createChunkStore(db)
  const stats = createStatsStore(db, chunks)

  const nameIds = new Map<string, number>()
  const nameId = (name: string): number => {
    let id = nameIds.get(name)
    if (id === undefined) {
      db.prepare('INSERT OR IGNORE INTO metric_names (name) VALUES (?)').run(name)
      id = (db.prepare('SELECT id FROM metric_names WHERE name = ?').get(name) as { id: number }).id
      nameIds.set(name, id)
    }
    return id
  }
  const checkpointById = db.prepare('SELECT * FROM checkpoints WHERE id = ?')

  return {
    /** The run, or not_found. */
    row(id: number): RunRow {
      const r = byId.get(id) as RunRow | undefined
      if (!r) throw new ApiError('not_found', `Run ${id} does not exist (it may have been deleted)`)
      return r
    },
    exists: (id: number): boolean => exists.get(id) !== undefined,

    /** Runs by id, all of them or a not_found naming the missing ones. */
    rowsOf(ids: readonly number[]): RunRow[] {
      const unique = [...new Set(ids)]
      const rows = db.prepare(`SELECT * FROM runs WHERE id IN (${unique.map(() => '?').join(',')})`).all(...unique) as RunRow[]
      if (rows.length !== unique.length) {
        const found = new Set(rows.map((r) => r.id))
        throw new ApiError('not_found', `Run(s) ${unique.filter((id) => !found.has(id)).join(', ')} do not exist (deleted?)`)
      }
      return rows
    },

    listOf: (projectId: number): RunRow[] => db.prepare('SELECT * FROM runs WHERE project_id = ? ORDER BY created_at DESC, id DESC').all(projectId) as RunRow[],
    projectExists: (projectId: number): boolean => db.prepare('SELECT 1 FROM projects WHERE id = ?').get(projectId) !== undefined,
    countInProject: (projectId: number): number => (db.prepare('SELECT COUNT(*) AS n FROM runs WHERE project_id = ?').get(projectId) as { n: number }).n,

    /** Inserts a run with its derived facts; returns its id. */
    insert(run: NewRun, facts: DerivedFacts): number {
      return db.transaction(() => {
        const id = Number(
          db
            .prepare(
              `INSERT INTO runs (project_id, group_id, name, status, config, architecture_version_id, dataset_id, pipeline_version_id, backend, app_version, created_at, summary)
               VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              run.projectId,
              run.groupId,
              run.name,
              JSON.stringify(run.config),
              run.architectureVersionId,
              run.datasetId,
              run.pipelineVersionId,
              run.backend,
              run.appVersion,
              run.createdAt,
              run.summary === null ? null : JSON.stringify(run.summary),
            ).lastInsertRowid,
        )
        writeDerived.run({ id, ...facts })
        return id
      }).immediate()
    },

    /** Writes the derived facts of a run and marks it derived (creation, migration 6). */
    writeDerived(id: number, facts: DerivedFacts): void {
      writeDerived.run({ id, ...facts })
    },

    /** Sets the given columns (undefined ones are left as they are). */
    updateColumns(id: number, columns: Record<string, unknown>): void {
      const set = Object.entries(columns).filter(([, v]) => v !== undefined)
      if (set.length) db.prepare(`UPDATE runs SET ${set.map(([k]) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...set.map(([, v]) => v), id)
    },

    remove: (id: number): void => void db.prepare('DELETE FROM runs WHERE id = ?').run(id),

    /** Edits the tags of runs in one transaction; returns how many changed. */
    retag(rows: readonly RunRow[], edit: (tags: string[]) => string[]): number {
      const setTags = db.prepare('UPDATE runs SET tags = ? WHERE id = ?')
      let updated = 0
      db.transaction(() => {
        for (const r of rows) {
          const before = tagsOf(r)
          const after = edit(before)
          if (after.length === before.length && after.every((t, i) => t === before[i])) continue
          setTags.run(after.length ? JSON.stringify(after) : null, r.id)
          updated++
        }
      }).immediate()
      return updated
    },

    star(rows: readonly RunRow[], starred: boolean): number {
      const set = db.prepare('UPDATE runs SET starred = ? WHERE id = ? AND starred != ?')
      let updated = 0
      db.transaction(() => {
        for (const r of rows) updated += set.run(starred ? 1 : 0, r.id, starred ? 1 : 0).changes
      }).immediate()
      return updated
    },

    /** Appends (or replaces, by run, name and step) metric points and merges their statistics; returns the last step. */
    appendMetrics(runId: number, points: readonly MetricPoint[]): number {
      let lastStep = 0
      // Each name's points packed in the batch's order (a step repeated within the batch ends with its last value).
      const perName = new Map<number, { at: number; packed: Float64Array }>()
      const counts = new Map<string, number>()
      for (const p of points) counts.set(p.name, (counts.get(p.name) ?? 0) + 1)
      for (const [name, n] of counts) perName.set(nameId(name), { at: 0, packed: new Float64Array(n * STRIDE) })
      for (const p of points) {
        const s = perName.get(nameIds.get(p.name) as number)!
        s.packed[s.at++] = p.step
        s.packed[s.at++] = p.epoch
        s.packed[s.at++] = p.value
        s.packed[s.at++] = p.time
        if (p.step > lastStep) lastStep = p.step
      }
      db.transaction(() => {
        for (const [nid, { packed }] of perName) {
          chunks.write(runId, nid, packed)
          const b = startBatch(packed[0] as number, packed[1] as number, packed[2] as number)
          for (let i = STRIDE; i < packed.length; i += STRIDE) addToBatch(b, packed[i] as number, packed[i + 1] as number, packed[i + 2] as number)
          stats.merge(runId, nid, b)
        }
      }).immediate()
      return lastStep
    },

    truncateMetrics(runId: number, afterStep: number): number {
      return db.transaction(() => {
        const { removed, names } = chunks.truncate(runId, afterStep)
        stats.recomputeNames(runId, names)
        return removed
      }).immediate()
    },

    /** Columnar series per metric name (all names, or those wanted). */
    metricSeries(runId: number, names?: readonly string[]): Record<string, MetricSeries> {
      const all = db.prepare('SELECT n.id AS id, n.name AS name FROM metric_names n WHERE n.id IN (SELECT DISTINCT name_id FROM metric_chunks WHERE run_id = ?) ORDER BY n.id').all(runId) as { id: number; name: string }[]
      const wanted = names ? new Set(names) : null
      const out: Record<string, MetricSeries> = {}
      for (const { id, name } of all) {
        if (wanted && !wanted.has(name)) continue
        out[name] = unpack(chunks.series(runId, id))
      }
      return out
    },

    /** The checkpoint, or not_found. */
    checkpoint(id: number): CheckpointRow {
      const c = checkpointById.get(id) as CheckpointRow | undefined
      if (!c) throw new ApiError('not_found', `Checkpoint ${id} does not exist`)
      return c
    },
    checkpointsOf: (runId: number): CheckpointRow[] => db.prepare('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY epoch, kind').all(runId) as CheckpointRow[],

    /** Rows for checkpoint files just written (each replaces the row of the same file); in the order given. */
    recordCheckpoints(runId: number, written: readonly WrittenCheckpoint[], at: { epoch: number; step: number; metrics?: Record<string, number> }): CheckpointRow[] {
      const t = new Date().toISOString()
      const ids = db.transaction(() =>
        written.map((w) => {
          db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND path = ?').run(runId, w.path)
          return Number(
            db
              .prepare('INSERT INTO checkpoints (run_id, kind, epoch, step, path, bytes, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
              .run(runId, w.kind, at.epoch, at.step, w.path, w.bytes, at.metrics ? JSON.stringify(at.metrics) : null, t).lastInsertRowid,
          )
        }),
      ).immediate()
      return ids.map((id) => checkpointById.get(id) as CheckpointRow)
    },

    /** Moves a checkpoint's row to the position its file holds (its metrics, of the older checkpoint, dropped). */
    repositionCheckpoint(id: number, at: { step: number; epoch: number }): CheckpointRow {
      db.prepare('UPDATE checkpoints SET step = ?, epoch = ?, metrics = NULL WHERE id = ?').run(at.step, at.epoch, id)
      return checkpointById.get(id) as CheckpointRow
    },

    /** The graph document of an architecture version (a run's fallback when its snapshot has none). */
    architectureDocument: (versionId: number | null): string | undefined =>
      versionId === null ? undefined : (db.prepare('SELECT document FROM architecture_versions WHERE id = ?').pluck().get(versionId) as string | undefined),
  }
}
