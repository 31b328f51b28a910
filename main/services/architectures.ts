import {
  ApiError,
  architecturesContract,
  type ArchitectureSummary,
  type ArchitectureVersion,
  type ArchitectureVersionInfo,
  type ServiceImpl,
} from '@shared/api'
import { GraphDocumentError, parseGraphDocument, serializeGraphDocument } from '@shared/graph'
import type { GraphDocument } from '@shared/graph'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'

/** An unnamed autosave younger than this is updated in place instead of adding a version. */
export const AUTOSAVE_COALESCE_MS = 60_000

interface SummaryRow {
  id: number
  project_id: number
  name: string
  created_at: string
  updated_at: string
  latest_version: number
  version_count: number
}

interface VersionRow {
  id: number
  architecture_id: number
  version: number
  label: string | null
  document: string
  created_at: string
}

const toSummary = (r: SummaryRow): ArchitectureSummary => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  latestVersion: r.latest_version,
  versionCount: r.version_count,
})

const toVersion = (r: VersionRow): ArchitectureVersion => ({
  id: r.id,
  architectureId: r.architecture_id,
  version: r.version,
  label: r.label,
  createdAt: r.created_at,
  document: parseGraphDocument(JSON.parse(r.document)),
})

function checkDocument(input: unknown): GraphDocument {
  try {
    return parseGraphDocument(input)
  } catch (error) {
    if (error instanceof GraphDocumentError) {
      throw new ApiError('invalid_payload', `The architecture document was refused: ${error.message}`, [
        { path: 'document', message: error.message },
      ])
    }
    throw error
  }
}

export function createArchitecturesService(
  db: Db,
  emit: Emitter<typeof architecturesContract>,
  now: () => Date = () => new Date(),
): ServiceImpl<typeof architecturesContract> {
  const summarySql = `SELECT a.*, MAX(v.version) AS latest_version, COUNT(v.id) AS version_count
    FROM architectures a JOIN architecture_versions v ON v.architecture_id = a.id`

  const summary = (id: number): ArchitectureSummary => {
    const row = db.prepare(`${summarySql} WHERE a.id = ? GROUP BY a.id`).get(id) as SummaryRow | undefined
    if (!row) throw new ApiError('not_found', `Design ${id} does not exist (it may have been deleted)`)
    return toSummary(row)
  }

  const versionRow = (architectureId: number, version?: number): VersionRow => {
    const row = (
      version === undefined
        ? db.prepare('SELECT * FROM architecture_versions WHERE architecture_id = ? ORDER BY version DESC LIMIT 1').get(architectureId)
        : db.prepare('SELECT * FROM architecture_versions WHERE architecture_id = ? AND version = ?').get(architectureId, version)
    ) as VersionRow | undefined
    if (!row) throw new ApiError('not_found', `Design ${architectureId} has no version ${version ?? ''}`.trim())
    return row
  }

  const touch = (id: number, t: string) => {
    db.prepare('UPDATE architectures SET updated_at = ? WHERE id = ?').run(t, id)
    db.prepare('UPDATE projects SET updated_at = ? WHERE id = (SELECT project_id FROM architectures WHERE id = ?)').run(t, id)
  }

  return {
    list({ projectId }) {
      const rows = db
        .prepare(`${summarySql} WHERE a.project_id = ? GROUP BY a.id ORDER BY a.updated_at DESC, a.id DESC`)
        .all(projectId) as SummaryRow[]
      return rows.map(toSummary)
    },

    create({ projectId, name, document }) {
      const doc = checkDocument(document)
      if (!db.prepare('SELECT 1 FROM projects WHERE id = ?').get(projectId)) {
        throw new ApiError('not_found', `Project ${projectId} does not exist`)
      }
      const t = now().toISOString()
      const id = db.transaction(() => {
        const archId = Number(
          db.prepare('INSERT INTO architectures (project_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(projectId, name, t, t)
            .lastInsertRowid,
        )
        db.prepare('INSERT INTO architecture_versions (architecture_id, version, label, document, created_at) VALUES (?, 1, NULL, ?, ?)').run(
          archId,
          serializeGraphDocument(doc),
          t,
        )
        return archId
      }).immediate()
      emit('onDidChange', { projectId, id, version: 1 })
      return toVersion(versionRow(id))
    },

    get({ id, version }) {
      return { architecture: summary(id), version: toVersion(versionRow(id, version)) }
    },

    save({ id, document, label }) {
      const doc = checkDocument(document)
      const { projectId } = summary(id)
      const t = now()
      const saved = db.transaction(() => {
        const latest = versionRow(id)
        const json = serializeGraphDocument(doc)
        const coalesce = label === undefined && latest.label === null && t.getTime() - Date.parse(latest.created_at) < AUTOSAVE_COALESCE_MS
        if (coalesce) {
          db.prepare('UPDATE architecture_versions SET document = ? WHERE id = ?').run(json, latest.id)
        } else {
          db.prepare('INSERT INTO architecture_versions (architecture_id, version, label, document, created_at) VALUES (?, ?, ?, ?, ?)').run(
            id,
            latest.version + 1,
            label ?? null,
            json,
            t.toISOString(),
          )
        }
        touch(id, t.toISOString())
        return versionRow(id)
      }).immediate()
      emit('onDidChange', { projectId, id, version: saved.version })
      return toVersion(saved)
    },

    history({ id }) {
      summary(id)
      const rows = db
        .prepare('SELECT id, version, label, created_at FROM architecture_versions WHERE architecture_id = ? ORDER BY version DESC')
        .all(id) as Omit<VersionRow, 'document' | 'architecture_id'>[]
      return rows.map((r): ArchitectureVersionInfo => ({ id: r.id, version: r.version, label: r.label, createdAt: r.created_at }))
    },

    rename({ id, name }) {
      const { projectId } = summary(id)
      db.prepare('UPDATE architectures SET name = ?, updated_at = ? WHERE id = ?').run(name, now().toISOString(), id)
      emit('onDidChange', { projectId, id })
      return summary(id)
    },

    delete({ id }) {
      const { projectId } = summary(id)
      db.prepare('DELETE FROM architectures WHERE id = ?').run(id)
      emit('onDidChange', { projectId, id })
      return { deleted: true as const }
    },
  }
}
