import { describe, expect, it } from 'vitest'
import { cappedRange, formatValue, tickLabels } from '../../renderer/src/charts/ticks'
import { formatRate } from '../../renderer/src/procedure/logic'

describe('chart tick labels', () => {
  it("leaves a log axis' unlabelled ticks (null) blank instead of printing or throwing on them", () => {
    // What uPlot hands a log x axis from 1e-6 to 1: the decades, with the ticks in between filtered to null.
    const vals = [1e-6, null, null, 1e-5, null, 1e-4, 1e-3, null, 1e-2, 0.1, 1]
    expect(tickLabels(vals, formatRate)).toEqual(['1e-6', '', '', '1e-5', '', '1e-4', '1e-3', '', '1e-2', '1e-1', '1'])
    // The default y format called toExponential on null: "Cannot read properties of null".
    expect(tickLabels([0.5, null, 2, null, 1e-4], formatValue)).toEqual(['0.5', '', '2', '', '1.00e-4'])
    expect(tickLabels([NaN, undefined, 3], String)).toEqual(['', '', '3'])
  })

  it('formats values with 4 significant digits, exponent form for tiny and large ones', () => {
    expect(formatValue(2.302585)).toBe('2.303')
    expect(formatValue(0)).toBe('0')
    expect(formatValue(12345)).toBe('1.23e+4')
    expect(formatValue(0.00042)).toBe('4.20e-4')
  })

  it('caps the y range so a diverged curve does not flatten the others', () => {
    // Losses 0.9 .. 2.3 and one exploded curve at 184: capped at 3x the initial 2.3.
    const [lo, hi] = cappedRange(0.9, 184, 6.9, false)!
    expect(hi).toBeLessThan(7.3)
    expect(hi).toBeGreaterThan(6.9)
    expect(lo).toBeGreaterThanOrEqual(0)
    expect(lo).toBeLessThanOrEqual(0.9)
    // Below the cap the data range stands; a log range keeps positive bounds.
    const [a, b] = cappedRange(0.9, 2.3, 6.9, true)!
    expect(a).toBeGreaterThan(0)
    expect(a).toBeLessThan(0.9)
    expect(b).toBeGreaterThan(2.3)
    expect(b).toBeLessThanOrEqual(3)
    // Round bounds on a log axis (its first tick is the bound): 2 and 8, not 2.07 and 7.4.
    expect(cappedRange(2.25, 184, 6.75, true)).toEqual([2, 8])
    expect(cappedRange(0, 184, 6.9, true)![0]).toBeGreaterThan(0)
    expect(cappedRange(null, null, 6.9, false)).toBeNull()
    expect(cappedRange(2, 2, null, false)).toEqual([1.8, 2.2])
  })
})
