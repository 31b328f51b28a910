/**
 * The model's inputs, in one home: `trainingInputs` is what a training step feeds the model (the batch scaled to
 * [0, 1], then the whole pipeline at (seed, step)); `evalInputs` is what evaluation feeds it (the batch scaled to
 * [0, 1], then only the pipeline's deterministic normalize steps). The Trainer, evaluation, the procedure tools
 * and the augmentation previewer all build their batches through these two functions.
 */
import type * as tf from '@tensorflow/tfjs'
import { augmentBatch } from '../augment'
import type { AugmentPipeline } from '../augment'
import type { Seed } from '../random'
import { batchToTensors } from './data'
import type { DataBatch } from './data'

/** The pipeline for validation / evaluation: only its enabled normalize steps (null when none). */
export function evalPipeline(pipeline: AugmentPipeline | null | undefined): AugmentPipeline | null {
  if (pipeline == null) return null
  const steps = pipeline.steps.filter((s) => s.enabled && s.kind === 'normalize')
  return steps.length === 0 ? null : { ...pipeline, steps }
}

function hasEnabled(pipeline: AugmentPipeline | null | undefined): pipeline is AugmentPipeline {
  return pipeline != null && pipeline.steps.some((s) => s.enabled)
}

/**
 * Runs the pipeline over a batch through `augmentBatch` (the previewer's function). Consumes (disposes) the
 * inputs when it replaces them; returns the tensors to use. With no enabled step, returns the inputs.
 */
export function preprocessBatch(
  images: tf.Tensor4D,
  labels: tf.Tensor2D,
  pipeline: AugmentPipeline | null | undefined,
  seed: Seed,
  step: number,
): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  if (!hasEnabled(pipeline)) return { images, labels }
  const out = augmentBatch({ images, labels, pipeline, seed, step })
  images.dispose()
  labels.dispose()
  return { images: out.images, labels: out.labels }
}

/** The tensors training step `step` (0-based, global) of a run seeded `seed` feeds the model for `batch`. The caller disposes them. */
export function trainingInputs(
  batch: DataBatch,
  imageShape: readonly [number, number, number],
  classes: number,
  pipeline: AugmentPipeline | null | undefined,
  seed: Seed,
  step: number,
): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  const t = batchToTensors(batch, imageShape, classes)
  return preprocessBatch(t.images, t.labels, pipeline, seed, step)
}

/** The tensors evaluation (and the checks before training) feeds the model for `batch`: normalize steps only. The caller disposes them. */
export function evalInputs(
  batch: DataBatch,
  imageShape: readonly [number, number, number],
  classes: number,
  pipeline: AugmentPipeline | null | undefined,
): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  return trainingInputs(batch, imageShape, classes, evalPipeline(pipeline), 0, 0)
}
