/**
 * The augmentation pipeline WITHOUT TF.js: kinds' specs (schemas, defaults, labels, parameter docs), document
 * validation and (de)serialization, sampling of the replay record, dataset statistics and the test-time
 * augmentation spec and view list. The UI thread and the main process import this entry so that they do not
 * load TF.js; index.ts re-exports all of it plus the TF.js part (apply, augmentBatch, TTA view tensors).
 *
 * Layout (TF.js-free unless marked):
 *   types.ts           kinds, contexts, AugmentKindSpec / AugmentKindDef (TF.js types only)
 *   kinds/<x>.ts       per kind: zod schema, defaults, label, description, paramDocs, defaultP, flags, sample
 *                      (kinds/randAugment.ts composes the others: built from the registry, not importing it)
 *   spec-registry.ts   the kinds' specs and the kind list derived from them; getKindSpec, listAugmentKinds, createStep
 *   spec.ts            the pipeline document: validatePipeline, parsePipelineDocument, serializePipeline, schemas
 *   sample.ts          samplePipeline, sampleStep (the replay record, plain JSON)
 *   tta-spec.ts        TTA spec, schema, view list, crop boxes
 *   stats.ts           per-channel dataset statistics
 *   apply/<x>.ts       TF.js: per kind, the batched apply
 *   registry.ts        TF.js: spec + apply per kind (augmentRegistry, getKindDef)
 *   ops.ts             TF.js: tensor helpers of the apply functions
 *   pipeline.ts        TF.js: applyPipeline, augmentBatch
 *   tta.ts             TF.js: ttaViews, ttaMerge
 *
 * tests/shared/augment/tf-free.test.ts loads this entry in a fresh module graph and fails if TF.js comes along;
 * eslint.config.js refuses TF.js (and the TF.js modules above) as imports of the TF.js-free files.
 */
export type {
  AugmentContext,
  AugmentKindSpec,
  AugmentRole,
  ChannelMoments,
  ParamDoc,
  PixelBox,
  SampleContext,
  SampleRecord,
} from './types'
export { AUGMENT_KINDS, augmentSpecRegistry, createStep, getKindSpec, isAugmentKind, listAugmentKinds } from './spec-registry'
export type { AugmentKind, AugmentParams, AugmentSample, AugmentStep } from './spec-registry'
export { composableKinds, MAX_MAGNITUDE } from './kinds/randAugment'
export type { RandAugmentOp, RandAugmentParams, RandAugmentSample } from './kinds/randAugment'
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
export { BATCH_PARAMS_FORMAT, samplePipeline, sampleStep, stepStream } from './sample'
export type { BatchParams, StepRecord } from './sample'
export { normalizeParamsFromStats } from './kinds/normalize'
export { rotationMatrix } from './kinds/geometric'
export { ChannelStatsAccumulator, channelStats } from './stats'
export type { ChannelStats, StatsOptions } from './stats'
export { describeTta, NO_TTA, pipelineTta, TEN_CROP, TTA_CROP_MODES, parseTtaSpec, ttaCropBox, ttaSpecSchema, ttaViewList } from './tta-spec'
export type { TtaCropPosition, TtaSpec, TtaView } from './tta-spec'
