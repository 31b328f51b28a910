import { z } from 'zod'
import { defineService, method } from '../contract'

export const projectName = z
  .string({ error: 'Project name must be text' })
  .trim()
  .min(1, 'Project name must not be empty')
  .max(120, 'Project name must be at most 120 characters')

export const entityId = z.number({ error: 'Expected a numeric id' }).int('Expected a whole number').positive('Ids are positive')

export interface Project {
  readonly id: number
  readonly name: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly lastOpenedAt: string | null
}

export interface ProjectSummary extends Project {
  readonly architectureCount: number
  readonly runCount: number
}

export const projectsContract = defineService(
  'projects',
  {
    /** Projects sorted by last opened (never-opened last, newest first), optionally filtered by name. */
    list: method<ProjectSummary[]>()(z.object({ search: z.string().max(200).optional() })),
    get: method<Project>()(z.object({ id: entityId })),
    create: method<Project>()(z.object({ name: projectName })),
    rename: method<Project>()(z.object({ id: entityId, name: projectName })),
    /** Copies the project's designs and pipelines (not its runs) under a new name. */
    duplicate: method<Project>()(z.object({ id: entityId, name: projectName.optional() })),
    /** Deletes the project, everything it owns in the database, and its files under the data folder. */
    delete: method<{ deleted: true }>()(z.object({ id: entityId })),
    /** Marks the project as opened now (drives the list order). */
    open: method<Project>()(z.object({ id: entityId })),
  },
  {
    onDidChange: z.object({ kind: z.enum(['created', 'renamed', 'deleted', 'opened', 'duplicated']), id: z.number() }),
  },
)
