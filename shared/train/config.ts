/**
 * The training configuration (zod). `parseTrainingConfig` returns messages that name the field and quote the
 * received value, e.g. `batchSize must be an integer >= 1, received 0`.
 */
import { z } from 'zod'
import { fmtValue, int, num, bool } from './fields'
import { OPTIMIZER_KINDS, OPTIMIZER_TYPES } from './optimizer-kinds'
import { scheduleSpecSchema } from './schedules'

type SchemasOf<T extends readonly { readonly schema: unknown }[]> = { -readonly [I in keyof T]: T[I]['schema'] }

/**
 * The optimizer spec: the union of the registered kinds' schemas (./optimizer-kinds). `TrainingConfig.weightDecay`
 * acts as each kind's `weightDecay` convention says: coupled L2 for sgd and adam, decoupled for adamw and lion.
 */
export const optimizerSpecSchema = z.discriminatedUnion('type', OPTIMIZER_KINDS.map((d) => d.schema) as unknown as SchemasOf<typeof OPTIMIZER_KINDS>, {
  error: (iss) => `optimizer type must be one of ${OPTIMIZER_TYPES.join(', ')}, received ${fmtValue((iss.input as { type?: unknown } | undefined)?.type ?? iss.input)}`,
})
export type OptimizerSpec = z.infer<typeof optimizerSpecSchema>
export type OptimizerSpecInput = z.input<typeof optimizerSpecSchema>

/** A group of variables selected by a regular expression on the variable name (e.g. `^conv1/`). First match wins. */
export const paramGroupSchema = z.strictObject({
  match: z.string({ error: (iss) => `group match must be a regular expression string, received ${fmtValue(iss.input)}` }).refine(
    (s) => {
      try {
        new RegExp(s)
        return true
      } catch {
        return false
      }
    },
    { error: (iss) => `group match must be a valid regular expression, received ${fmtValue(iss.input)}` },
  ),
  /** Learning-rate multiplier for the group (e.g. 0.1 for unfrozen pretrained layers). */
  lrMultiplier: num('group lrMultiplier', (v) => v >= 0, '>= 0').default(1),
  /** Frozen variables are never updated (and get no gradient computed). */
  frozen: bool('group frozen').default(false),
})
export type ParamGroup = z.infer<typeof paramGroupSchema>

export const trainingConfigSchema = z.strictObject({
  epochs: int('epochs', 1),
  batchSize: int('batchSize', 1),
  /** Run seed: data order per epoch, augmentation draws. */
  seed: z.union([z.number().refine((v) => Number.isFinite(v)), z.string()], {
    error: (iss) => `seed must be a finite number or a string, received ${fmtValue(iss.input)}`,
  }),
  learningRate: num('learningRate', (v) => v > 0, '> 0'),
  optimizer: optimizerSpecSchema,
  schedule: scheduleSpecSchema.default({ type: 'constant', warmupEpochs: 0 }),
  /** lambda: coupled L2 or decoupled, as the optimizer kind's `weightDecay` convention says. */
  weightDecay: num('weightDecay', (v) => v >= 0, '>= 0').default(0),
  /** Also decay biases and normalization gamma/beta (excluded by default). */
  decayBiasAndNorm: bool('decayBiasAndNorm').default(false),
  /** Clip gradients by global L2 norm (over all updated variables); null = off. */
  clipGradNorm: num('clipGradNorm', (v) => v > 0, '> 0').nullable().default(null),
  groups: z.array(paramGroupSchema, { error: (iss) => `groups must be a list, received ${fmtValue(iss.input)}` }).default([]),
  /** Drop the last incomplete training batch of each epoch. */
  dropLast: bool('dropLast').default(false),
  /**
   * 'balanced': the training loss weights each class by N / (C * n_c) over the training split (rare classes count
   * more; PyTorch's CrossEntropyLoss(weight) normalization: sum(w_i * l_i) / sum(w_i)). Absent = every sample alike.
   */
  classWeighting: z
    .enum(['balanced'], { error: (iss) => `classWeighting must be "balanced" (or left out), received ${fmtValue(iss.input)}` })
    .optional(),
  /** Validation batch size (default: batchSize). */
  evalBatchSize: int('evalBatchSize', 1).optional(),
  checkpoint: z
    .strictObject({
      /** Also keep (flag `keep`) the checkpoint of every N-th epoch; 0 = only last and best. */
      keepEvery: int('checkpoint keepEvery', 0).default(0),
    })
    .default({ keepEvery: 0 }),
})

export type TrainingConfig = z.infer<typeof trainingConfigSchema>
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>

export type ConfigParse = { ok: true; config: TrainingConfig } | { ok: false; errors: string[] }

function pathText(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`
  return out
}

function messageOf(issue: z.core.$ZodIssue): string {
  const where = pathText(issue.path)
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(where ? `${where}.${k}` : k)).join(', ')}`
  }
  const leaf = issue.path.length > 0 ? String(issue.path[issue.path.length - 1]) : ''
  // Messages name their field already; prefix the path only when they do not (e.g. zod's own messages).
  return where && !issue.message.includes(leaf) ? `${where}: ${issue.message}` : issue.message
}

/** Validates and fills defaults. Messages quote the bad value. */
export function parseTrainingConfig(input: unknown): ConfigParse {
  const r = trainingConfigSchema.safeParse(input)
  if (r.success) return { ok: true, config: r.data }
  return { ok: false, errors: r.error.issues.map(messageOf) }
}

export class TrainingConfigError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`Invalid training configuration:\n  ${errors.join('\n  ')}`)
    this.name = 'TrainingConfigError'
  }
}

/** parseTrainingConfig or throw TrainingConfigError. */
export function assertTrainingConfig(input: unknown): TrainingConfig {
  const r = parseTrainingConfig(input)
  if (!r.ok) throw new TrainingConfigError(r.errors)
  return r.config
}
