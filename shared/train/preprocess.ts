/** Augmentation for training batches and the deterministic part (normalize) for evaluation. */
import type * as tf from '@tensorflow/tfjs'
import { augmentBatch } from '../augment'
import type { AugmentPipeline } from '../augment'
import type { Seed } from '../random'

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
