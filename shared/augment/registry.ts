/**
 * The registry of augmentation kinds: one entry per kind with its label, defaults, parameter docs for the
 * UI, zod schema, sampler and batched apply. Adding a kind = add it to AUGMENT_KINDS, write its def, list it
 * here, and add a fixture to tests/shared/augment/kinds.test.ts (a completeness test fails otherwise).
 */
import type { z } from 'zod'
import type { AugmentKind, AugmentKindDef } from './types'
import { colorJitter, grayscale } from './kinds/color'
import { cutout } from './kinds/cutout'
import { horizontalFlip, randomCrop, randomResizedCrop, rotation, translation, verticalFlip } from './kinds/geometric'
import { cutmix, mixup } from './kinds/mix'
import { normalize } from './kinds/normalize'

export const augmentRegistry = {
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
} as const satisfies { [K in AugmentKind]: { readonly kind: K } }

type Registry = typeof augmentRegistry
/** The params object of a kind, e.g. AugmentParams<'rotation'> = { degrees: [number, number]; fill; interpolation }. */
export type AugmentParams<K extends AugmentKind> = z.output<Registry[K]['schema']>
/** What `sample` records for one sample of a kind (without `applied`). */
export type AugmentSample<K extends AugmentKind> = ReturnType<Registry[K]['sample']>

/** One pipeline step. `p` is the per-sample probability; disabled steps are kept but skipped. */
export type AugmentStep<K extends AugmentKind = AugmentKind> = K extends AugmentKind
  ? { id: string; kind: K; enabled: boolean; p: number; params: AugmentParams<K> }
  : never

/** Looks up a kind's definition with loose types, for generic code (pipeline, validation). */
export function getKindDef(kind: AugmentKind): AugmentKindDef {
  return augmentRegistry[kind] as unknown as AugmentKindDef
}

/** Kind metadata for the UI (label, description, defaults, parameter docs), in registry order. */
export function listAugmentKinds(): {
  kind: AugmentKind
  label: string
  description: string
  defaultP: number
  defaults: object
  paramDocs: AugmentKindDef['paramDocs']
  mixesLabels: boolean
}[] {
  return (Object.keys(augmentRegistry) as AugmentKind[]).map((kind) => {
    const d = getKindDef(kind)
    return {
      kind,
      label: d.label,
      description: d.description,
      defaultP: d.defaultP,
      defaults: structuredCloneJson(d.defaults),
      paramDocs: d.paramDocs,
      mixesLabels: d.mixesLabels,
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
  const d = getKindDef(kind)
  return {
    id,
    kind,
    enabled: overrides.enabled ?? true,
    p: overrides.p ?? d.defaultP,
    params: { ...structuredCloneJson(d.defaults), ...(overrides.params ?? {}) },
  } as AugmentStep<K>
}
