import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  ApiError,
  runsContract,
  type CheckpointInfo,
  type CheckpointKind,
  type MetricSeries,
  type Run,
  type RunStatus,
  type RunSummary,
  type ServiceImpl,
} from '@shared/api'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'
import { writeFileAtomic, type DataPaths } from '../store/files'
import { APP_VERSION } from '../version'
import { createEvaluations } from './runs-evaluations'
import { addToBatch, createStatsStore, startBatch, type BatchStats } from './runs-stats'
import { createRunsQueries, DERIVED_COLUMNS, deriveFacts } from './runs-table'

interface RunRow {
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
  best_val_accuracy: number | null
  best_epoch: number | null
  final_loss: number | null
  notes: string | null
  tags: string | null
  starred: number
}

interface CheckpointRow {
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

const toSummary = (r: RunRow): RunSummary => ({
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
  bestValAccuracy: r.best_val_accuracy,
  bestEpoch: r.best_epoch,
  finalLoss: r.final_loss,
  starred: r.starred === 1,
  tags: r.tags ? (JSON.parse(r.tags) as string[]) : [],
  notes: r.notes,
  datasetId: r.dataset_id,
  architectureVersionId: r.architecture_version_id,
})

const toRun = (r: RunRow): Run => ({
  ...toSummary(r),
  config: JSON.parse(r.config) as unknown,
  summary: r.summary ? (JSON.parse(r.summary) as Record<string, unknown>) : null,
})

const toCheckpoint = (r: CheckpointRow): CheckpointInfo => ({
  id: r.id,
  runId: r.run_id,
  kind: r.kind,
  epoch: r.epoch,
  step: r.step,
  bytes: r.bytes,
  metrics: r.metrics ? (JSON.parse(r.metrics) as Record<string, number>) : null,
  createdAt: r.created_at,
})

/**
 * Checkpoint file layout: a small header (magic, version, JSON meta length, weights length, optimizer length),
 * the JSON meta, the weights bytes, the optimizer bytes. One file, written atomically.
 */
const MAGIC = 0x43534b50 // "CSKP"
export function packCheckpoint(meta: unknown, weights: Buffer, optimizer: Buffer): Buffer {
  const metaBytes = Buffer.from(JSON.stringify(meta ?? null))
  const header = Buffer.alloc(20)
  header.writeUInt32LE(MAGIC, 0)
  header.writeUInt32LE(1, 4)
  header.writeUInt32LE(metaBytes.length, 8)
  header.writeUInt32LE(weights.length, 12)
  header.writeUInt32LE(optimizer.length, 16)
  return Buffer.concat([header, metaBytes, weights, optimizer])
}

export function unpackCheckpoint(file: Buffer, path: string): { meta: unknown; weights: Buffer; optimizer: Buffer } {
  if (file.length < 20 || file.readUInt32LE(0) !== MAGIC) throw new ApiError('internal', `Checkpoint file ${path} is damaged (bad header)`)
  const metaLength = file.readUInt32LE(8)
  const weightsLength = file.readUInt32LE(12)
  const optimizerLength = file.readUInt32LE(16)
  if (file.length !== 20 + metaLength + weightsLength + optimizerLength) {
    throw new ApiError('internal', `Checkpoint file ${path} is damaged (truncated)`)
  }
  const metaEnd = 20 + metaLength
  return {
    meta: JSON.parse(file.subarray(20, metaEnd).toString('utf8')) as unknown,
    weights: file.subarray(metaEnd, metaEnd + weightsLength),
    optimizer: file.subarray(metaEnd + weightsLength),
  }
}

const paramCountOf = (r: RunRow): number | null => (r as RunRow & { param_count?: number | null }).param_count ?? null

export function createRunsService(db: Db, paths: DataPaths, emit: Emitter<typeof runsContract>): ServiceImpl<typeof runsContract> {
  const row = (id: number): RunRow => {
    const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
    if (!r) throw new ApiError('not_found', `Run ${id} does not exist (it may have been deleted)`)
    return r
  }
  const runDir = (r: Pick<RunRow, 'project_id' | 'id'>) => join(paths.projectDir(r.project_id), 'runs', String(r.id))

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
  const insertMetric = db.prepare(
    'INSERT OR REPLACE INTO metrics (run_id, name_id, step, epoch, value, time) VALUES (?, ?, ?, ?, ?, ?)',
  )
  // Ingest writes CHUNK rows per statement (fewer statement steps and bindings; rows apply in order, so a step
  // repeated within a batch still ends with its last value).
  const CHUNK = 64
  const insertMetricChunk = db.prepare(
    `INSERT OR REPLACE INTO metrics (run_id, name_id, step, epoch, value, time) VALUES ${Array.from({ length: CHUNK }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
  )
  const chunkArgs = new Array<number>(CHUNK * 6)
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck()
  const stats = createStatsStore(db)
  const queries = createRunsQueries(db)
  const writeDerived = db.prepare(`UPDATE runs SET ${DERIVED_COLUMNS.map((c) => `${c} = @${c}`).join(', ')}, derived = 1 WHERE id = @id`)

  const changed = (r: Pick<RunRow, 'project_id' | 'id'>) => emit('onDidChange', { projectId: r.project_id, runId: r.id })
  const evaluations = createEvaluations(db, (runId) => changed(row(runId)))

  // Runs recorded before migration 3: derive their table columns and metric statistics once.
  const pending = db.prepare('SELECT id, config, architecture_version_id FROM runs WHERE derived = 0').all() as Pick<RunRow, 'id' | 'config' | 'architecture_version_id'>[]
  if (pending.length) {
    db.transaction(() => {
      for (const r of pending) {
        let config: unknown = null
        try {
          config = JSON.parse(r.config)
        } catch {
          // A damaged snapshot leaves the columns empty.
        }
        writeDerived.run({ id: r.id, ...deriveFacts(db, config, r.architecture_version_id) })
        stats.rebuildRun(r.id)
      }
    }).immediate()
  }

  /** Runs by id, all of them or a not_found naming the missing ones. */
  const rowsOf = (ids: readonly number[]): RunRow[] => {
    const unique = [...new Set(ids)]
    const rows = db.prepare(`SELECT * FROM runs WHERE id IN (${unique.map(() => '?').join(',')})`).all(...unique) as RunRow[]
    if (rows.length !== unique.length) {
      const found = new Set(rows.map((r) => r.id))
      throw new ApiError('not_found', `Run(s) ${unique.filter((id) => !found.has(id)).join(', ')} do not exist (deleted?)`)
    }
    return rows
  }
  const setTags = db.prepare('UPDATE runs SET tags = ? WHERE id = ?')
  const retag = (runIds: readonly number[], edit: (tags: string[]) => string[]) => {
    const rows = rowsOf(runIds)
    let updated = 0
    db.transaction(() => {
      for (const r of rows) {
        const before = r.tags ? (JSON.parse(r.tags) as string[]) : []
        const after = edit(before)
        if (after.length === before.length && after.every((t, i) => t === before[i])) continue
        setTags.run(after.length ? JSON.stringify(after) : null, r.id)
        updated++
      }
    }).immediate()
    for (const r of rows) changed(r)
    return { updated }
  }

  return {
    list({ projectId }) {
      return (db.prepare('SELECT * FROM runs WHERE project_id = ? ORDER BY created_at DESC, id DESC').all(projectId) as RunRow[]).map(toSummary)
    },

    get({ id }) {
      return toRun(row(id))
    },

    create(input) {
      if (!db.prepare('SELECT 1 FROM projects WHERE id = ?').get(input.projectId)) {
        throw new ApiError('not_found', `Project ${input.projectId} does not exist`)
      }
      const t = new Date().toISOString()
      const count = (db.prepare('SELECT COUNT(*) AS n FROM runs WHERE project_id = ?').get(input.projectId) as { n: number }).n
      // Table columns read from the snapshot; the parameter count (from the graph when the snapshot has none)
      // also goes into the summary, which starts as { params }.
      const facts = deriveFacts(db, input.config, input.architectureVersionId ?? null)
      const id = db.transaction(() => {
        const newId = Number(
          db
            .prepare(
              `INSERT INTO runs (project_id, group_id, name, status, config, architecture_version_id, dataset_id, pipeline_version_id, backend, app_version, created_at, summary)
               VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              input.projectId,
              input.groupId ?? null,
              input.name ?? `Run ${count + 1}`,
              JSON.stringify(input.config),
              input.architectureVersionId ?? null,
              input.datasetId ?? null,
              input.pipelineVersionId ?? null,
              input.backend ?? null,
              APP_VERSION,
              t,
              facts.param_count === null ? null : JSON.stringify({ params: facts.param_count }),
            ).lastInsertRowid,
        )
        writeDerived.run({ id: newId, ...facts })
        return newId
      }).immediate()
      const r = row(id)
      changed(r)
      return toRun(r)
    },

    update({ id, ...fields }) {
      const r = row(id)
      const columns: Record<string, unknown> = {
        status: fields.status,
        backend: fields.backend,
        started_at: fields.startedAt,
        ended_at: fields.endedAt,
        duration_ms: fields.durationMs,
        // The parameter count stays in the summary (written at creation) unless the new summary has its own.
        summary:
          fields.summary === undefined
            ? undefined
            : JSON.stringify(paramCountOf(r) !== null && !('params' in fields.summary) ? { ...fields.summary, params: paramCountOf(r) } : fields.summary),
        best_val_accuracy: fields.bestValAccuracy,
        best_epoch: fields.bestEpoch,
        final_loss: fields.finalLoss,
        name: fields.name,
        notes: fields.notes,
        tags: fields.tags === undefined ? undefined : JSON.stringify(fields.tags),
        starred: fields.starred === undefined ? undefined : fields.starred ? 1 : 0,
      }
      const set = Object.entries(columns).filter(([, v]) => v !== undefined)
      if (set.length) {
        db.prepare(`UPDATE runs SET ${set.map(([k]) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...set.map(([, v]) => v), id)
      }
      changed(r)
      return toRun(row(id))
    },

    delete({ id }) {
      const r = row(id)
      db.prepare('DELETE FROM runs WHERE id = ?').run(id)
      rmSync(runDir(r), { recursive: true, force: true })
      changed(r)
      return { deleted: true as const }
    },

    appendMetrics({ runId, points }) {
      if (!runExists.get(runId)) row(runId)
      let lastStep = 0
      db.transaction(() => {
        // Statistics per name for run_metric_stats, gathered while inserting.
        const batches = new Map<number, BatchStats>()
        const full = points.length - (points.length % CHUNK)
        let k = 0
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!
          const nid = nameId(p.name)
          if (i < full) {
            chunkArgs[k++] = runId
            chunkArgs[k++] = nid
            chunkArgs[k++] = p.step
            chunkArgs[k++] = p.epoch
            chunkArgs[k++] = p.value
            chunkArgs[k++] = p.time
            if (k === chunkArgs.length) {
              insertMetricChunk.run(chunkArgs)
              k = 0
            }
          } else {
            insertMetric.run(runId, nid, p.step, p.epoch, p.value, p.time)
          }
          const b = batches.get(nid)
          if (b) addToBatch(b, p.step, p.epoch, p.value)
          else batches.set(nid, startBatch(p.step, p.epoch, p.value))
          if (p.step > lastStep) lastStep = p.step
        }
        for (const [nid, b] of batches) stats.merge(runId, nid, b)
      }).immediate()
      emit('onDidAppendMetrics', { runId, written: points.length, lastStep })
      return { written: points.length }
    },

    truncateMetrics({ runId, afterStep }) {
      row(runId)
      const removed = db.transaction(() => {
        const n = db.prepare('DELETE FROM metrics WHERE run_id = ? AND step > ?').run(runId, afterStep).changes
        if (n > 0) stats.recomputeRun(runId)
        return n
      }).immediate()
      return { removed }
    },

    metrics({ runId, names }) {
      row(runId)
      const rows = db
        .prepare(
          `SELECT n.name AS name, m.step AS step, m.epoch AS epoch, m.value AS value, m.time AS time
           FROM metrics m JOIN metric_names n ON n.id = m.name_id
           WHERE m.run_id = ? ORDER BY m.name_id, m.step`,
        )
        .raw()
        .all(runId) as [string, number, number, number, number][]
      const wanted = names ? new Set(names) : null
      const out: Record<string, { step: number[]; epoch: number[]; value: number[]; time: number[] }> = {}
      for (const [name, step, epoch, value, time] of rows) {
        if (wanted && !wanted.has(name)) continue
        const s = (out[name] ??= { step: [], epoch: [], value: [], time: [] })
        s.step.push(step)
        s.epoch.push(epoch)
        s.value.push(value)
        s.time.push(time)
      }
      return out as Record<string, MetricSeries>
    },

    saveCheckpoint({ runId, kind, epoch, step, meta, metrics, weights, optimizer }) {
      const r = row(runId)
      const file = join(runDir(r), kind === 'periodic' ? `checkpoint-epoch-${epoch}.ckpt` : `checkpoint-${kind}.ckpt`)
      const bytes = packCheckpoint(meta, Buffer.from(weights, 'base64'), Buffer.from(optimizer, 'base64'))
      writeFileAtomic(file, bytes)
      const rel = paths.toRelative(file)
      const t = new Date().toISOString()
      const id = db.transaction(() => {
        db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND path = ?').run(runId, rel)
        return Number(
          db
            .prepare('INSERT INTO checkpoints (run_id, kind, epoch, step, path, bytes, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
            .run(runId, kind, epoch, step, rel, bytes.length, metrics ? JSON.stringify(metrics) : null, t).lastInsertRowid,
        )
      }).immediate()
      changed(r)
      return toCheckpoint(db.prepare('SELECT * FROM checkpoints WHERE id = ?').get(id) as CheckpointRow)
    },

    checkpoints({ runId }) {
      row(runId)
      return (db.prepare('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY epoch, kind').all(runId) as CheckpointRow[]).map(toCheckpoint)
    },

    loadCheckpoint({ id }) {
      const c = db.prepare('SELECT * FROM checkpoints WHERE id = ?').get(id) as CheckpointRow | undefined
      if (!c) throw new ApiError('not_found', `Checkpoint ${id} does not exist`)
      let file: Buffer
      try {
        file = readFileSync(paths.resolve(c.path))
      } catch {
        throw new ApiError('not_found', `The file of checkpoint ${id} (${c.path}) is missing from the data folder`)
      }
      const { meta, weights, optimizer } = unpackCheckpoint(file, c.path)
      return { ...toCheckpoint(c), meta, weights: weights.toString('base64'), optimizer: optimizer.toString('base64') }
    },

    table: (q) => queries.table(q),
    metricNames: (q) => queries.metricNames(q),
    tagsInUse: (q) => queries.tagsInUse(q),
    metricsMany: (q) => queries.metricsMany(q),
    valueAt: (q) => queries.valueAt(q),

    tag({ runIds, tags }) {
      return retag(runIds, (before) => [...before, ...tags.filter((t, i) => !before.includes(t) && tags.indexOf(t) === i)])
    },

    untag({ runIds, tags }) {
      return retag(runIds, (before) => before.filter((t) => !tags.includes(t)))
    },

    star({ runIds, starred }) {
      const rows = rowsOf(runIds)
      const set = db.prepare('UPDATE runs SET starred = ? WHERE id = ? AND starred != ?')
      let updated = 0
      db.transaction(() => {
        for (const r of rows) updated += set.run(starred ? 1 : 0, r.id, starred ? 1 : 0).changes
      }).immediate()
      for (const r of rows) changed(r)
      return { updated }
    },

    setNotes({ id, notes }) {
      const r = row(id)
      db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(notes === '' ? null : notes, id)
      changed(r)
      return toSummary(row(id))
    },

    rename({ id, name }) {
      const r = row(id)
      db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(name, id)
      changed(r)
      return toSummary(row(id))
    },

    saveEvaluation: (input) => evaluations.saveEvaluation(input),
    evaluations: (input) => evaluations.evaluations(input),

    async exportModel({ checkpointId, folder, overwrite }) {
      const c = db.prepare('SELECT * FROM checkpoints WHERE id = ?').get(checkpointId) as CheckpointRow | undefined
      if (!c) throw new ApiError('not_found', `Checkpoint ${checkpointId} does not exist`)
      const r = row(c.run_id)
      let file: Buffer
      try {
        file = readFileSync(paths.resolve(c.path))
      } catch {
        throw new ApiError('not_found', `The file of checkpoint ${checkpointId} (${c.path}) is missing from the data folder`)
      }
      const { meta, weights } = unpackCheckpoint(file, c.path)
      const version = r.architecture_version_id === null
        ? undefined
        : (db.prepare('SELECT document FROM architecture_versions WHERE id = ?').pluck().get(r.architecture_version_id) as string | undefined)
      const { exportCheckpointModel } = await import('./export-model')
      return exportCheckpointModel(
        { runId: r.id, checkpointId, kind: c.kind, epoch: c.epoch, step: c.step, config: JSON.parse(r.config) as unknown, fallbackDocument: version, meta, weights },
        folder,
        overwrite ?? false,
      )
    },
  }
}
