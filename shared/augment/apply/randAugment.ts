/** Batched TF.js apply of RandAugment (spec part: ../kinds/randAugment.ts): each op slot in turn, per drawn kind. */
import type { AugmentApplyFn, AugmentKindDef, AugmentTensors } from '../types'
import { opParams, opRecord, type RandAugmentParams, type RandAugmentSample } from '../kinds/randAugment'

/**
 * For op slot j = 0..N-1, every kind drawn in that slot is applied once to the whole batch, with `applied` set for
 * the images that drew it: each image gets its N ops in its drawn order, at the same cost as N ordinary steps
 * per distinct kind. `kinds` are the full definitions of the composable kinds (registry.ts).
 */
export function applyRandAugment(kinds: Readonly<Record<string, AugmentKindDef>>): AugmentApplyFn<RandAugmentParams, RandAugmentSample> {
  return (batch, p, samples, ctx): AugmentTensors => {
    let out = batch
    for (let j = 0; j < p.n; j++) {
      const drawn: string[] = []
      for (const s of samples) {
        const kind = s.applied ? s.ops[j]?.kind : undefined
        if (kind !== undefined && !drawn.includes(kind)) drawn.push(kind)
      }
      for (const kind of drawn) {
        const def = kinds[kind]
        if (!def) throw new Error(`RandAugment record names the kind ${JSON.stringify(kind)}, which it cannot draw`)
        out = def.apply(out, opParams(def, p.magnitude), samples.map((s) => (s.applied ? opRecord(s.ops[j], kind) : { applied: false })), ctx)
      }
    }
    return out
  }
}
