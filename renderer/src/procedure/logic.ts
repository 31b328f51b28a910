/**
 * Pure view logic of the Procedure cards (tested in tests/renderer/procedure-logic.test.ts): the sweep's chart
 * columns, the init lab's verdicts, the diagnosis bands, the search setup -> space -> trial configs, the results
 * table, and the search's JSON form (kept in the studio's database through the `workspace` service; earlier
 * versions kept it in localStorage under `searchStorageKey`, read once to move it).
 */
import { createSearch, parseSearch, rankResults, searchSpaceSchema, serializeSearch, type Finding, type InitLabResult, type SearchSpaceInput, type SearchState, type TrialParams } from '@shared/procedure'
import type { CurveSet, Evidence } from '@shared/procedure'
import type { TrainingConfigInput } from '@shared/train/config'
import type { EpochRow, StepSeries } from '../train/series'

export const DEFAULT_RATES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5] as const

/** "1e-1, 1e-2" -> numbers; null when any entry is not a positive number. */
export function parseRates(text: string): number[] | null {
  const parts = text
    .split(/[\s,;]+/)
    .map((t) => t.trim())
    .filter(Boolean)
  if (parts.length === 0) return null
  const xs = parts.map(Number)
  return xs.every((x) => Number.isFinite(x) && x > 0) ? xs : null
}

export function formatRate(lr: number): string {
  if (!Number.isFinite(lr)) return String(lr)
  const e = Math.floor(Math.log10(lr))
  const m = lr / Math.pow(10, e)
  if (Math.abs(m - 1) < 1e-9) return e === 0 ? '1' : `1e${e}`
  return lr.toExponential(1).replace('+', '')
}

/** Short number: 3 significant digits, exponent form for tiny or huge values. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '—'
  if (!Number.isFinite(x)) return String(x)
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(digits - 1).replace(/\.?0+e/, 'e').replace('+', '')
  return Number(x.toPrecision(digits)).toString()
}

/** Loss points per series key (a rate as text), in arrival order. */
export type PointsBySeries = Record<string, { step: number; loss: number }[]>

/** Columnar data for one chart: x = iteration 1..max, one value array per series (null where missing). */
export function columns(points: PointsBySeries, keys: readonly string[]): { x: number[]; values: (number | null)[][] } {
  let max = 0
  for (const k of keys) for (const p of points[k] ?? []) max = Math.max(max, p.step)
  const x = Array.from({ length: max }, (_, i) => i + 1)
  const values = keys.map((k) => {
    const col: (number | null)[] = new Array<number | null>(max).fill(null)
    for (const p of points[k] ?? []) if (p.step >= 1 && p.step <= max) col[p.step - 1] = Number.isFinite(p.loss) ? p.loss : null
    return col
  })
  return { x, values }
}

/** One rate's curve on the sweep chart. */
export interface SweepCurve {
  readonly key: string
  /** Loss per iteration (null where missing), drawn up to the first diverged point and no further. */
  readonly values: (number | null)[]
  /** The iteration where the loss became NaN or passed `factor` x the initial loss; null while it did not. */
  readonly divergedAt: number | null
}

/**
 * The sweep chart's data: one curve per rate, each stopped at the iteration it diverged (NaN, or above `factor`
 * x the initial loss: the sweep's own rule), and `cap`, the top of the y range (that same threshold) so an
 * exploded rate leaves the top of the plot instead of flattening the others. The initial loss is the sweep's
 * (`initialLoss`) once it is known, before that the highest first-iteration loss (every rate starts from the
 * same weights).
 */
export function sweepChartData(points: PointsBySeries, keys: readonly string[], initialLoss: number | null, factor = 3): { x: number[]; curves: SweepCurve[]; cap: number | null } {
  const { x, values } = columns(points, keys)
  let initial = initialLoss !== null && Number.isFinite(initialLoss) ? initialLoss : null
  if (initial === null) {
    const firsts = keys.map((k) => points[k]?.find((p) => p.step === 1)?.loss).filter((v): v is number => v !== undefined && Number.isFinite(v))
    initial = firsts.length ? Math.max(...firsts) : null
  }
  const limit = initial !== null ? factor * initial : null
  const curves = keys.map((key, i): SweepCurve => {
    const raw = points[key] ?? []
    const bad = raw.find((p) => !Number.isFinite(p.loss) || (limit !== null && p.loss > limit))
    const divergedAt = bad ? bad.step : null
    const col = values[i] as (number | null)[]
    return { key, divergedAt, values: divergedAt === null ? col : col.map((v, j) => (j + 1 > divergedAt ? null : v)) }
  })
  return { x, curves, cap: limit }
}

export const VERDICT_LABEL: Record<string, string> = {
  'too-high': 'too high',
  'too-low': 'too low',
  unstable: 'unstable',
  good: 'decreases',
  recommended: 'recommended',
}

/** What happens to the activations through the net under one initializer. */
export interface LabVerdict {
  readonly label: string
  readonly kind: 'collapses' | 'explodes' | 'stays' | 'drifts'
  /** std of the last activation layer / std of the first one. */
  readonly ratio: number
  readonly text: string
}

/** Activation layers (ReLU outputs) when the model has them, else every layer. */
export function labLayers(r: InitLabResult): InitLabResult['layers'] {
  const acts = r.layers.filter((l) => l.deadFraction !== null)
  return acts.length >= 2 ? acts : r.layers
}

export function labVerdict(r: InitLabResult): LabVerdict {
  const layers = labLayers(r)
  const first = layers[0]
  const last = layers[layers.length - 1]
  if (!first || !last) return { label: r.label, kind: 'stays', ratio: 1, text: `${r.label}: no layers to compare.` }
  const ratio = first.std > 0 ? last.std / first.std : last.std > 0 ? Infinity : 0
  const kind: LabVerdict['kind'] = ratio < 0.05 ? 'collapses' : ratio > 20 ? 'explodes' : ratio >= 0.5 && ratio <= 2 ? 'stays' : 'drifts'
  const what =
    kind === 'collapses'
      ? 'the activations shrink towards zero layer after layer: gradients vanish and nothing learns'
      : kind === 'explodes'
        ? 'the activations grow layer after layer: the net saturates or overflows'
        : kind === 'stays'
          ? 'the activations keep their scale through the depth: the net can learn'
          : 'the scale drifts through the depth'
  return { label: r.label, kind, ratio, text: `${r.label}: std ${fmt(first.std)} at ${first.layer} → ${fmt(last.std)} at ${last.layer} (×${fmt(ratio)}): ${what}.` }
}

/** Diagnosis input from the Train section's series. */
export function curveSetOf(steps: StepSeries, epochs: readonly EpochRow[]): CurveSet {
  return {
    steps: steps.step.map((s, i) => ({ step: s, loss: steps.loss[i] as number })),
    epochs: epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, trainAcc: e.trainAcc, valLoss: e.valLoss, valAcc: e.valAcc })),
  }
}

export interface Band {
  readonly from: number
  readonly to: number
  readonly severity: Finding['severity']
  readonly label: string
}

/**
 * The shaded ranges of the findings on one chart: `unit` 'step' for the step-loss chart, 'epoch' for the
 * per-epoch charts (`series` limits them to evidence on those series). An epoch range [a, b] covers a-0.5..b+0.5.
 */
export function bandsFor(findings: readonly Finding[], unit: Evidence['unit'], series?: readonly Evidence['series'][]): Band[] {
  const out: Band[] = []
  for (const f of findings) {
    const seen = new Set<string>()
    for (const e of f.evidence) {
      if (e.unit !== unit || (series && !series.includes(e.series))) continue
      const from = unit === 'epoch' ? e.from - 0.5 : e.from
      const to = unit === 'epoch' ? e.to + 0.5 : e.to
      const key = `${from}:${to}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ from, to, severity: f.severity, label: f.title })
    }
  }
  return out
}

export function describeEvidence(e: Evidence): string {
  const what = { trainLoss: 'training loss', valLoss: 'validation loss', trainAcc: 'training accuracy', valAcc: 'validation accuracy', stepLoss: 'step loss' }[e.series]
  return e.from === e.to ? `${what}, ${e.unit} ${e.from}` : `${what}, ${e.unit}s ${e.from}–${e.to}`
}

// ---------------------------------------------------------------- search

export type SearchParam = 'lr' | 'weightDecay' | 'batchSize' | 'dropout' | 'width'

export interface ParamSetup {
  readonly enabled: boolean
  readonly min: string
  readonly max: string
  /** batchSize / width (choice): the choices, e.g. "16, 32, 64". */
  readonly values: string
  /** width only: sampled log-uniformly from min..max, or one of `values`. */
  readonly sampling?: 'log' | 'choice'
}

export interface SearchSetup {
  readonly params: Record<SearchParam, ParamSetup>
  readonly trials: string
  readonly epochs: string
  readonly mode: 'random' | 'grid'
  readonly metric: 'valLoss' | 'valAcc'
  readonly seed: string
}

export const DEFAULT_SETUP: SearchSetup = {
  params: {
    lr: { enabled: true, min: '1e-4', max: '1e-1', values: '' },
    weightDecay: { enabled: true, min: '1e-6', max: '1e-2', values: '' },
    batchSize: { enabled: false, min: '', max: '', values: '16, 32, 64' },
    dropout: { enabled: false, min: '0', max: '0.5', values: '' },
    width: { enabled: false, min: '0.5', max: '2', values: '0.5, 1, 2', sampling: 'log' },
  },
  trials: '6',
  epochs: '1',
  mode: 'random',
  metric: 'valLoss',
  seed: '1',
}

export const PARAM_LABEL: Record<string, string> = { lr: 'learning rate', weightDecay: 'weight decay', batchSize: 'batch size', dropout: 'dropout', width: 'width ×' }

/** The space and run counts of a setup, or the first problem in words. */
export function spaceOfSetup(setup: SearchSetup): { ok: true; space: SearchSpaceInput; trials: number; epochs: number } | { ok: false; error: string } {
  const space: SearchSpaceInput = {}
  for (const name of ['lr', 'weightDecay'] as const) {
    const p = setup.params[name]
    if (!p.enabled) continue
    const min = Number(p.min)
    const max = Number(p.max)
    if (!(min > 0) || !(max > 0)) return { ok: false, error: `The ${PARAM_LABEL[name]} range needs two positive numbers (it is sampled log-uniformly)` }
    if (min > max) return { ok: false, error: `The ${PARAM_LABEL[name]} range: ${p.min} is above ${p.max}` }
    space[name] = { type: 'logUniform', min, max }
  }
  if (setup.params.batchSize.enabled) {
    const vals = parseRates(setup.params.batchSize.values)
    if (!vals || !vals.every((v) => Number.isInteger(v))) return { ok: false, error: 'Batch sizes must be whole numbers, e.g. "16, 32, 64"' }
    space.batchSize = { type: 'choice', values: vals }
  }
  // Older saved setups have no dropout / width entries.
  const dropout = setup.params.dropout as ParamSetup | undefined
  if (dropout?.enabled) {
    const min = Number(dropout.min)
    const max = Number(dropout.max)
    if (dropout.min.trim() === '' || dropout.max.trim() === '' || !(min >= 0 && max < 1)) return { ok: false, error: 'The dropout range needs two rates from 0 to below 1 (the drop probability, sampled uniformly)' }
    if (min > max) return { ok: false, error: `The dropout range: ${dropout.min} is above ${dropout.max}` }
    space.dropout = { type: 'uniform', min, max }
  }
  const width = setup.params.width as ParamSetup | undefined
  if (width?.enabled) {
    if (width.sampling === 'choice') {
      const vals = parseRates(width.values)
      if (!vals) return { ok: false, error: 'Width multipliers must be positive numbers, e.g. "0.5, 1, 2"' }
      space.width = { type: 'choice', values: vals }
    } else {
      const min = Number(width.min)
      const max = Number(width.max)
      if (!(min > 0) || !(max > 0)) return { ok: false, error: 'The width multiplier range needs two positive numbers (it is sampled log-uniformly)' }
      if (min > max) return { ok: false, error: `The width multiplier range: ${width.min} is above ${width.max}` }
      space.width = { type: 'logUniform', min, max }
    }
  }
  if (Object.keys(space).length === 0) return { ok: false, error: 'Pick at least one hyperparameter to vary' }
  const trials = Number(setup.trials)
  if (!Number.isInteger(trials) || trials < 1 || trials > 200) return { ok: false, error: setup.mode === 'grid' ? 'Points per parameter must be a whole number from 1 to 200' : 'Trials must be a whole number from 1 to 200' }
  const epochs = Number(setup.epochs)
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 5) return { ok: false, error: 'Epochs per trial must be 1 to 5 (a coarse search trains briefly; the refine stage trains longer)' }
  const parsed = searchSpaceSchema.safeParse(space)
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? 'invalid range' }
  return { ok: true, space, trials, epochs }
}

/** The training config of one trial: the Train form's config with the trial's values and the stage's epochs. */
export function trialConfig(base: TrainingConfigInput, params: TrialParams, epochs: number): TrainingConfigInput {
  const num = (k: string) => (typeof params[k] === 'number' ? (params[k] as number) : undefined)
  const lr = num('lr')
  const wd = num('weightDecay')
  const bs = num('batchSize')
  return {
    ...base,
    epochs,
    ...(lr !== undefined ? { learningRate: lr } : {}),
    ...(wd !== undefined ? { weightDecay: wd } : {}),
    ...(bs !== undefined ? { batchSize: Math.round(bs) } : {}),
    checkpoint: { keepEvery: 0 },
  }
}

/** Lower is better: the validation loss, or 1 - validation accuracy. Falls back to the training loss. */
export function trialMetric(kind: SearchSetup['metric'], r: { valLoss: number | null; valAcc: number | null; trainLoss: number | null }): number {
  if (kind === 'valAcc' && r.valAcc !== null && Number.isFinite(r.valAcc)) return 1 - r.valAcc
  if (kind === 'valLoss' && r.valLoss !== null && Number.isFinite(r.valLoss)) return r.valLoss
  return r.trainLoss ?? Infinity
}

/** The metric as shown: accuracy back as accuracy. */
export function metricText(kind: SearchSetup['metric'], metric: number): string {
  if (!Number.isFinite(metric)) return '—'
  return kind === 'valAcc' ? `${((1 - metric) * 100).toFixed(1)}%` : metric.toFixed(4)
}

/** A search with its stage settings, as kept across reloads. */
export interface SavedSearch {
  readonly version: 1
  readonly key: string
  readonly setup: SearchSetup
  readonly state: SearchState
  /** Epochs per trial of each stage (index = round). */
  readonly epochsByRound: number[]
  readonly base: TrainingConfigInput
  readonly architectureId: number
  readonly datasetId: number
  readonly pipelineId: number | null
  readonly backend: string
  /** The user paused it (a reload never resumes on its own). */
  readonly paused: boolean
}

export function newSearch(setup: SearchSetup, ctx: Omit<SavedSearch, 'version' | 'key' | 'setup' | 'state' | 'epochsByRound' | 'paused'>, key: string): SavedSearch | { error: string } {
  const s = spaceOfSetup(setup)
  if (!s.ok) return { error: s.error }
  const state = createSearch(s.space, { trials: s.trials, seed: `${setup.seed}/${key}`, mode: setup.mode })
  return { version: 1, key, setup, state, epochsByRound: [s.epochs], paused: true, ...ctx }
}

export const SEARCH_STORAGE_NOTE =
  'The search is saved with the project after every trial, so it resumes after a reload or a restart. Its trials are ordinary runs, tagged with the search.'

/** Where earlier versions kept a project's search (this browser profile only). */
export const searchStorageKey = (projectId: number) => `cnn-studio.procedure.search.${projectId}`

export function serializeSaved(s: SavedSearch): string {
  return JSON.stringify({ ...s, state: JSON.parse(serializeSearch(s.state)) as unknown })
}

/** Parses a saved search (the state validated by the engine's schema); null when missing or damaged. */
export function parseSaved(text: string | null): SavedSearch | null {
  if (!text) return null
  try {
    const raw = JSON.parse(text) as SavedSearch & { state: unknown }
    if (raw.version !== 1 || typeof raw.key !== 'string') return null
    return { ...raw, state: parseSearch(raw.state) }
  } catch {
    return null
  }
}

export interface TrialRow {
  readonly id: number
  readonly round: number
  readonly rank: number | null
  readonly params: TrialParams
  readonly metric: number
  readonly status: string
  readonly note: string | null
  readonly runId: number | null
  readonly valAcc: number | null
  readonly valLoss: number | null
}

/** Finished trials best first (failed last), then the pending ones in order. */
export function tableRows(state: SearchState): TrialRow[] {
  const ranked = rankResults(state.done)
  const ok = ranked.filter((r) => r.status !== 'failed' && Number.isFinite(r.metric))
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  return [
    ...ranked.map((r) => ({
      id: r.id,
      round: r.round,
      rank: ok.includes(r) ? ok.indexOf(r) + 1 : null,
      params: r.params,
      metric: r.metric,
      status: r.status,
      note: r.note ?? null,
      runId: num(r.extra?.runId),
      valAcc: num(r.extra?.valAcc),
      valLoss: num(r.extra?.valLoss),
    })),
    ...state.pending.map((p) => ({ id: p.id, round: p.round, rank: null, params: p.params, metric: NaN, status: 'pending', note: null, runId: null, valAcc: null, valLoss: null })),
  ]
}

/** The parameters a search varies, in a stable order. */
export function searchParams(state: SearchState): string[] {
  const order = ['lr', 'weightDecay', 'batchSize', 'dropout', 'width']
  const keys = Object.keys(state.space)
  return [...order.filter((k) => keys.includes(k)), ...keys.filter((k) => !order.includes(k))]
}

export function paramText(name: string, v: unknown): string {
  if (typeof v !== 'number') return String(v ?? '—')
  if (name === 'dropout') return v.toFixed(2)
  if (name === 'width') return `×${fmt(v, 2)}`
  return name === 'batchSize' ? String(v) : fmt(v)
}

/** Run name of a trial: the search's key groups them (the runs contract has no groups API). */
export function trialRunName(key: string, round: number, id: number): string {
  return `Search ${key} · stage ${round + 1} · trial ${id + 1}`
}

// ---------------------------------------------------------------- update-to-weight ratios after training

/** The lectures' rule of thumb: one update moves a weight layer by about 1e-3 of its norm. */
export const UPDATE_RATIO_PER_STEP = 1e-3

export interface RatioRow {
  readonly layer: string
  readonly variable: string
  readonly ratio: number
  /** What one update averaged if the updates were independent (random walk): ratio / sqrt(steps). */
  readonly perStepRandom: number | null
  /** ... or if they all pointed the same way: ratio / steps (a lower bound). */
  readonly perStepAligned: number | null
  readonly kind: 'low' | 'ok' | 'high' | 'unchanged'
}

/**
 * One row per weight kernel (layer = the variable name before '/'). Over `steps` updates of ~1e-3 each, the
 * whole-run ratio lies between ~sqrt(steps)·1e-3 (independent updates) and ~steps·1e-3 (aligned updates); the row's
 * verdict compares the random-walk estimate per update with 1e-3 (within 10x either way is fine).
 */
export function ratioRows(ratios: readonly { name: string; ratio: number }[], steps: number): RatioRow[] {
  return ratios.map((r) => {
    const perStepRandom = steps > 0 ? r.ratio / Math.sqrt(steps) : null
    const perStepAligned = steps > 0 ? r.ratio / steps : null
    const est = perStepRandom ?? r.ratio
    const kind: RatioRow['kind'] = r.ratio === 0 ? 'unchanged' : est < UPDATE_RATIO_PER_STEP / 10 ? 'low' : est > UPDATE_RATIO_PER_STEP * 10 ? 'high' : 'ok'
    const slash = r.name.indexOf('/')
    return { layer: slash > 0 ? r.name.slice(0, slash) : r.name, variable: r.name, ratio: r.ratio, perStepRandom, perStepAligned, kind }
  })
}

export const RATIO_KIND_TEXT: Record<RatioRow['kind'], string> = {
  unchanged: 'unchanged (frozen, or no gradient reached it)',
  low: 'moves little: the rate may be too low for this layer',
  ok: 'about the rule of thumb',
  high: 'moves a lot: the rate may be too high',
}
