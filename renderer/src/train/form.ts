/**
 * The Train form's state (text as typed), its translation to a TrainingConfigInput, and the config schema's
 * messages placed next to the fields they are about.
 */
import { parseTrainingConfig } from '@shared/train/config'
import type { TrainingConfigInput } from '@shared/train/config'
import type { ScheduleSpecInput, ScheduleType } from '@shared/train/schedules'
import { trainFormFields, type OptimizerChoice, type StoredTrainForm } from '@shared/api'
import { BACKEND_ORDER } from '../backend/labels'
import type { BackendChoice } from './protocol'

export type { OptimizerChoice }

/** The form's fields as typed; the API's schema (`trainFormSchema`) is their one description. */
export type TrainForm = Omit<StoredTrainForm, 'backend'> & { backend: BackendChoice }

export const DEFAULT_FORM: TrainForm = {
  architectureId: null,
  datasetId: null,
  pipelineId: null,
  optimizer: 'adam',
  learningRate: '0.001',
  momentum: '0.9',
  beta1: '0.9',
  beta2: '0.999',
  weightDecay: '0',
  excludeBiasNorm: true,
  clipGradNorm: '',
  schedule: 'constant',
  warmupEpochs: '0',
  stepEvery: '10',
  stepGamma: '0.1',
  expGamma: '0.97',
  cosineMin: '0',
  invK: '0.5',
  batchSize: '32',
  epochs: '10',
  dropLast: false,
  balanceClasses: false,
  seed: '1',
  backend: 'auto',
  keepEvery: '0',
}

export type FormField = Exclude<keyof TrainForm, 'architectureId' | 'datasetId' | 'pipelineId' | 'optimizer' | 'excludeBiasNorm' | 'schedule' | 'dropLast' | 'balanceClasses' | 'backend'>

export const SCHEDULES: { value: ScheduleType; label: string }[] = [
  { value: 'constant', label: 'Constant' },
  { value: 'step', label: 'Step decay' },
  { value: 'exponential', label: 'Exponential decay' },
  { value: 'cosine', label: 'Cosine' },
  { value: 'inverseTime', label: '1/t decay' },
  { value: 'sqrt', label: 'sqrt(1 − t/T)' },
]

export const OPTIMIZERS: { value: OptimizerChoice; label: string }[] = [
  { value: 'sgd', label: 'SGD' },
  { value: 'momentum', label: 'SGD + momentum' },
  { value: 'nesterov', label: 'SGD + Nesterov momentum' },
  { value: 'adam', label: 'Adam' },
  { value: 'adamw', label: 'AdamW (decoupled decay)' },
]

/** A number as typed: empty or malformed text becomes NaN, which the schema reports with the field's name. */
function num(text: string): number {
  const t = text.trim()
  return t === '' ? NaN : Number(t)
}

export function scheduleOf(form: TrainForm): ScheduleSpecInput {
  const warmupEpochs = num(form.warmupEpochs)
  switch (form.schedule) {
    case 'constant':
      return { type: 'constant', warmupEpochs }
    case 'step':
      return { type: 'step', everyEpochs: num(form.stepEvery), gamma: num(form.stepGamma), warmupEpochs }
    case 'exponential':
      return { type: 'exponential', gamma: num(form.expGamma), warmupEpochs }
    case 'cosine':
      return { type: 'cosine', minFactor: num(form.cosineMin), warmupEpochs }
    case 'inverseTime':
      return { type: 'inverseTime', k: num(form.invK), warmupEpochs }
    case 'sqrt':
      return { type: 'sqrt', warmupEpochs }
  }
}

export function configOf(form: TrainForm): TrainingConfigInput {
  const seedText = form.seed.trim()
  const seed = /^-?\d+$/.test(seedText) && Number.isSafeInteger(Number(seedText)) ? Number(seedText) : seedText
  const optimizer: TrainingConfigInput['optimizer'] =
    form.optimizer === 'adam' || form.optimizer === 'adamw'
      ? { type: form.optimizer, beta1: num(form.beta1), beta2: num(form.beta2) }
      : { type: 'sgd', momentum: form.optimizer === 'sgd' ? 0 : num(form.momentum), nesterov: form.optimizer === 'nesterov' }
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
  [/^step schedule everyEpochs\b/, 'stepEvery', 'Decay every'],
  [/^step schedule gamma\b/, 'stepGamma', 'Factor'],
  [/^exponential schedule gamma\b/, 'expGamma', 'Factor per epoch'],
  [/^cosine schedule minFactor\b/, 'cosineMin', 'Final factor'],
  [/^1\/t schedule k\b/, 'invK', 'k'],
  [/^learningRate\b/, 'learningRate', 'Learning rate'],
  [/^momentum\b/, 'momentum', 'Momentum'],
  [/^beta1\b/, 'beta1', 'β1'],
  [/^beta2\b/, 'beta2', 'β2'],
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
    for (const msg of r.errors) {
      const hit = FIELD_OF.find(([re]) => re.test(msg))
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
