/**
 * Sampling and applying a whole pipeline.
 *
 *   samplePipeline(seed, pipeline, ctx, batchIndex) -> BatchParams   (plain JSON; the replay record; sample.ts, no TF.js)
 *   applyPipeline(images, labels, pipeline, batchParams) -> { images, labels }   (batched tf ops, in tf.tidy)
 *   augmentBatch({ images, labels, pipeline, seed, step })   = both; THE function the previewer and training call
 *
 * The random streams are described in sample.ts.
 */
import * as tf from '@tensorflow/tfjs'
import type { Seed } from '../random'
import type { AugmentContext, AugmentTensors } from './types'
import { getKindDef } from './registry'
import type { AugmentStep } from './registry'
import type { AugmentPipeline } from './spec'
import { samplePipeline, type BatchParams, type StepRecord } from './sample'

export { BATCH_PARAMS_FORMAT, samplePipeline, sampleStep, stepStream } from './sample'
export type { BatchParams, StepRecord } from './sample'

/** Applies one step's record to a batch (no tidy of its own; callers wrap in tf.tidy). */
export function applyStep(batch: AugmentTensors, step: AugmentStep, record: StepRecord, ctx: AugmentContext): AugmentTensors {
  if (record.samples.every((s) => !s.applied)) return batch
  return getKindDef(step.kind).apply(batch, step.params, record.samples, ctx)
}

function checkTensors(images: tf.Tensor, labels: tf.Tensor, ctx: AugmentContext): void {
  const expected = [ctx.batchSize, ctx.height, ctx.width, ctx.channels]
  if (images.rank !== 4 || images.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`Augmentation: images must have shape [${expected.join(', ')}] (N, H, W, C), received [${images.shape.join(', ')}]`)
  }
  if (images.dtype !== 'float32') throw new Error(`Augmentation: images must be float32 in [0, 1], received dtype ${images.dtype}`)
  if (labels.rank !== 2 || labels.shape[0] !== ctx.batchSize) {
    throw new Error(`Augmentation: labels must have shape [${ctx.batchSize}, K] (one-hot or soft), received [${labels.shape.join(', ')}]`)
  }
}

/**
 * Applies a recorded BatchParams to images [N,H,W,C] float32 and labels [N,K]. The pipeline supplies the step
 * settings (fill values, normalize statistics); the record supplies every random choice. Refuses a record that
 * does not match the pipeline's enabled steps. Inputs are not disposed; the outputs are new tensors.
 */
export function applyPipeline(
  images: tf.Tensor4D,
  labels: tf.Tensor2D,
  pipeline: AugmentPipeline,
  batchParams: BatchParams,
): AugmentTensors {
  const ctx = batchParams.ctx
  checkTensors(images, labels, ctx)
  const enabled = pipeline.steps.filter((s) => s.enabled)
  const describe = (steps: readonly { id: string; kind: string }[]) => steps.map((s) => `${s.kind}#${s.id}`).join(', ') || 'none'
  if (
    enabled.length !== batchParams.steps.length ||
    enabled.some((s, i) => s.id !== batchParams.steps[i]?.id || s.kind !== batchParams.steps[i]?.kind)
  ) {
    throw new Error(
      `Augmentation record does not match the pipeline: record has steps [${describe(batchParams.steps)}], ` +
        `pipeline has enabled steps [${describe(enabled)}]`,
    )
  }
  for (const record of batchParams.steps) {
    if (record.samples.length !== ctx.batchSize) {
      throw new Error(`Augmentation record for step ${record.id} has ${record.samples.length} samples, expected ${ctx.batchSize}`)
    }
  }
  return tf.tidy(() => {
    let batch: AugmentTensors = { images, labels }
    enabled.forEach((step, i) => {
      batch = applyStep(batch, step, batchParams.steps[i] as StepRecord, ctx)
    })
    return {
      images: batch.images === images ? images.clone() : batch.images,
      labels: batch.labels === labels ? labels.clone() : batch.labels,
    }
  })
}

export interface AugmentBatchInput {
  /** [N,H,W,C] float32 in [0, 1]. Not disposed. */
  readonly images: tf.Tensor4D
  /** [N,K] one-hot or soft labels. Not disposed. */
  readonly labels: tf.Tensor2D
  readonly pipeline: AugmentPipeline
  /** Run (or preview) seed. */
  readonly seed: Seed
  /** Training step / batch index; the previewer passes the step it wants to show. Default 0. */
  readonly step?: number
}

export interface AugmentBatchResult extends AugmentTensors {
  /** What was drawn, for display ("flip: yes, angle 7.3 deg") and exact replay. */
  readonly params: BatchParams
}

/**
 * THE augmentation entry point for both the previewer and the training loop: same (images, pipeline, seed,
 * step) -> same pixels and labels. The caller owns (and must dispose) the returned tensors.
 */
export function augmentBatch(input: AugmentBatchInput): AugmentBatchResult {
  const [batchSize, height, width, channels] = input.images.shape
  const params = samplePipeline(input.seed, input.pipeline, { batchSize, height, width, channels }, input.step ?? 0)
  return { ...applyPipeline(input.images, input.labels, input.pipeline, params), params }
}
