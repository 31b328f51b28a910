/**
 * Per-channel normalization (x - mean) / std, with statistics from the training set (see ../stats.ts).
 * Spec part (no TF.js); the batched apply is in ../apply/normalize.ts.
 */
import { z } from 'zod'
import type { AugmentKindSpec } from '../types'
import { checkNumber, fmt, refined } from './common'

export const normalizeSchema = refined(
  z.strictObject({ mean: z.array(z.number()), std: z.array(z.number()) }),
  (p, add) => {
    if (p.mean.length === 0) add(['mean'], 'mean must list one value per channel, received []')
    if (p.std.length === 0) add(['std'], 'std must list one value per channel, received []')
    p.std.forEach((s, i) => checkNumber(add, ['std', i], `std[${i}]`, s, { min: 0, minOpen: true }))
    if (p.mean.length > 0 && p.std.length > 0 && p.mean.length !== p.std.length && p.mean.length !== 1 && p.std.length !== 1) {
      add([], `mean and std must have the same length, received mean ${fmt(p.mean)} and std ${fmt(p.std)}`)
    }
  },
)
export type NormalizeParams = z.infer<typeof normalizeSchema>

export const normalize: AugmentKindSpec<'normalize', NormalizeParams, Record<string, never>> = {
  kind: 'normalize',
  label: 'Normalize',
  description:
    'Subtracts the per-channel mean and divides by the per-channel std of the training set (one value per channel, ' +
    'or one value for all). Not random: probability must be 1. Put it last; steps after it see normalized values.',
  defaultP: 1,
  defaults: { mean: [0], std: [1] },
  paramDocs: [
    { name: 'mean', label: 'Mean', type: 'numberList', step: 0.0001, doc: 'Per-channel mean in [0, 1] pixel units, from the dataset statistics.' },
    { name: 'std', label: 'Std', type: 'numberList', min: 0, step: 0.0001, doc: 'Per-channel standard deviation, > 0, from the dataset statistics.' },
  ],
  schema: normalizeSchema,
  mixesLabels: false,
  role: 'preprocess',
  expectsUnitRange: true,
  paramsFromStats: (stats) => normalizeParamsFromStats(stats),
  displayInverse: (p) => ({ mean: [...p.mean], std: [...p.std] }),
  checkP: (p) => (p === 1 ? null : `probability must be 1 (normalization is not random), received ${fmt(p)}`),
  checkContext: (p, ctx) => {
    const out: string[] = []
    for (const key of ['mean', 'std'] as const) {
      const n = p[key].length
      if (n !== 1 && n !== ctx.channels) {
        out.push(`${key} must have 1 or ${ctx.channels} values (one per channel), received ${fmt(p[key])}`)
      }
    }
    return out
  },
  sample: () => ({}),
}

/**
 * Normalize params from dataset statistics (e.g. the result of channelStats). A constant channel (std 0) gets
 * std 1, so it is only centred instead of dividing by zero.
 */
export function normalizeParamsFromStats(stats: { readonly mean: readonly number[]; readonly std: readonly number[] }): NormalizeParams {
  return { mean: [...stats.mean], std: stats.std.map((s) => (s > 0 ? s : 1)) }
}
