import { z } from 'zod'
import type { AugmentPipeline } from '../../augment/spec'
import { defineService, method } from '../contract'
import { entityId } from './projects'
import { docName, type VersionedDocSummary } from './versioned'

export const pipelineName = docName('Pipeline')

export type PipelineSummary = VersionedDocSummary

export interface PipelineVersion {
  readonly id: number
  readonly pipelineId: number
  readonly version: number
  readonly createdAt: string
  readonly document: AugmentPipeline
}

/** Augmentation pipelines per project, versioned like designs (autosaves coalesce; a run pins a version). */
export const pipelinesContract = defineService(
  'pipelines',
  {
    list: method<PipelineSummary[]>()(z.object({ projectId: entityId })),
    create: method<PipelineVersion>()(z.object({ projectId: entityId, name: pipelineName, document: z.unknown() })),
    get: method<{ pipeline: PipelineSummary; version: PipelineVersion }>()(z.object({ id: entityId, version: z.number().int().positive().optional() })),
    save: method<PipelineVersion>()(z.object({ id: entityId, document: z.unknown() })),
    rename: method<PipelineSummary>()(z.object({ id: entityId, name: pipelineName })),
    delete: method<{ deleted: true }>()(z.object({ id: entityId })),
  },
  { onDidChange: z.object({ projectId: z.number(), id: z.number(), version: z.number().optional() }) },
)
