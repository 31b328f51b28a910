/** What every procedure card is given (the Train form's choices and the runs), and the data a job on the dataset needs. */
import type { RunSummary } from '@shared/api'
import type { TrainingConfigInput } from '@shared/train/config'
import type { LiveRun } from '../train/controller'
import { designGraph, runPipeline, workerData } from './client'

export interface ProcedureContext {
  readonly projectId: number
  readonly architectureId: number | null
  readonly datasetId: number | null
  readonly pipelineId: number | null
  readonly config: TrainingConfigInput
  readonly configOk: boolean
  readonly runs: readonly RunSummary[]
  readonly shownRunId: number | null
  readonly live: LiveRun | null
  readonly onUseLearningRate: (lr: number) => void
}

/** The design's graph, the training split and the run's pipeline, with the split's buffers to transfer to the worker. */
export async function prepareData(ctx: ProcedureContext) {
  if (ctx.architectureId === null || ctx.datasetId === null) throw new Error('Pick a design and a dataset on the left first')
  const [graph, data, pipeline] = await Promise.all([designGraph(ctx.architectureId), workerData(ctx.datasetId), runPipeline(ctx.pipelineId)])
  const transfer: Transferable[] = [data.train.indices.buffer, data.train.labels.buffer]
  return { graph: graph.document, data, pipeline, transfer }
}

export const seedOf = (c: TrainingConfigInput) => c.seed ?? 1
