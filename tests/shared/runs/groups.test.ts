import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { columnLabel, groupRuns, isSeedColumn, metricStats, formatMeanStd, parseMetricColumn, metricColumnKey, type GroupableRun, type GroupValue } from '@shared/runs'

const run = (id: number, values: Record<string, GroupValue>, tags: string[] = []): GroupableRun => ({ id, tags, values })

describe('metric columns and labels', () => {
  it('parses every metric column kind and writes its key back', () => {
    expect(parseMetricColumn('metric:val/acc')).toEqual({ name: 'val/acc', agg: 'last' })
    expect(parseMetricColumn('metric:val/loss:min')).toEqual({ name: 'val/loss', agg: 'min' })
    expect(parseMetricColumn('metric:val/acc:step=500')).toEqual({ name: 'val/acc', at: 'step', value: 500 })
    expect(parseMetricColumn('metric:a:b:epoch=2.5')).toEqual({ name: 'a:b', at: 'epoch', value: 2.5 })
    expect(parseMetricColumn('metric:')).toBeNull()
    expect(parseMetricColumn('metric::step=3')).toBeNull()
    expect(parseMetricColumn('training.seed')).toBeNull()
    for (const k of ['metric:val/loss:min', 'metric:val/acc:step=500', 'metric:x:epoch=3']) expect(metricColumnKey(parseMetricColumn(k)!)).toBe(k)
  })

  it('says columns in words and knows the seed', () => {
    expect(columnLabel('learningRate')).toBe('learning rate')
    expect(columnLabel('metric:val/loss:min')).toBe('val/loss (min)')
    expect(columnLabel('metric:val/acc')).toBe('val/acc')
    expect(columnLabel('metric:val/acc:step=500')).toBe('val/acc (step 500)')
    expect(columnLabel('training.optimizer.momentum')).toBe('optimizer.momentum')
    for (const k of ['training.seed', 'seed', 'config:training.seed']) expect(isSeedColumn(k), k).toBe(true)
    for (const k of ['training.seedling', 'metric:seed', 'learningRate']) expect(isSeedColumn(k), k).toBe(false)
  })
})

describe('metricStats', () => {
  it('is the mean and the sample standard deviation (n - 1)', () => {
    const s = metricStats([0.8, 0.9, 1.0, null, undefined, Number.NaN])
    expect(s.n).toBe(3)
    expect(s.mean).toBeCloseTo(0.9, 12)
    expect(s.std).toBeCloseTo(0.1, 12) // population std would be 0.0816
    expect(s.min).toBe(0.8)
    expect(s.max).toBe(1.0)
    expect(metricStats([5])).toEqual({ n: 1, mean: 5, std: 0, min: 5, max: 5 })
    expect(metricStats([null, 'x'])).toEqual({ n: 0, mean: null, std: null, min: null, max: null })
  })
})

describe('groupRuns', () => {
  const six = [0.01, 0.1].flatMap((lr, i) =>
    [1, 2, 3].map((seed) => run(i * 3 + seed, { learningRate: lr, batchSize: 32, optimizer: 'adam', 'training.seed': seed, settingsKey: `k${lr}`, name: `r${seed}`, 'metric:val/acc:max': lr * 5 + seed / 100 })),
  )

  it('by everything except the seed: one group per learning rate, labelled by what differs', () => {
    const g = groupRuns(six, { kind: 'exceptSeed' }, ['metric:val/acc:max'])
    expect(g.map((x) => x.label)).toEqual(['learning rate 0.01', 'learning rate 0.1'])
    expect(g.map((x) => x.runIds)).toEqual([[1, 2, 3], [4, 5, 6]])
    expect(g.map((x) => x.count)).toEqual([3, 3])
    const s = g[0]!.stats['metric:val/acc:max']!
    expect(s.mean).toBeCloseTo(0.05 + 0.02, 12)
    expect(s.std).toBeCloseTo(0.01, 12)
    expect(g[1]!.stats['metric:val/acc:max']!.mean).toBeCloseTo(0.5 + 0.02, 12)
  })

  it('by a column: the seed itself; a missing value is its own group, named so, last', () => {
    const g = groupRuns([...six, run(9, { learningRate: 0.1 })], { kind: 'columns', columns: ['training.seed'] }, [])
    expect(g.map((x) => x.label)).toEqual(['seed 1', 'seed 2', 'seed 3', 'no seed'])
    expect(g.map((x) => x.runIds)).toEqual([[1, 4], [2, 5], [3, 6], [9]])
  })

  it('by tags: one group per set of tags', () => {
    const g = groupRuns([run(1, {}, ['b', 'a']), run(2, {}, ['a', 'b']), run(3, {}, []), run(4, {}, ['a'])], { kind: 'tags' }, [])
    expect(g.map((x) => [x.label, x.runIds])).toEqual([
      ['no tags', [3]],
      ['tags a', [4]],
      ['tags a, b', [1, 2]],
    ])
  })

  it('names the settings fingerprint only where nothing else tells groups apart', () => {
    const runs = [run(1, { learningRate: 0.1, settingsKey: 'aaaaaaaa' }), run(2, { learningRate: 0.1, settingsKey: 'bbbbbbbb' }), run(3, { learningRate: 0.2, settingsKey: 'cccccccc' })]
    expect(groupRuns(runs, { kind: 'exceptSeed' }, []).map((g) => g.label)).toEqual(['learning rate 0.1, settings aaaaaa', 'learning rate 0.1, settings bbbbbb', 'learning rate 0.2, settings cccccc'])
  })

  it('one group of alike runs says so', () => {
    expect(groupRuns(six.slice(0, 3), { kind: 'exceptSeed' }, [])[0]!.label).toBe('all settings alike')
  })

  const value = fc.oneof(fc.constantFrom(0.01, 0.1, 1), fc.constantFrom('adam', 'sgd'), fc.constant(null), fc.boolean())
  const runsArb = fc
    .array(fc.record({ learningRate: value, optimizer: value, 'training.seed': fc.integer({ min: 0, max: 3 }), 'metric:m': fc.option(fc.double({ min: -10, max: 10, noNaN: true }), { nil: null }) }), { maxLength: 40 })
    .map((vs) => vs.map((v, i) => run(i + 1, v, i % 3 === 0 ? ['x'] : [])))
  const byArb = fc.oneof(
    fc.constant({ kind: 'exceptSeed' } as const),
    fc.constant({ kind: 'tags' } as const),
    fc.subarray(['learningRate', 'optimizer', 'training.seed']).map((columns) => ({ kind: 'columns', columns }) as const),
  )

  it('partitions the runs, with unique keys, the same whatever the order of the runs (property)', () => {
    fc.assert(
      fc.property(runsArb, byArb, fc.integer(), (runs, by, seed) => {
        const g = groupRuns(runs, by, ['metric:m'])
        const ids = g.flatMap((x) => x.runIds).sort((a, b) => a - b)
        expect(ids).toEqual(runs.map((r) => r.id))
        expect(new Set(g.map((x) => x.key)).size).toBe(g.length)
        for (const x of g) expect(x.count).toBe(x.runIds.length)
        // Shuffled input: the same groups (keys, labels, members) in the same order.
        const shuffled = [...runs].sort((a, b) => ((a.id * 7919 + seed) % 101) - ((b.id * 7919 + seed) % 101))
        const h = groupRuns(shuffled, by, ['metric:m'])
        expect(h.map((x) => [x.key, x.label, [...x.runIds].sort((a, b) => a - b)])).toEqual(g.map((x) => [x.key, x.label, [...x.runIds].sort((a, b) => a - b)]))
      }),
    )
  })

  it('a group of one run has std 0; every group mean lies within its min and max (property)', () => {
    fc.assert(
      fc.property(runsArb, byArb, (runs, by) => {
        for (const x of groupRuns(runs, by, ['metric:m'])) {
          const s = x.stats['metric:m']!
          if (s.n === 1) expect(s.std).toBe(0)
          if (s.n > 0) {
            expect(s.mean!).toBeGreaterThanOrEqual(s.min! - 1e-9)
            expect(s.mean!).toBeLessThanOrEqual(s.max! + 1e-9)
          }
        }
      }),
    )
  })

  it('by everything except the seed, runs that differ only in the seed share a group (property)', () => {
    fc.assert(
      fc.property(runsArb, (runs) => {
        const g = groupRuns(runs, { kind: 'exceptSeed' }, [])
        const groupOf = new Map(g.flatMap((x) => x.runIds.map((id) => [id, x.key] as const)))
        for (const a of runs)
          for (const b of runs) {
            const alike = a.values.learningRate === b.values.learningRate && a.values.optimizer === b.values.optimizer
            expect(groupOf.get(a.id) === groupOf.get(b.id)).toBe(alike)
          }
      }),
    )
  })
})

describe('formatMeanStd', () => {
  const stats = (values: number[]) => metricStats(values)
  it('rounds the std to two significant digits and the mean to the same place', () => {
    expect(formatMeanStd({ ...stats([1, 2]), mean: 0.4237, std: 0.01703 })).toBe('0.424 ± 0.017')
    expect(formatMeanStd({ ...stats([1, 2]), mean: 0.08797, std: 0.008303 })).toBe('0.0880 ± 0.0083')
    expect(formatMeanStd({ ...stats([1, 2]), mean: 1234.5, std: 56.7 })).toBe('1235 ± 57')
    expect(formatMeanStd(stats([0.9, 0.9, 0.9]))).toBe('0.9 ± 0')
  })
  it('leaves unit formatters to format both values, and says "—" without values', () => {
    expect(formatMeanStd({ ...stats([1, 2]), mean: 0.86, std: 0.028 }, (v) => `${(v * 100).toFixed(1)}%`)).toBe('86.0% ± 2.8%')
    expect(formatMeanStd(stats([]))).toBe('—')
  })
})
