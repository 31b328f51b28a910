import { z } from 'zod'
import type { GraphDocument } from '../../graph/types'
import { defineService, method } from '../contract'
import { entityId } from './projects'
import { docName, type VersionedDocSummary } from './versioned'

export const architectureName = docName('Design')

export type ArchitectureSummary = VersionedDocSummary

export interface ArchitectureVersionInfo {
  readonly id: number
  readonly version: number
  readonly label: string | null
  readonly createdAt: string
}

export interface ArchitectureVersion extends ArchitectureVersionInfo {
  readonly architectureId: number
  readonly document: GraphDocument
}

/**
 * Architecture documents per project, with history. `save` without a label is an autosave: it updates the
 * newest version in place while that is an unnamed autosave less than a minute old, otherwise appends one; a
 * save with a label always appends a named version. Documents are checked with `parseGraphDocument`
 * (malformed or newer-format documents are refused with the reason).
 */
export const architecturesContract = defineService(
  'architectures',
  {
    list: method<ArchitectureSummary[]>()(z.object({ projectId: entityId })),
    create: method<ArchitectureVersion>()(z.object({ projectId: entityId, name: architectureName, document: z.unknown() })),
    /** The newest version, or the given one. */
    get: method<{ architecture: ArchitectureSummary; version: ArchitectureVersion }>()(
      z.object({ id: entityId, version: z.number().int().positive().optional() }),
    ),
    save: method<ArchitectureVersion>()(
      z.object({ id: entityId, document: z.unknown(), label: z.string().trim().min(1, 'Version name must not be empty').max(120).optional() }),
    ),
    history: method<ArchitectureVersionInfo[]>()(z.object({ id: entityId })),
    rename: method<ArchitectureSummary>()(z.object({ id: entityId, name: architectureName })),
    delete: method<{ deleted: true }>()(z.object({ id: entityId })),
  },
  {
    onDidChange: z.object({ projectId: z.number(), id: z.number(), version: z.number().optional() }),
  },
)
