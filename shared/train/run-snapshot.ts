/**
 * The run snapshot: what a run records at creation (runs.create's `config`), everything needed to reproduce or
 * resume it. One shape for every writer (the app's Train section and Procedure trials, the `studio train` command,
 * imported engines); `buildRunSnapshot` is the one place that writes it, `parseRunSnapshot` reads it back.
 *
 * Writers that train a design or pipeline not saved in the studio (the CLI's templates and files) record null ids
 * and versions, with where the document came from (`architecture.template` / `file`, `pipeline.file`).
 */
import { z } from 'zod'
import type { DatasetDetail } from '../api/services/datasets'
import type { AugmentPipeline } from '../augment'
import type { GraphDocument } from '../graph/types'
import type { TrainingConfig } from './config'

export const RUN_SNAPSHOT_KIND = 'cnn-studio/train'
export const RUN_SNAPSHOT_FORMAT = 1

/** How a transfer run freezes the source's layers (shared/procedure/transfer.ts freezePlan). */
export const freezeSpecSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('all-but-last'), k: z.number().int().min(0) }),
  z.object({ mode: z.literal('layers'), frozen: z.array(z.string()).readonly() }),
  z.object({ mode: z.literal('none') }),
])
export type FreezeSpec = z.infer<typeof freezeSpecSchema>

export const transferSnapshotSchema = z.object({
  sourceRunId: z.number(),
  sourceRunName: z.string(),
  sourceProjectId: z.number(),
  checkpointId: z.number(),
  checkpointKind: z.string(),
  checkpointEpoch: z.number(),
  checkpointStep: z.number(),
  freeze: freezeSpecSchema,
  pretrainedLrMultiplier: z.number(),
})
/** A transfer run's source and freeze settings, as recorded in its snapshot. */
export type TransferSnapshot = z.infer<typeof transferSnapshotSchema>

export const trialSnapshotSchema = z.object({
  search: z.string(),
  round: z.number(),
  id: z.number(),
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  designModified: z.boolean(),
})

const idOrNull = z.number().nullable()

/**
 * Keys other writers add are dropped when read (older CLI snapshots had `backend` and `params`); the documents and
 * the training config are checked where they are used (parseGraphDocument, assertTrainingConfig).
 */
export const runSnapshotSchema = z.object({
  kind: z.literal(RUN_SNAPSHOT_KIND),
  format: z.literal(RUN_SNAPSHOT_FORMAT),
  architecture: z
    .object({
      id: idOrNull,
      name: z.string(),
      versionId: idOrNull,
      version: idOrNull,
      template: z.string().nullable().optional(),
      file: z.string().nullable().optional(),
      document: z.custom<GraphDocument>((v) => typeof v === 'object' && v !== null, 'a design document'),
    }),
  dataset: z
    .object({
      id: z.number(),
      name: z.string(),
      classes: z.array(z.string()),
      shape: z.tuple([z.number(), z.number(), z.number()]),
      trainSplit: z.literal('train'),
      valSplit: z.literal('val'),
      counts: z.object({ train: z.number(), val: z.number(), test: z.number() }),
      split: z.custom<DatasetDetail['split']>(() => true),
      mean: z.array(z.number()).nullable(),
      std: z.array(z.number()).nullable(),
    }),
  pipeline: z
    .object({
      id: idOrNull,
      name: z.string(),
      versionId: idOrNull,
      version: idOrNull,
      file: z.string().nullable().optional(),
      document: z.custom<AugmentPipeline>((v) => typeof v === 'object' && v !== null, 'a pipeline document'),
    })
    .nullable(),
  /** Every hyperparameter, defaults filled in (parseTrainingConfig). */
  training: z.custom<TrainingConfig>((v) => typeof v === 'object' && v !== null, 'a training configuration'),
  seed: z.union([z.number(), z.string()]),
  /** The backend asked for ('auto', 'webgpu', 'wasm', 'cpu', ...); the one that ran is the run's `backend`. */
  backendRequested: z.string(),
  appVersion: z.string(),
  /** Which writer created the run ('app', 'cli', ...). */
  origin: z.string().optional(),
  /**
   * Present when the run started from another run's checkpoint (transfer learning). The layers actually copied /
   * re-initialized and the freeze plan's groups are in the run's summary (`summary.transfer`).
   */
  transfer: transferSnapshotSchema.optional(),
  /**
   * Present when the run is a trial of a hyperparameter search (Procedure tab): the trial's values. When the trial
   * varies the design, `architecture.document` is the modified copy that trained.
   */
  trial: trialSnapshotSchema.optional(),
})

export type RunSnapshot = z.infer<typeof runSnapshotSchema>

/** Reads a run's `config` as a snapshot; a clear error names what is missing. */
export function parseRunSnapshot(config: unknown, runName: string): RunSnapshot {
  const r = runSnapshotSchema.safeParse(config)
  if (r.success) return r.data
  if (typeof config !== 'object' || config === null || (config as { kind?: unknown }).kind !== RUN_SNAPSHOT_KIND) {
    throw new Error(`Run “${runName}” was not started from the Train section or the studio command: it cannot be resumed here`)
  }
  const issue = r.error.issues[0]
  throw new Error(`Run “${runName}” has a damaged configuration snapshot (${issue ? `${issue.path.join('.') || 'snapshot'}: ${issue.message}` : 'unreadable'})`)
}

export interface SnapshotInput {
  /** A saved design (ids and version) or a document from elsewhere (null ids, template or file). */
  readonly architecture: {
    readonly id: number | null
    readonly name: string
    readonly versionId: number | null
    readonly version: number | null
    readonly document: GraphDocument
    readonly template?: string | null
    readonly file?: string | null
  }
  readonly dataset: Pick<DatasetDetail, 'id' | 'name' | 'classes' | 'splitTotals' | 'split' | 'stats' | 'size' | 'channels'>
  readonly pipeline: {
    readonly id: number | null
    readonly name: string
    readonly versionId: number | null
    readonly version: number | null
    readonly document: AugmentPipeline
    readonly file?: string | null
  } | null
  readonly training: TrainingConfig
  readonly backendRequested: string
  readonly appVersion: string
  readonly origin: string
  readonly transfer?: TransferSnapshot
  readonly trial?: RunSnapshot['trial']
}

/** The snapshot of a run about to be created. */
export function buildRunSnapshot(i: SnapshotInput): RunSnapshot {
  const a = i.architecture
  const d = i.dataset
  const p = i.pipeline
  return {
    kind: RUN_SNAPSHOT_KIND,
    format: RUN_SNAPSHOT_FORMAT,
    architecture: {
      id: a.id,
      name: a.name,
      versionId: a.versionId,
      version: a.version,
      ...(a.template !== undefined ? { template: a.template } : {}),
      ...(a.file !== undefined ? { file: a.file } : {}),
      document: a.document,
    },
    dataset: {
      id: d.id,
      name: d.name,
      classes: [...d.classes],
      shape: [d.size.height, d.size.width, d.channels],
      trainSplit: 'train',
      valSplit: 'val',
      counts: { ...d.splitTotals },
      split: d.split,
      mean: d.stats?.mean ?? null,
      std: d.stats?.std ?? null,
    },
    pipeline: p
      ? { id: p.id, name: p.name, versionId: p.versionId, version: p.version, ...(p.file !== undefined ? { file: p.file } : {}), document: p.document }
      : null,
    training: i.training,
    seed: i.training.seed,
    backendRequested: i.backendRequested,
    appVersion: i.appVersion,
    origin: i.origin,
    ...(i.transfer ? { transfer: i.transfer } : {}),
    ...(i.trial ? { trial: i.trial } : {}),
  }
}
