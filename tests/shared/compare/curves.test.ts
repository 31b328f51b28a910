/**
 * Guards the curves of the Compare view (shared/compare/curves.ts): alignment on the four axes, min/max per pixel
 * column (extremes kept, at most two values per column), resampling for group means, and the band statistics.
 */
import { describe, expect, it } from 'vitest'
import { aggregateSlots, alignX, bandOf, columnsToSlots, gridOver, gridSlots, minMaxPerColumn, packCurve, packGroupCurve, perColumn, resampleOnGrid, slotOf, unpackCurve, unpackCurves } from '@shared/compare'
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
  it('one value per pixel column (the mean of its two slots), packed as float32 bytes, back on the slots for the chart', () => {
    expect(perColumn([1, 3, null, 5, null, null, 7, null])).toEqual([2, 5, null, 7])
    const g = packGroupCurve([perColumn([1, 1, 2, 2]), perColumn([3, 3, 4, 4])], 2)
    for (const v of Object.values(g)) expect(v.byteLength).toBe(2 * 4)
    const mean = unpackCurve(g.mean)
    expect(mean).toEqual([2, 3])
    expect(unpackCurve(g.std)).toEqual([Math.fround(Math.SQRT2), Math.fround(Math.SQRT2)])
    expect([unpackCurve(g.min), unpackCurve(g.max)]).toEqual([[1, 2], [3, 4]])
    expect(columnsToSlots(mean)).toEqual([2, 2, 3, 3])
  })
  it('packs to float32 and back: no value stays none, non-finite is none, beyond float32 is capped, any byte offset reads', () => {
    const rng = createRng(6)
    const values: (number | null)[] = [0, -0.5, null, Number.NaN, Infinity, 1e39, -1e39, 0.1, 123456.789, 1e-3]
    for (let i = 0; i < 2_000; i++) values.push((rng.float() - 0.5) * 10 ** Math.floor(rng.float() * 20 - 10))
    const packed = packCurve(values)
    expect(packed.byteLength).toBe(4 * values.length)
    const back = unpackCurve(packed)
    expect(back.slice(0, 10)).toEqual([0, -0.5, null, null, null, 3.4028234663852886e38, -3.4028234663852886e38, Math.fround(0.1), Math.fround(123456.789), Math.fround(1e-3)])
    back.slice(10).forEach((v, i) => expect(v).toBe(Math.fround(values[10 + i] as number)))
    // Within float32's 7 significant digits of the double.
    back.slice(10).forEach((v, i) => expect(Math.abs((v as number) - (values[10 + i] as number))).toBeLessThanOrEqual(Math.abs(values[10 + i] as number) * 2 ** -24))
    // An envelope part may start at any offset of its body.
    const shifted = new Uint8Array(packed.byteLength + 3)
    shifted.set(packed, 3)
    expect(unpackCurve(shifted.subarray(3))).toEqual(back)
    expect(() => unpackCurve(new Uint8Array(6))).toThrow(/6 bytes, not a whole number of float32 values/)
  })
  it('unpacks a whole answer: runs and groups, every statistic', () => {
    const packed = {
      axis: 'step' as const,
      x: [1, 2],
      runs: [{ runId: 7, series: { 'train/loss': packCurve([0.5, null]) } }],
      groups: [{ key: 'g', runIds: [7], series: { 'train/loss': packGroupCurve([[0.5]], 1) } }],
      unaligned: [3],
      points: 9,
    }
    expect(unpackCurves(packed)).toEqual({
      axis: 'step',
      x: [1, 2],
      runs: [{ runId: 7, series: { 'train/loss': [0.5, null] } }],
      groups: [{ key: 'g', runIds: [7], series: { 'train/loss': { mean: [0.5], std: [0], min: [0.5], max: [0.5] } } }],
      unaligned: [3],
      points: 9,
    })
  })
})
