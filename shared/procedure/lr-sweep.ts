/**
 * Finding a learning rate (step 3 of the lectures' procedure).
 *
 * `lrSweep`: short runs (default 100 iterations) at 1e-1, 1e-2, 1e-3, 1e-4, 1e-5 with a small weight decay
 * (1e-4), every run from the SAME initial weights (the model is restored to them afterwards), on the inputs the
 * real run trains on (its pipeline, augmentation included, at (seed, step)). The initial loss every curve is
 * compared with is the first step's data loss before its update: training mode, the same batch and inputs, like
 * every point of the curves. Each curve is classified by `classifyLossCurve`:
 *   - 'exploded':   a NaN/infinite loss, or a loss above `explodeFactor` (3) x the initial loss (the lecture's
 *                   early-stop rule); the run is stopped there.
 *   - 'flat':       relative decrease (initial - mean of the last 10%) / initial below `flatThreshold` (0.1):
 *                   the rate is too low (or far too high and stuck).
 *   - 'decreasing': anything else. `unstable` is set when the end of the curve is well above its best
 *                   (tail mean > 1.5 x the minimum after smoothing) - a decrease that is coming undone.
 * Each run also gets a verdict relative to the others: a 'flat' rate ABOVE a rate that decreased is 'too-high'
 * (stuck: e.g. ReLUs killed by the first huge updates), below every decreasing rate 'too-low'.
 * The recommendation is the 'decreasing', stable rate with the largest relative decrease; with none stable, the
 * best 'decreasing' one; with none decreasing, none (the explanation says whether to go lower or higher).
 *
 * `lrRangeTest`: one pass with the LR raised exponentially from `minLr` to `maxLr` every step (Smith's LR range
 * test). The loss is smoothed (EMA, beta 0.9, bias-corrected); the test stops when the smoothed loss exceeds 4x
 * its best or is not finite. Recommended: the LR where the smoothed loss falls fastest per decade of LR (the
 * steepest negative slope over windows of 1/8 of the points, centre of the window), searched after the first
 * 10% of the points and only before the minimum of the smoothed loss (before it blows up), and below the lowest
 * rate a sweep found too high when one ran (`rangeTestAdvice`, `sweepTooHigh`).
 */
import type * as tf from '@tensorflow/tfjs'
import type { AugmentPipeline } from '../augment'
import type { DataSource, OptimizerSpecInput } from '../train'
import { firstStepLoss, fmt, headMean, restoreWeights, runSteps, snapshotWeights, tailMean } from './steps'
import type { StepPoint } from './steps'

export type CurveClass = 'exploded' | 'flat' | 'decreasing'

export interface CurveClassification {
  readonly kind: CurveClass
  /** (initial - tail mean) / initial; negative when the loss rose. */
  readonly relativeDecrease: number
  readonly unstable: boolean
  readonly reason: string
}

export interface ClassifyOptions {
  /** Loss above factor x initial = exploded (default 3). */
  readonly explodeFactor?: number
  /** Relative decrease below this = flat (default 0.1). */
  readonly flatThreshold?: number
}

/** Classifies one loss curve against its initial loss (see the module header for the rules). */
export function classifyLossCurve(losses: readonly number[], initial: number, options: ClassifyOptions = {}): CurveClassification {
  const factor = options.explodeFactor ?? 3
  const flat = options.flatThreshold ?? 0.1
  if (losses.length === 0) return { kind: 'flat', relativeDecrease: 0, unstable: false, reason: 'no iterations ran' }
  const nonFinite = losses.findIndex((l) => !Number.isFinite(l))
  if (nonFinite >= 0) return { kind: 'exploded', relativeDecrease: -Infinity, unstable: true, reason: `loss became ${String(losses[nonFinite])} at iteration ${nonFinite + 1}` }
  const over = losses.findIndex((l) => l > factor * initial)
  if (over >= 0) {
    return { kind: 'exploded', relativeDecrease: (initial - (losses[over] as number)) / initial, unstable: true, reason: `loss ${fmt(losses[over] as number)} > ${factor}x the initial ${fmt(initial)} at iteration ${over + 1}` }
  }
  const end = tailMean(losses, 0.1)
  const rel = (initial - end) / initial
  // Smoothed minimum (5-point moving mean) to judge instability.
  const w = Math.min(5, losses.length)
  let best = Infinity
  for (let i = 0; i + w <= losses.length; i++) best = Math.min(best, headMean(losses.slice(i, i + w), w))
  const unstable = end > 1.5 * best && rel < 0.5
  if (rel < flat) {
    return { kind: 'flat', relativeDecrease: rel, unstable, reason: `loss went from ${fmt(initial)} to ${fmt(end)} (${fmt(rel * 100)}% decrease < ${fmt(flat * 100)}%)` }
  }
  return {
    kind: 'decreasing',
    relativeDecrease: rel,
    unstable,
    reason: `loss went from ${fmt(initial)} to ${fmt(end)} (${fmt(rel * 100)}% decrease)${unstable ? `, but ends well above its best ${fmt(best)}` : ''}`,
  }
}

export interface LrSweepOptions {
  /** Default [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]. */
  readonly rates?: readonly number[]
  /** Iterations per rate (default 100). */
  readonly iterations?: number
  /** Default 1e-4. */
  readonly weightDecay?: number
  readonly batchSize?: number
  /** Default SGD with momentum 0.9. */
  readonly optimizer?: OptimizerSpecInput
  readonly seed?: number | string
  /** The run's pipeline, applied as the Trainer applies it (augmentation and normalize). */
  readonly pipeline?: AugmentPipeline | null
  readonly classify?: ClassifyOptions
  readonly shouldStop?: () => boolean
  readonly onProgress?: (rate: number, iteration: number, loss: number) => void
}

export interface LrSweepRun {
  readonly lr: number
  readonly curve: StepPoint[]
  readonly classification: CurveClassification
  /**
   * In words relative to the others: 'too-high' (exploded, or flat at a rate above one that decreased: stuck,
   * e.g. dead ReLUs), 'too-low' (flat below every decreasing rate), 'unstable', 'good', 'recommended'.
   */
  readonly verdict: 'too-high' | 'too-low' | 'unstable' | 'good' | 'recommended'
}

export interface LrSweepResult {
  /** Data loss of the first step before its update (training mode, the curves' first batch and inputs). */
  readonly initialLoss: number
  readonly runs: LrSweepRun[]
  /** Null when no rate decreased the loss. */
  readonly recommended: number | null
  readonly explanation: string
}

/**
 * Runs the sweep. The model's weights are restored to their initial values before every rate and at the end.
 */
export async function lrSweep(model: tf.LayersModel, data: DataSource, options: LrSweepOptions = {}): Promise<LrSweepResult> {
  const rates = [...(options.rates ?? [1e-1, 1e-2, 1e-3, 1e-4, 1e-5])]
  const iterations = options.iterations ?? 100
  const weightDecay = options.weightDecay ?? 1e-4
  const batchSize = options.batchSize ?? 32
  const optimizer = options.optimizer ?? { type: 'sgd' as const, momentum: 0.9 }
  const factor = options.classify?.explodeFactor ?? 3
  const seed = options.seed ?? 0
  const pipeline = options.pipeline ?? null
  const snap = snapshotWeights(model)
  const runs: LrSweepRun[] = []
  let initial = NaN
  try {
    // The weights (BatchNorm's moving statistics too) are restored before the first rate.
    initial = await firstStepLoss(model, data, { batchSize, seed, pipeline })
    for (const lr of rates) {
      if (options.shouldStop?.() === true) break
      restoreWeights(model, snap)
      const r = await runSteps(model, data, {
        steps: iterations,
        batchSize,
        lr,
        optimizer,
        weightDecay,
        seed,
        pipeline,
        onStep: (s, loss) => {
          options.onProgress?.(lr, s + 1, loss)
          return loss > factor * initial
        },
      })
      const losses = r.points.map((p) => p.dataLoss)
      runs.push({ lr, curve: r.points, classification: classifyLossCurve(losses, initial, options.classify), verdict: 'good' })
    }
  } finally {
    restoreWeights(model, snap)
    snap.dispose()
  }
  const { recommended, explanation } = recommend(runs, initial, iterations)
  const lowestDecreasing = Math.min(...runs.filter((r) => r.classification.kind === 'decreasing').map((r) => r.lr))
  const withVerdicts = runs.map((r): LrSweepRun => {
    const k = r.classification.kind
    const verdict: LrSweepRun['verdict'] =
      r.lr === recommended
        ? 'recommended'
        : k === 'exploded' || (k === 'flat' && r.lr > lowestDecreasing)
          ? 'too-high'
          : k === 'flat'
            ? 'too-low'
            : r.classification.unstable
              ? 'unstable'
              : 'good'
    return { ...r, verdict }
  })
  return { initialLoss: initial, runs: withVerdicts, recommended, explanation }
}

function recommend(runs: readonly LrSweepRun[], initial: number, iterations: number): { recommended: number | null; explanation: string } {
  const list = (kind: CurveClass) => runs.filter((r) => r.classification.kind === kind).map((r) => fmt(r.lr))
  const exploded = list('exploded')
  const lowestDecreasing = Math.min(...runs.filter((r) => r.classification.kind === 'decreasing').map((r) => r.lr))
  const flatRuns = runs.filter((r) => r.classification.kind === 'flat')
  const stuck = flatRuns.filter((r) => r.lr > lowestDecreasing).map((r) => fmt(r.lr))
  const flat = flatRuns.filter((r) => !(r.lr > lowestDecreasing)).map((r) => fmt(r.lr))
  const decreasing = runs.filter((r) => r.classification.kind === 'decreasing')
  const stable = decreasing.filter((r) => !r.classification.unstable)
  const pool = stable.length ? stable : decreasing
  const parts: string[] = []
  if (exploded.length) parts.push(`${exploded.join(', ')} exploded (NaN or loss > 3x the initial ${fmt(initial)}): too high`)
  if (stuck.length) parts.push(`${stuck.join(', ')} stayed flat although a lower rate decreased: too high (stuck, e.g. dead ReLUs)`)
  if (flat.length) parts.push(`${flat.join(', ')} stayed flat: too low`)
  const unstable = decreasing.filter((r) => r.classification.unstable).map((r) => fmt(r.lr))
  if (unstable.length) parts.push(`${unstable.join(', ')} decreased but ended well above their best (unstable)`)
  if (pool.length === 0) {
    const maxFlat = Math.max(...runs.filter((r) => r.classification.kind === 'flat').map((r) => r.lr))
    const minExp = Math.min(...runs.filter((r) => r.classification.kind === 'exploded').map((r) => r.lr))
    const hint =
      Number.isFinite(maxFlat) && Number.isFinite(minExp) && maxFlat < minExp
        ? `try rates between ${fmt(maxFlat)} and ${fmt(minExp)}`
        : exploded.length === runs.length
          ? 'every rate exploded: try lower rates, and check the initialization and input normalization'
          : 'no rate made the loss drop: try higher rates or more iterations, and check that gradients reach the weights'
    return { recommended: null, explanation: `No rate made the loss drop clearly within ${iterations} iterations. ${parts.join('; ')}. ${hint}.` }
  }
  const best = pool.reduce((a, b) => (b.classification.relativeDecrease > a.classification.relativeDecrease ? b : a))
  const why = `${fmt(best.lr)} gives the clearest stable decrease within ${iterations} iterations (${best.classification.reason})`
  return { recommended: best.lr, explanation: `${why}.${parts.length ? ` ${parts.join('; ')}.` : ''}` }
}

export interface RangeTestOptions {
  /** Default 1e-6. */
  readonly minLr?: number
  /** Default 1. */
  readonly maxLr?: number
  /** Steps (default: one pass over the training split). */
  readonly steps?: number
  readonly batchSize?: number
  readonly weightDecay?: number
  readonly optimizer?: OptimizerSpecInput
  readonly seed?: number | string
  /** The run's pipeline, applied as the Trainer applies it (augmentation and normalize). */
  readonly pipeline?: AugmentPipeline | null
  /** Stop when the smoothed loss exceeds this x its best (default 4). */
  readonly divergeFactor?: number
  /** The lowest rate a sweep found too high (`sweepTooHigh`): the advice stays below it. */
  readonly tooHigh?: number | null
  readonly shouldStop?: () => boolean
}

export interface RangeTestResult {
  readonly points: { lr: number; loss: number; smoothed: number }[]
  /** Null when the loss never fell. */
  readonly recommended: number | null
  /** LR at the smoothed minimum. */
  readonly lrAtMinimum: number | null
  readonly diverged: boolean
  readonly explanation: string
}

/** The lowest rate a sweep found too high (exploded, or stuck flat above a rate that decreased); null if none. */
export function sweepTooHigh(runs: readonly Pick<LrSweepRun, 'lr' | 'verdict'>[]): number | null {
  const high = runs.filter((r) => r.verdict === 'too-high').map((r) => r.lr)
  return high.length ? Math.min(...high) : null
}

export interface RangeTestAdvice {
  /** Null when the loss never fell (below `tooHigh`). */
  readonly recommended: number | null
  /** LR at the smoothed minimum. */
  readonly lrAtMinimum: number | null
  readonly explanation: string
}

/**
 * What the range test's curve advises (the one place: the worker, the CLI and the card after a sweep call it):
 * the rate where the smoothed loss falls fastest per decade (windows of 1/8 of the points, after the first 10%;
 * a window must fall by 1% of the starting loss at least),
 * searched only below the minimum of the smoothed loss (rates near the minimum are already too high to train
 * with) and below `tooHigh`, the lowest rate a sweep found too high, so the advice never names a rate the sweep
 * saw diverge.
 */
export function rangeTestAdvice(points: readonly { lr: number; smoothed: number }[], options: { diverged?: boolean; tooHigh?: number | null } = {}): RangeTestAdvice {
  const finite = points.filter((p) => Number.isFinite(p.smoothed) && p.lr > 0)
  if (finite.length < 3) return { recommended: null, lrAtMinimum: null, explanation: 'Too few finite points: lower the start rate or check the model.' }
  const minLr = (finite[0] as { lr: number }).lr
  const maxLr = (finite[finite.length - 1] as { lr: number }).lr
  const tooHigh = options.tooHigh ?? null
  let iMin = 0
  finite.forEach((p, i) => {
    if (p.smoothed < (finite[iMin] as { smoothed: number }).smoothed) iMin = i
  })
  const lrAtMinimum = (finite[iMin] as { lr: number }).lr
  // Slope per decade over a window of k points (single-step differences are batch noise), skipping the first
  // 10% of the points (the smoothing is still warming up there) and ending at the minimum and below `tooHigh`.
  const k = Math.max(2, Math.round(finite.length / 8))
  const skip = Math.floor(finite.length / 10)
  // A window counts when the loss falls there by 1% of its starting value at least (not batch noise on a flat curve).
  const clearly = 0.01 * Math.abs((finite[skip] as { smoothed: number }).smoothed)
  let steepest = -1
  let slope = 0
  for (let i = skip; i + k <= iMin; i++) {
    const a = finite[i] as { lr: number; smoothed: number }
    const b = finite[i + k] as { lr: number; smoothed: number }
    if (tooHigh !== null && b.lr >= tooHigh) break
    const d = (b.smoothed - a.smoothed) / (Math.log10(b.lr) - Math.log10(a.lr))
    if (d < slope && a.smoothed - b.smoothed >= clearly) {
      slope = d
      steepest = i + Math.floor(k / 2)
    }
  }
  const minimum = `The smoothed loss is lowest at ${fmt(lrAtMinimum)}${options.diverged === true ? ', after which it blows up' : ''}`
  const capped = tooHigh !== null && tooHigh <= lrAtMinimum ? ` The sweep found ${fmt(tooHigh)} too high, so only rates below it count.` : ''
  if (steepest < 0) {
    const where = tooHigh !== null && tooHigh <= maxLr ? `between ${fmt(minLr)} and ${fmt(Math.min(maxLr, tooHigh))} (the sweep found ${fmt(tooHigh)} too high)` : `between ${fmt(minLr)} and ${fmt(maxLr)}`
    return { recommended: null, lrAtMinimum, explanation: `The loss never fell clearly ${where}. ${minimum}.` }
  }
  const rec = (finite[steepest] as { lr: number }).lr
  return {
    recommended: rec,
    lrAtMinimum,
    explanation: `The smoothed loss falls fastest at lr ${fmt(rec)} (${fmt(-slope)} per decade). ${minimum}; rates near the minimum are already too high to train with.${capped} Use about ${fmt(rec)}.`,
  }
}

/** The continuous LR range test (see the module header). Restores the model's initial weights afterwards. */
export async function lrRangeTest(model: tf.LayersModel, data: DataSource, options: RangeTestOptions = {}): Promise<RangeTestResult> {
  const minLr = options.minLr ?? 1e-6
  const maxLr = options.maxLr ?? 1
  const batchSize = options.batchSize ?? 32
  const steps = options.steps ?? Math.max(2, Math.ceil(data.count('train') / batchSize))
  const factor = options.divergeFactor ?? 4
  const lrAt = (s: number) => minLr * Math.pow(maxLr / minLr, s / Math.max(1, steps - 1))
  const beta = 0.9
  let avg = 0
  let best = Infinity
  const points: RangeTestResult['points'] = []
  const snap = snapshotWeights(model)
  let diverged = false
  try {
    const r = await runSteps(model, data, {
      steps,
      batchSize,
      lr: lrAt,
      optimizer: options.optimizer ?? { type: 'sgd', momentum: 0.9 },
      weightDecay: options.weightDecay ?? 0,
      seed: options.seed ?? 0,
      pipeline: options.pipeline ?? null,
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      onStep: (s, loss, lr) => {
        avg = beta * avg + (1 - beta) * loss
        const smoothed = avg / (1 - Math.pow(beta, s + 1))
        points.push({ lr, loss, smoothed })
        best = Math.min(best, smoothed)
        if (s > 0 && smoothed > factor * best) {
          diverged = true
          return true
        }
        return false
      },
    })
    if (r.status === 'diverged') {
      diverged = true
      const p = r.points[r.points.length - 1]
      if (p) points.push({ lr: p.lr, loss: p.loss, smoothed: NaN })
    }
  } finally {
    restoreWeights(model, snap)
    snap.dispose()
  }
  return { points, diverged, ...rangeTestAdvice(points, { diverged, tooHigh: options.tooHigh ?? null }) }
}
