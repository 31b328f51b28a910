import { z } from 'zod'
import { defineService, method } from '../contract'
import { entityId } from './projects'

export const RUN_STATUSES = ['queued', 'running', 'paused', 'stopped', 'completed', 'failed'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]
export const CHECKPOINT_KINDS = ['last', 'best', 'periodic'] as const
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number]

export interface RunSummary {
  readonly id: number
  readonly projectId: number
  readonly groupId: number | null
  readonly name: string
  readonly status: RunStatus
  readonly backend: string | null
  readonly appVersion: string
  readonly createdAt: string
  readonly startedAt: string | null
  readonly endedAt: string | null
  readonly durationMs: number
  readonly bestValAccuracy: number | null
  readonly bestEpoch: number | null
  readonly finalLoss: number | null
  readonly starred: boolean
  readonly tags: string[]
  readonly notes: string | null
  readonly datasetId: number | null
  readonly architectureVersionId: number | null
}

export interface Run extends RunSummary {
  /** The snapshot taken at creation: architecture document, dataset and split, pipeline, hyperparameters, seed. */
  readonly config: unknown
  readonly summary: Record<string, unknown> | null
}

/** Columnar series per metric name (cheap to send and to chart). */
export interface MetricSeries {
  readonly step: number[]
  readonly epoch: number[]
  readonly value: number[]
  readonly time: number[]
}

export interface CheckpointInfo {
  readonly id: number
  readonly runId: number
  readonly kind: CheckpointKind
  readonly epoch: number
  readonly step: number
  readonly bytes: number
  readonly metrics: Record<string, number> | null
  readonly createdAt: string
}

export interface CheckpointData extends CheckpointInfo {
  readonly meta: unknown
  /** Base64 of the float32 weights and of the optimizer state. */
  readonly weights: string
  readonly optimizer: string
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number')
const base64 = z.base64({ error: 'must be base64-encoded binary data' })

export const metricPoint = z.object({
  name: z.string().min(1).max(100),
  step: z.number().int().min(0),
  epoch: finite,
  value: z.number(), // NaN/Infinity are refused by JSON itself; the engine stops before they happen
  time: finite,
})

/**
 * Training runs: a config snapshot, status and summary, metrics (appended in batches; idempotent by
 * run, name and step, so a resumed run that re-sends a step replaces it instead of duplicating it) and
 * checkpoints (files under the data folder, written atomically; `last` and `best` replace their previous file).
 */
export const runsContract = defineService(
  'runs',
  {
    list: method<RunSummary[]>()(z.object({ projectId: entityId })),
    get: method<Run>()(z.object({ id: entityId })),
    create: method<Run>()(
      z.object({
        projectId: entityId,
        name: z.string().trim().min(1, 'Run name must not be empty').max(200).optional(),
        groupId: entityId.optional(),
        config: z.record(z.string(), z.unknown(), { error: 'config must be an object (the run snapshot)' }),
        architectureVersionId: entityId.optional(),
        datasetId: entityId.optional(),
        pipelineVersionId: entityId.optional(),
        backend: z.string().max(40).optional(),
      }),
    ),
    update: method<Run>()(
      z.object({
        id: entityId,
        status: z.enum(RUN_STATUSES).optional(),
        backend: z.string().max(40).optional(),
        startedAt: z.iso.datetime().optional(),
        endedAt: z.iso.datetime().optional(),
        durationMs: z.number().int().min(0).optional(),
        summary: z.record(z.string(), z.unknown()).optional(),
        bestValAccuracy: finite.optional(),
        bestEpoch: z.number().int().min(0).optional(),
        finalLoss: finite.optional(),
        name: z.string().trim().min(1, 'Run name must not be empty').max(200).optional(),
        notes: z.string().max(10_000).optional(),
        tags: z.array(z.string().trim().min(1).max(40)).max(50).optional(),
        starred: z.boolean().optional(),
      }),
    ),
    delete: method<{ deleted: true }>()(z.object({ id: entityId })),
    appendMetrics: method<{ written: number }>()(z.object({ runId: entityId, points: z.array(metricPoint).max(100_000) })),
    /** Drops metrics after a step (resuming from a checkpoint replays the steps after it). */
    truncateMetrics: method<{ removed: number }>()(z.object({ runId: entityId, afterStep: z.number().int().min(0) })),
    metrics: method<Record<string, MetricSeries>>()(z.object({ runId: entityId, names: z.array(z.string()).optional() })),
    saveCheckpoint: method<CheckpointInfo>()(
      z.object({
        runId: entityId,
        kind: z.enum(CHECKPOINT_KINDS),
        epoch: z.number().int().min(0),
        step: z.number().int().min(0),
        meta: z.unknown(),
        metrics: z.record(z.string(), finite).optional(),
        weights: base64,
        optimizer: base64,
      }),
    ),
    checkpoints: method<CheckpointInfo[]>()(z.object({ runId: entityId })),
    loadCheckpoint: method<CheckpointData>()(z.object({ id: entityId })),
  },
  {
    onDidChange: z.object({ projectId: z.number(), runId: z.number() }),
    onDidAppendMetrics: z.object({ runId: z.number(), written: z.number(), lastStep: z.number() }),
  },
)
