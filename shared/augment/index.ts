/**
 * Augmentation pipeline, everything: the TF.js-free part (spec-only.ts: kinds' specs, validation, sampling,
 * statistics, TTA spec; see its header for the module layout) plus the TF.js part: the kinds' batched apply
 * (registry.ts, apply/), applyPipeline / augmentBatch (pipeline.ts) and the TTA view tensors (tta.ts).
 * Code that must not load TF.js (the UI thread, the main process) imports './spec-only' instead.
 */
export * from './spec-only'
export type { AugmentApplyFn, AugmentKindDef, AugmentTensors } from './types'
export { augmentRegistry, getKindDef } from './registry'
export { applyPipeline, applyStep, augmentBatch } from './pipeline'
export type { AugmentBatchInput, AugmentBatchResult } from './pipeline'
export { ttaMerge, ttaProbabilities, ttaViews } from './tta'
