/**
 * The procedure worker's method, over the one worker protocol (../workers/): one short-lived worker per job;
 * cancelling a job terminates it. The worker runs shared/procedure's engine on a design compiled from its graph document and,
 * where a job needs data, the dataset cache fetched once (the same CacheDataSource the training worker uses).
 */
import type { AugmentPipeline } from '@shared/augment/spec-only'
import type { GraphDocument } from '@shared/graph/types'
import type { InitScheme, InitLabResult, UpdateRatio, InitialLossCheck, LrSweepResult, OverfitResult, RangeTestResult, RegularizationCheck, FreezeSpec, FreezePlan, TransferReport } from '@shared/procedure'
import type { BackendChoice, WorkerData } from '../train/protocol'
import type { Method } from '../workers/protocol'

import type { TrainingConfigInput } from '@shared/train/config'

/** The Train form's optimizer (the sweep recommends a rate for the optimizer that will use it). */
export type OptimizerChoice = NonNullable<TrainingConfigInput['optimizer']>

interface JobBase {
  readonly graph: GraphDocument
  readonly backend: BackendChoice
  readonly seed: number | string
}

/** A job on the dataset: the training split and the run's pipeline (the tools see the inputs the run would). */
interface DataJob extends JobBase {
  readonly data: WorkerData
  /** The Train form's augmentation pipeline (null: none): normalize for the checks, all of it where a tool trains like the run. */
  readonly pipeline: AugmentPipeline | null
}

export type ProcedureJob =
  | (DataJob & { readonly kind: 'initial-loss' })
  | (DataJob & { readonly kind: 'overfit'; readonly examples: number; readonly maxSteps: number; readonly lr: number; readonly optimizer: OptimizerChoice })
  | (DataJob & {
      readonly kind: 'lr-sweep'
      readonly rates: readonly number[]
      readonly iterations: number
      readonly batchSize: number
      readonly weightDecay: number
      readonly optimizer: OptimizerChoice
    })
  | (DataJob & { readonly kind: 'range-test'; readonly minLr: number; readonly maxLr: number; readonly steps: number; readonly batchSize: number; readonly optimizer: OptimizerChoice })
  | (JobBase & { readonly kind: 'init-lab'; readonly schemes: readonly InitScheme[]; readonly samples: number; readonly bins: number })
  | (JobBase & {
      readonly kind: 'transfer-plan'
      readonly classes: number
      readonly source: { readonly graph: GraphDocument; readonly meta: unknown; readonly weights: ArrayBuffer; readonly optimizerState: ArrayBuffer }
      readonly freeze: FreezeSpec
      readonly lrMultiplier: number
    })
  | (JobBase & {
      /** `graph` and `seed` are the run's snapshot: compiling them gives the weights the run started from. */
      readonly kind: 'trained-lab'
      readonly checkpoint: { readonly meta: unknown; readonly weights: ArrayBuffer; readonly optimizerState: ArrayBuffer }
      readonly samples: number
      readonly bins: number
    })

export type ProcedureJobKind = ProcedureJob['kind']

export interface SanityResult {
  readonly initial: InitialLossCheck
  readonly regularization: RegularizationCheck
}

export interface TransferPlanResult {
  readonly report: TransferReport
  readonly plan: FreezePlan
}

export interface TrainedLabResult {
  /** Activation statistics at the run's initial weights and at the checkpoint's, on the same input batch. */
  readonly atInit: InitLabResult
  readonly trained: InitLabResult
  /** Per kernel: ||W_trained - W_init|| / ||W_init||. */
  readonly ratios: UpdateRatio[]
}

export type JobResult =
  | { readonly kind: 'initial-loss'; readonly value: SanityResult }
  | { readonly kind: 'overfit'; readonly value: OverfitResult }
  | { readonly kind: 'lr-sweep'; readonly value: LrSweepResult }
  | { readonly kind: 'range-test'; readonly value: RangeTestResult }
  | { readonly kind: 'init-lab'; readonly value: InitLabResult[] }
  | { readonly kind: 'transfer-plan'; readonly value: TransferPlanResult }
  | { readonly kind: 'trained-lab'; readonly value: TrainedLabResult }

/** A live point: a loss at a step (of a rate, for the sweep), or one initializer's lab result. */
export type ProgressPoint = { readonly series: string; readonly step: number; readonly loss: number } | { readonly lab: InitLabResult }

/** What a job reports while it runs: the backend it started, and its progress. */
export type ProcedureProgress =
  | { readonly type: 'backend'; readonly backend: string }
  | { readonly type: 'progress'; readonly text: string; readonly fraction: number | null; readonly points?: readonly ProgressPoint[] }

export type ProcedureMethods = {
  run: Method<ProcedureJob, JobResult, ProcedureProgress>
}
