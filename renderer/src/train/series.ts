/** Chart data for a run, built from live messages or from the stored metrics (api().runs.metrics). */
import type { MetricSeries } from '@shared/api'
import { METRIC } from '@shared/train/metrics'

/** The recorded metric names: one home in shared/train/metrics.ts. */
export { EPOCH_METRICS, METRIC, STEP_METRICS } from '@shared/train/metrics'

export interface StepSeries {
  readonly step: number[]
  readonly loss: number[]
  readonly acc: number[]
  readonly lr: number[]
  readonly ips: number[]
}

export interface EpochRow {
  readonly epoch: number
  readonly step: number
  readonly trainLoss: number
  readonly trainAcc: number
  readonly valLoss: number | null
  readonly valAcc: number | null
}

export const emptySteps = (): StepSeries => ({ step: [], loss: [], acc: [], lr: [], ips: [] })

/**
 * Step and epoch series from stored metrics (steps keyed by the loss series; others looked up by step), and
 * `stepEpoch`, the epoch of the last step (1-based, as the live view counts: a run stopped in its first epoch is
 * in epoch 1 although no epoch finished; 0 without steps).
 */
export function seriesFromMetrics(metrics: Record<string, MetricSeries>): { steps: StepSeries; epochs: EpochRow[]; stepEpoch: number } {
  const at = (name: string) => {
    const s = metrics[name]
    const m = new Map<number, number>()
    if (s) for (let i = 0; i < s.step.length; i++) m.set(s.step[i] as number, s.value[i] as number)
    return m
  }
  const loss = metrics[METRIC.loss]
  const acc = at(METRIC.acc)
  const lr = at(METRIC.lr)
  const ips = at(METRIC.ips)
  const steps = emptySteps()
  if (loss) {
    for (let i = 0; i < loss.step.length; i++) {
      const s = loss.step[i] as number
      steps.step.push(s)
      steps.loss.push(loss.value[i] as number)
      steps.acc.push(acc.get(s) ?? NaN)
      steps.lr.push(lr.get(s) ?? NaN)
      steps.ips.push(ips.get(s) ?? NaN)
    }
  }
  const trainLoss = metrics[METRIC.epochTrainLoss]
  const trainAcc = at(METRIC.epochTrainAcc)
  const valLoss = at(METRIC.valLoss)
  const valAcc = at(METRIC.valAcc)
  const epochs: EpochRow[] = []
  if (trainLoss) {
    for (let i = 0; i < trainLoss.step.length; i++) {
      const s = trainLoss.step[i] as number
      epochs.push({
        epoch: trainLoss.epoch[i] as number,
        step: s,
        trainLoss: trainLoss.value[i] as number,
        trainAcc: trainAcc.get(s) ?? NaN,
        valLoss: valLoss.get(s) ?? null,
        valAcc: valAcc.get(s) ?? null,
      })
    }
  }
  return { steps, epochs, stepEpoch: loss?.epoch[loss.epoch.length - 1] ?? 0 }
}

/**
 * Exponential moving average with bias correction (TensorBoard-style smoothing): the first value is not pulled
 * towards zero.
 */
export function smooth(values: readonly number[], weight = 0.9): number[] {
  const out: number[] = []
  let last = 0
  let n = 0
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(NaN)
      continue
    }
    last = last * weight + (1 - weight) * v
    n++
    out.push(last / (1 - Math.pow(weight, n)))
  }
  return out
}

/** Smoothing weight that suits the number of points (more points: smoother). */
export function smoothingFor(count: number): number {
  if (count < 20) return 0.6
  if (count < 200) return 0.85
  return 0.95
}
