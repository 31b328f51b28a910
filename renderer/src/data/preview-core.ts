/**
 * The augmentation previewer's computation, as a pure module (shared/ and TF.js only) so that a Node test can
 * prove it is the training path: a preview "draw" of step s with seed S is exactly what the trainer does to a
 * batch at global step s of a run seeded S (shared/train/trainer.ts and this module both call `trainingInputs`).
 * tests/renderer/preview-equals-training.test.ts runs the real Trainer and compares, byte for byte.
 *
 * The preview batch is the N chosen source images in their order, so tile (i, j) shows image i as it would look
 * at position i of a batch of N at training step j (mixup partners come from these N images). It is not the
 * batch the run draws at step j: the run shuffles the whole training split into batches of its own size.
 * Nothing here re-implements an augmentation.
 */
import type { AugmentPipeline } from '@shared/augment'
import type { DataBatch } from '@shared/train/data'
import { trainingInputs, type ModelInputs } from '@shared/train/preprocess'
import type { ImageShape } from './preview-display'

// The TF.js-free half (display conversions, descriptions of the record) lives in preview-display.ts so that the
// UI thread can use it without bundling TF.js; re-exported here for the worker and the tests.
export {
  describeSample,
  displayDenormalization,
  drawsUndone,
  floatImageToRgba,
  formatValue,
  uint8ImageToRgba,
  type ImageShape,
} from './preview-display'

/**
 * One preview draw: the exact training tensors for (seed, step) and the replay record augmentBatch sampled for
 * them (what the hover shows; null without enabled steps). The caller disposes the tensors.
 */
export function previewBatch(
  batch: DataBatch,
  imageShape: ImageShape,
  classCount: number,
  pipeline: AugmentPipeline | null,
  seed: number,
  step: number,
): ModelInputs {
  return trainingInputs(batch, imageShape, classCount, pipeline, seed, step)
}
