import { describe, expect, it } from 'vitest'
import type { Curves } from '@shared/compare'
import { hashId, RUN_PALETTE, runColor } from '../../renderer/src/runs/colors'
import { planChart, spansDecades } from '../../renderer/src/runs/overlay'
import { emaSmooth } from '@shared/compare'
import { COLUMN_WORDS, columnKeyFromWords, columnLabel } from '@shared/runs'
import {
  addExtraColumn,
  extraColumnLabel,
  formatCount,
  formatDuration,
  formatDurationCompact,
  formatNumber,
  INITIAL_TABLE_STATE,
  parseThreshold,
  setMetricChoice,
  tableLines,
  toggleIds,
  windowRange,
  removeExtraColumn,
  toggleAll,
  toggleSelected,
  toggleSort,
  toQuery,
  withFilter,
} from '../../renderer/src/runs/table-state'
import { filterTiles, imageToRgba, mapToRgba } from '../../renderer/src/runs/images'

describe('run colors', () => {
  it('are stable per run id and come from the palette', () => {
    for (const id of [1, 2, 3, 42, 1000, 123456]) {
      expect(runColor(id)).toBe(runColor(id))
      expect(RUN_PALETTE).toContain(runColor(id))
    }
    // Pinned: a run keeps its color across sessions and versions of the view.
    expect([1, 2, 3, 4].map(runColor)).toEqual([1, 2, 3, 4].map((id) => RUN_PALETTE[hashId(id) % RUN_PALETTE.length]))
    expect(hashId(7)).toBe(hashId(7))
  })

  it('spread neighbouring ids over the palette', () => {
    const used = new Set(Array.from({ length: 48 }, (_, i) => runColor(i + 1)))
    expect(used.size).toBeGreaterThanOrEqual(10)
    // Consecutive runs (the usual comparison) rarely share a color.
    let same = 0
    for (let id = 1; id < 200; id++) if (runColor(id) === runColor(id + 1)) same++
    expect(same).toBeLessThan(200 / 6)
  })
})

describe('EMA smoothing', () => {
  it('leaves values as they are with weight 0', () => {
    expect(emaSmooth([1, 2, null, 3], 0)).toEqual([1, 2, null, 3])
  })

  it('is debiased (starts at the first value) and follows a constant exactly', () => {
    const s = emaSmooth([5, 5, 5, 5], 0.9)
    for (const v of s) expect(v).toBeCloseTo(5, 10)
  })

  it('keeps gaps without resetting and smooths toward the recent values', () => {
    const s = emaSmooth([0, null, 10, 10, 10], 0.5)
    expect(s[0]).toBe(0)
    expect(s[1]).toBeNull()
    // after 0 then 10: (0.5*0.5*0 ... ) debiased = (0.25*0 + 0.5*... ) -> between 0 and 10
    expect(s[2] as number).toBeGreaterThan(0)
    expect(s[2] as number).toBeLessThan(10)
    expect(s[4] as number).toBeGreaterThan(s[2] as number)
    expect(s[4] as number).toBeLessThan(10)
  })

  it('matches the TensorBoard formula', () => {
    const w = 0.6
    const xs = [1, 3, 2, 5]
    let last = 0
    const expected = xs.map((x, i) => {
      last = last * w + (1 - w) * x
      return last / (1 - Math.pow(w, i + 1))
    })
    emaSmooth(xs, w).forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 12))
  })
})

describe('overlay plan', () => {
  const result: Curves = {
    axis: 'step',
    x: [1, 2, 3, 4],
    runs: [
      { runId: 1, series: { 'train/loss': [2.3, 2.0, 1.5, null], 'val/loss': [null, null, 1.8, null] } },
      { runId: 2, series: { 'train/loss': [2.3, 2.2, 2.1, 2.0] } },
    ],
    // A group's values: one per pixel column (two columns here, four slots of x).
    groups: [{ key: 'g', runIds: [1, 2], series: { 'train/loss': { mean: [2.2, 1.8], std: [0.1, 0.3], min: [2.0, 1.5], max: [2.3, 2.1] } } }],
    unaligned: [],
    points: 0,
  }
  const specs = [{ name: 'train/loss', label: 'train' }, { name: 'val/loss', label: 'val', dash: true }]
  const opts = { colorOfRun: runColor, labelOfRun: (id: number) => `run ${id}` }

  it('draws one line per run and metric, in the run’s colour, named in the legend', () => {
    const p = planChart(result, specs, opts)
    expect(p.x).toEqual([1, 2, 3, 4])
    expect(p.series.map((s) => s.label)).toEqual(['run 1 · train', 'run 1 · val', 'run 2 · train'])
    expect(p.series[1]?.dash).toBe(true)
    expect(p.series[2]?.color).toBe(runColor(2))
    expect(p.fills).toEqual([])
    expect(planChart(result, specs, { ...opts, scale: 100 }).series[0]?.values[0]).toBeCloseTo(230)
  })

  it('draws a group as its mean line over a filled band (min-max or mean ± std), its runs on demand', () => {
    const groups = [{ key: 'g', label: 'lr 0.1', color: '#4c8dff' }]
    const p = planChart(result, specs, { ...opts, groups, band: 'minmax' })
    expect(p.fills).toHaveLength(1)
    const f = p.fills[0]!
    expect(p.series[f.upper]?.values).toEqual([2.3, 2.3, 2.1, 2.1]) // each column's value in both its slots
    expect(p.series[f.lower]?.values).toEqual([2.0, 2.0, 1.5, 1.5])
    expect(p.series[f.upper]?.legend).toBe(false)
    expect(p.series.at(-1)).toMatchObject({ label: 'lr 0.1 (2 runs) · train', color: '#4c8dff', values: [2.2, 2.2, 1.8, 1.8] })
    const std = planChart(result, specs, { ...opts, groups, band: 'std' })
    expect(std.series[std.fills[0]!.upper]?.values[2]).toBeCloseTo(2.1)
    expect(std.series[std.fills[0]!.lower]?.values[2]).toBeCloseTo(1.5)
    const withRuns = planChart(result, specs, { ...opts, groups, band: 'minmax', showRuns: true })
    expect(withRuns.series.filter((s) => s.label.startsWith('run ')).map((s) => s.label)).toEqual(['run 1 · train', 'run 2 · train', 'run 1 · val'])
    expect(withRuns.series.filter((s) => s.label.startsWith('run ')).every((s) => s.legend === false)).toBe(true)
  })

  it('says when values span decades (log scale)', () => {
    expect(spansDecades([0.1, 0.001, null], 2)).toBe(true)
    expect(spansDecades([0.1, 0.02], 2)).toBe(false)
    expect(spansDecades([], 2)).toBe(false)
  })
})

describe('runs table state', () => {
  it('sorts by a clicked header, then flips the direction', () => {
    let s = toggleSort(INITIAL_TABLE_STATE, 'bestValAccuracy')
    expect(s.sort).toEqual({ column: 'bestValAccuracy', dir: 'desc' })
    s = toggleSort(s, 'bestValAccuracy')
    expect(s.sort.dir).toBe('asc')
    expect(toggleSort(s, 'name').sort).toEqual({ column: 'name', dir: 'asc' })
    expect(toggleSort(s, 'finalLoss').sort).toEqual({ column: 'finalLoss', dir: 'asc' })
  })

  it('builds the runs.table query', () => {
    const s = withFilter(addExtraColumn(INITIAL_TABLE_STATE, 'metric:val/loss:min'), {
      text: '  lenet ',
      statuses: ['completed'],
      tags: ['sweep'],
      starredOnly: true,
      thresholds: [{ name: 'bestValAccuracy', op: '>=', value: 0.9 }],
    })
    expect(toQuery(7, { ...s, group: { kind: 'exceptSeed' } })).toEqual({
      projectId: 7,
      sort: { column: 'createdAt', dir: 'desc' },
      filter: { text: 'lenet', status: ['completed'], tags: ['sweep'], starred: true, metrics: [{ name: 'bestValAccuracy', op: '>=', value: 0.9 }] },
      extraColumns: ['metric:val/loss:min'],
      group: { kind: 'exceptSeed' },
    })
    // Every matched run at once: the table is virtualized, not paged.
    expect(toQuery(7, INITIAL_TABLE_STATE)).toEqual({ projectId: 7, sort: { column: 'createdAt', dir: 'desc' } })
  })

  it('changes what a metric column shows; its sort and thresholds follow', () => {
    let s = addExtraColumn(INITIAL_TABLE_STATE, 'metric:val/acc:best')
    s = { ...toggleSort(s, 'metric:val/acc:best'), thresholds: [{ name: 'metric:val/acc:best', op: '>', value: 0.5 }] }
    const t = setMetricChoice(s, 'metric:val/acc:best', { name: 'val/acc', at: 'step', value: 500 })
    expect(t.extraColumns).toEqual(['metric:val/acc:step=500'])
    expect(t.sort.column).toBe('metric:val/acc:step=500')
    expect(t.thresholds.map((x) => x.name)).toEqual(['metric:val/acc:step=500'])
    // A choice already shown as another column is not made twice.
    const u = addExtraColumn(t, 'metric:val/acc:last')
    expect(setMetricChoice(u, 'metric:val/acc:step=500', { name: 'val/acc', agg: 'last' })).toBe(u)
  })

  it('lays out group rows and the runs of open groups; windows fixed-height lines', () => {
    const rows = [1, 2, 3].map((id) => ({ id }) as never)
    const groups = [
      { key: 'a', label: 'A', values: {}, runIds: [3, 1], count: 2, stats: {} },
      { key: 'b', label: 'B', values: {}, runIds: [2], count: 1, stats: {} },
    ]
    expect(tableLines(rows, undefined, new Set()).map((l) => l.kind)).toEqual(['run', 'run', 'run'])
    const lines = tableLines(rows, groups, new Set(['a']))
    expect(lines.map((l) => (l.kind === 'group' ? `g:${l.group.key}` : (l.row as { id: number }).id))).toEqual(['g:a', 3, 1, 'g:b'])
    expect(windowRange(0, 330, 33, 10_000, 0)).toEqual({ start: 0, end: 10 })
    expect(windowRange(33_000, 330, 33, 10_000, 5)).toEqual({ start: 995, end: 1015 })
    expect(windowRange(330_000, 330, 33, 10_000, 5)).toEqual({ start: 9995, end: 10_000 })
    expect(toggleIds([9, 1], [1, 2])).toEqual([9, 1, 2])
    expect(toggleIds([9, 1, 2], [1, 2])).toEqual([9])
  })

  it('adds and removes extra columns (once each; removing drops its sort and thresholds)', () => {
    let s = addExtraColumn(INITIAL_TABLE_STATE, 'training.seed')
    expect(addExtraColumn(s, 'training.seed').extraColumns).toEqual(['training.seed'])
    s = { ...toggleSort(s, 'training.seed'), thresholds: [{ name: 'training.seed', op: '=', value: 1 }] }
    s = removeExtraColumn(s, 'training.seed')
    expect(s.extraColumns).toEqual([])
    expect(s.sort).toEqual(INITIAL_TABLE_STATE.sort)
    expect(s.thresholds).toEqual([])
  })

  it('parses thresholds', () => {
    expect(parseThreshold('bestValAccuracy >= 0.9')).toEqual({ name: 'bestValAccuracy', op: '>=', value: 0.9 })
    expect(parseThreshold('metric:val/loss:min<0.5')).toEqual({ name: 'metric:val/loss:min', op: '<', value: 0.5 })
    expect(parseThreshold('learningRate != 1e-3')).toEqual({ name: 'learningRate', op: '!=', value: 0.001 })
    expect(parseThreshold('finalLoss <')).toBeNull()
    expect(parseThreshold('>= 3')).toBeNull()
    expect(parseThreshold('acc > high')).toBeNull()
  })

  it('keeps the selection in picking order and toggles a page', () => {
    expect(toggleSelected([3, 1], 2)).toEqual([3, 1, 2])
    expect(toggleSelected([3, 1, 2], 1)).toEqual([3, 2])
    const rows = [{ id: 1 }, { id: 2 }]
    expect(toggleAll([5], rows)).toEqual([5, 1, 2])
    expect(toggleAll([5, 1, 2], rows)).toEqual([5])
  })

  it('formats numbers for people', () => {
    expect(formatDuration(271_000)).toBe('00:04:31')
    expect(formatDuration(90_061_000)).toBe('1d 01:01:01')
    expect(formatDuration(null)).toBe('—')
    expect(formatDurationCompact(271_000)).toBe('4:31')
    expect(formatDurationCompact(27_000)).toBe('0:27')
    expect(formatDurationCompact(3_912_000)).toBe('1:05:12')
    expect(formatDurationCompact(36_053_000)).toBe('10:00:53')
    expect(formatDurationCompact(90_061_000)).toBe('1d 01:01:01')
    expect(formatCount(138_357_544)).toBe('138.4 M')
    expect(formatCount(61_706)).toBe('61.7 K')
    expect(formatCount(4_321)).toBe('4,321')
    expect(formatNumber(0.001)).toBe('0.001')
    expect(formatNumber(0.0001)).toBe('1e-4')
    expect(formatNumber(0.00025)).toBe('2.5e-4')
    expect(formatNumber(0.42241)).toBe('0.4224')
    expect(formatNumber(null)).toBe('—')
    expect(extraColumnLabel('metric:val/loss:min')).toBe('val/loss (min)')
    expect(extraColumnLabel('metric:val/acc')).toBe('val/acc')
    expect(extraColumnLabel('training.optimizer.momentum')).toBe('optimizer.momentum')
  })
})

describe('images for the gallery and the filters', () => {
  it('expands grayscale to RGBA', () => {
    expect(Array.from(imageToRgba(new Uint8Array([0, 255]), 1, 2, 1))).toEqual([0, 0, 0, 255, 255, 255, 255, 255])
  })

  it('scales a map channel to its own range', () => {
    const rgba = mapToRgba(new Float32Array([-1, 10, 1, 20]), 1, 2, 2, 0)
    expect([rgba[0], rgba[4]]).toEqual([0, 255])
    expect(Array.from(mapToRgba(new Float32Array([3, 3]), 1, 2, 1, 0)).filter((_, i) => i % 4 === 0)).toEqual([128, 128])
  })

  it('cuts conv kernels [kh, kw, cin, cout] into one tile per filter', () => {
    // 1x2 kernel, 2 input channels, 2 filters: value = 1000*y + 100*x + 10*cin + cout
    const kh = 1
    const kw = 2
    const cin = 2
    const cout = 2
    const v = new Float32Array(kh * kw * cin * cout)
    for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) v[(x * cin + i) * cout + o] = 100 * x + 10 * i + o
    const tiles = filterTiles(v, [kh, kw, cin, cout])
    expect(tiles).toHaveLength(2)
    expect(tiles[1]?.c).toBe(1)
    // mean over the two input channels of filter 1: x=0 -> (1 + 11)/2 = 6, x=1 -> (101 + 111)/2 = 106
    expect(Array.from(tiles[1]?.data ?? [])).toEqual([6, 106])
  })
})

describe('thresholds and columns in the table words', () => {
  it('reads a column named as its header reads, or by its key', () => {
    expect(parseThreshold('best val accuracy ≥ 0.9')).toEqual({ name: 'bestValAccuracy', op: '>=', value: 0.9 })
    expect(parseThreshold('Last-epoch loss ≤ 0.5')).toEqual({ name: 'finalLoss', op: '<=', value: 0.5 })
    expect(parseThreshold('val/loss (min) < 0.5')).toEqual({ name: 'metric:val/loss:min', op: '<', value: 0.5 })
    expect(parseThreshold('val/acc (epoch 3) ≠ 1')).toEqual({ name: 'metric:val/acc:epoch=3', op: '!=', value: 1 })
    expect(parseThreshold('momentum > 0.5', ['training.momentum'])).toEqual({ name: 'training.momentum', op: '>', value: 0.5 })
    expect(columnKeyFromWords('val/loss (best)')).toBe('metric:val/loss:best')
    expect(columnKeyFromWords('val/acc (step 500)')).toBe('metric:val/acc:step=500')
    expect(columnKeyFromWords('learning rate')).toBe('learningRate')
    expect(columnKeyFromWords('metric:val/loss:min')).toBe('metric:val/loss:min')
    expect(columnKeyFromWords('  something else ')).toBe('something else')
    // Every base column's label leads back to its key.
    for (const key of Object.keys(COLUMN_WORDS)) expect(columnKeyFromWords(columnLabel(key))).toBe(key)
  })
})
