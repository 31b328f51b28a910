/**
 * What a project's Train section keeps between sessions, in the database (not in the page's storage, whose origin
 * changes with every launch of the browser host): the Train form as last typed, and the Procedure tab's
 * hyperparameter searches (rows of `run_groups` with kind 'search'; the newest saved one is the current search).
 */
import { z } from 'zod'
import { searchStateSchema } from '../../procedure/search'
import { OPTIMIZER_FORM_FIELDS, OPTIMIZER_KINDS, type OptimizerFormKey } from '../../train/optimizer-kinds'
import { SCHEDULE_FORM_FIELDS, SCHEDULE_TYPES, type ScheduleFormKey } from '../../train/schedules'
import { defineService, method } from '../contract'
import { ENGINE_IDS } from './engines'
import { entityId } from './projects'

/** The Train form's optimizer list: every choice of every registered kind (`momentum` is SGD with momentum). */
export const OPTIMIZER_CHOICES = OPTIMIZER_KINDS.flatMap((d) => d.choices.map((c) => c.value)) as [string, ...string[]]
export type OptimizerChoice = string

export { SCHEDULE_TYPES }

/** A number as the user typed it (the form validates it when it builds the training config). */
const typed = z.string({ error: 'Expected the text of a form field' }).max(100, 'A form field holds at most 100 characters')

/**
 * A text field per form key of the registered optimizer and schedule kinds (`beta1`, `stepEvery`). Optional, so a
 * form saved before a kind was added still saves and loads (the renderer fills a missing field with its default).
 */
const optionalTyped = typed.optional()
const kindFields = Object.fromEntries(
  [...OPTIMIZER_FORM_FIELDS, ...SCHEDULE_FORM_FIELDS].map((f) => [f.formKey, optionalTyped]),
) as Record<OptimizerFormKey | ScheduleFormKey, typeof optionalTyped>

/** The Train form's fields, as typed (numbers stay text so a half-typed value survives a restart). */
export const trainFormSchema = z.object({
  ...kindFields,
  architectureId: entityId.nullable(),
  datasetId: entityId.nullable(),
  pipelineId: entityId.nullable(),
  optimizer: z.enum(OPTIMIZER_CHOICES, { error: `Optimizer must be one of ${OPTIMIZER_CHOICES.join(', ')}` }),
  learningRate: typed,
  weightDecay: typed,
  excludeBiasNorm: z.boolean(),
  clipGradNorm: typed,
  schedule: z.enum(SCHEDULE_TYPES, { error: `Schedule must be one of ${SCHEDULE_TYPES.join(', ')}` }),
  warmupEpochs: typed,
  batchSize: typed,
  epochs: typed,
  dropLast: z.boolean(),
  /** Weight the loss by class (balanced class weights). */
  balanceClasses: z.boolean(),
  seed: typed,
  /** 'auto' or a backend name (the renderer knows the list). */
  backend: z.string().min(1).max(20),
  /** The engine Start uses (engines service); a form saved before engines existed trains on TF.js. */
  engine: z.enum(ENGINE_IDS).optional(),
  keepEvery: typed,
})
export type StoredTrainForm = z.output<typeof trainFormSchema>

/**
 * The fields of a form saved by any version (JSON text or a parsed value) that still pass `trainFormSchema`;
 * unknown keys and fields that no longer fit are left out (the caller fills them with defaults).
 */
export function trainFormFields(saved: unknown): Partial<StoredTrainForm> {
  let raw = saved
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw)
    } catch {
      return {}
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {}
  const shape = trainFormSchema.shape
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(raw)) {
    const r = Object.hasOwn(shape, key) ? shape[key as keyof typeof shape].safeParse(value) : null
    if (r?.success) out[key] = r.data
  }
  return out as Partial<StoredTrainForm>
}

export interface TrainFormRecord {
  /** The fields that are still valid for this version of the studio (the caller fills the rest with defaults). */
  readonly form: Partial<StoredTrainForm>
  readonly updatedAt: string
}

/** A search with its stage settings, as the Procedure tab resumes it. */
export const savedSearchSchema = z.object({
  version: z.literal(1),
  key: z.string().min(1, 'A search needs a name').max(200),
  /** The setup form as typed (text fields; the renderer reads it back). */
  setup: z.record(z.string(), z.unknown()),
  state: searchStateSchema,
  /** Epochs per trial of each stage (index = round). */
  epochsByRound: z.array(z.number().int().positive()).min(1),
  /** The training configuration every trial starts from (validated when a trial starts). */
  base: z.record(z.string(), z.unknown()),
  architectureId: entityId,
  datasetId: entityId,
  pipelineId: entityId.nullable(),
  backend: z.string().min(1).max(20),
  /** The user paused it (a reload never resumes on its own). */
  paused: z.boolean(),
})
export type StoredSearch = z.output<typeof savedSearchSchema>

export interface SearchRecord {
  readonly search: StoredSearch
  readonly createdAt: string
  readonly updatedAt: string
}

export const workspaceContract = defineService(
  'workspace',
  {
    /** The project's Train form as last saved; null when it was never saved. */
    getTrainForm: method<TrainFormRecord | null>()(z.object({ projectId: entityId })),
    saveTrainForm: method<TrainFormRecord>()(z.object({ projectId: entityId, form: trainFormSchema })),
    /** The project's current search (the one saved last); null when the project has none. */
    getSearch: method<SearchRecord | null>()(z.object({ projectId: entityId })),
    /** Saves a search (a new one, or a later state of the one with the same key). */
    saveSearch: method<SearchRecord>()(z.object({ projectId: entityId, search: savedSearchSchema })),
  },
  {
    onDidChange: z.object({ projectId: z.number(), kind: z.enum(['trainForm', 'search']) }),
  },
)
