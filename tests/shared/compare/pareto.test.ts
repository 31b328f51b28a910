/** Guards the trade-off plot's Pareto front (shared/compare/pareto.ts): on the front = dominated by no point. */
import { describe, expect, it } from 'vitest'
import { dominates, paretoFront, type Goals } from '@shared/compare'
import { createRng } from '@shared/random'

describe('Pareto front', () => {
  const rng = createRng('pareto')
  const goalsList: Goals[] = [
    { x: 'min', y: 'max' },
    { x: 'min', y: 'min' },
    { x: 'max', y: 'max' },
    { x: 'max', y: 'min' },
  ]
  it('property: no point on the front is dominated; every point off it is', () => {
    for (let trial = 0; trial < 200; trial++) {
      const n = rng.int(1, 60)
      // Small integer grids make ties and duplicates common.
      const points = Array.from({ length: n }, (_, id) => ({ id, x: rng.int(0, 8), y: rng.int(0, 8) }))
      const goals = goalsList[trial % 4]!
      const front = new Set(paretoFront(points, goals).map((p) => p.id))
      for (const p of points) {
        const dominated = points.some((q) => q !== p && dominates(q, p, goals))
        expect(front.has(p.id), `point ${JSON.stringify(p)} under ${JSON.stringify(goals)}`).toBe(!dominated)
      }
    }
  })
  it('orders the front by x and leaves non-finite points out', () => {
    const f = paretoFront(
      [
        { id: 1, x: 10, y: 0.9 },
        { id: 2, x: 1, y: 0.5 },
        { id: 3, x: 5, y: 0.4 },
        { id: 4, x: Number.NaN, y: 1 },
        { id: 5, x: 3, y: 0.8 },
      ],
      { x: 'min', y: 'max' },
    )
    expect(f.map((p) => p.id)).toEqual([2, 5, 1])
  })
})
