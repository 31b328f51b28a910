/** Guards the confusion-matrix diff (shared/compare/confusion-diff.ts): cell difference, per-class deltas, comparability, right/wrong images. */
import { describe, expect, it } from 'vitest'
import { classificationReport, diffConfusion, rightWrong, splitMismatch, type EvaluationIdentity } from '@shared/compare'

describe('confusion diff', () => {
  const a = [
    [8, 2, 0],
    [1, 7, 2],
    [0, 3, 7],
  ]
  const b = [
    [9, 1, 0],
    [0, 9, 1],
    [2, 1, 7],
  ]
  it('is B - A cell by cell, with precision and recall deltas per class', () => {
    const d = diffConfusion(a, b, ['cat', 'dog', 'fox'])
    expect(d.cells).toEqual([
      [1, -1, 0],
      [-1, 2, -1],
      [2, -2, 0],
    ])
    const ra = classificationReport(a)
    const rb = classificationReport(b)
    d.perClass.forEach((c, i) => {
      expect(c.className).toBe(['cat', 'dog', 'fox'][i])
      expect(c.recallDelta).toBeCloseTo(rb.perClass[i]!.recall! - ra.perClass[i]!.recall!)
      expect(c.precisionDelta).toBeCloseTo(rb.perClass[i]!.precision! - ra.perClass[i]!.precision!)
    })
    // dog: recall 7/10 -> 9/10; precision 7/12 -> 9/11
    expect(d.perClass[1]!.recallDelta).toBeCloseTo(0.2)
    expect(d.perClass[1]!.precisionDelta).toBeCloseTo(9 / 11 - 7 / 12)
    expect(d.accuracyDelta).toBeCloseTo(25 / 30 - 22 / 30)
  })
  it('leaves a delta undefined where a class is never predicted', () => {
    const d = diffConfusion(
      [
        [1, 0],
        [1, 0],
      ],
      [
        [1, 0],
        [0, 1],
      ],
    )
    expect(d.perClass[1]!.precisionA).toBeNull()
    expect(d.perClass[1]!.precisionDelta).toBeNull()
    expect(d.perClass[1]!.recallDelta).toBe(1)
  })
  it('refuses matrices of different sizes', () => {
    expect(() => diffConfusion([[1]], [[1, 0], [0, 1]])).toThrow(/1 and 2 classes/)
  })

  const id = (o: Partial<EvaluationIdentity>): EvaluationIdentity => ({ name: 'A', split: 'val', datasetId: 1, splitKey: 'k', count: 30, classes: ['cat', 'dog'], ...o })
  it('says clearly why two evaluations are not of the same images', () => {
    expect(splitMismatch(id({}), id({ name: 'B' }))).toBeNull()
    expect(splitMismatch(id({}), id({ name: 'B', split: 'test' }))).toMatch(/A was evaluated on its validation split, B on its test split/)
    expect(splitMismatch(id({}), id({ name: 'B', datasetId: 2 }))).toMatch(/different datasets/)
    expect(splitMismatch(id({}), id({ name: 'B', splitKey: 'other' }))).toMatch(/split the dataset differently/)
    expect(splitMismatch(id({}), id({ name: 'B', count: 29 }))).toMatch(/covers 30 images and B's 29/)
    expect(splitMismatch(id({}), id({ name: 'B', classes: ['dog', 'cat'] }))).toMatch(/name their classes differently/)
  })
  it('finds the images one gets right and the other wrong', () => {
    const r = rightWrong(
      { misclassified: [{ index: 4 }, { index: 1 }, { index: 9 }], misclassifiedTotal: 3 },
      { misclassified: [{ index: 9 }, { index: 7 }, { index: 2 }], misclassifiedTotal: 3 },
    )
    expect(r).toEqual({ onlyA: [2, 7], onlyB: [1, 4], complete: true })
    expect(rightWrong({ misclassified: [], misclassifiedTotal: 5 }, { misclassified: [], misclassifiedTotal: 0 }).complete).toBe(false)
  })
})
