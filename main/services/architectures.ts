import { ApiError, architecturesContract, type ArchitectureVersion, type ServiceImpl } from '@shared/api'
import { GraphDocumentError, parseGraphDocument, serializeGraphDocument, type GraphDocument } from '@shared/graph'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'
import { VersionedDocs, type DocVersion } from '../store/versioned'

export { AUTOSAVE_COALESCE_MS } from '../store/versioned'

function parseDocument(input: unknown): GraphDocument {
  try {
    return parseGraphDocument(input)
  } catch (error) {
    if (error instanceof GraphDocumentError) {
      throw new ApiError('invalid_payload', `The architecture document was refused: ${error.message}`, [{ path: 'document', message: error.message }])
    }
    throw error
  }
}

const toVersion = ({ parentId, ...v }: DocVersion<GraphDocument>): ArchitectureVersion => ({ ...v, architectureId: parentId })

export function createArchitecturesService(
  db: Db,
  emit: Emitter<typeof architecturesContract>,
  now: () => Date = () => new Date(),
): ServiceImpl<typeof architecturesContract> {
  const docs = new VersionedDocs(
    db,
    { table: 'architectures', versions: 'architecture_versions', fk: 'architecture_id', labels: true, noun: 'Design', parse: parseDocument, serialize: serializeGraphDocument },
    now,
  )
  return {
    list: ({ projectId }) => docs.list(projectId),
    create({ projectId, name, document }) {
      const v = docs.create(projectId, name, document)
      emit('onDidChange', { projectId, id: v.parentId, version: v.version })
      return toVersion(v)
    },
    get({ id, version }) {
      const { summary, version: v } = docs.get(id, version)
      return { architecture: summary, version: toVersion(v) }
    },
    save({ id, document, label }) {
      const v = docs.save(id, document, label)
      emit('onDidChange', { projectId: docs.summary(id).projectId, id, version: v.version })
      return toVersion(v)
    },
    history: ({ id }) => docs.history(id),
    rename({ id, name }) {
      const summary = docs.rename(id, name)
      emit('onDidChange', { projectId: summary.projectId, id })
      return summary
    },
    delete({ id }) {
      const summary = docs.delete(id)
      emit('onDidChange', { projectId: summary.projectId, id })
      return { deleted: true as const }
    },
  }
}
