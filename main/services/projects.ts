import { ApiError, projectsContract, type Project, type ProjectSummary, type ServiceImpl } from '@shared/api'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'
import type { DataPaths } from '../store/files'

interface ProjectRow {
  id: number
  name: string
  created_at: string
  updated_at: string
  last_opened_at: string | null
}

const toProject = (row: ProjectRow): Project => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastOpenedAt: row.last_opened_at,
})

const now = () => new Date().toISOString()

/** LIKE pattern that matches `text` literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

export function createProjectsService(
  db: Db,
  paths: DataPaths,
  emit: Emitter<typeof projectsContract>,
): ServiceImpl<typeof projectsContract> {
  const getRow = (id: number): ProjectRow => {
    const row = db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as ProjectRow | undefined
    if (!row) throw new ApiError('not_found', `Project ${id} does not exist (it may have been deleted)`)
    return row
  }

  const uniqueCopyName = (base: string): string => {
    const taken = new Set(
      (db.prepare('SELECT name FROM projects').all() as { name: string }[]).map((r) => r.name),
    )
    let name = `${base} (copy)`
    for (let i = 2; taken.has(name); i++) name = `${base} (copy ${i})`
    return name
  }

  return {
    list({ search }) {
      const rows = db
        .prepare(
          `SELECT p.*,
             (SELECT COUNT(*) FROM architectures a WHERE a.project_id = p.id) AS architecture_count,
             (SELECT COUNT(*) FROM runs r WHERE r.project_id = p.id) AS run_count
           FROM projects p
           WHERE (@search IS NULL OR p.name LIKE @pattern ESCAPE '\\')
           ORDER BY p.last_opened_at IS NULL, p.last_opened_at DESC, p.created_at DESC, p.id DESC`,
        )
        .all({ search: search?.trim() || null, pattern: likePattern(search?.trim() ?? '') }) as (ProjectRow & {
        architecture_count: number
        run_count: number
      })[]
      return rows.map(
        (row): ProjectSummary => ({ ...toProject(row), architectureCount: row.architecture_count, runCount: row.run_count }),
      )
    },

    get({ id }) {
      return toProject(getRow(id))
    },

    create({ name }) {
      const t = now()
      const info = db
        .prepare('INSERT INTO projects (name, created_at, updated_at, last_opened_at) VALUES (?, ?, ?, NULL)')
        .run(name, t, t)
      const project = toProject(getRow(Number(info.lastInsertRowid)))
      emit('onDidChange', { kind: 'created', id: project.id })
      return project
    },

    rename({ id, name }) {
      getRow(id)
      db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(name, now(), id)
      emit('onDidChange', { kind: 'renamed', id })
      return toProject(getRow(id))
    },

    duplicate({ id, name }) {
      const source = getRow(id)
      const copy = db.transaction(() => {
        const t = now()
        const newId = Number(
          db
            .prepare('INSERT INTO projects (name, created_at, updated_at, last_opened_at) VALUES (?, ?, ?, NULL)')
            .run(name ?? uniqueCopyName(source.name), t, t).lastInsertRowid,
        )
        const archs = db.prepare('SELECT * FROM architectures WHERE project_id = ?').all(id) as {
          id: number
          name: string
          created_at: string
        }[]
        for (const a of archs) {
          const newArch = Number(
            db
              .prepare('INSERT INTO architectures (project_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)')
              .run(newId, a.name, t, t).lastInsertRowid,
          )
          db.prepare(
            `INSERT INTO architecture_versions (architecture_id, version, label, document, created_at)
             SELECT ?, version, label, document, created_at FROM architecture_versions WHERE architecture_id = ?`,
          ).run(newArch, a.id)
        }
        const pipes = db.prepare('SELECT * FROM pipelines WHERE project_id = ?').all(id) as { id: number; name: string }[]
        for (const p of pipes) {
          const newPipe = Number(
            db
              .prepare('INSERT INTO pipelines (project_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)')
              .run(newId, p.name, t, t).lastInsertRowid,
          )
          db.prepare(
            `INSERT INTO pipeline_versions (pipeline_id, version, document, created_at)
             SELECT ?, version, document, created_at FROM pipeline_versions WHERE pipeline_id = ?`,
          ).run(newPipe, p.id)
        }
        return newId
      })
      const newId = copy.immediate()
      emit('onDidChange', { kind: 'duplicated', id: newId })
      return toProject(getRow(newId))
    },

    delete({ id }) {
      getRow(id)
      const datasetIds = (db.prepare('SELECT id FROM datasets WHERE project_id = ?').all(id) as { id: number }[]).map(
        (r) => r.id,
      )
      db.prepare('DELETE FROM projects WHERE id = ?').run(id)
      // Files go after the rows: a crash in between leaves orphan files, never rows pointing at nothing.
      paths.removeProjectFiles(id)
      for (const datasetId of datasetIds) paths.removeDatasetFiles(datasetId)
      emit('onDidChange', { kind: 'deleted', id })
      return { deleted: true as const }
    },

    open({ id }) {
      getRow(id)
      db.prepare('UPDATE projects SET last_opened_at = ? WHERE id = ?').run(now(), id)
      emit('onDidChange', { kind: 'opened', id })
      return toProject(getRow(id))
    },
  }
}
