/**
 * Hyperparameter search, coarse to fine (steps 4-5 and 7 of the lectures' procedure).
 *
 * - A search space (zod, `searchSpaceSchema`) maps a hyperparameter name to a range:
 *     { type: 'logUniform', min, max }   sampled as 10 ** uniform(log10 min, log10 max) (lr = 10**uniform(-6,-3))
 *     { type: 'uniform', min, max }
 *     { type: 'int', min, max, log? }    integers (batch size, width), optionally log-uniform
 *     { type: 'choice', values }         numbers, strings or booleans
 * - `sampleTrials(space, n, seed)`: random search (the default; beats grid search, Bergstra & Bengio 2012).
 *   Each value comes from `createRng(seed).fork('trial:<i>').fork(<param>)`, so trial i's value of a parameter
 *   does not change when other parameters are added or removed. `gridTrials(space, pointsPerParam)`: the
 *   cartesian grid (log-spaced for log parameters).
 * - `refineSpace(space, results, { topK, shrink })`: the next, finer space around the best `topK` results
 *   (lowest `metric`): each numeric range becomes the span of the top-K values, widened to at least `shrink` x
 *   the old width (in log space for log parameters) around their centre and clipped to the old range; a
 *   choice keeps the values the top-K used.
 * - `shouldStopEarly(loss, initial)`: the lecture's rule, stop a trial when the loss exceeds 3x the initial loss
 *   (or is not finite); `EarlyStop` tracks it over a trial.
 * - `runSearch(state, runTrial)`: runs the pending trials one after another through the caller's
 *   `runTrial(params)` (the caller builds the model and the training config), records results, and stops
 *   between trials when asked. `SearchState` is plain JSON (`searchStateSchema` validates it back): persist it
 *   after each trial (`onState`) and a search survives a restart, resuming with the next pending trial.
 *   `nextRound(state, { trials, topK, shrink })` refines the space from the results and queues new trials.
 * - `trainTrial({ model, data, config })`: a ready `runTrial` body over the real Trainer with the early-stop rule
 *   (the Trainer is loaded lazily: the rest of this module is pure and needs no TF.js).
 */
import type * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import type { AugmentPipeline } from '../augment'
import { createRng } from '../random'
import type { DataSource, TrainingConfigInput, TrainMessage } from '../train'
import type { Rng } from '../random'
import { fmt } from './steps'

const finite = z.number().refine(Number.isFinite, 'must be a finite number')

export const paramRangeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('logUniform'), min: finite.refine((v) => v > 0, 'logUniform min must be > 0'), max: finite }),
  z.strictObject({ type: z.literal('uniform'), min: finite, max: finite }),
  z.strictObject({ type: z.literal('int'), min: z.number().int(), max: z.number().int(), log: z.boolean().default(false) }),
  z.strictObject({ type: z.literal('choice'), values: z.array(z.union([z.number(), z.string(), z.boolean()])).min(1) }),
])
export type ParamRange = z.infer<typeof paramRangeSchema>
export type ParamRangeInput = z.input<typeof paramRangeSchema>

export const searchSpaceSchema = z
  .record(z.string().min(1), paramRangeSchema)
  .superRefine((space, ctx) => {
    for (const [name, r] of Object.entries(space)) {
      if (r.type !== 'choice' && !(r.min <= r.max)) ctx.addIssue({ code: 'custom', path: [name], message: `${name}: min ${r.min} must not exceed max ${r.max}` })
      if (r.type === 'int' && r.log && r.min < 1) ctx.addIssue({ code: 'custom', path: [name], message: `${name}: a log int range needs min >= 1` })
    }
  })
export type SearchSpace = z.infer<typeof searchSpaceSchema>
export type SearchSpaceInput = z.input<typeof searchSpaceSchema>

export type ParamValue = number | string | boolean
export type TrialParams = Record<string, ParamValue>

/** The lecture's example space. */
export const LECTURE_SPACE: SearchSpaceInput = {
  lr: { type: 'logUniform', min: 1e-6, max: 1e-3 },
  weightDecay: { type: 'logUniform', min: 1e-5, max: 1e5 },
}

function isLog(r: ParamRange): boolean {
  return r.type === 'logUniform' || (r.type === 'int' && r.log)
}

function sampleOne(r: ParamRange, rng: Rng): ParamValue {
  switch (r.type) {
    case 'logUniform':
      return r.min === r.max ? r.min : rng.logUniform(r.min, r.max)
    case 'uniform':
      return r.min === r.max ? r.min : rng.uniform(r.min, r.max)
    case 'int':
      if (!r.log) return rng.int(r.min, r.max)
      // Log-uniform over [min, max + 1), floored: every integer reachable, small values denser.
      return Math.min(r.max, Math.floor(rng.logUniform(r.min, r.max + 1)))
    case 'choice':
      return r.values[rng.int(0, r.values.length - 1)] as ParamValue
  }
}

/** `n` random trials (see the module header for the streams). */
export function sampleTrials(spaceInput: SearchSpaceInput, n: number, seed: number | string): TrialParams[] {
  const space = searchSpaceSchema.parse(spaceInput)
  const root = createRng(seed)
  return Array.from({ length: n }, (_, i) => {
    const t = root.fork(`trial:${i}`)
    const out: TrialParams = {}
    for (const [name, r] of Object.entries(space)) out[name] = sampleOne(r, t.fork(name))
    return out
  })
}

function gridAxis(r: ParamRange, points: number): ParamValue[] {
  if (r.type === 'choice') return [...r.values]
  const k = Math.max(1, points)
  const at = (i: number) => (k === 1 ? 0.5 : i / (k - 1))
  if (r.type === 'int') {
    const vals = Array.from({ length: k }, (_, i) =>
      Math.round(r.log ? Math.exp(Math.log(r.min) + (Math.log(r.max) - Math.log(r.min)) * at(i)) : r.min + (r.max - r.min) * at(i)),
    )
    return [...new Set(vals)]
  }
  if (r.type === 'logUniform') return Array.from({ length: k }, (_, i) => Math.pow(10, Math.log10(r.min) + (Math.log10(r.max) - Math.log10(r.min)) * at(i)))
  return Array.from({ length: k }, (_, i) => r.min + (r.max - r.min) * at(i))
}

/** The cartesian grid: `pointsPerParam` values per numeric range (ends included), every choice value. */
export function gridTrials(spaceInput: SearchSpaceInput, pointsPerParam: number | Record<string, number> = 3): TrialParams[] {
  const space = searchSpaceSchema.parse(spaceInput)
  let trials: TrialParams[] = [{}]
  for (const [name, r] of Object.entries(space)) {
    const k = typeof pointsPerParam === 'number' ? pointsPerParam : (pointsPerParam[name] ?? 3)
    const axis = gridAxis(r, k)
    trials = trials.flatMap((t) => axis.map((v) => ({ ...t, [name]: v })))
  }
  return trials
}

export type TrialStatus = 'done' | 'early-stopped' | 'failed'

export interface TrialResult {
  /** Lower is better (e.g. the final validation loss; or 1 - validation accuracy). */
  readonly metric: number
  readonly status: TrialStatus
  /** Free-form extra numbers (val accuracy, steps, seconds...). */
  readonly extra?: Record<string, number | string | null>
  readonly note?: string
}

export interface TrialRecord extends TrialResult {
  readonly id: number
  readonly round: number
  readonly params: TrialParams
}

/** Best first by metric; failed and non-finite metrics last. */
export function rankResults<T extends TrialResult>(results: readonly T[]): T[] {
  const key = (r: TrialResult) => (r.status === 'failed' || !Number.isFinite(r.metric) ? Infinity : r.metric)
  return [...results].sort((a, b) => key(a) - key(b))
}

export interface RefineOptions {
  /** How many of the best trials define the new ranges (default 3). */
  readonly topK?: number
  /** Minimum width of a new range as a fraction of the old width (default 0.5; log space for log params). */
  readonly shrink?: number
}

/** The next, finer space (see the module header). Trials with status 'failed' are ignored; early-stopped ones rank by metric. */
export function refineSpace(spaceInput: SearchSpaceInput, results: readonly { params: TrialParams; metric: number; status: TrialStatus }[], options: RefineOptions = {}): SearchSpace {
  const space = searchSpaceSchema.parse(spaceInput)
  const topK = Math.max(1, options.topK ?? 3)
  const shrink = Math.min(1, Math.max(0, options.shrink ?? 0.5))
  const top = rankResults(results.filter((r) => r.status !== 'failed' && Number.isFinite(r.metric))).slice(0, topK)
  if (top.length === 0) return space
  const out: SearchSpace = {}
  for (const [name, r] of Object.entries(space)) {
    const vals = top.map((t) => t.params[name]).filter((v) => v !== undefined)
    if (r.type === 'choice') {
      const keep = r.values.filter((v) => vals.includes(v))
      out[name] = { type: 'choice', values: keep.length ? keep : [...r.values] }
      continue
    }
    const nums = vals.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    if (nums.length === 0) {
      out[name] = r
      continue
    }
    const log = isLog(r)
    const to = (v: number) => (log ? Math.log10(v) : v)
    const from = (v: number) => (log ? Math.pow(10, v) : v)
    const lo0 = to(r.min)
    const hi0 = to(r.max)
    let lo = Math.min(...nums.map(to))
    let hi = Math.max(...nums.map(to))
    const minWidth = shrink * (hi0 - lo0)
    if (hi - lo < minWidth) {
      const c = (lo + hi) / 2
      lo = c - minWidth / 2
      hi = c + minWidth / 2
      // Shift back inside the old range, keeping the width.
      if (lo < lo0) {
        hi += lo0 - lo
        lo = lo0
      }
      if (hi > hi0) {
        lo -= hi - hi0
        hi = hi0
      }
    }
    lo = Math.max(lo0, lo)
    hi = Math.min(hi0, hi)
    if (r.type === 'int') {
      const a = Math.max(r.min, Math.floor(from(lo) + 1e-9))
      const b = Math.min(r.max, Math.ceil(from(hi) - 1e-9))
      out[name] = { type: 'int', min: a, max: Math.max(a, b), log: r.log }
    } else if (r.type === 'logUniform') {
      out[name] = { type: 'logUniform', min: Math.max(r.min, from(lo)), max: Math.min(r.max, from(hi)) }
    } else {
      out[name] = { type: 'uniform', min: from(lo), max: from(hi) }
    }
  }
  return out
}

/** The lecture's early-stop rule: true when the loss is not finite or above factor (3) x the initial loss. */
export function shouldStopEarly(loss: number, initialLoss: number, factor = 3): boolean {
  return !Number.isFinite(loss) || loss > factor * initialLoss
}

/** Tracks a trial's losses against its first one (or a given initial loss) with `shouldStopEarly`. */
export class EarlyStop {
  #initial: number | null
  #stoppedAt: number | null = null
  readonly factor: number

  constructor(options: { initialLoss?: number; factor?: number } = {}) {
    this.#initial = options.initialLoss ?? null
    this.factor = options.factor ?? 3
  }

  /** Feeds one loss (step `step`); returns true when the trial should stop. */
  observe(loss: number, step = 0): boolean {
    if (this.#initial === null && Number.isFinite(loss)) {
      this.#initial = loss
      return false
    }
    if (this.#stoppedAt === null && shouldStopEarly(loss, this.#initial ?? Infinity, this.factor)) this.#stoppedAt = step
    return this.#stoppedAt !== null
  }

  get stopped(): boolean {
    return this.#stoppedAt !== null
  }

  get stoppedAt(): number | null {
    return this.#stoppedAt
  }

  get initialLoss(): number | null {
    return this.#initial
  }
}

const paramValueSchema = z.union([z.number(), z.string(), z.boolean()])
const trialParamsSchema = z.record(z.string(), paramValueSchema)

export const searchStateSchema = z.strictObject({
  version: z.literal(1),
  seed: z.union([z.number(), z.string()]),
  mode: z.enum(['random', 'grid']),
  /** 0 = the coarse round; each nextRound adds one. */
  round: z.number().int().min(0),
  /** The space of the current round. */
  space: searchSpaceSchema,
  /** Earlier rounds' spaces, oldest first. */
  history: z.array(searchSpaceSchema).default([]),
  nextId: z.number().int().min(0),
  pending: z.array(z.strictObject({ id: z.number().int(), round: z.number().int(), params: trialParamsSchema })),
  done: z.array(
    z.strictObject({
      id: z.number().int(),
      round: z.number().int(),
      params: trialParamsSchema,
      // JSON turns NaN/Infinity into null: a null metric reads back as Infinity.
      metric: z.number().nullable().transform((v) => (v === null ? Infinity : v)),
      status: z.enum(['done', 'early-stopped', 'failed']),
      extra: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).optional(),
      note: z.string().optional(),
    }),
  ),
})
export type SearchState = z.output<typeof searchStateSchema>

export interface CreateSearchOptions {
  readonly trials: number
  readonly seed: number | string
  /** 'random' (default) or 'grid' (then `trials` is the points per parameter). */
  readonly mode?: 'random' | 'grid'
}

/** A new search with its first (coarse) round of trials pending. */
export function createSearch(spaceInput: SearchSpaceInput, options: CreateSearchOptions): SearchState {
  const space = searchSpaceSchema.parse(spaceInput)
  const mode = options.mode ?? 'random'
  const params = mode === 'grid' ? gridTrials(space, options.trials) : sampleTrials(space, options.trials, `${options.seed}/round:0`)
  return {
    version: 1,
    seed: options.seed,
    mode,
    round: 0,
    space,
    history: [],
    nextId: params.length,
    pending: params.map((p, i) => ({ id: i, round: 0, params: p })),
    done: [],
  }
}

/** Refines the space from all finished trials and queues `trials` random trials in it (a new round). */
export function nextRound(state: SearchState, options: { trials: number } & RefineOptions): SearchState {
  const space = refineSpace(state.space, state.done, options)
  const round = state.round + 1
  const params = sampleTrials(space, options.trials, `${state.seed}/round:${round}`)
  return {
    ...state,
    round,
    space,
    history: [...state.history, state.space],
    nextId: state.nextId + params.length,
    pending: [...state.pending, ...params.map((p, i) => ({ id: state.nextId + i, round, params: p }))],
  }
}

/** JSON text of a state (NaN/Infinity metrics become null and read back as Infinity). */
export function serializeSearch(state: SearchState): string {
  return JSON.stringify(state)
}

/** Parses and validates a saved state. */
export function parseSearch(json: string | unknown): SearchState {
  return searchStateSchema.parse(typeof json === 'string' ? JSON.parse(json) : json)
}

export interface RunSearchOptions {
  /** Called with the new state after every finished trial (persist it here). */
  readonly onState?: (state: SearchState) => void | Promise<void>
  /** Checked before every trial: true pauses (returns with the remaining trials pending). */
  readonly shouldPause?: () => boolean
  /** Run at most this many trials in this call. */
  readonly maxTrials?: number
}

export interface RunSearchOutcome {
  readonly state: SearchState
  readonly status: 'finished' | 'paused'
  /** Best finished trial so far (null when none). */
  readonly best: TrialRecord | null
}

/**
 * Runs the pending trials in order through `runTrial`. A trial that throws is recorded as 'failed' (its
 * message in `note`) and the search goes on. The input state is not mutated.
 */
export async function runSearch(
  initial: SearchState,
  runTrial: (params: TrialParams, info: { id: number; round: number }) => Promise<TrialResult>,
  options: RunSearchOptions = {},
): Promise<RunSearchOutcome> {
  let state: SearchState = { ...initial, pending: [...initial.pending], done: [...initial.done] }
  let ran = 0
  while (state.pending.length > 0) {
    if (options.shouldPause?.() === true || (options.maxTrials !== undefined && ran >= options.maxTrials)) {
      return { state, status: 'paused', best: bestTrial(state) }
    }
    const trial = state.pending[0] as SearchState['pending'][number]
    let result: TrialResult
    try {
      result = await runTrial(trial.params, { id: trial.id, round: trial.round })
    } catch (e) {
      result = { metric: Infinity, status: 'failed', note: e instanceof Error ? e.message : String(e) }
    }
    const record: SearchState['done'][number] = {
      id: trial.id,
      round: trial.round,
      params: trial.params,
      metric: result.metric,
      status: result.status,
      ...(result.extra !== undefined ? { extra: result.extra } : {}),
      ...(result.note !== undefined ? { note: result.note } : {}),
    }
    state = { ...state, pending: state.pending.slice(1), done: [...state.done, record] }
    ran++
    await options.onState?.(state)
  }
  return { state, status: 'finished', best: bestTrial(state) }
}

export function bestTrial(state: SearchState): TrialRecord | null {
  const ranked = rankResults(state.done.filter((d) => d.status !== 'failed' && Number.isFinite(d.metric)))
  return ranked[0] ?? null
}

/** One line per parameter, e.g. `lr: log-uniform [1e-6, 1e-3]`. */
export function describeSpace(space: SearchSpace): string[] {
  return Object.entries(space).map(([name, r]) => {
    if (r.type === 'choice') return `${name}: one of ${r.values.map(String).join(', ')}`
    const kind = r.type === 'logUniform' ? 'log-uniform' : r.type === 'int' ? (r.log ? 'log-int' : 'int') : 'uniform'
    return `${name}: ${kind} [${fmt(r.min)}, ${fmt(r.max)}]`
  })
}

export interface TrainTrialOptions {
  readonly model: tf.LayersModel
  readonly data: DataSource
  readonly config: TrainingConfigInput
  readonly pipeline?: AugmentPipeline | null
  /** Early-stop factor (default 3): stop when a step loss exceeds factor x the first step's loss. */
  readonly earlyStopFactor?: number
  /** Every engine message, e.g. for live curves. */
  readonly onMessage?: (m: TrainMessage) => void
  readonly shouldStop?: () => boolean
}

/**
 * One search trial with the real training engine (`Trainer`, no checkpoints): trains for the config's epochs,
 * stopping early with the lecture's rule (step loss > 3x the first step's loss, or a NaN). The metric is the
 * last validation loss (the last training loss when there is no validation split); an early-stopped trial's
 * metric is its last finite loss, at least 3x the initial one, so it ranks below every healthy trial.
 */
export async function trainTrial(options: TrainTrialOptions): Promise<TrialResult> {
  const { Trainer } = await import('../train')
  const early = new EarlyStop({ factor: options.earlyStopFactor ?? 3 })
  let trainer: InstanceType<typeof Trainer> | null = null
  let lastLoss = NaN
  let valLoss: number | null = null
  let valAcc: number | null = null
  let trainLoss: number | null = null
  let steps = 0
  trainer = new Trainer({
    model: options.model,
    data: options.data,
    config: options.config,
    pipeline: options.pipeline ?? null,
    checkpoints: false,
    sink: {
      post(m) {
        options.onMessage?.(m)
        if (m.type === 'step') {
          steps = m.step
          if (Number.isFinite(m.loss)) lastLoss = m.loss
          if (early.observe(m.loss, m.step) || options.shouldStop?.() === true) trainer?.stop(early.stopped ? 'early stop: loss > 3x the initial loss' : 'stopped')
        } else if (m.type === 'epoch') {
          valLoss = m.valLoss
          valAcc = m.valAcc
          trainLoss = m.trainLoss
        }
      },
    },
  })
  try {
    const out = await trainer.run()
    const extra = { steps, trainLoss, valLoss, valAcc, initialLoss: early.initialLoss }
    if (early.stopped || out.status === 'failed') {
      const initial = early.initialLoss ?? lastLoss
      const metric = Math.max(Number.isFinite(lastLoss) ? lastLoss : Infinity, 3 * initial)
      return { metric, status: 'early-stopped', extra, note: early.stopped ? `stopped at step ${early.stoppedAt}: loss > ${early.factor}x the initial ${fmt(initial)}` : out.reason }
    }
    if (out.status === 'stopped') return { metric: valLoss ?? trainLoss ?? lastLoss, status: 'early-stopped', extra, note: out.reason }
    return { metric: valLoss ?? trainLoss ?? lastLoss, status: 'done', extra }
  } finally {
    trainer.dispose()
  }
}
