/** studio_random.py against shared/random: same seed (numbers, strings, non-ASCII), same forks, same numbers. */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { randomFile } from '../../../shared/export/pytorch/random'
import { createRng } from '../../../shared/random'
import type { Seed } from '../../../shared/random'
import { findTorchPython, writeExport } from './torch-python'

const torch = findTorchPython()
const SEEDS: Seed[] = [0, 7, -3, 4294967295, 2 ** 33, 0.5, 'abc', 'é✓ 𝄞']
const LABELS = ['data-order', 'sample:12', 'ünï 𝄞']

function draws(seed: Seed): unknown[] {
  return LABELS.map((label) => {
    const r = createRng(seed).fork(label).fork(3)
    return { u: [r.uint32(), r.uint32()], f: r.float(), i: r.int(-5, 1000), b: r.beta(0.3, 0.7), n: r.normal(), p: r.permutation(12) }
  })
}

const SCRIPT = String.raw`
import json, sys
sys.path.insert(0, sys.argv[1])
from studio_random import create_rng
out = []
for seed in json.loads(sys.argv[2]):
    rows = []
    for label in json.loads(sys.argv[3]):
        r = create_rng(seed).fork(label).fork(3)
        rows.append({"u": [r.uint32(), r.uint32()], "f": r.float(), "i": r.int(-5, 1000), "b": r.beta(0.3, 0.7), "n": r.normal(), "p": r.permutation(12)})
    out.append(rows)
print(json.dumps(out))
`

describe.skipIf(torch.python === null)(`studio_random.py is the studio's generator (${torch.reason ?? torch.python})`, () => {
  it('draws the same numbers for the same seeds and fork labels', () => {
    const dir = writeExport([randomFile()], 'pt-random-')
    const got = JSON.parse(execFileSync(torch.python as string, ['-c', SCRIPT, dir, JSON.stringify(SEEDS), JSON.stringify(LABELS)], { encoding: 'utf8' })) as unknown[][]
    SEEDS.forEach((seed, i) => {
      const expected = draws(seed) as Record<string, unknown>[]
      const rows = got[i] as Record<string, unknown>[]
      expected.forEach((e, k) => {
        const g = rows[k] as Record<string, unknown>
        expect(g.u, `seed ${String(seed)}`).toEqual(e.u)
        expect(g.i).toBe(e.i)
        expect(g.p).toEqual(e.p)
        expect(Math.abs((g.f as number) - (e.f as number))).toBe(0)
        expect(Math.abs((g.b as number) - (e.b as number))).toBeLessThanOrEqual(1e-12)
        expect(Math.abs((g.n as number) - (e.n as number))).toBeLessThanOrEqual(1e-12)
      })
    })
  })
})
