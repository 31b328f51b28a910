import { z } from 'zod'
import { defineService, method } from '../contract'
import { packRecords, unpackRecords, type Packed } from '../columns'
import type { ClassificationReport, PredictionLike } from '../../compare/metrics'
import { CURVE_AXES, type PackedCurves } from '../../compare/curves'
import type { TtaSpec } from '../../augment/tta-spec'
import type { RunGroup } from '../../runs/groups'
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
  /** The float32 weights and the optimizer state, as bytes (never base64: see shared/api/wire). */
  readonly weights: Uint8Array
  readonly optimizer: Uint8Array
}

/** Base columns of the runs table (sortable, and numeric ones usable in thresholds). */
export const RUN_TABLE_COLUMNS = [
  'id',
  'name',
  'status',
  'createdAt',
  'startedAt',
  'endedAt',
  'durationMs',
  'datasetName',
  'architectureName',
  'architectureVersion',
  'optimizer',
  'learningRate',
  'batchSize',
  'epochs',
  'weightDecay',
  'schedule',
  'bestValAccuracy',
  'bestEpoch',
  'finalLoss',
  'paramCount',
  'settingsKey',
  'backend',
  'engine',
  'starred',
] as const
export type RunTableColumn = (typeof RUN_TABLE_COLUMNS)[number]

/** A value of an extra column: a config leaf (objects/arrays as JSON text) or a metric statistic. */
export type ExtraValue = number | string | boolean | null

export interface RunTableRow {
  readonly id: number
  readonly projectId: number
  readonly groupId: number | null
  readonly name: string
  readonly status: RunStatus
  readonly createdAt: string
  readonly startedAt: string | null
  readonly endedAt: string | null
  /** Stored duration; for a running run, at least the time since it started. */
  readonly durationMs: number
  readonly datasetId: number | null
  readonly datasetName: string | null
  readonly architectureVersionId: number | null
  readonly architectureName: string | null
  readonly architectureVersion: number | null
  /** Key hyperparameters (from the config snapshot). */
  readonly optimizer: string | null
  readonly learningRate: number | null
  readonly batchSize: number | null
  readonly epochs: number | null
  readonly weightDecay: number | null
  readonly schedule: string | null
  readonly bestValAccuracy: number | null
  readonly bestEpoch: number | null
  readonly finalLoss: number | null
  /** Total parameters (trainable + non-trainable) of the run's architecture. */
  readonly paramCount: number | null
  /** The fingerprint of the run's settings without its seed (shared/runs settingsKey): alike runs share it. */
  readonly settingsKey: string | null
  readonly backend: string | null
  /** The engine that trained it: 'tfjs' (the app, the CLI) or 'pytorch' (main/engines). */
  readonly engine: string | null
  readonly tags: string[]
  readonly starred: boolean
  readonly notes: string | null
  /** The requested extra columns, keyed exactly as requested. */
  readonly extra: Record<string, ExtraValue>
}

export interface RunsTable {
  readonly rows: RunTableRow[]
  /**
   * With `group`: the groups of the matched runs (all of them, whatever limit/offset), each with its runs in the
   * table's order and mean ± sample std of every result column (bestValAccuracy, bestEpoch, finalLoss, durationMs,
   * paramCount) and metric column requested (shared/runs groupRuns).
   */
  readonly groups?: RunGroup[]
  /** Runs in the project before filtering. */
  readonly total: number
  /** Runs that pass the filter (rows may be fewer with limit/offset). */
  readonly matched: number
}

/**
 * The runs table as it crosses a transport: its rows and groups as columns (shared/api/columns), so 10,000 rows
 * are a few MB of bytes and strings, not 7.6 MB of JSON naming every field of every row. `unpackRunsTable` gives
 * the RunsTable.
 */
export interface PackedRunsTable extends Omit<RunsTable, 'rows' | 'groups'> {
  readonly rows: Packed<RunTableRow>
  readonly groups?: Packed<RunGroup>
}

export function packRunsTable({ rows, groups, ...rest }: RunsTable): PackedRunsTable {
  return { ...rest, rows: packRecords(rows), ...(groups ? { groups: packRecords(groups) } : {}) }
}

export function unpackRunsTable({ rows, groups, ...rest }: PackedRunsTable): RunsTable {
  return { ...rest, rows: unpackRecords(rows), ...(groups ? { groups: unpackRecords(groups) } : {}) }
}

/** A metric series for an overlay: possibly downsampled (see `metricsMany`). */
export interface OverlaySeries extends MetricSeries {
  /** Points stored for this run and name (before downsampling). */
  readonly count: number
  readonly downsampled: boolean
}

export interface RunSeries {
  readonly runId: number
  /** Names the run has (requested names it lacks are absent). */
  readonly series: Record<string, OverlaySeries>
}

/**
 * Curves of many runs on one axis, computed next to the database (see `curves`): every curve's values packed as
 * float32 bytes (shared/compare packCurve; `unpackCurves` gives the numbers), so the answer crosses as bytes.
 */
export type CurvesResult = PackedCurves

export interface ValueAtResult {
  readonly runId: number
  /** The point used (null when the run has no point there): the last one at or before the asked step/epoch. */
  readonly step: number | null
  readonly epoch: number | null
  readonly value: number | null
  /** For 'best': the epoch it was read at (the run's best epoch), else the asked step or epoch. */
  readonly at: { readonly step?: number; readonly epoch?: number; readonly best?: true }
}

export interface MetricNameInfo {
  readonly name: string
  /** Runs of the project that have it. */
  readonly runs: number
  readonly goal: 'max' | 'min'
}

export const EVALUATION_SPLITS = ['val', 'test'] as const
export type EvaluationSplit = (typeof EVALUATION_SPLITS)[number]

export interface EvaluationRecord {
  readonly id: number
  readonly runId: number
  /** Null when the checkpoint was since replaced or deleted (its kind, epoch and step stay). */
  readonly checkpointId: number | null
  readonly checkpoint: { readonly kind: CheckpointKind; readonly epoch: number; readonly step: number } | null
  readonly split: EvaluationSplit
  /** Evaluated images; the confusion matrix sums to it. */
  readonly count: number
  readonly loss: number | null
  readonly accuracy: number | null
  readonly classes: string[]
  /** confusion[true][predicted]. */
  readonly confusion: number[][]
  /** Per-class precision / recall / F1 and averages (shared/compare/metrics.ts). */
  readonly report: ClassificationReport
  /** Misclassified samples, most confident first (at most MAX_STORED_MISCLASSIFIED). */
  readonly misclassified: PredictionLike[]
  readonly misclassifiedTotal: number
  /** The same checkpoint and images with the test-time augmentation of the run's pipeline (see EvaluationTta). */
  readonly tta: EvaluationTta
  readonly createdAt: string
}

/**
 * Test-time augmentation of an evaluation. 'applied': the run's pipeline has TTA and these are the numbers with
 * it (softmax probabilities averaged over `views` views; `loss`/`accuracy` of the record are without it);
 * 'none': the run's pipeline has no TTA; 'unknown': stored before evaluation applied TTA (evaluate again).
 */
export type EvaluationTta =
  | {
      readonly status: 'applied'
      readonly spec: TtaSpec
      readonly views: number
      /** The views in words, e.g. "2 views: flip". */
      readonly description: string
      readonly loss: number | null
      readonly accuracy: number | null
    }
  | { readonly status: 'none' }
  | { readonly status: 'unknown' }

export const MAX_STORED_MISCLASSIFIED = 10_000

export interface ExportedModel {
  readonly folder: string
  readonly files: string[]
  readonly bytes: number
  /** Output shape of the model (without batch) and its input shape, for the reader. */
  readonly inputShape: number[]
  readonly outputShape: number[]
}

// zod 4's number refuses NaN and +-Infinity itself: no refine pass per value (appendMetrics checks 3 per point).
const finite = z.number({ error: 'must be a finite number' })
/** Binary data: a Uint8Array (Electron IPC clones it as it is; the browser host sends it in the binary envelope, shared/api/wire). */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { error: 'must be binary data (a Uint8Array)' })

export const metricPoint = z.object({
  name: z.string().min(1).max(100),
  step: z.number().int().min(0),
  epoch: finite,
  value: z.number(), // NaN/Infinity are refused by JSON itself; the engine stops before they happen
  time: finite,
})

const tagName = z.string().trim().min(1).max(40)

/**
 * An extra column: `metric:<name>` or `metric:<name>:<last|best|min|max|count|lastStep>` (default last; best is
 * max for accuracy-like names, min otherwise: shared/compare metricGoal), `metric:<name>:step=<n>` /
 * `metric:<name>:epoch=<n>` (the last point at or before that step or epoch; none for a run that stopped before
 * it: shared/runs parseMetricColumn), or a config path (`training.learningRate`,
 * `optimizer.lr`, optionally prefixed `config:`), read at the snapshot's root and then under `training`.
 */
const extraColumn = z.string().trim().min(1).max(200)

/** How the table groups its runs: by columns (base columns or config paths), by tags, or everything except the seed. */
export const runsGroupBy = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('columns'), columns: z.array(z.string().trim().min(1).max(200)).min(1).max(10) }),
  z.object({ kind: z.literal('tags') }),
  z.object({ kind: z.literal('exceptSeed') }),
])

export const THRESHOLD_OPS = ['>', '>=', '<', '<=', '=', '!='] as const
export type ThresholdOp = (typeof THRESHOLD_OPS)[number]

export const runsTableQuery = z.object({
  projectId: entityId,
  /** Default: createdAt descending. Nulls sort last in both directions. Any base column or extra column key. */
  sort: z.object({ column: z.string().min(1).max(200), dir: z.enum(['asc', 'desc']).default('desc') }).optional(),
  filter: z
    .object({
      /** Case-insensitive substring of name, notes, tags, dataset, architecture, optimizer, backend, engine. */
      text: z.string().max(200).optional(),
      status: z.union([z.enum(RUN_STATUSES), z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length)]).optional(),
      /** Runs carrying every one of these tags. */
      tags: z.array(tagName).max(50).optional(),
      starred: z.boolean().optional(),
      groupId: entityId.optional(),
      datasetId: entityId.optional(),
      /** Numeric thresholds on a base column (bestValAccuracy, finalLoss, ...) or an extra column key; null fails. */
      metrics: z
        .array(z.object({ name: z.string().min(1).max(200), op: z.enum(THRESHOLD_OPS), value: finite }))
        .max(20)
        .optional(),
    })
    .optional(),
  extraColumns: z.array(extraColumn).max(50).optional(),
  group: runsGroupBy.optional(),
  limit: z.number().int().min(1).max(100_000).optional(),
  offset: z.number().int().min(0).optional(),
})
export type RunsTableQuery = z.input<typeof runsTableQuery>

const predictionInput = z.object({
  index: z.number().int().min(0),
  label: z.number().int().min(0),
  predicted: z.number().int().min(0),
  confidence: z.number().min(0).max(1 + 1e-6), // softmax in float32 may round just above 1
})

/**
 * Training runs: a config snapshot, status and summary, metrics (appended in batches; idempotent by
 * run, name and step, so a resumed run that re-sends a step replaces it instead of duplicating it) and
 * checkpoints (files under the data folder, written atomically; `last` and `best` replace their previous file).
 *
 * Comparing runs: `table` (the runs table: key columns denormalized from the snapshot at creation, the parameter
 * count computed from the snapshot's graph when it records none, sorting, filters, thresholds, extra config and
 * metric columns), `metricNames` / `tagsInUse` (pickers), `metricsMany` (overlay curves, min/max downsampling),
 * `valueAt` (at a step, an epoch, or each run's best epoch), `tag` / `untag` / `star` / `setNotes` / `rename`,
 * `saveEvaluation` / `evaluations` (confusion matrix, per-class report, misclassified samples per checkpoint and
 * split) and `exportModel` (a checkpoint as a TF.js model folder). Pure helpers for the UI: shared/compare
 * (hyperparameter diff, classification metrics) and shared/graph diffGraphs (architecture diff).
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
    /**
     * Saves one checkpoint under every kind it is (`last`, and `best` and/or `periodic` when it is those too): its
     * bytes cross the API once. All files are written (atomically) before any replaces its predecessor; the rows
     * come back in the order of `kinds`. A failed write changes nothing and answers an error.
     */
    saveCheckpoint: method<CheckpointInfo[]>()(
      z.object({
        runId: entityId,
        kinds: z
          .array(z.enum(CHECKPOINT_KINDS))
          .min(1, 'name at least one checkpoint kind')
          .refine((k) => new Set(k).size === k.length, 'each checkpoint kind at most once'),
        epoch: z.number().int().min(0),
        step: z.number().int().min(0),
        meta: z.unknown(),
        metrics: z.record(z.string(), finite).optional(),
        weights: bytes,
        optimizer: bytes,
      }),
    ),
    checkpoints: method<CheckpointInfo[]>()(z.object({ runId: entityId })),
    loadCheckpoint: method<CheckpointData>()(z.object({ id: entityId })),

    /** The runs table of a project: sorting, filtering, extra columns (see runsTableQuery). */
    table: method<PackedRunsTable>()(runsTableQuery),
    /** Metric names recorded in a project's runs (for column and overlay pickers), by name. */
    metricNames: method<MetricNameInfo[]>()(z.object({ projectId: entityId })),
    /** Tags in use in a project with how many runs carry each, by name. */
    tagsInUse: method<{ tag: string; runs: number }[]>()(z.object({ projectId: entityId })),
    /**
     * Curves of several runs for an overlay, in the order of runIds. With downsample, each series longer than
     * maxPoints is reduced by min/max per bucket (first and last point kept; shared/compare downsampleMinMax).
     */
    metricsMany: method<RunSeries[]>()(
      z.object({
        runIds: z.array(entityId).min(1).max(50),
        names: z.array(z.string().min(1).max(100)).min(1).max(50),
        downsample: z.object({ maxPoints: z.number().int().min(4).max(1_000_000) }).optional(),
      }),
    ),
    /**
     * Curves of up to 10,000 runs on one axis (step, epoch, relative wall time, examples seen = step x batch
     * size), reduced next to the database to what a chart of `columns` pixel columns draws (shared/compare/curves):
     * with `runs`, each run's curve by min/max per column (two values); for each of `groups`, mean, std, min and
     * max over its runs (one value per column); values as float32 bytes (packCurve). `smooth` applies the EMA (shared/compare emaSmooth) to the named metrics before anything else.
     */
    curves: method<CurvesResult>()(
      z.object({
        runIds: z.array(entityId).min(1).max(10_000),
        names: z.array(z.string().min(1).max(100)).min(1).max(10),
        axis: z.enum(CURVE_AXES),
        columns: z.number().int().min(8).max(4000),
        runs: z.boolean().optional(),
        groups: z.array(z.object({ key: z.string().min(1).max(2000), runIds: z.array(entityId).min(1).max(10_000) })).max(10_000).optional(),
        smooth: z.object({ weight: z.number().min(0).max(0.999), names: z.array(z.string().min(1).max(100)).max(10) }).optional(),
      }),
    ),
    /**
     * A metric's value per run at a step, at an epoch (the last point at or before it: for step metrics logged with
     * fractional epochs that is the end of that epoch), or at each run's best epoch (best validation accuracy).
     */
    valueAt: method<ValueAtResult[]>()(
      z.object({
        runIds: z.array(entityId).min(1).max(50),
        name: z.string().min(1).max(100),
        at: z.union([z.object({ step: z.number().int().min(0) }), z.object({ epoch: finite }), z.literal('best')]),
      }),
    ),
    /** Adds tags to runs (kept once each, in the order added). */
    tag: method<{ updated: number }>()(z.object({ runIds: z.array(entityId).min(1).max(10_000), tags: z.array(tagName).min(1).max(50) })),
    untag: method<{ updated: number }>()(z.object({ runIds: z.array(entityId).min(1).max(10_000), tags: z.array(tagName).min(1).max(50) })),
    star: method<{ updated: number }>()(z.object({ runIds: z.array(entityId).min(1).max(10_000), starred: z.boolean() })),
    setNotes: method<RunSummary>()(z.object({ id: entityId, notes: z.string().max(10_000) })),
    rename: method<RunSummary>()(z.object({ id: entityId, name: z.string().trim().min(1, 'Run name must not be empty').max(200) })),

    /**
     * Stores the evaluation of a checkpoint on a split (replacing an earlier one of the same checkpoint and split).
     * The confusion matrix must be square, match the classes, and sum to count; misclassified samples are taken
     * from predictions (most confident first, at most MAX_STORED_MISCLASSIFIED kept). `tta` carries the numbers
     * with the test-time augmentation of the run's pipeline: required (with its view count) when the pipeline
     * has TTA, refused when it has none.
     */
    saveEvaluation: method<EvaluationRecord>()(
      z.object({
        runId: entityId,
        checkpointId: entityId,
        split: z.enum(EVALUATION_SPLITS),
        count: z.number().int().min(0),
        loss: finite.nullable().optional(),
        accuracy: finite.nullable().optional(),
        classes: z.array(z.string().max(200)).min(1).max(10_000),
        confusion: z.array(z.array(z.number().int().min(0))).min(1).max(10_000),
        predictions: z.array(predictionInput).max(1_000_000).optional(),
        tta: z
          .object({ views: z.number().int().min(1), loss: finite.nullable().optional(), accuracy: finite.nullable() })
          .nullable()
          .optional(),
      }),
    ),
    /** A run's evaluations, newest first. */
    evaluations: method<EvaluationRecord[]>()(z.object({ runId: entityId })),
    /**
     * Writes a checkpoint as a TF.js layers-model folder (model.json + weights.bin) that tf.loadLayersModel reads:
     * the model is rebuilt from the run's graph snapshot and the checkpoint's weights are restored into it.
     * `folder` must be absolute; it is created, and existing model files are replaced only with overwrite.
     */
    exportModel: method<ExportedModel>()(
      z.object({ checkpointId: entityId, folder: z.string().min(1).max(4096), overwrite: z.boolean().optional() }),
    ),
  },
  {
    onDidChange: z.object({ projectId: z.number(), runId: z.number() }),
    onDidAppendMetrics: z.object({ runId: z.number(), written: z.number(), lastStep: z.number() }),
  },
)
