/**
 * Curve diagnosis: pure rules over recorded curves (step 6 of the lectures' procedure, "look at loss and
 * accuracy curves"). Input: per-epoch train/val loss and accuracy, and optionally the per-step training loss.
 * Every finding names the series and the epoch/step range to highlight on a chart.
 *
 * Rules and thresholds (all overridable through `DiagnoseThresholds`):
 *
 * - `lr-too-high-explosion` (error): a step or epoch loss is NaN/infinite, or a step loss exceeds 3x the first
 *   step's loss (the lectures' early-stop rule). Evidence: from the first bad point to the end.
 * - `lr-too-high-plateau` (warning): the loss fell quickly early and then stayed high: needs the step loss (at
 *   least 8 steps; with epoch points only, a high flat curve reads as underfitting instead), the last 75% of
 *   the smoothed curve improves by < 5% of its level while that level is still > 50% of the initial loss.
 *   Evidence: the plateau.
 * - `lr-too-low` (warning): a slow, nearly linear decrease: the training-loss curve (smoothed steps, or epochs)
 *   fits a straight line with R^2 >= 0.95 and a negative slope, its first half falls less than 1.6x as much
 *   as its second half (a healthy curve is convex: most of the drop comes early), and it is still above 50% of
 *   the initial loss at the end. Evidence: the whole training-loss curve.
 * - `overfitting` (warning): validation is available and the train/val gap is large and growing: accuracy gap
 *   train - val > 0.10 at the end (or, without accuracy, val loss > 1.3x train loss), AND the gap grew by more
 *   than 0.05 (loss: 20% of train loss) since the first epoch of the last half, OR the validation loss rose
 *   > 10% above its minimum while the training loss kept falling. Advice: more regularization (weight decay,
 *   dropout) or augmentation, more data. Evidence: valLoss/valAcc from the epoch of the validation-loss
 *   minimum (or the half-way epoch) to the end.
 * - `underfitting` (warning): no gap (|train acc - val acc| <= 0.03, or val loss within 10% of train loss) and
 *   both poor: final training accuracy < 0.70 (option `poorAccuracy`), or without accuracy a final training loss
 *   > 50% of the initial loss, while the curve has flattened (last-third improvement < 5%). Advice: a bigger model,
 *   or train longer / a higher LR. Evidence: trainAcc and valAcc (or losses) over all epochs.
 * - `noisy` (info, warning above twice the threshold): high step-to-step variance of the step loss: the
 *   standard deviation of (loss - its 11-step centered moving median) divided by the mean loss level > 0.25,
 *   over at least 30 steps. Advice: a larger batch (or a lower LR). Evidence: the whole step-loss series.
 * - `val-still-rising` (info): validation accuracy improved by more than 0.5 percentage points per epoch over
 *   the last 3 epochs (and the run is not overfitting). Advice: train longer. Evidence: the last 3 epochs of
 *   valAcc.
 *
 * Initial loss: the first step loss when steps are given, else `initialLoss` (e.g. ln C), else the first
 * epoch's training loss.
 */
import { fmt } from './steps'

export interface EpochPoint {
  /** 1-based. */
  readonly epoch: number
  readonly trainLoss: number
  readonly trainAcc?: number | null
  readonly valLoss?: number | null
  readonly valAcc?: number | null
}

export interface CurveSet {
  readonly epochs: readonly EpochPoint[]
  /** Per-step training loss (1-based steps). */
  readonly steps?: readonly { step: number; loss: number }[]
  /** Loss before training (ln C), used when no steps are given. */
  readonly initialLoss?: number
}

export type Series = 'trainLoss' | 'valLoss' | 'trainAcc' | 'valAcc' | 'stepLoss'

export interface Evidence {
  readonly series: Series
  /** Epochs (1-based) for epoch series, steps for stepLoss; inclusive. */
  readonly from: number
  readonly to: number
  readonly unit: 'epoch' | 'step'
}

export type FindingId = 'lr-too-high-explosion' | 'lr-too-high-plateau' | 'lr-too-low' | 'overfitting' | 'underfitting' | 'noisy' | 'val-still-rising'

export interface Finding {
  readonly id: FindingId
  readonly title: string
  readonly explanation: string
  readonly advice: string
  readonly severity: 'info' | 'warning' | 'error'
  readonly evidence: Evidence[]
}

export interface DiagnoseThresholds {
  readonly explodeFactor: number
  readonly plateauImprovement: number
  readonly plateauLevel: number
  readonly linearR2: number
  readonly convexRatio: number
  readonly stillHighLevel: number
  readonly gapAcc: number
  readonly gapGrowthAcc: number
  readonly gapLossRatio: number
  readonly valLossRise: number
  readonly noGapAcc: number
  readonly poorAccuracy: number
  readonly noiseCv: number
  readonly risingPerEpoch: number
}

export const DEFAULT_THRESHOLDS: DiagnoseThresholds = {
  explodeFactor: 3,
  plateauImprovement: 0.05,
  plateauLevel: 0.5,
  linearR2: 0.95,
  convexRatio: 1.6,
  stillHighLevel: 0.5,
  gapAcc: 0.1,
  gapGrowthAcc: 0.05,
  gapLossRatio: 1.3,
  valLossRise: 0.1,
  noGapAcc: 0.03,
  poorAccuracy: 0.7,
  noiseCv: 0.25,
  risingPerEpoch: 0.005,
}

const isNum = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)

function movingMedian(xs: readonly number[], half: number): number[] {
  return xs.map((_, i) => {
    const w = xs.slice(Math.max(0, i - half), i + half + 1).slice().sort((a, b) => a - b)
    return w[Math.floor(w.length / 2)] as number
  })
}

function linearFit(ys: readonly number[]): { slope: number; r2: number } {
  const n = ys.length
  const xm = (n - 1) / 2
  const ym = ys.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  ys.forEach((y, i) => {
    sxy += (i - xm) * (y - ym)
    sxx += (i - xm) ** 2
    syy += (y - ym) ** 2
  })
  const slope = sxx > 0 ? sxy / sxx : 0
  const r2 = syy > 0 && sxx > 0 ? (sxy * sxy) / (sxx * syy) : 0
  return { slope, r2 }
}

/** Training-loss series for shape rules: smoothed step losses (when >= 8 steps) or epoch losses. */
function lossSeries(c: CurveSet): { values: number[]; xs: number[]; unit: 'step' | 'epoch'; series: Series } {
  const steps = (c.steps ?? []).filter((s) => Number.isFinite(s.loss))
  if (steps.length >= 8) {
    const med = movingMedian(
      steps.map((s) => s.loss),
      Math.max(1, Math.min(5, Math.floor(steps.length / 20))),
    )
    return { values: med, xs: steps.map((s) => s.step), unit: 'step', series: 'stepLoss' }
  }
  const ep = c.epochs.filter((e) => isNum(e.trainLoss))
  return { values: ep.map((e) => e.trainLoss), xs: ep.map((e) => e.epoch), unit: 'epoch', series: 'trainLoss' }
}

/** Runs every rule; findings are ordered by severity (error, warning, info). */
export function diagnoseCurves(curves: CurveSet, thresholds: Partial<DiagnoseThresholds> = {}): Finding[] {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds }
  const out: Finding[] = []
  const epochs = curves.epochs
  const steps = curves.steps ?? []
  const initial = steps.length && isNum(steps[0]?.loss) ? (steps[0] as { loss: number }).loss : (curves.initialLoss ?? epochs[0]?.trainLoss ?? NaN)
  const lastEpoch = epochs[epochs.length - 1]?.epoch ?? 0
  const firstEpoch = epochs[0]?.epoch ?? 1

  // 1. Explosion.
  const badStep = steps.findIndex((s, i) => !Number.isFinite(s.loss) || (i > 0 && isNum(initial) && s.loss > t.explodeFactor * initial))
  const badEpoch = epochs.findIndex((e) => !Number.isFinite(e.trainLoss) || (e.valLoss !== undefined && e.valLoss !== null && !Number.isFinite(e.valLoss)))
  if (badStep >= 0 || badEpoch >= 0) {
    const ev: Evidence[] = []
    if (badStep >= 0) {
      const s = steps[badStep] as { step: number; loss: number }
      ev.push({ series: 'stepLoss', from: s.step, to: steps[steps.length - 1]?.step ?? s.step, unit: 'step' })
    }
    if (badEpoch >= 0) ev.push({ series: 'trainLoss', from: (epochs[badEpoch] as EpochPoint).epoch, to: lastEpoch, unit: 'epoch' })
    const what =
      badStep >= 0
        ? Number.isFinite((steps[badStep] as { loss: number }).loss)
          ? `the step loss reached ${fmt((steps[badStep] as { loss: number }).loss)}, more than ${t.explodeFactor}x the initial ${fmt(initial)}, at step ${(steps[badStep] as { step: number }).step}`
          : `the loss became ${String((steps[badStep] as { loss: number }).loss)} at step ${(steps[badStep] as { step: number }).step}`
        : `the loss became non-finite in epoch ${(epochs[badEpoch] as EpochPoint).epoch}`
    out.push({
      id: 'lr-too-high-explosion',
      title: 'Loss exploded: learning rate too high',
      explanation: `The loss blew up: ${what}. An update overshoots when the learning rate is too large for the curvature of the loss.`,
      advice: 'Lower the learning rate (by 3-10x), add warmup or gradient clipping; check the initialization and input normalization.',
      severity: 'error',
      evidence: ev,
    })
  }

  const ls = lossSeries(curves)
  const exploded = out.length > 0
  // 2. Plateau at a high value early.
  if (!exploded && isNum(initial) && ls.unit === 'step') {
    const q = Math.floor(ls.values.length * 0.25)
    const level = ls.values[q] as number
    const end = ls.values[ls.values.length - 1] as number
    const improvement = (level - end) / Math.max(1e-12, level)
    const dropEarly = (initial - level) / initial
    if (improvement < t.plateauImprovement && end > t.plateauLevel * initial && dropEarly > 0.02) {
      out.push({
        id: 'lr-too-high-plateau',
        title: 'Loss plateaued early at a high value',
        explanation: `The training loss fell from ${fmt(initial)} to ${fmt(level)} in the first quarter and then stayed there (${fmt(improvement * 100)}% improvement since; still ${fmt((end / initial) * 100)}% of the initial loss). A learning rate that is too high bounces around a poor region instead of descending into it.`,
        advice: 'Lower the learning rate (or decay it), then re-check; if a lower rate does not help, the model may be too small.',
        severity: 'warning',
        evidence: [{ series: ls.series, from: ls.xs[q] as number, to: ls.xs[ls.xs.length - 1] as number, unit: ls.unit }],
      })
    }
  }

  // 3. LR too low: slow, nearly linear decrease.
  if (!exploded && isNum(initial) && ls.values.length >= 4) {
    const { slope, r2 } = linearFit(ls.values)
    const n = ls.values.length
    const mid = Math.floor(n / 2)
    const first = (ls.values[0] as number) - (ls.values[mid] as number)
    const second = (ls.values[mid] as number) - (ls.values[n - 1] as number)
    const end = ls.values[n - 1] as number
    if (slope < 0 && r2 >= t.linearR2 && second > 0 && first < t.convexRatio * second && end > t.stillHighLevel * initial) {
      out.push({
        id: 'lr-too-low',
        title: 'Slow, nearly linear decrease: learning rate too low',
        explanation: `The training loss goes down almost in a straight line (R^2 ${fmt(r2)}) and is still ${fmt((end / initial) * 100)}% of the initial ${fmt(initial)} at the end. A good rate drops fast first and then flattens; a straight, slow decline means the steps are too small.`,
        advice: 'Raise the learning rate (3-10x) and compare; an LR sweep or range test finds the range quickly.',
        severity: 'warning',
        evidence: [{ series: ls.series, from: ls.xs[0] as number, to: ls.xs[n - 1] as number, unit: ls.unit }],
      })
    }
  }

  // 4/5. Gap rules.
  const withVal = epochs.filter((e) => isNum(e.valLoss) || isNum(e.valAcc))
  let overfit = false
  if (withVal.length >= 2) {
    const hasAcc = withVal.every((e) => isNum(e.trainAcc) && isNum(e.valAcc))
    const gapOf = (e: EpochPoint) => (hasAcc ? (e.trainAcc as number) - (e.valAcc as number) : (e.valLoss as number) / Math.max(1e-12, e.trainLoss))
    const last = withVal[withVal.length - 1] as EpochPoint
    const halfIdx = Math.floor((withVal.length - 1) / 2)
    const half = withVal[halfIdx] as EpochPoint
    const gapEnd = gapOf(last)
    const gapHalf = gapOf(half)
    const large = hasAcc ? gapEnd > t.gapAcc : gapEnd > t.gapLossRatio
    const growing = hasAcc ? gapEnd - gapHalf > t.gapGrowthAcc : gapEnd - gapHalf > 0.2
    // Validation loss rising from its minimum while the training loss falls.
    const vl = withVal.filter((e) => isNum(e.valLoss))
    let minIdx = -1
    vl.forEach((e, i) => {
      if (minIdx < 0 || (e.valLoss as number) < ((vl[minIdx] as EpochPoint).valLoss as number)) minIdx = i
    })
    const vMin = minIdx >= 0 ? (vl[minIdx] as EpochPoint) : null
    const vEnd = vl[vl.length - 1]
    const valRising = vMin !== null && vEnd !== undefined && minIdx < vl.length - 1 && (vEnd.valLoss as number) > (1 + t.valLossRise) * (vMin.valLoss as number) && vEnd.trainLoss < vMin.trainLoss
    if (large && (growing || valRising)) {
      overfit = true
      const from = valRising && vMin ? vMin.epoch : half.epoch
      out.push({
        id: 'overfitting',
        title: 'Overfitting: large and growing train/validation gap',
        explanation: hasAcc
          ? `Training accuracy ${fmt((last.trainAcc as number) * 100)}% vs validation ${fmt((last.valAcc as number) * 100)}% at epoch ${last.epoch}: a gap of ${fmt(gapEnd * 100)} points, up from ${fmt(gapHalf * 100)} at epoch ${half.epoch}${valRising && vMin ? `; the validation loss is rising again since epoch ${vMin.epoch}` : ''}. The model memorizes the training set instead of generalizing.`
          : `The validation loss is ${fmt(gapEnd)}x the training loss at epoch ${last.epoch}${valRising && vMin ? ` and has risen since its minimum at epoch ${vMin.epoch}` : ''}. The model memorizes the training set instead of generalizing.`,
        advice: 'Increase regularization (weight decay, dropout), add data augmentation or more data; or stop at the best validation epoch.',
        severity: 'warning',
        evidence: [
          { series: 'valLoss', from, to: last.epoch, unit: 'epoch' },
          ...(hasAcc ? [{ series: 'valAcc' as const, from, to: last.epoch, unit: 'epoch' as const }, { series: 'trainAcc' as const, from, to: last.epoch, unit: 'epoch' as const }] : []),
        ],
      })
    }
    const noGap = hasAcc ? Math.abs(gapEnd) <= t.noGapAcc : Math.abs(gapEnd - 1) <= 0.1
    const lastTrainAcc = last.trainAcc
    const poor = isNum(lastTrainAcc) ? lastTrainAcc < t.poorAccuracy : isNum(initial) && last.trainLoss > 0.5 * initial
    const third = withVal[Math.floor((withVal.length * 2) / 3)] as EpochPoint
    const flattened = (third.trainLoss - last.trainLoss) / Math.max(1e-12, third.trainLoss) < t.plateauImprovement
    if (!overfit && !exploded && noGap && poor && flattened) {
      out.push({
        id: 'underfitting',
        title: 'Underfitting: no gap, both poor',
        explanation: isNum(lastTrainAcc)
          ? `Training accuracy ${fmt(lastTrainAcc * 100)}% and validation ${fmt(((last.valAcc as number) ?? NaN) * 100)}% are close and both low, and the training loss has flattened: the model cannot even fit the training set.`
          : `Training and validation loss are close and both high (${fmt(last.trainLoss)} vs ${fmt(last.valLoss as number)}), and the training loss has flattened.`,
        advice: 'Use a bigger model (wider or deeper), train longer or with a higher learning rate; reduce regularization.',
        severity: 'warning',
        evidence: hasAcc
          ? [
              { series: 'trainAcc', from: firstEpoch, to: last.epoch, unit: 'epoch' },
              { series: 'valAcc', from: firstEpoch, to: last.epoch, unit: 'epoch' },
            ]
          : [
              { series: 'trainLoss', from: firstEpoch, to: last.epoch, unit: 'epoch' },
              { series: 'valLoss', from: firstEpoch, to: last.epoch, unit: 'epoch' },
            ],
      })
    }
  }

  // 6. Noisy step loss.
  const finiteSteps = steps.filter((s) => Number.isFinite(s.loss))
  if (!exploded && finiteSteps.length >= 30) {
    const xs = finiteSteps.map((s) => s.loss)
    const med = movingMedian(xs, 5)
    const res = xs.map((x, i) => x - (med[i] as number))
    const mean = med.reduce((a, b) => a + b, 0) / med.length
    const sd = Math.sqrt(res.reduce((a, b) => a + b * b, 0) / res.length)
    const cv = sd / Math.max(1e-12, mean)
    if (cv > t.noiseCv) {
      out.push({
        id: 'noisy',
        title: 'Noisy loss: high step-to-step variance',
        explanation: `The step loss jumps around its trend by ${fmt(cv * 100)}% of its level on average (threshold ${fmt(t.noiseCv * 100)}%). Each batch's gradient is a noisy estimate; small batches make it noisier.`,
        advice: 'Use a larger batch (or a lower learning rate); look at the smoothed curve before judging the trend.',
        severity: cv > 2 * t.noiseCv ? 'warning' : 'info',
        evidence: [{ series: 'stepLoss', from: (finiteSteps[0] as { step: number }).step, to: (finiteSteps[finiteSteps.length - 1] as { step: number }).step, unit: 'step' }],
      })
    }
  }

  // 7. Validation accuracy still rising.
  const va = epochs.filter((e) => isNum(e.valAcc))
  if (!exploded && !overfit && va.length >= 4) {
    const tail = va.slice(-4)
    const perEpoch = (((tail[3] as EpochPoint).valAcc as number) - ((tail[0] as EpochPoint).valAcc as number)) / 3
    const monotone = tail.every((e, i) => i === 0 || (e.valAcc as number) >= ((tail[i - 1] as EpochPoint).valAcc as number) - 0.002)
    if (perEpoch > t.risingPerEpoch && monotone) {
      out.push({
        id: 'val-still-rising',
        title: 'Validation accuracy still rising',
        explanation: `Validation accuracy went up by ${fmt(perEpoch * 100)} points per epoch over the last 3 epochs (to ${fmt(((tail[3] as EpochPoint).valAcc as number) * 100)}%) and has not levelled off.`,
        advice: 'Train longer (more epochs) before changing anything else.',
        severity: 'info',
        evidence: [{ series: 'valAcc', from: (tail[1] as EpochPoint).epoch, to: (tail[3] as EpochPoint).epoch, unit: 'epoch' }],
      })
    }
  }

  const rank = { error: 0, warning: 1, info: 2 }
  return out.sort((a, b) => rank[a.severity] - rank[b.severity])
}
