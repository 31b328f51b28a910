import { describe, expect, it } from 'vitest'
import { ratioRows } from '../../renderer/src/procedure/logic'

describe('update-to-weight ratio rows', () => {
  it('names the layer, divides back per update and says how it compares with 1e-3', () => {
    const rows = ratioRows(
      [
        { name: 'conv1/kernel', ratio: 0.1 },
        { name: 'dense/kernel', ratio: 1e-4 },
        { name: 'head/kernel', ratio: 5 },
        { name: 'frozen/kernel', ratio: 0 },
      ],
      100,
    )
    expect(rows.map((r) => r.layer)).toEqual(['conv1', 'dense', 'head', 'frozen'])
    expect(rows[0]!.perStepRandom).toBeCloseTo(0.01)
    expect(rows[0]!.perStepAligned).toBeCloseTo(0.001)
    expect(rows.map((r) => r.kind)).toEqual(['ok', 'low', 'high', 'unchanged'])
    expect(ratioRows([{ name: 'x', ratio: 1e-3 }], 0)[0]).toMatchObject({ perStepRandom: null, perStepAligned: null, kind: 'ok' })
  })
})
