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
    (change) => emit('onDidChange', change),
    now,
  )
  return {
    list: ({ projectId }) => docs.list(projectId),
    create: ({ projectId, name, document }) => toVersion(docs.create(projectId, name, document)),
    get({ id, version }) {
      const { summary, version: v } = docs.get(id, version)
      return { architecture: summary, version: toVersion(v) }
    },
    save: ({ id, document, label }) => toVersion(docs.save(id, document, label)),
    history: ({ id }) => docs.history(id),
    rename: ({ id, name }) => docs.rename(id, name),
    delete({ id }) {
      docs.delete(id)
      return { deleted: true as const }
    },
  }
}
