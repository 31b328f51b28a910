import { describe, expect, it } from 'vitest'
import {
  bestTrial,
  createSearch,
  EarlyStop,
  gridTrials,
  LECTURE_SPACE,
  nextRound,
  parseSearch,
  refineSpace,
  runSearch,
  sampleTrials,
  searchSpaceSchema,
  serializeSearch,
  shouldStopEarly,
} from '../../../shared/procedure'
import type { SearchSpaceInput, TrialParams } from '../../../shared/procedure'

const space: SearchSpaceInput = {
  lr: { type: 'logUniform', min: 1e-6, max: 1e-3 },
  weightDecay: { type: 'logUniform', min: 1e-5, max: 1e5 },
  batchSize: { type: 'int', min: 16, max: 256, log: true },
  dropout: { type: 'uniform', min: 0, max: 0.5 },
  optimizer: { type: 'choice', values: ['sgd', 'adam'] },
}

/** A synthetic objective: best at lr = 1e-4.5, weight decay 1e-3, adam. */
function objective(p: TrialParams): number {
  return (Math.log10(p.lr as number) + 4.5) ** 2 + 0.1 * (Math.log10(p.weightDecay as number) + 3) ** 2 + (p.optimizer === 'adam' ? 0 : 0.5)
}

describe('search space and sampling', () => {
  it('samples log-uniformly within the ranges, seeded and stable when parameters are added', () => {
    const a = sampleTrials(space, 400, 'seed')
    expect(sampleTrials(space, 400, 'seed')).toEqual(a)
    expect(sampleTrials(space, 400, 'other')).not.toEqual(a)
    for (const t of a) {
      expect(t.lr).toBeGreaterThanOrEqual(1e-6)
      expect(t.lr).toBeLessThan(1e-3)
      expect(Number.isInteger(t.batchSize)).toBe(true)
      expect(t.batchSize).toBeGreaterThanOrEqual(16)
      expect(t.batchSize).toBeLessThanOrEqual(256)
      expect(['sgd', 'adam']).toContain(t.optimizer)
    }
    // Log-uniform: each decade of [1e-6, 1e-3) gets about a third of the samples.
    const decades = [0, 0, 0]
    for (const t of a) decades[Math.floor(-Math.log10(t.lr as number)) - 3]! += 1
    for (const d of decades) expect(d).toBeGreaterThan(100)
    const wd = a.map((t) => Math.log10(t.weightDecay as number))
    expect(Math.min(...wd)).toBeLessThan(-4)
    expect(Math.max(...wd)).toBeGreaterThan(4)
    // Adding a parameter does not change the others' values.
    const more = sampleTrials({ ...space, width: { type: 'choice', values: [0.5, 1, 2] } }, 400, 'seed')
    expect(more.map((t) => t.lr)).toEqual(a.map((t) => t.lr))
    expect(sampleTrials(LECTURE_SPACE, 1, 0)[0]).toHaveProperty('weightDecay')
  })

  it('builds the grid (log-spaced for log params) and rejects bad spaces', () => {
    const g = gridTrials({ lr: { type: 'logUniform', min: 1e-5, max: 1e-1 }, opt: { type: 'choice', values: ['sgd', 'adam'] } }, 5)
    expect(g).toHaveLength(10)
    expect([...new Set(g.map((t) => t.lr))].map((v) => Number((v as number).toPrecision(6)))).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
    expect(searchSpaceSchema.safeParse({ lr: { type: 'logUniform', min: 0, max: 1 } }).success).toBe(false)
    expect(searchSpaceSchema.safeParse({ lr: { type: 'uniform', min: 2, max: 1 } }).success).toBe(false)
  })

  it('refines around the best trials in log space, clipped to the old ranges', () => {
    const trials = sampleTrials(space, 60, 1)
    const results = trials.map((params) => ({ params, metric: objective(params), status: 'done' as const }))
    const fine = refineSpace(space, results, { topK: 5, shrink: 0.3 })
    const lr = fine.lr!
    const wd = fine.weightDecay!
    if (lr.type !== 'logUniform' || wd.type !== 'logUniform') throw new Error('kind changed')
    expect(lr.min).toBeGreaterThanOrEqual(1e-6)
    expect(lr.max).toBeLessThanOrEqual(1e-3)
    const width = Math.log10(lr.max) - Math.log10(lr.min)
    expect(width).toBeLessThan(3)
    expect(width).toBeGreaterThanOrEqual(0.3 * 3 - 1e-9)
    expect(Math.log10(lr.min)).toBeLessThan(-4.5)
    expect(Math.log10(lr.max)).toBeGreaterThan(-4.5)
    expect(Math.log10(wd.max) - Math.log10(wd.min)).toBeLessThan(10)
    const bs = fine.batchSize!
    expect(bs.type === 'int' && bs.log).toBe(true)
    expect(fine.optimizer).toEqual({ type: 'choice', values: expect.arrayContaining(['adam']) })
  })

  it('stops a trial early when the loss exceeds 3x the initial loss', () => {
    expect(shouldStopEarly(6.8, 2.3)).toBe(false)
    expect(shouldStopEarly(7, 2.3)).toBe(true)
    expect(shouldStopEarly(NaN, 2.3)).toBe(true)
    const e = new EarlyStop()
    expect([2.3, 2.0, 5.0, 6.0].map((l, i) => e.observe(l, i))).toEqual([false, false, false, false])
    expect(e.observe(7.2, 4)).toBe(true)
    expect(e.stoppedAt).toBe(4)
    expect(e.observe(1, 5)).toBe(true)
  })
})

describe('runSearch', () => {
  it('runs trials through the caller, pauses, survives a JSON round trip and resumes with the next trial; coarse to fine improves', async () => {
    const initial = createSearch(space, { trials: 12, seed: 'run' })
    expect(initial.pending).toHaveLength(12)
    const seen: number[] = []
    const runTrial = async (p: TrialParams, info: { id: number }) => {
      seen.push(info.id)
      if (info.id === 3) throw new Error('out of memory')
      const m = objective(p)
      return { metric: m, status: m > 5 ? ('early-stopped' as const) : ('done' as const), extra: { valAcc: 1 / (1 + m) } }
    }
    const saved: string[] = []
    let calls = 0
    const first = await runSearch(initial, runTrial, { shouldPause: () => calls++ >= 5, onState: (s) => void saved.push(serializeSearch(s)) })
    expect(first.status).toBe('paused')
    expect(first.state.done.map((d) => d.id)).toEqual([0, 1, 2, 3, 4])
    expect(first.state.done[3]).toMatchObject({ status: 'failed', note: 'out of memory' })
    expect(initial.done).toHaveLength(0) // not mutated
    // Restart: read the last saved state back.
    const restored = parseSearch(saved.at(-1)!)
    expect(restored.done[3]!.metric).toBe(Infinity) // Infinity -> null -> Infinity
    expect(restored.pending[0]!.id).toBe(5)
    const second = await runSearch(restored, runTrial)
    expect(second.status).toBe('finished')
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(second.state.done).toHaveLength(12)
    const coarseBest = bestTrial(second.state)!
    // Fine round.
    const fine = nextRound(second.state, { trials: 12, topK: 3, shrink: 0.25 })
    expect(fine.round).toBe(1)
    expect(fine.history).toHaveLength(1)
    expect(fine.pending.map((p) => p.id)).toEqual(Array.from({ length: 12 }, (_, i) => 12 + i))
    const done = await runSearch(parseSearch(JSON.parse(serializeSearch(fine))), runTrial)
    const fineResults = done.state.done.filter((d) => d.round === 1).map((d) => d.metric)
    const coarseResults = done.state.done.filter((d) => d.round === 0 && Number.isFinite(d.metric)).map((d) => d.metric)
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    expect(median(fineResults)).toBeLessThan(median(coarseResults))
    expect(bestTrial(done.state)!.metric).toBeLessThanOrEqual(coarseBest.metric)
  })
})
