import { ApiError, pipelinesContract, type PipelineVersion, type ServiceImpl } from '@shared/api'
import { parsePipelineDocument, serializePipeline, type AugmentPipeline } from '@shared/augment/spec'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'
import { VersionedDocs, type DocVersion } from '../store/versioned'

export function createPipelinesService(
  db: Db,
  emit: Emitter<typeof pipelinesContract>,
  now: () => Date = () => new Date(),
): ServiceImpl<typeof pipelinesContract> {
  // shared/augment/spec is TF.js-free (tests/shared/augment/tf-free.test.ts), so it is imported statically.
  const parse = (input: unknown): AugmentPipeline => {
    const result = parsePipelineDocument(input)
    if (result.ok) return result.pipeline
    const issues = result.errors.map((e) => ({
      path: ['document', ...(e.stepIndex === null ? [] : ['steps', String(e.stepIndex)]), ...e.path.map(String)].join('.'),
      message: e.message,
    }))
    throw new ApiError('invalid_payload', `The augmentation pipeline was refused: ${issues.map((i) => i.message).join('; ')}`, issues)
  }
  const docs = new VersionedDocs<AugmentPipeline>(
    db,
    { table: 'pipelines', versions: 'pipeline_versions', fk: 'pipeline_id', labels: false, noun: 'Pipeline', parse, serialize: serializePipeline },
    (change) => emit('onDidChange', change),
    now,
  )
  const toVersion = ({ parentId, label: _label, ...v }: DocVersion<AugmentPipeline>): PipelineVersion => ({ ...v, pipelineId: parentId })

  return {
    list: ({ projectId }) => docs.list(projectId),
    create: ({ projectId, name, document }) => toVersion(docs.create(projectId, name, document)),
    get({ id, version }) {
      const { summary, version: v } = docs.get(id, version)
      return { pipeline: summary, version: toVersion(v) }
    },
    save: ({ id, document }) => toVersion(docs.save(id, document)),
    rename: ({ id, name }) => docs.rename(id, name),
    delete({ id }) {
      docs.delete(id)
      return { deleted: true as const }
    },
  }
}
