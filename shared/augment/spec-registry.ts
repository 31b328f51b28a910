/**
 * The registry of augmentation kind SPECS (no TF.js): per kind its label, description, defaults, parameter docs
 * for the UI, zod schema, sampler and flags (role, ...). Validation (spec.ts), sampling (sample.ts) and the UI
 * use this; the batched apply functions are joined on in registry.ts. The kind list (`AugmentKind`,
 * `AUGMENT_KINDS`) is derived from this object. Adding a kind = write its spec in kinds/ and its apply in apply/,
 * list it here and in registry.ts (the type checker refuses a registry.ts without it), and add a fixture to
 * tests/shared/augment/kinds.test.ts (a completeness test fails otherwise).
 */
import type { z } from 'zod'
import type { AugmentKindSpec } from './types'
import { colorJitter, grayscale } from './kinds/color'
import { cutout } from './kinds/cutout'
import { horizontalFlip, randomCrop, randomResizedCrop, rotation, translation, verticalFlip } from './kinds/geometric'
import { cutmix, mixup } from './kinds/mix'
import { normalize } from './kinds/normalize'
import { randAugmentSpec } from './kinds/randAugment'

/** Checks that every entry's key is its kind. */
const keyed = <T extends { [K in keyof T]: { readonly kind: K } }>(entries: T): T => entries

const plainKinds = keyed({
  horizontalFlip,
  verticalFlip,
  randomResizedCrop,
  randomCrop,
  rotation,
  translation,
  colorJitter,
  grayscale,
  cutout,
  mixup,
  cutmix,
  normalize,
})

/** Every kind; compositions (RandAugment) are built from the kinds before them. */
export const augmentSpecRegistry = keyed({
  ...plainKinds,
  randAugment: randAugmentSpec(plainKinds as unknown as Record<string, AugmentKindSpec>),
})

type SpecRegistry = typeof augmentSpecRegistry
/** A registered kind's name. */
export type AugmentKind = keyof SpecRegistry
/** Every registered kind, in registry order (the editor's add list). */
export const AUGMENT_KINDS: readonly AugmentKind[] = Object.keys(augmentSpecRegistry) as AugmentKind[]

/** True when `kind` names a registered kind. */
export function isAugmentKind(kind: unknown): kind is AugmentKind {
  return typeof kind === 'string' && Object.hasOwn(augmentSpecRegistry, kind)
}
/** The params object of a kind, e.g. AugmentParams<'rotation'> = { degrees: [number, number]; fill; interpolation }. */
export type AugmentParams<K extends AugmentKind> = z.output<SpecRegistry[K]['schema']>
/** What `sample` records for one sample of a kind (without `applied`). */
export type AugmentSample<K extends AugmentKind> = ReturnType<SpecRegistry[K]['sample']>

/** One pipeline step. `p` is the per-sample probability; disabled steps are kept but skipped. */
export type AugmentStep<K extends AugmentKind = AugmentKind> = K extends AugmentKind
  ? { id: string; kind: K; enabled: boolean; p: number; params: AugmentParams<K> }
  : never

/** Looks up a kind's spec with loose types, for generic code (validation, sampling, UI). */
export function getKindSpec(kind: AugmentKind): AugmentKindSpec {
  return augmentSpecRegistry[kind] as unknown as AugmentKindSpec
}

/** Kind metadata for the UI (label, description, defaults, parameter docs), in registry order. */
export function listAugmentKinds(): {
  kind: AugmentKind
  label: string
  description: string
  defaultP: number
  defaults: object
  paramDocs: AugmentKindSpec['paramDocs']
  mixesLabels: boolean
  role: AugmentKindSpec['role']
}[] {
  return (Object.keys(augmentSpecRegistry) as AugmentKind[]).map((kind) => {
    const d = getKindSpec(kind)
    return {
      kind,
      label: d.label,
      description: d.description,
      defaultP: d.defaultP,
      defaults: structuredCloneJson(d.defaults),
      paramDocs: d.paramDocs,
      mixesLabels: d.mixesLabels,
      role: d.role,
    }
  })
}

/** Deep copy of plain JSON (structuredClone is not in the ES lib of shared/). */
export function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** A new step of a kind with its defaults; `overrides.params` is merged over the defaults. */
export function createStep<K extends AugmentKind>(
  kind: K,
  id: string,
  overrides: { enabled?: boolean; p?: number; params?: Partial<AugmentParams<K>> } = {},
): AugmentStep<K> {
  const d = getKindSpec(kind)
  return {
    id,
    kind,
    enabled: overrides.enabled ?? true,
    p: overrides.p ?? d.defaultP,
    params: { ...structuredCloneJson(d.defaults), ...(overrides.params ?? {}) },
  } as AugmentStep<K>
}
