import { ApiError, pipelinesContract, type PipelineVersion, type ServiceImpl } from '@shared/api'
import type { AugmentPipeline } from '@shared/augment/spec'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'
import { VersionedDocs, type DocVersion } from '../store/versioned'

export function createPipelinesService(
  db: Db,
  emit: Emitter<typeof pipelinesContract>,
  now: () => Date = () => new Date(),
): ServiceImpl<typeof pipelinesContract> {
  let docs: Promise<VersionedDocs<AugmentPipeline>> | null = null
  // The augmentation registry brings TF.js with it (its apply functions): load it on first use, not at start.
  const ready = () =>
    (docs ??= import('@shared/augment/spec').then(({ parsePipelineDocument, serializePipeline }) => {
      const parse = (input: unknown): AugmentPipeline => {
        const result = parsePipelineDocument(input)
        if (result.ok) return result.pipeline
        const issues = result.errors.map((e) => ({
          path: ['document', ...(e.stepIndex === null ? [] : ['steps', String(e.stepIndex)]), ...e.path.map(String)].join('.'),
          message: e.message,
        }))
        throw new ApiError('invalid_payload', `The augmentation pipeline was refused: ${issues.map((i) => i.message).join('; ')}`, issues)
      }
      return new VersionedDocs(
        db,
        { table: 'pipelines', versions: 'pipeline_versions', fk: 'pipeline_id', labels: false, noun: 'Pipeline', parse, serialize: serializePipeline },
        now,
      )
    }))
  const toVersion = ({ parentId, label: _label, ...v }: DocVersion<AugmentPipeline>): PipelineVersion => ({ ...v, pipelineId: parentId })

  return {
    list: async ({ projectId }) => (await ready()).list(projectId),
    async create({ projectId, name, document }) {
      const v = (await ready()).create(projectId, name, document)
      emit('onDidChange', { projectId, id: v.parentId, version: v.version })
      return toVersion(v)
    },
    async get({ id, version }) {
      const { summary, version: v } = (await ready()).get(id, version)
      return { pipeline: summary, version: toVersion(v) }
    },
    async save({ id, document }) {
      const d = await ready()
      const v = d.save(id, document)
      emit('onDidChange', { projectId: d.summary(id).projectId, id, version: v.version })
      return toVersion(v)
    },
    async rename({ id, name }) {
      const summary = (await ready()).rename(id, name)
      emit('onDidChange', { projectId: summary.projectId, id })
      return summary
    },
    async delete({ id }) {
      const summary = (await ready()).delete(id)
      emit('onDidChange', { projectId: summary.projectId, id })
      return { deleted: true as const }
    },
  }
}
