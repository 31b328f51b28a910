/**
 * Guards `runs.curves` (main/services/runs-curves.ts) on a real database: runs aligned by examples seen line up
 * across batch sizes, a group's band is the mean/min/max of its runs, a run's curve keeps its spike through
 * min/max per pixel column with at most two values per column, smoothing is applied before, and runs that cannot
 * be placed are named.
 */
import { describe, expect, it } from 'vitest'
import { encodeEnvelope, envelopeLength, projectsContract, runsContract, type CurvesResult } from '@shared/api'
import { unpackCurves } from '@shared/compare'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()
/** The answer's numbers (it sends them packed as float32 bytes). */
const unpacked = async (answer: Promise<CurvesResult>) => unpackCurves(await answer)
async function setup() {
  const t = tempDataDir()
  const studio = openStudio(t.dir)
  temps.push(() => studio.close(), t.cleanup)
  const project = await clientFor(studio, projectsContract).create({ name: 'p' })
  return { project, runs: clientFor(studio, runsContract) }
}

const snapshot = (batchSize: number | undefined, seed: number) => ({ training: { ...(batchSize ? { batchSize } : {}), learningRate: 0.01, epochs: 2, seed } })
const points = (name: string, steps: number, f: (step: number) => number, stepsPerEpoch: number) =>
  Array.from({ length: steps }, (_, i) => ({ name, step: i + 1, epoch: (i + 1) / stepsPerEpoch, value: f(i + 1), time: 1_000_000 + (i + 1) * 500 }))

describe('runs.curves', () => {
  it('groups runs into mean and band, aligns by examples seen, keeps spikes, names runs it cannot place', async () => {
    const { project, runs } = await setup()
    const mk = async (batchSize: number | undefined, seed: number, steps: number, f: (s: number) => number) => {
      const r = await runs.create({ projectId: project.id, name: `b${batchSize}-s${seed}`, config: snapshot(batchSize, seed) })
      await runs.appendMetrics({ runId: r.id, points: points('train/loss', steps, f, steps / 2) })
      return r.id
    }
    // Batch 32 for 100 steps and batch 64 for 50 steps see the same 3,200 examples.
    const a = await mk(32, 1, 100, (s) => 1 + s / 100)
    const b = await mk(32, 2, 100, (s) => 3 + s / 100)
    const c = await mk(64, 3, 50, (s) => 2 + (2 * s) / 100 + (s === 20 ? 50 : 0))
    const noBatch = await mk(undefined, 4, 10, () => 1)

    const r = await unpacked(runs.curves({
      runIds: [a, b, c, noBatch],
      names: ['train/loss', 'val/loss'],
      axis: 'examples',
      columns: 20,
      runs: true,
      groups: [{ key: 'batch 32', runIds: [a, b] }, { key: 'all', runIds: [a, b, c, noBatch] }],
    }))
    expect(r.unaligned).toEqual([noBatch])
    expect(r.x).toHaveLength(40)
    expect(r.x[0]).toBeCloseTo(32 + (3200 - 32) / 80)
    expect(r.points).toBe(260)
    const g32 = r.groups[0]!
    expect(g32.runIds).toEqual([a, b])
    const band = g32.series['train/loss']!
    expect(Object.keys(g32.series)).toEqual(['train/loss'])
    expect(band.mean).toHaveLength(20) // one value per pixel column
    band.mean.forEach((m, i) => {
      expect(band.max[i]! - band.min[i]!).toBeCloseTo(2) // run b is run a + 2 everywhere
      expect(m).toBeCloseTo((band.min[i]! + band.max[i]!) / 2)
      expect(band.std[i]).toBeCloseTo(Math.SQRT2)
    })
    expect(r.groups[1]!.runIds).toEqual([a, b, c])
    // Run c's spike survives; every run has at most two values per column.
    const cc = r.runs.find((x) => x.runId === c)!.series['train/loss']!
    expect(Math.max(...cc.filter((v): v is number => v !== null))).toBeCloseTo(52.4)
    for (const run of r.runs) expect(run.series['train/loss']!.length).toBe(40)
    expect(r.runs.map((x) => x.runId)).toEqual([a, b, c])
    // Without runs only the groups come back.
    expect((await runs.curves({ runIds: [a], names: ['train/loss'], axis: 'step', columns: 8 })).runs).toEqual([])
  })

  it('smooths before reducing, and places wall time from the run’s first point', async () => {
    const { project, runs } = await setup()
    const r = await runs.create({ projectId: project.id, config: snapshot(8, 1) })
    await runs.appendMetrics({ runId: r.id, points: points('train/loss', 40, (s) => (s % 2 === 0 ? 0 : 10), 20) })
    const raw = await unpacked(runs.curves({ runIds: [r.id], names: ['train/loss'], axis: 'time', columns: 10, runs: true }))
    expect(raw.x[0]).toBeCloseTo(19.5 / 40) // x from 0 (the first point) to 19.5 s
    expect(raw.x.at(-1)).toBeCloseTo(19.5 - 19.5 / 40)
    const flat = (await unpacked(runs.curves({ runIds: [r.id], names: ['train/loss'], axis: 'time', columns: 10, runs: true, smooth: { weight: 0.9, names: ['train/loss'] } }))).runs[0]!.series['train/loss']!
    const spread = (v: (number | null)[]) => Math.max(...(v.slice(4) as number[])) - Math.min(...(v.slice(4) as number[]))
    expect(spread(raw.runs[0]!.series['train/loss']!)).toBe(10)
    expect(spread(flat)).toBeLessThan(3)
  })

  it('refuses unknown runs and groups naming runs it was not asked for', async () => {
    const { project, runs } = await setup()
    const r = await runs.create({ projectId: project.id, config: snapshot(8, 1) })
    await expect(runs.curves({ runIds: [r.id, 999], names: ['x'], axis: 'step', columns: 8 })).rejects.toThrow(/Run 999 not found/)
    await expect(runs.curves({ runIds: [r.id], names: ['x'], axis: 'step', columns: 8, groups: [{ key: 'g', runIds: [r.id + 1] }] })).rejects.toThrow(/Group "g" names run/)
    expect(await runs.curves({ runIds: [r.id], names: ['x'], axis: 'step', columns: 8 })).toEqual({ axis: 'step', x: [], runs: [], groups: [], unaligned: [], points: 0 })
  })
})

describe('runs.curves at scale', () => {
  it('a grouped overlay of 200 runs x 5,000 points is a small payload: one value per pixel column and statistic', async () => {
    const t = tempDataDir()
    const studio = openStudio(t.dir)
    temps.push(() => studio.close(), t.cleanup)
    const project = await clientFor(studio, projectsContract).create({ name: 'p' })
    const runs = clientFor(studio, runsContract)
    // Two learning rates x 100 seeds; each run 4,975 train/loss steps and 25 val/acc epochs (5,000 points).
    const ids: number[][] = [[], []]
    studio.db.exec('BEGIN') // one sync to disk for the 1,000,000 points (each call's own transaction nests)
    for (let i = 0; i < 200; i++) {
      const g = i % 2
      const r = await runs.create({ projectId: project.id, name: `r${i}`, config: snapshot(32, i) })
      const loss = points('train/loss', 4975, (s) => (g + 1) * Math.exp(-s / 2000) + ((s * 7919 + i * 104729) % 1000) / 10_000, 199)
      const acc = Array.from({ length: 25 }, (_, e) => ({ name: 'val/acc', step: (e + 1) * 199, epoch: e + 1, value: 0.5 + 0.018 * e + i / 100_000, time: 2_000_000 + e }))
      await runs.appendMetrics({ runId: r.id, points: [...loss, ...acc] })
      ids[g]!.push(r.id)
    }
    studio.db.exec('COMMIT')
    const columns = 320 // Compare's curve charts
    const packed = await runs.curves({ runIds: ids.flat(), names: ['train/loss', 'val/acc'], axis: 'step', columns, groups: [{ key: 'lr 0.1', runIds: ids[0]! }, { key: 'lr 0.01', runIds: ids[1]! }] })
    expect(packed.points).toBe(1_000_000)
    // What the browser host sends (shared/api/wire): x as JSON, every curve as float32 bytes.
    const bytes = envelopeLength(encodeEnvelope(packed))
    console.log(`grouped overlay, 200 runs x 5,000 points, 2 groups, ${columns} columns: ${bytes} bytes`)
    // x: 640 slots; per group and name mean, std, min, max of 320 values each, 4 bytes a value (20 KB), and the x.
    const r = unpackCurves(packed)
    expect(r.x).toHaveLength(2 * columns)
    for (const g of r.groups) for (const s of Object.values(g.series)) for (const v of [s.mean, s.std, s.min, s.max]) expect(v).toHaveLength(columns)
    expect(bytes).toBeLessThan(2 * 2 * 4 * columns * 4 + 2 * columns * 20 + 4000)
    // What it stands for: the group's mean is that of its runs (lr 0.01 runs' loss is twice lr 0.1's, plus the same noise).
    const [a, b] = [r.groups[0]!.series['train/loss']!, r.groups[1]!.series['train/loss']!]
    expect(a.mean[0]! * 2).toBeCloseTo(b.mean[0]!, 1)
    expect(r.groups[0]!.series['val/acc']!.max.at(-1)).toBeCloseTo(0.5 + 0.018 * 24 + 198 / 100_000, 2) // the last column: the last epoch's point
    // Each run's own curve too (on demand): two values per column, still far from the million points.
    const withRuns = await runs.curves({ runIds: ids.flat(), names: ['train/loss', 'val/acc'], axis: 'step', columns, runs: true, groups: [{ key: 'all', runIds: ids.flat() }] })
    const runBytes = envelopeLength(encodeEnvelope(withRuns))
    console.log(`the same with each run's curve: ${runBytes} bytes`)
    expect(runBytes).toBeLessThan(200 * 2 * 2 * columns * 4 + 200 * 2 * 200 + 2 * columns * 20 + 4000) // values, each part's header entry, x
  }, 300_000)
})
