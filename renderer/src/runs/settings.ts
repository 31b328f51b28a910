/**
 * A run's settings in the words of the forms that set them (the Train form, the Data view, the editor), for the
 * Compare view's settings table and its "differences only" filter.
 *
 * Every leaf of the run's snapshot is shown: the settings the forms know get their form label and a value for
 * people ("SGD + momentum", "Cosine", "off", "None"); whatever else the snapshot holds (a field added later, a
 * hand-written snapshot) is listed under "Other" by its path, so nothing that differs is hidden. Values are
 * compared on what they mean (the raw value or, for documents, a fingerprint of their canonical JSON), and shown
 * formatted. Only identifiers that mean nothing to a person (database ids, the snapshot's format tag) are left out.
 */
import type { Run } from '@shared/api'
import { AUGMENT_KINDS, getKindSpec, type AugmentKind } from '@shared/augment/spec-only'
import { canonicalJson, fingerprint, flattenConfig, getPath, type Leaf } from '@shared/compare'
import { backendWords } from '../backend/labels'
import { OPTIMIZER_KINDS } from '@shared/train/optimizer-kinds'
import { choiceOfSpec, getOptimizer } from '@shared/train/optimizer-kinds'
import { getSchedule } from '@shared/train/schedules'
import { SCHEDULE_KINDS } from '@shared/train/schedules'
import { formatNumber } from './table-state'

export type SettingSection = 'Engine' | 'Design' | 'Data' | 'Optimizer' | 'Schedule' | 'Regularization' | 'Run' | 'Checkpoints' | 'Transfer' | 'Search trial' | 'Other'

export interface SettingValue {
  /** What the comparison compares (undefined: the run has no such setting). */
  readonly key: Leaf | undefined
  /** What a person reads. */
  readonly text: string
}

export interface SettingRow {
  /** Stable id: the snapshot path the setting is read from (`training.learningRate`), or a name of its own. */
  readonly id: string
  readonly section: SettingSection
  readonly label: string
  readonly values: SettingValue[]
  readonly differs: boolean
}

export interface SettingsDiff {
  readonly rows: SettingRow[]
  readonly differing: number
  readonly total: number
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const MISSING: SettingValue = { key: undefined, text: '—' }
const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : formatNumber(v))
const docKey = (v: unknown): Leaf | undefined => (v === undefined ? undefined : v === null ? null : `#${fingerprint(canonicalJson(v))}`)

/** The optimizer type by its kind's label (`adam` -> Adam). */
export function optimizerLabel(type: string | null): string {
  if (type === null) return '—'
  return getOptimizer(type)?.label ?? type
}

/** A backend as the Train form names it (`wasm` -> WASM). */
export function backendLabel(b: string | null): string {
  return backendText(b)
}

const backendText = backendWords

function optimizerText(opt: unknown): string {
  if (!isObject(opt)) return formatNumber(opt)
  return choiceOfSpec(opt)?.label ?? String(opt.type)
}

const scheduleText = (type: unknown) => (typeof type === 'string' ? getSchedule(type)?.label : undefined) ?? formatNumber(type)

/** One row per hyperparameter name of any kind (kinds sharing a name share the row; the first label wins). */
function hyperRows<D extends { readonly hyperparameters: readonly { readonly name: string; readonly label: string }[] }>(kinds: readonly D[], skip: ReadonlySet<string>) {
  const seen = new Map<string, string>()
  for (const d of kinds) for (const h of d.hyperparameters) if (!skip.has(h.name) && !seen.has(h.name)) seen.set(h.name, h.label)
  return [...seen]
}
type ChoiceShape = { readonly preset: object; readonly fields: readonly { readonly param: string }[] }
const CHOICES = OPTIMIZER_KINDS.flatMap((d) => d.choices as readonly ChoiceShape[])
/** Hyperparameters that only a choice's preset sets (SGD's `nesterov`): the Update rule row says them. */
const PRESET_ONLY = new Set(
  CHOICES.flatMap((c) => Object.keys(c.preset)).filter((n) => !CHOICES.some((c) => c.fields.some((f) => f.param === n))),
)
const OPTIMIZER_ROWS = hyperRows(OPTIMIZER_KINDS, PRESET_ONLY)
const SCHEDULE_ROWS = hyperRows(SCHEDULE_KINDS, new Set())

function engineText(config: unknown): string {
  const engine = getPath(config, 'engine')
  if (isObject(engine)) {
    const name = typeof engine.name === 'string' ? engine.name : 'engine'
    const bits = [engine.torchVersion && `torch ${String(engine.torchVersion)}`, engine.worldSize && `${String(engine.worldSize)} processes`].filter(Boolean)
    return bits.length ? `${name} (${bits.join(', ')})` : name
  }
  if (typeof engine === 'string') return engine
  return getPath(config, 'origin') === 'cli' ? 'TF.js · studio command' : 'TF.js · in the app'
}

function shapeText(v: unknown): string {
  return Array.isArray(v) && v.length === 3 ? `${String(v[0])}×${String(v[1])}×${String(v[2])}` : formatNumber(v)
}

function designText(config: unknown): string {
  const name = getPath(config, 'architecture.name') ?? getPath(config, 'graph.template') ?? getPath(config, 'graph.file')
  const version = getPath(config, 'architecture.version')
  if (name === undefined) return '—'
  return typeof version === 'number' ? `${String(name)} · v${version}` : String(name)
}

function pipelineText(config: unknown): string {
  const p = getPath(config, 'pipeline')
  if (p === undefined) return '—'
  if (p === null) return 'None'
  const name = getPath(p, 'name')
  const version = getPath(p, 'version')
  return `${typeof name === 'string' ? name : 'pipeline'}${typeof version === 'number' ? ` · v${version}` : ''}`
}

function stepsText(doc: unknown): string {
  const steps = getPath(doc, 'steps')
  if (!Array.isArray(steps)) return doc === undefined ? '—' : 'None'
  const on = steps.filter((s) => isObject(s) && s.enabled !== false)
  if (on.length === 0) return 'no steps'
  const label = (k: unknown) => (typeof k === 'string' && (AUGMENT_KINDS as readonly string[]).includes(k) ? getKindSpec(k as AugmentKind).label : String(k))
  return on.map((s) => label(isObject(s) ? s.kind : '?')).join(' → ')
}

function graphText(doc: unknown): string {
  if (!isObject(doc)) return '—'
  const nodes = Array.isArray(doc.nodes) ? doc.nodes.length : 0
  return `${nodes} node${nodes === 1 ? '' : 's'} · #${fingerprint(canonicalJson(doc)).slice(0, 6)}`
}

interface Descriptor {
  readonly id: string
  readonly section: SettingSection
  readonly label: string
  /** Snapshot paths (and everything below them) this setting stands for: they are not listed again under Other. */
  readonly covers: readonly string[]
  readonly read: (run: Run) => SettingValue
}

/** A plain value at a path (under `training` too, where the CLI and the Train view keep hyperparameters). */
function at(id: string, section: SettingSection, label: string, format: (v: unknown) => string = formatNumber, path = id): Descriptor {
  return {
    id,
    section,
    label,
    covers: [path],
    read: (run) => {
      const v = getPath(run.config, path)
      if (v === undefined) return MISSING
      return { key: isObject(v) || Array.isArray(v) ? docKey(v) : (v as Leaf), text: format(v) }
    },
  }
}

const T = (k: string) => `training.${k}`

/** The settings the forms know, in the order the forms show them. */
const DESCRIPTORS: readonly Descriptor[] = [
  { id: 'engine', section: 'Engine', label: 'Engine', covers: ['engine', 'origin'], read: (r) => ({ key: engineText(r.config), text: engineText(r.config) }) },
  at('backendRequested', 'Engine', 'Backend (chosen)', backendText),
  { id: 'backend', section: 'Engine', label: 'Backend (used)', covers: ['backend'], read: (r) => ({ key: r.backend ?? null, text: backendText(r.backend) }) },
  at('appVersion', 'Engine', 'Studio version', String),

  { id: 'design', section: 'Design', label: 'Design', covers: ['architecture.name', 'architecture.version', 'architecture.template', 'architecture.file', 'graph.template', 'graph.file'], read: (r) => ({ key: designText(r.config), text: designText(r.config) }) },
  {
    id: 'architecture.document',
    section: 'Design',
    label: 'Graph',
    covers: ['architecture.document', 'graph.document'],
    read: (r) => {
      const doc = getPath(r.config, 'architecture.document') ?? getPath(r.config, 'graph.document')
      return doc === undefined ? MISSING : { key: docKey(doc), text: graphText(doc) }
    },
  },
  at('params', 'Design', 'Parameters'),

  at('dataset.name', 'Data', 'Dataset', String),
  at('dataset.shape', 'Data', 'Image size', shapeText),
  { id: 'dataset.classes', section: 'Data', label: 'Classes', covers: ['dataset.classes'], read: (r) => {
    const c = getPath(r.config, 'dataset.classes')
    return Array.isArray(c) ? { key: docKey(c), text: c.length <= 6 ? c.join(', ') : `${c.length} classes` } : MISSING
  } },
  { id: 'dataset.counts', section: 'Data', label: 'Images (train / validation / test)', covers: ['dataset.counts'], read: (r) => {
    const c = getPath(r.config, 'dataset.counts')
    if (!isObject(c)) return MISSING
    const text = [c.train, c.val, c.test].map(formatNumber).join(' / ')
    return { key: text, text }
  } },
  { id: 'dataset.split', section: 'Data', label: 'Split', covers: ['dataset.split', 'dataset.trainSplit', 'dataset.valSplit'], read: (r) => {
    const s = getPath(r.config, 'dataset.split')
    if (s === undefined) return MISSING
    const ratios = getPath(s, 'ratios')
    const seed = getPath(s, 'seed')
    const text = isObject(ratios) ? `${[ratios.train, ratios.val, ratios.test].map((v) => (typeof v === 'number' ? `${Math.round(v * 100)}%` : '?')).join(' / ')}${seed !== undefined ? ` · seed ${formatNumber(seed)}` : ''}` : formatNumber(s)
    return { key: docKey(s), text }
  } },
  { id: 'dataset.normalization', section: 'Data', label: 'Channel mean / std', covers: ['dataset.mean', 'dataset.std'], read: (r) => {
    const mean = getPath(r.config, 'dataset.mean')
    const std = getPath(r.config, 'dataset.std')
    if (mean === undefined && std === undefined) return MISSING
    const f = (v: unknown) => (Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x.toFixed(3) : '?')).join(', ') : 'none')
    return { key: docKey([mean ?? null, std ?? null]), text: `${f(mean)} / ${f(std)}` }
  } },
  { id: 'pipeline', section: 'Data', label: 'Augmentation', covers: ['pipeline'], read: (r) => ({ key: pipelineText(r.config), text: pipelineText(r.config) }) },
  {
    id: 'pipeline.document',
    section: 'Data',
    label: 'Augmentation steps',
    covers: ['pipeline.document'],
    read: (r) => {
      const p = getPath(r.config, 'pipeline')
      if (p === undefined) return MISSING
      const doc = p === null ? null : getPath(p, 'document')
      return { key: docKey(doc ?? null), text: stepsText(doc ?? null) }
    },
  },

  { id: T('optimizer'), section: 'Optimizer', label: 'Update rule', covers: [T('optimizer.type'), ...[...PRESET_ONLY].map((n) => T(`optimizer.${n}`))], read: (r) => {
    const o = getPath(r.config, T('optimizer'))
    return o === undefined ? MISSING : { key: optimizerText(o), text: optimizerText(o) }
  } },
  at(T('learningRate'), 'Optimizer', 'Learning rate'),
  ...OPTIMIZER_ROWS.map(([name, label]) => at(T(`optimizer.${name}`), 'Optimizer', label)),

  at(T('schedule.type'), 'Schedule', 'Learning-rate schedule', scheduleText),
  at(T('schedule.warmupEpochs'), 'Schedule', 'Warmup (epochs)'),
  ...SCHEDULE_ROWS.map(([name, label]) => at(T(`schedule.${name}`), 'Schedule', label)),

  at(T('weightDecay'), 'Regularization', 'Weight decay'),
  at(T('clipGradNorm'), 'Regularization', 'Gradient clipping', (v) => (v === null ? 'off' : formatNumber(v))),
  // The Train form's "Weight the loss by class" checkbox; absent means unweighted (every run before it, too).
  { id: T('classWeighting'), section: 'Regularization', label: 'Weight the loss by class', covers: [T('classWeighting')], read: (r) => {
    const t = getPath(r.config, 'training')
    if (!isObject(t)) return MISSING
    const v = t.classWeighting
    return v === 'balanced' ? { key: 'balanced', text: 'yes (balanced: rare classes count more)' } : v === undefined ? { key: null, text: 'no (every image alike)' } : { key: String(v), text: String(v) }
  } },
  { id: T('decayBiasAndNorm'), section: 'Regularization', label: 'Exclude biases and norm parameters from weight decay', covers: [T('decayBiasAndNorm')], read: (r) => {
    const v = getPath(r.config, T('decayBiasAndNorm'))
    return typeof v === 'boolean' ? { key: !v, text: yesNo(!v) } : MISSING
  } },
  { id: T('groups'), section: 'Regularization', label: 'Parameter groups', covers: [T('groups')], read: (r) => {
    const g = getPath(r.config, T('groups'))
    if (!Array.isArray(g)) return MISSING
    const text = g.length === 0 ? 'none' : g.map((x) => (isObject(x) ? `${String(x.match)}${x.frozen === true ? ' frozen' : ''}${typeof x.lrMultiplier === 'number' && x.lrMultiplier !== 1 ? ` ×${formatNumber(x.lrMultiplier)} lr` : ''}` : '?')).join('; ')
    return { key: docKey(g), text }
  } },

  at(T('batchSize'), 'Run', 'Batch size'),
  at(T('epochs'), 'Run', 'Epochs'),
  { id: 'seed', section: 'Run', label: 'Seed', covers: ['seed', T('seed')], read: (r) => {
    const v = getPath(r.config, T('seed')) ?? getPath(r.config, 'seed')
    return v === undefined ? MISSING : { key: v as Leaf, text: formatNumber(v) }
  } },
  at(T('dropLast'), 'Run', 'Drop the last partial batch', yesNo),
  at(T('evalBatchSize'), 'Run', 'Validation batch size'),

  at(T('checkpoint.keepEvery'), 'Checkpoints', 'Keep every (epochs)', (v) => (v === 0 ? 'only last and best' : formatNumber(v))),

  { id: 'transfer.source', section: 'Transfer', label: 'Started from', covers: ['transfer.sourceRunId', 'transfer.sourceRunName', 'transfer.sourceProjectId', 'transfer.checkpointId', 'transfer.checkpointKind', 'transfer.checkpointEpoch', 'transfer.checkpointStep'], read: (r) => {
    const t = getPath(r.config, 'transfer')
    if (t === undefined) return { key: null, text: 'its own initialization' }
    const text = `${String(getPath(t, 'sourceRunName'))} · ${String(getPath(t, 'checkpointKind'))} checkpoint, epoch ${formatNumber(getPath(t, 'checkpointEpoch'))}`
    return { key: `${String(getPath(t, 'sourceRunId'))}:${String(getPath(t, 'checkpointId'))}`, text }
  } },
  { id: 'transfer.freeze', section: 'Transfer', label: 'Frozen layers', covers: ['transfer.freeze'], read: (r) => {
    const f = getPath(r.config, 'transfer.freeze')
    if (f === undefined) return MISSING
    return { key: docKey(f), text: freezeText(f) }
  } },
  at('transfer.pretrainedLrMultiplier', 'Transfer', 'Learning-rate factor of pretrained layers'),

  { id: 'trial', section: 'Search trial', label: 'Search trial', covers: ['trial'], read: (r) => {
    const t = getPath(r.config, 'trial')
    if (t === undefined) return MISSING
    const params = getPath(t, 'params')
    const text = `${String(getPath(t, 'search'))} · round ${formatNumber(getPath(t, 'round'))} · trial ${formatNumber(getPath(t, 'id'))}${isObject(params) ? ` (${Object.entries(params).map(([k, v]) => `${k} ${formatNumber(v)}`).join(', ')})` : ''}`
    return { key: docKey(t), text }
  } },
]

function freezeText(f: unknown): string {
  if (!isObject(f)) return formatNumber(f)
  if (f.mode === 'none') return 'none'
  if (f.mode === 'all-but-last') return `all but the last ${formatNumber(f.k)} layers with weights`
  if (f.mode === 'layers' && Array.isArray(f.frozen)) return f.frozen.length === 0 ? 'none' : f.frozen.join(', ')
  return canonicalJson(f)
}

/** Snapshot paths that identify rows in the database or the snapshot's own format: nothing a person set. */
const INTERNAL = ['kind', 'format', 'architecture.id', 'architecture.versionId', 'pipeline.id', 'pipeline.versionId', 'dataset.id', 'summary']

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)

/** The settings of one or more runs side by side (see the module comment). */
export function diffRunSettings(runs: readonly Run[], options: { differencesOnly?: boolean } = {}): SettingsDiff {
  const rows: SettingRow[] = []
  const push = (id: string, section: SettingSection, label: string, values: SettingValue[]) => {
    if (values.every((v) => v.key === undefined)) return
    const differs = values.some((v) => !sameKey(v.key, values[0]!.key))
    rows.push({ id, section, label, values, differs })
  }
  for (const d of DESCRIPTORS) push(d.id, d.section, d.label, runs.map((r) => d.read(r)))
  // Everything else the snapshots hold, by path.
  const covered = [...DESCRIPTORS.flatMap((d) => d.covers), ...INTERNAL]
  const flats = runs.map((r) => flattenConfig(r.config, { opaqueKeys: ['document'] }))
  const seen = new Set<string>()
  for (const f of flats) {
    for (const path of Object.keys(f)) {
      if (seen.has(path) || covered.some((c) => under(path, c))) continue
      seen.add(path)
      push(path, 'Other', path.replace(/^training\./, ''), flats.map((x) => (Object.prototype.hasOwnProperty.call(x, path) ? { key: x[path], text: formatNumber(x[path]) } : MISSING)))
    }
  }
  const differing = rows.filter((r) => r.differs).length
  return { rows: options.differencesOnly ? rows.filter((r) => r.differs) : rows, differing, total: rows.length }
}

const sameKey = (a: Leaf | undefined, b: Leaf | undefined) => a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))
