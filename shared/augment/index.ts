/**
 * Augmentation pipeline: spec + validation (spec.ts), kinds (registry.ts, kinds/), sampling and batched
 * application (pipeline.ts), dataset statistics (stats.ts) and test-time augmentation (tta.ts).
 */
export { AUGMENT_KINDS } from './types'
export type { AugmentContext, AugmentKind, AugmentKindDef, AugmentTensors, ParamDoc, PixelBox, SampleContext, SampleRecord } from './types'
export { augmentRegistry, createStep, getKindDef, listAugmentKinds } from './registry'
export type { AugmentParams, AugmentSample, AugmentStep } from './registry'
export {
  AugmentValidationError,
  PIPELINE_FORMAT,
  assertValidPipeline,
  augmentPipelineSchema,
  augmentStepSchema,
  emptyPipeline,
  parsePipelineDocument,
  serializePipeline,
  validatePipeline,
} from './spec'
export type { AugmentPipeline, ImageShape, PipelineValidation, ValidationIssue } from './spec'
export { BATCH_PARAMS_FORMAT, applyPipeline, applyStep, augmentBatch, samplePipeline, sampleStep, stepStream } from './pipeline'
export type { AugmentBatchInput, AugmentBatchResult, BatchParams, StepRecord } from './pipeline'
export { normalizeParamsFromStats } from './kinds/normalize'
export { rotationMatrix } from './kinds/geometric'
export { ChannelStatsAccumulator, channelStats } from './stats'
export type { ChannelStats, StatsOptions } from './stats'
export { NO_TTA, TEN_CROP, TTA_CROP_MODES, parseTtaSpec, ttaCropBox, ttaMerge, ttaViewList, ttaViews, ttaSpecSchema } from './tta'
export type { TtaCropPosition, TtaSpec, TtaView } from './tta'
