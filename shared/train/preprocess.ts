/**
 * The model's inputs, in one home: `trainingInputs` is what a training step feeds the model (the batch scaled to
 * [0, 1], then the whole pipeline at (seed, step)); `evalInputs` is what evaluation feeds it (the batch scaled to
 * [0, 1], then only the pipeline's preprocess steps: kinds with `role: 'preprocess'`, such as normalize). The Trainer, evaluation, the procedure tools
 * and the augmentation previewer all build their batches through these two functions.
 */
import type * as tf from '@tensorflow/tfjs'
import { augmentBatch, getKindSpec } from '../augment'
import type { AugmentPipeline, BatchParams } from '../augment'
import type { Seed } from '../random'
import { batchToTensors } from './data'
import type { DataBatch } from './data'

/** The pipeline for validation / evaluation: only its enabled preprocess steps (normalize; null when none). */
export function evalPipeline(pipeline: AugmentPipeline | null | undefined): AugmentPipeline | null {
  if (pipeline == null) return null
  const steps = pipeline.steps.filter((s) => s.enabled && getKindSpec(s.kind).role === 'preprocess')
  return steps.length === 0 ? null : { ...pipeline, steps }
}

function hasEnabled(pipeline: AugmentPipeline | null | undefined): pipeline is AugmentPipeline {
  return pipeline != null && pipeline.steps.some((s) => s.enabled)
}

/** A batch's model inputs and the replay record augmentBatch sampled for them (null without enabled steps). */
export interface ModelInputs {
  images: tf.Tensor4D
  labels: tf.Tensor2D
  params: BatchParams | null
}

/**
 * Runs the pipeline over a batch through `augmentBatch` (the previewer's function). Consumes (disposes) the
 * inputs when it replaces them; returns the tensors to use and what was sampled. With no enabled step, returns
 * the inputs.
 */
export function preprocessBatch(
  images: tf.Tensor4D,
  labels: tf.Tensor2D,
  pipeline: AugmentPipeline | null | undefined,
  seed: Seed,
  step: number,
): ModelInputs {
  if (!hasEnabled(pipeline)) return { images, labels, params: null }
  const out = augmentBatch({ images, labels, pipeline, seed, step })
  images.dispose()
  labels.dispose()
  return { images: out.images, labels: out.labels, params: out.params }
}

/** The tensors training step `step` (0-based, global) of a run seeded `seed` feeds the model for `batch`. The caller disposes them. */
export function trainingInputs(
  batch: DataBatch,
  imageShape: readonly [number, number, number],
  classes: number,
  pipeline: AugmentPipeline | null | undefined,
  seed: Seed,
  step: number,
): ModelInputs {
  const t = batchToTensors(batch, imageShape, classes)
  return preprocessBatch(t.images, t.labels, pipeline, seed, step)
}

/** The tensors evaluation (and the checks before training) feeds the model for `batch`: normalize steps only. The caller disposes them. */
export function evalInputs(
  batch: DataBatch,
  imageShape: readonly [number, number, number],
  classes: number,
  pipeline: AugmentPipeline | null | undefined,
): ModelInputs {
  return trainingInputs(batch, imageShape, classes, evalPipeline(pipeline), 0, 0)
}
