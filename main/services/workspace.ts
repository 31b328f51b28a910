/**
 * The Train section's saved state per project: the Train form (`train_forms`) and the hyperparameter searches
 * (`run_groups`, kind 'search'). A thin mapping over SQL; the contract validated what comes in, and what is read
 * back is validated again, field by field for the form (a field an older studio wrote that no longer fits is
 * left to the default) and whole for a search (a damaged search is refused with its name, never half-loaded).
 */
import {
  ApiError,
  savedSearchSchema,
  trainFormFields,
  workspaceContract,
  type SearchRecord,
  type ServiceImpl,
  type TrainFormRecord,
} from '@shared/api'
import { serializeSearch } from '@shared/procedure/search'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'

const SEARCH = 'search'

interface SearchRow {
  name: string
  config: string
  state: string | null
  created_at: string
  updated_at: string | null
}

const now = () => new Date().toISOString()

export function createWorkspaceService(db: Db, emit: Emitter<typeof workspaceContract>): ServiceImpl<typeof workspaceContract> {
  const requireProject = (projectId: number) => {
    if (!db.prepare('SELECT 1 FROM projects WHERE id = ?').get(projectId)) {
      throw new ApiError('not_found', `Project ${projectId} does not exist (it may have been deleted)`)
    }
  }

  const toSearch = (row: SearchRow): SearchRecord => {
    const parsed = savedSearchSchema.safeParse({ ...(JSON.parse(row.config) as object), key: row.name, state: row.state === null ? null : JSON.parse(row.state) })
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new ApiError('internal', `The saved search "${row.name}" is damaged (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unreadable'}); start a new search.`)
    }
    return { search: parsed.data, createdAt: row.created_at, updatedAt: row.updated_at ?? row.created_at }
  }

  const getSearchRow = (projectId: number, key: string) =>
    db.prepare('SELECT name, config, state, created_at, updated_at FROM run_groups WHERE project_id = ? AND kind = ? AND name = ?').get(projectId, SEARCH, key) as SearchRow | undefined

  return {
    getTrainForm({ projectId }) {
      requireProject(projectId)
      const row = db.prepare('SELECT form, updated_at FROM train_forms WHERE project_id = ?').get(projectId) as { form: string; updated_at: string } | undefined
      return row ? { form: trainFormFields(row.form), updatedAt: row.updated_at } : null
    },

    saveTrainForm({ projectId, form }): TrainFormRecord {
      requireProject(projectId)
      const t = now()
      db.prepare(
        `INSERT INTO train_forms (project_id, form, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (project_id) DO UPDATE SET form = excluded.form, updated_at = excluded.updated_at`,
      ).run(projectId, JSON.stringify(form), t)
      emit('onDidChange', { projectId, kind: 'trainForm' })
      return { form, updatedAt: t }
    },

    getSearch({ projectId }) {
      requireProject(projectId)
      const row = db
        .prepare('SELECT name, config, state, created_at, updated_at FROM run_groups WHERE project_id = ? AND kind = ? ORDER BY updated_at DESC, id DESC LIMIT 1')
        .get(projectId, SEARCH) as SearchRow | undefined
      return row ? toSearch(row) : null
    },

    saveSearch({ projectId, search }) {
      requireProject(projectId)
      const { key, state, ...config } = search
      const t = now()
      db.prepare(
        `INSERT INTO run_groups (project_id, kind, name, config, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (project_id, kind, name) DO UPDATE SET config = excluded.config, state = excluded.state, updated_at = excluded.updated_at`,
      ).run(projectId, SEARCH, key, JSON.stringify(config), serializeSearch(state), t, t)
      emit('onDidChange', { projectId, kind: 'search' })
      return toSearch(getSearchRow(projectId, key)!)
    },
  }
}
