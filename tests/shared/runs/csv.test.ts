import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { groupRuns, parseCsv, runsToCsv, type CsvRun } from '@shared/runs'

const runOf = (id: number, values: Record<string, string | number | null | string[]>): CsvRun => ({ id, value: (k) => values[k] })

describe('runs CSV', () => {
  it('writes labelled columns, quotes what needs it, and reads back the same fields', () => {
    const csv = runsToCsv(
      [{ key: 'name' }, { key: 'learningRate' }, { key: 'metric:val/acc:step=500' }, { key: 'tags' }],
      [runOf(1, { name: 'a, "quoted"\nrun', learningRate: 0.001, 'metric:val/acc:step=500': null, tags: ['x', 'y'] }), runOf(2, { name: ' b', learningRate: 1e-7, 'metric:val/acc:step=500': 0.123456789, tags: [] })],
    )
    expect(csv.split('\r\n')[0]).toBe('name,learning rate,val/acc (step 500),tags')
    expect(parseCsv(csv)).toEqual([
      ['name', 'learning rate', 'val/acc (step 500)', 'tags'],
      ['a, "quoted"\nrun', '0.001', '', 'x; y'],
      [' b', '1e-7', '0.123456789', ''],
    ])
  })

  it('puts each run under its group label, group by group', () => {
    const runs = [1, 2, 3, 4].map((id) => ({ id, tags: [], values: { learningRate: id % 2 ? 0.1 : 0.01 } }))
    const groups = groupRuns(runs, { kind: 'columns', columns: ['learningRate'] }, [])
    const csv = runsToCsv([{ key: 'id', label: 'Run' }], runs.map((r) => runOf(r.id, { id: r.id })), groups)
    expect(parseCsv(csv)).toEqual([['Group', 'Run'], ['learning rate 0.01', '2'], ['learning rate 0.01', '4'], ['learning rate 0.1', '1'], ['learning rate 0.1', '3']])
  })

  it('refuses an unclosed quote', () => {
    expect(() => parseCsv('a,"b\n')).toThrow(/missing closing quote/)
  })

  it('round-trips any text fields (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string(), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 10 }), (cells) => {
        const csv = runsToCsv([{ key: 'a' }, { key: 'b' }], cells.map((c, i) => runOf(i, { a: c[0]!, b: c[1]! })))
        expect(parseCsv(csv).slice(1)).toEqual(cells)
      }),
    )
  })
})
