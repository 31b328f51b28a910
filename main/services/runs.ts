/**
 * The runs service: checks what the contract's schemas cannot (the run, project and checkpoint exist), writes
 * through the runs repository (rows and SQL) and the checkpoint files, and emits the change events. The table
 * and overlay queries are runs-table.ts, evaluations runs-evaluations.ts.
 */
import { rmSync } from 'node:fs'
import { type ServiceImpl, ApiError, packRunsTable, runsContract } from '@shared/api'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'
import type { DataPaths } from '../store/files'
import { readCheckpointFile, runFolder, writeCheckpointFiles } from '../store/checkpoint-files'
import { APP_VERSION } from '../version'
import { deriveFacts, SUMMARY_COLUMNS, RUN_FACTS } from './run-facts'
import { createEvaluations } from './runs-evaluations'
import { createRunsRepository, toCheckpoint, toRun, toSummary, type RunRow } from './runs-repository'
import { createCurvesQuery } from './runs-curves'
import { createRunsQueries } from './runs-table'

export function createRunsService(db: Db, paths: DataPaths, emit: Emitter<typeof runsContract>): ServiceImpl<typeof runsContract> {
  const repo = createRunsRepository(db)
  const queries = createRunsQueries(db)
  const curves = createCurvesQuery(db)
  const changed = (r: Pick<RunRow, 'project_id' | 'id'>) => emit('onDidChange', { projectId: r.project_id, runId: r.id })
  const evaluations = createEvaluations(db, (runId) => changed(repo.row(runId)))

  const retag = (runIds: readonly number[], edit: (tags: string[]) => string[]) => {
    const rows = repo.rowsOf(runIds)
    const updated = repo.retag(rows, edit)
    for (const r of rows) changed(r)
    return { updated }
  }

  return {
    list: ({ projectId }) => repo.listOf(projectId).map(toSummary),

    get: ({ id }) => toRun(repo.row(id)),

    create(input) {
      if (!repo.projectExists(input.projectId)) throw new ApiError('not_found', `Project ${input.projectId} does not exist`)
      // Table columns read from the snapshot; the parameter count (from the graph when the snapshot has none)
      // also goes into the summary, which starts as { params }.
      const facts = deriveFacts(db, input.config, input.architectureVersionId ?? null)
      const id = repo.insert(
        {
          projectId: input.projectId,
          groupId: input.groupId ?? null,
          name: input.name ?? `Run ${repo.countInProject(input.projectId) + 1}`,
          config: input.config,
          architectureVersionId: input.architectureVersionId ?? null,
          datasetId: input.datasetId ?? null,
          pipelineVersionId: input.pipelineVersionId ?? null,
          backend: input.backend ?? null,
          appVersion: APP_VERSION,
          createdAt: new Date().toISOString(),
          summary: facts.param_count === null ? null : { params: facts.param_count },
        },
        facts,
      )
      const r = repo.row(id)
      changed(r)
      return toRun(r)
    },

    update({ id, ...fields }) {
      const r = repo.row(id)
      const params = r.param_count
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
            : JSON.stringify(params !== null && !('params' in fields.summary) ? { ...fields.summary, params } : fields.summary),
        name: fields.name,
        notes: fields.notes,
        tags: fields.tags === undefined ? undefined : JSON.stringify(fields.tags),
        starred: fields.starred === undefined ? undefined : fields.starred ? 1 : 0,
      }
      for (const c of SUMMARY_COLUMNS) columns[c] = fields[RUN_FACTS[c].field]
      repo.updateColumns(id, columns)
      changed(r)
      return toRun(repo.row(id))
    },

    delete({ id }) {
      const r = repo.row(id)
      repo.remove(id)
      queries.forget(id)
      rmSync(runFolder(paths, r.project_id, r.id), { recursive: true, force: true })
      changed(r)
      return { deleted: true as const }
    },

    appendMetrics({ runId, points }) {
      if (!repo.exists(runId)) repo.row(runId)
      const lastStep = repo.appendMetrics(runId, points)
      queries.forgetMetrics(runId)
      emit('onDidAppendMetrics', { runId, written: points.length, lastStep })
      return { written: points.length }
    },

    truncateMetrics({ runId, afterStep }) {
      repo.row(runId)
      const removed = repo.truncateMetrics(runId, afterStep)
      queries.forgetMetrics(runId)
      return { removed }
    },

    metrics({ runId, names }) {
      repo.row(runId)
      return repo.metricSeries(runId, names)
    },

    saveCheckpoint({ runId, kinds, epoch, step, meta, metrics, weights, optimizer }) {
      const r = repo.row(runId)
      const written = writeCheckpointFiles(paths, { projectId: r.project_id, runId }, kinds, epoch, { meta, weights, optimizer })
      const rows = repo.recordCheckpoints(runId, written, { epoch, step, ...(metrics ? { metrics } : {}) })
      changed(r)
      return rows.map(toCheckpoint)
    },

    checkpoints({ runId }) {
      repo.row(runId)
      return repo.checkpointsOf(runId).map(toCheckpoint)
    },

    loadCheckpoint({ id }) {
      let c = repo.checkpoint(id)
      const { meta, weights, optimizer } = readCheckpointFile(paths, c.path, `checkpoint ${id}`)
      // A file is renamed over its predecessor (checkpoint-last.ckpt, checkpoint-best.ckpt) before its row is
      // updated: a process killed in between leaves the row of the previous checkpoint on the newer file. The file
      // is whole (written and fsynced before the rename) and the metrics up to it were written before it, so the row
      // is brought to the file's position: a resume then goes on from where the file is, not from the stale row.
      const at = meta as { step?: unknown; epoch?: unknown } | null
      if (at && Number.isInteger(at.step) && Number.isInteger(at.epoch) && (at.step !== c.step || at.epoch !== c.epoch)) {
        c = repo.repositionCheckpoint(id, { step: at.step as number, epoch: at.epoch as number })
      }
      return { ...toCheckpoint(c), meta, weights, optimizer }
    },

    table: (q) => packRunsTable(queries.table(q)),
    metricNames: (q) => queries.metricNames(q),
    tagsInUse: (q) => queries.tagsInUse(q),
    metricsMany: (q) => queries.metricsMany(q),
    valueAt: (q) => queries.valueAt(q),
    curves: (q) => curves(q),

    tag: ({ runIds, tags }) => retag(runIds, (before) => [...before, ...tags.filter((t, i) => !before.includes(t) && tags.indexOf(t) === i)]),

    untag: ({ runIds, tags }) => retag(runIds, (before) => before.filter((t) => !tags.includes(t))),

    star({ runIds, starred }) {
      const rows = repo.rowsOf(runIds)
      const updated = repo.star(rows, starred)
      for (const r of rows) changed(r)
      return { updated }
    },

    setNotes({ id, notes }) {
      const r = repo.row(id)
      repo.updateColumns(id, { notes: notes === '' ? null : notes })
      changed(r)
      return toSummary(repo.row(id))
    },

    rename({ id, name }) {
      const r = repo.row(id)
      repo.updateColumns(id, { name })
      changed(r)
      return toSummary(repo.row(id))
    },

    saveEvaluation: (input) => evaluations.saveEvaluation(input),
    evaluations: (input) => evaluations.evaluations(input),

    async exportModel({ checkpointId, folder, overwrite }) {
      const c = repo.checkpoint(checkpointId)
      const r = repo.row(c.run_id)
      const { meta, weights } = readCheckpointFile(paths, c.path, `checkpoint ${checkpointId}`)
      const { exportCheckpointModel } = await import('./export-model')
      return exportCheckpointModel(
        {
          runId: r.id,
          checkpointId,
          kind: c.kind,
          epoch: c.epoch,
          step: c.step,
          config: JSON.parse(r.config) as unknown,
          fallbackDocument: repo.architectureDocument(r.architecture_version_id),
          meta,
          weights,
        },
        folder,
        overwrite ?? false,
      )
    },
  }
}
