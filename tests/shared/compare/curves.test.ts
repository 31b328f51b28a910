/**
 * Guards the curves of the Compare view (shared/compare/curves.ts): alignment on the four axes, min/max per pixel
 * column (extremes kept, at most two values per column), resampling for group means, and the band statistics.
 */
import { describe, expect, it } from 'vitest'
import { aggregateSlots, alignX, bandOf, chartValue, columnsToSlots, gridOver, gridSlots, groupCurve, minMaxPerColumn, perColumn, resampleOnGrid, slotOf } from '@shared/compare'
import { createRng } from '@shared/random'

describe('alignment', () => {
  const s = { step: [1, 2, 3], epoch: [0.5, 1, 1.5], time: [10_000, 12_000, 15_000] }
  it('places points by step, epoch, wall time since the run started, and examples seen', () => {
    expect(alignX(s, 'step', { batchSize: 32, startTime: 9_000 })).toEqual([1, 2, 3])
    expect(alignX(s, 'epoch', { batchSize: 32, startTime: 9_000 })).toEqual([0.5, 1, 1.5])
    expect(alignX(s, 'time', { batchSize: 32, startTime: 9_000 })).toEqual([1, 3, 6])
    expect(alignX(s, 'examples', { batchSize: 32, startTime: 0 })).toEqual([32, 64, 96])
  })
  it('lines up runs of different batch sizes by examples seen', () => {
    const small = alignX({ step: [2, 4], epoch: [0, 0], time: [0, 0] }, 'examples', { batchSize: 16, startTime: 0 })
    const big = alignX({ step: [1, 2], epoch: [0, 0], time: [0, 0] }, 'examples', { batchSize: 32, startTime: 0 })
    expect(small).toEqual(big)
  })
  it('cannot place a run without a batch size by examples seen', () => {
    expect(alignX(s, 'examples', { batchSize: null, startTime: 0 })).toBeNull()
  })
})

describe('min/max per pixel column', () => {
  const rng = createRng('curves')
  it('keeps every column’s extremes (so the global ones) and at most two values per column', () => {
    for (let trial = 0; trial < 50; trial++) {
      const n = rng.int(1, 20_000)
      const columns = rng.int(1, 500)
      const xs = Array.from({ length: n }, (_, i) => i * rng.uniform(0.5, 1.5))
      xs.sort((a, b) => a - b)
      const ys = xs.map(() => rng.normal())
      const grid = gridOver([xs], columns)!
      const out = minMaxPerColumn(xs, ys, grid)
      expect(out.length).toBe(2 * columns)
      expect(out.filter((v) => v !== null).length).toBeLessThanOrEqual(Math.min(2 * columns, 2 * n))
      // Each column's min and max appear among its two slots.
      const colMin = new Array<number>(columns).fill(Infinity)
      const colMax = new Array<number>(columns).fill(-Infinity)
      ys.forEach((y, i) => {
        const c = slotOf(grid, xs[i]!) >> 1
        colMin[c] = Math.min(colMin[c]!, y)
        colMax[c] = Math.max(colMax[c]!, y)
      })
      for (let c = 0; c < columns; c++) {
        const got = [out[2 * c], out[2 * c + 1]].filter((v): v is number => v !== null)
        if (colMin[c] === Infinity) {
          expect(got).toEqual([])
          continue
        }
        expect(got).toContain(colMin[c])
        expect(got).toContain(colMax[c])
      }
      const finite = out.filter((v): v is number => v !== null)
      expect(Math.max(...finite)).toBe(Math.max(...ys))
      expect(Math.min(...finite)).toBe(Math.min(...ys))
    }
  })
  it('keeps a single spike among 5,000 points in 100 columns', () => {
    const xs = Array.from({ length: 5000 }, (_, i) => i)
    const ys = xs.map((i) => (i === 2345 ? 99 : i === 4000 ? -99 : 1))
    const out = minMaxPerColumn(xs, ys, gridOver([xs], 100)!)
    expect(out).toContain(99)
    expect(out).toContain(-99)
    expect(out.filter((v) => v !== null).length).toBeLessThanOrEqual(200)
  })
  it('puts min and max in the order they occur', () => {
    const grid = { from: 0, to: 1, columns: 1 }
    expect(minMaxPerColumn([0.1, 0.2, 0.3], [5, 1, 3], grid)).toEqual([5, 1])
    expect(minMaxPerColumn([0.1, 0.2, 0.3], [1, 5, 3], grid)).toEqual([1, 5])
    expect(minMaxPerColumn([0.9], [7], grid)).toEqual([null, 7])
  })
})

describe('group bands', () => {
  it('resamples by slot means and interpolates between points, never past the ends', () => {
    const grid = { from: 0, to: 10, columns: 5 } // slots of width 1, centres 0.5 .. 9.5
    expect(gridSlots(grid)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5])
    const r = resampleOnGrid([2, 2.5, 6], [1, 3, 10], grid)
    expect(r.slice(0, 2)).toEqual([null, null])
    expect(r[2]).toBe(2) // mean of 1 and 3
    expect(r[3]).toBeCloseTo(3 + (7 * 1) / 3.5)
    expect(r[6]).toBe(10)
    expect(r.slice(7)).toEqual([null, null, null])
  })
  it('gives mean, sample std, min and max over the runs present at each slot', () => {
    const s = aggregateSlots([
      [1, 2, null],
      [3, 2, null],
      [5, null, 4],
    ], 3)
    expect(s.mean).toEqual([3, 2, 4])
    expect(s.std[0]).toBeCloseTo(2)
    expect(s.std[1]).toBe(0)
    expect(s.std[2]).toBe(0)
    expect(s.min).toEqual([1, 2, 4])
    expect(s.max).toEqual([5, 2, 4])
    expect(s.n).toEqual([3, 2, 1])
    expect(bandOf(s, 'std').lower[0]).toBeCloseTo(1)
    expect(bandOf(s, 'std').upper[0]).toBeCloseTo(5)
    expect(bandOf(s, 'minmax')).toEqual({ lower: [1, 2, 4], upper: [5, 2, 4] })
  })
  it('refuses a grid without columns', () => {
    expect(() => gridOver([[1, 2]], 0)).toThrow(/columns >= 1, received 0/)
    expect(gridOver([[]], 10)).toBeNull()
    expect(gridOver([[3]], 10)).toEqual({ from: 2.5, to: 3.5, columns: 10 })
  })
})

describe('what a group sends', () => {
  it('one value per pixel column (the mean of its two slots), to 6 significant digits, back on the slots for the chart', () => {
    expect(perColumn([1, 3, null, 5, null, null, 7, null])).toEqual([2, 5, null, 7])
    expect(chartValue(0.123456789)).toBe(0.123457)
    expect(chartValue(123456.789)).toBe(123457)
    expect(chartValue(Number.NaN)).toBeNull()
    const g = groupCurve([perColumn([1, 1, 2, 2]), perColumn([3, 3, 4, 4])], 2)
    expect(g).toEqual({ mean: [2, 3], std: [chartValue(Math.SQRT2), chartValue(Math.SQRT2)], min: [1, 2], max: [3, 4] })
    expect(columnsToSlots(g.mean)).toEqual([2, 2, 3, 3])
  })
})
