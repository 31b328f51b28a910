/**
 * The metric names every run records (app, CLI, and any engine whose metrics are imported): step metrics at
 * (step, epoch of the step), epoch metrics at the epoch's last step. Charts, resume and the runs table read them.
 */

export const METRIC = {
  loss: 'train/loss',
  acc: 'train/acc',
  lr: 'lr',
  ips: 'images_per_sec',
  gradNorm: 'grad_norm',
  epochTrainLoss: 'epoch/train_loss',
  epochTrainAcc: 'epoch/train_acc',
  valLoss: 'val/loss',
  valAcc: 'val/acc',
  epochSeconds: 'epoch/seconds',
} as const

export type MetricName = (typeof METRIC)[keyof typeof METRIC]

/** Written for every step ('grad_norm' only with gradient clipping). */
export const STEP_METRICS: readonly MetricName[] = [METRIC.loss, METRIC.acc, METRIC.lr, METRIC.ips, METRIC.gradNorm]
/** Written at the end of every epoch ('val/*' only with a validation split). */
export const EPOCH_METRICS: readonly MetricName[] = [METRIC.epochTrainLoss, METRIC.epochTrainAcc, METRIC.valLoss, METRIC.valAcc, METRIC.epochSeconds]

/** One recorded value (runs.appendMetrics' point). `time` is wall-clock ms. */
export interface MetricPoint {
  readonly name: string
  readonly step: number
  readonly epoch: number
  readonly value: number
  readonly time: number
}
