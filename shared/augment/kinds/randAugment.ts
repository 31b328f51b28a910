/**
 * RandAugment (Cubuk et al. 2020): per image, N ops drawn uniformly (with replacement) from a list of registered
 * kinds, each at one global magnitude M. A composition kind: it is built from the other kinds' specs (see
 * spec-registry.ts), so every kind with `atMagnitude` can be drawn and nothing here names another kind.
 * Sample-then-apply like every kind: the record lists, per image, the chosen ops and what each drew.
 * Spec part (no TF.js); the batched apply is in ../apply/randAugment.ts.
 */
import { z } from 'zod'
import type { AugmentKindSpec, SampleRecord } from '../types'
import { checkNumber, fmt, refined } from './common'

/** The largest magnitude; an op's strength is M / MAX_MAGNITUDE in [0, 1]. */
export const MAX_MAGNITUDE = 10

export interface RandAugmentParams {
  ops: string[]
  n: number
  magnitude: number
}

/** One chosen op of one image: its kind and what that kind's sampler drew at the magnitude. */
export interface RandAugmentOp {
  readonly kind: string
  readonly sample: object
}
export interface RandAugmentSample {
  readonly ops: readonly RandAugmentOp[]
}

/** Kinds a composition can draw: random augmentations with a strength scale that keep the labels. */
export function composableKinds(kinds: Readonly<Record<string, AugmentKindSpec>>): string[] {
  return Object.values(kinds)
    .filter((k) => k.atMagnitude !== undefined && k.role === 'augment' && !k.mixesLabels)
    .map((k) => k.kind)
}

/** Params of op `kind` at magnitude M (0..MAX_MAGNITUDE). */
export function opParams(spec: AugmentKindSpec, magnitude: number): object {
  if (!spec.atMagnitude) throw new Error(`RandAugment: ${spec.label} has no magnitude scale and cannot be drawn`)
  return spec.atMagnitude(magnitude / MAX_MAGNITUDE)
}

/** The record one op of one image gives its kind's apply. */
export function opRecord(op: RandAugmentOp | undefined, kind: string): SampleRecord {
  return op !== undefined && op.kind === kind ? { ...op.sample, applied: true } : { applied: false }
}

/** The RandAugment spec over the given kinds (the registry without RandAugment itself). */
export function randAugmentSpec(kinds: Readonly<Record<string, AugmentKindSpec>>): AugmentKindSpec<'randAugment', RandAugmentParams, RandAugmentSample> {
  const eligible = composableKinds(kinds)
  const labelOf = (kind: string) => kinds[kind]?.label ?? kind
  const schema = refined(
    z.strictObject({ ops: z.array(z.string()), n: z.number(), magnitude: z.number() }),
    (p, add) => {
      if (p.ops.length === 0) add(['ops'], `ops must list at least one kind, received []`)
      p.ops.forEach((op, i) => {
        if (!eligible.includes(op)) add(['ops', i], `ops: ${fmt(op)} cannot be drawn by RandAugment (choose from ${eligible.map(labelOf).join(', ')})`)
        else if (p.ops.indexOf(op) !== i) add(['ops', i], `ops lists ${labelOf(op)} twice`)
      })
      checkNumber(add, ['n'], 'ops per image', p.n, { min: 1, max: 10, integer: true })
      checkNumber(add, ['magnitude'], 'magnitude', p.magnitude, { min: 0, max: MAX_MAGNITUDE })
    },
  ) as z.ZodType<RandAugmentParams>
  return {
    kind: 'randAugment',
    label: 'RandAugment',
    description:
      'Applies N ops per image, each drawn at random from the chosen kinds, all at strength M (Cubuk et al. 2020). ' +
      `Two numbers to tune instead of a whole pipeline; M = ${MAX_MAGNITUDE} is each op's strongest setting (30° rotation, 30% shift, ...).`,
    defaultP: 1,
    defaults: { ops: [...eligible], n: 2, magnitude: 9 },
    paramDocs: [
      { name: 'ops', label: 'Ops', type: 'kindList', options: eligible, doc: 'The kinds each op is drawn from, uniformly and with replacement.' },
      { name: 'n', label: 'Ops per image (N)', type: 'integer', min: 1, max: 10, step: 1, doc: 'How many ops each image gets, one after the other.' },
      { name: 'magnitude', label: 'Magnitude (M)', type: 'number', min: 0, max: MAX_MAGNITUDE, step: 1, doc: `Strength of every op, 0 (none) to ${MAX_MAGNITUDE} (strongest).` },
    ],
    schema,
    mixesLabels: false,
    role: 'augment',
    expectsUnitRange: true,
    checkContext: (p, ctx) =>
      p.ops.flatMap((op) => {
        const spec = kinds[op]
        return spec?.checkContext ? spec.checkContext(opParams(spec, p.magnitude), ctx).map((m) => `${spec.label}: ${m}`) : []
      }),
    sample: (rng, p, ctx) => {
      const ops: RandAugmentOp[] = []
      for (let j = 0; j < p.n; j++) {
        const slot = rng.fork(`op:${j}`)
        const kind = p.ops[slot.int(0, p.ops.length - 1)] as string
        const spec = kinds[kind] as AugmentKindSpec
        ops.push({ kind, sample: spec.sample(slot.fork('params'), opParams(spec, p.magnitude), ctx) })
      }
      return { ops }
    },
  }
}
