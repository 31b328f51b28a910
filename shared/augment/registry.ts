/**
 * The full registry of augmentation kinds: each kind's spec (spec-registry.ts, no TF.js) joined with its batched
 * TF.js `apply` (apply/). Only applying needs this module; validation, sampling and the UI use spec-registry.ts.
 */
import type { AugmentApplyFn, AugmentKindDef, AugmentKindSpec } from './types'
import { augmentSpecRegistry, type AugmentKind } from './spec-registry'
import { applyColorJitter, applyGrayscale } from './apply/color'
import { applyCutout } from './apply/cutout'
import {
  applyHorizontalFlip,
  applyRandomCrop,
  applyRandomResizedCrop,
  applyRotation,
  applyTranslation,
  applyVerticalFlip,
} from './apply/geometric'
import { applyCutmix, applyMixup } from './apply/mix'
import { applyNormalize } from './apply/normalize'
import { applyRandAugment } from './apply/randAugment'

export { createStep, getKindSpec, listAugmentKinds, structuredCloneJson } from './spec-registry'
export type { AugmentParams, AugmentSample, AugmentStep } from './spec-registry'

/** Joins a kind's spec and its apply into the full definition. */
function withApply<K extends string, P extends object, S extends object>(
  spec: AugmentKindSpec<K, P, S>,
  apply: AugmentApplyFn<P, S>,
): AugmentKindDef<K, P, S> {
  return { ...spec, apply }
}

const s = augmentSpecRegistry
const plainKinds = {
  horizontalFlip: withApply(s.horizontalFlip, applyHorizontalFlip),
  verticalFlip: withApply(s.verticalFlip, applyVerticalFlip),
  randomResizedCrop: withApply(s.randomResizedCrop, applyRandomResizedCrop),
  randomCrop: withApply(s.randomCrop, applyRandomCrop),
  rotation: withApply(s.rotation, applyRotation),
  translation: withApply(s.translation, applyTranslation),
  colorJitter: withApply(s.colorJitter, applyColorJitter),
  grayscale: withApply(s.grayscale, applyGrayscale),
  cutout: withApply(s.cutout, applyCutout),
  mixup: withApply(s.mixup, applyMixup),
  cutmix: withApply(s.cutmix, applyCutmix),
  normalize: withApply(s.normalize, applyNormalize),
} as const

/** Every kind's full definition; the type checker refuses it when a registered kind is missing. */
export const augmentRegistry = {
  ...plainKinds,
  randAugment: withApply(s.randAugment, applyRandAugment(plainKinds as unknown as Record<string, AugmentKindDef>)),
} as const satisfies { [K in AugmentKind]: { readonly kind: K } }

/** Looks up a kind's full definition (spec + apply) with loose types, for generic code (pipeline). */
export function getKindDef(kind: AugmentKind): AugmentKindDef {
  return augmentRegistry[kind] as unknown as AugmentKindDef
}
