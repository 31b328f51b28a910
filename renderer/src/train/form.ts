/**
 * The Train form's state (text as typed), its translation to a TrainingConfigInput, and the config schema's
 * messages placed next to the fields they are about.
 */
import { parseTrainingConfig } from '@shared/train/config'
import type { TrainingConfigInput } from '@shared/train/config'
import { OPTIMIZER_FORM_FIELDS, OPTIMIZER_KINDS, type OptimizerFormKey } from '@shared/train/optimizer-kinds'
import { findOptimizerChoice, specOfChoice } from '@shared/train/optimizer-kinds'
import type { FormField as KindField } from '@shared/train/optimizer-registry'
import { getSchedule } from '@shared/train/schedules'
import { SCHEDULE_FORM_FIELDS, SCHEDULE_KINDS, type ScheduleFormKey, type ScheduleSpecInput, type ScheduleType } from '@shared/train/schedules'
import { trainFormFields, type OptimizerChoice, type StoredTrainForm } from '@shared/api'
import { BACKEND_ORDER } from '../backend/labels'
import type { BackendChoice } from './protocol'

export type { OptimizerChoice }

/** The form's fields as typed; the API's schema (`trainFormSchema`) is their one description. */
export type TrainForm = Required<Omit<StoredTrainForm, 'backend'>> & { backend: BackendChoice }

export const DEFAULT_FORM: TrainForm = {
  architectureId: null,
  datasetId: null,
  pipelineId: null,
  optimizer: 'adam',
  learningRate: '0.001',
  ...kindDefaults(),
  weightDecay: '0',
  excludeBiasNorm: true,
  clipGradNorm: '',
  schedule: 'constant',
  warmupEpochs: '0',
  batchSize: '32',
  epochs: '10',
  dropLast: false,
  balanceClasses: false,
  seed: '1',
  backend: 'auto',
  engine: 'tfjs',
  keepEvery: '0',
}

export type FormField = Exclude<keyof TrainForm, 'architectureId' | 'datasetId' | 'pipelineId' | 'optimizer' | 'excludeBiasNorm' | 'schedule' | 'dropLast' | 'balanceClasses' | 'backend' | 'engine'>

export const SCHEDULES: { value: ScheduleType; label: string }[] = SCHEDULE_KINDS.map((d) => ({ value: d.type, label: d.label }))

/** The optimizer list: every choice of every registered kind. */
export const OPTIMIZERS: { value: OptimizerChoice; label: string }[] = OPTIMIZER_KINDS.flatMap((d) => d.choices.map((c) => ({ value: c.value, label: c.label })))

/** The form's text of every optimizer and schedule field (kinds sharing a key share its default). */
function kindDefaults(): Record<StoredFieldKey, string> {
  return Object.fromEntries([...OPTIMIZER_FORM_FIELDS, ...SCHEDULE_FORM_FIELDS].map((f) => [f.formKey, f.default])) as Record<StoredFieldKey, string>
}
type StoredFieldKey = OptimizerFormKey | ScheduleFormKey

/** The fields the chosen optimizer shows (its registry choice's). */
export function optimizerFields(form: TrainForm): readonly KindField<FormField>[] {
  return (findOptimizerChoice(form.optimizer)?.choice.fields ?? []) as readonly KindField<FormField>[]
}

/** The fields the chosen schedule shows besides the warmup. */
export function scheduleFields(form: TrainForm): readonly KindField<FormField>[] {
  return (getSchedule(form.schedule)?.fields ?? []) as readonly KindField<FormField>[]
}

/** The chosen optimizer kind's learning rate for a fresh run (the command line's default too). */
export function defaultLearningRate(choice: string): number | undefined {
  return findOptimizerChoice(choice)?.def.defaultLearningRate
}

/** A number as typed: empty or malformed text becomes NaN, which the schema reports with the field's name. */
function num(text: string): number {
  const t = text.trim()
  return t === '' ? NaN : Number(t)
}

const fieldValue = (form: TrainForm) => (f: KindField) => num(form[f.formKey as FormField])

export function scheduleOf(form: TrainForm): ScheduleSpecInput {
  const spec: Record<string, unknown> = { type: form.schedule }
  for (const f of scheduleFields(form)) spec[f.param] = fieldValue(form)(f)
  spec.warmupEpochs = num(form.warmupEpochs)
  return spec as ScheduleSpecInput
}

export function configOf(form: TrainForm): TrainingConfigInput {
  const seedText = form.seed.trim()
  const seed = /^-?\d+$/.test(seedText) && Number.isSafeInteger(Number(seedText)) ? Number(seedText) : seedText
  const optimizer = specOfChoice(form.optimizer, fieldValue(form)) as TrainingConfigInput['optimizer']
  return {
    epochs: num(form.epochs),
    batchSize: num(form.batchSize),
    seed,
    learningRate: num(form.learningRate),
    optimizer,
    schedule: scheduleOf(form),
    weightDecay: num(form.weightDecay),
    decayBiasAndNorm: !form.excludeBiasNorm,
    clipGradNorm: form.clipGradNorm.trim() === '' ? null : num(form.clipGradNorm),
    dropLast: form.dropLast,
    ...(form.balanceClasses ? { classWeighting: 'balanced' as const } : {}),
    checkpoint: { keepEvery: num(form.keepEvery) },
  }
}

/** Which field a schema message is about, and the words users read for the schema's names. */
const FIELD_OF: [RegExp, FormField, string][] = [
  [/^warmupEpochs\b/, 'warmupEpochs', 'Warmup'],
  [/^learningRate\b/, 'learningRate', 'Learning rate'],
  [/^weightDecay\b/, 'weightDecay', 'Weight decay'],
  [/^clipGradNorm\b/, 'clipGradNorm', 'Gradient clipping'],
  [/^batchSize\b/, 'batchSize', 'Batch size'],
  [/^epochs\b/, 'epochs', 'Epochs'],
  [/^seed\b/, 'seed', 'Seed'],
  [/^checkpoint keepEvery\b/, 'keepEvery', 'Keep every'],
]

export interface FormValidation {
  readonly ok: boolean
  readonly config: TrainingConfigInput
  /** Messages per field (with the field's label in place of the schema's name). */
  readonly fields: Partial<Record<FormField, string>>
  /** Messages that belong to no single field. */
  readonly general: string[]
}

export function validateForm(form: TrainForm): FormValidation {
  const config = configOf(form)
  const r = parseTrainingConfig(config)
  const fields: Partial<Record<FormField, string>> = {}
  const general: string[] = []
  if (!r.ok) {
    // The chosen kinds' fields, by the name their schema's messages start with.
    const kindFields = [...optimizerFields(form), ...scheduleFields(form)].map((f): [RegExp, FormField, string] => [new RegExp(`^${escapeRe(f.says ?? f.param)}\\b`), f.formKey, f.label])
    const fieldOf = [...kindFields, ...FIELD_OF]
    for (const msg of r.errors) {
      const hit = fieldOf.find(([re]) => re.test(msg))
      if (hit) {
        const [re, field, label] = hit
        fields[field] ??= msg.replace(re, label)
      } else {
        general.push(msg)
      }
    }
  }
  return { ok: r.ok, config, fields, general }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

const isBackend = (v: unknown): v is BackendChoice => v === 'auto' || (BACKEND_ORDER as readonly unknown[]).includes(v)

/** A saved form (the fields the API still accepts) over the defaults. */
export function formFromStored(stored: Partial<StoredTrainForm>): TrainForm {
  const { backend, ...rest } = stored
  return { ...DEFAULT_FORM, ...rest, backend: isBackend(backend) ? backend : DEFAULT_FORM.backend }
}

/** Where earlier versions kept the form (this browser profile only); read once to move it into the database. */
export const legacyFormKey = (projectId: number) => `cnn-studio.train-form.${projectId}`

/** The form an earlier version left in localStorage (its fields checked like the API's); null when none. */
export function legacyForm(text: string | null): TrainForm | null {
  if (!text) return null
  const fields = trainFormFields(text)
  return Object.keys(fields).length > 0 ? formFromStored(fields) : null
}
