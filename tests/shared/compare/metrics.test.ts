import { describe, expect, it } from 'vitest'
import { classificationReport, confusionFromPredictions, confusionTotal, misclassified, normalizeConfusion, topConfusions, fromColumnar, toColumnar } from '@shared/compare'

// 3 classes, 20 samples. Rows = true class, columns = predicted.
//            pred a  b  c
const M = [
  [5, 1, 0], // a: 6 samples
  [2, 6, 2], // b: 10 samples
  [0, 0, 4], // c: 4 samples
]

describe('classification metrics', () => {
  it('per-class precision, recall and F1 match hand-computed values', () => {
    const r = classificationReport(M, ['a', 'b', 'c'])
    expect(r.count).toBe(20)
    expect(r.correct).toBe(15)
    expect(r.accuracy).toBe(0.75)
    // a: TP 5, FP 2 (col 7), FN 1 -> P 5/7, R 5/6, F1 = 10/(10+2+1) = 10/13
    // b: TP 6, FP 1 (col 7), FN 4 -> P 6/7, R 6/10, F1 = 12/(12+1+4) = 12/17
    // c: TP 4, FP 2 (col 6), FN 0 -> P 4/6, R 1, F1 = 8/(8+2) = 0.8
    const [a, b, c] = r.perClass
    expect(a).toMatchObject({ className: 'a', support: 6, predicted: 7, tp: 5, fp: 2, fn: 1 })
    expect(a!.precision).toBeCloseTo(5 / 7, 12)
    expect(a!.recall).toBeCloseTo(5 / 6, 12)
    expect(a!.f1).toBeCloseTo(10 / 13, 12)
    expect(b!.precision).toBeCloseTo(6 / 7, 12)
    expect(b!.recall).toBeCloseTo(0.6, 12)
    expect(b!.f1).toBeCloseTo(12 / 17, 12)
    expect(c!.precision).toBeCloseTo(2 / 3, 12)
    expect(c!.recall).toBe(1)
    expect(c!.f1).toBeCloseTo(0.8, 12)
    // F1 is the harmonic mean of P and R.
    for (const m of r.perClass) expect(m.f1).toBeCloseTo((2 * m.precision! * m.recall!) / (m.precision! + m.recall!), 12)
    expect(r.macro.precision).toBeCloseTo((5 / 7 + 6 / 7 + 2 / 3) / 3, 12)
    expect(r.macro.recall).toBeCloseTo((5 / 6 + 0.6 + 1) / 3, 12)
    expect(r.macro.f1).toBeCloseTo((10 / 13 + 12 / 17 + 0.8) / 3, 12)
    // Weighted by support 6, 10, 4; weighted recall equals accuracy.
    expect(r.weighted.recall).toBeCloseTo(0.75, 12)
    expect(r.weighted.precision).toBeCloseTo((6 * (5 / 7) + 10 * (6 / 7) + 4 * (2 / 3)) / 20, 12)
  })

  it('undefined ratios are null, not NaN', () => {
    const r = classificationReport([
      [3, 0],
      [0, 0],
    ])
    expect(r.perClass[1]).toMatchObject({ support: 0, predicted: 0, precision: null, recall: null, f1: null })
    expect(r.macro.precision).toBe(1)
    expect(classificationReport([[0]]).accuracy).toBeNull()
    expect(() => classificationReport([[1, 2]])).toThrow(/square/)
    expect(() => classificationReport([[-1]])).toThrow(/non-negative integer/)
  })

  it('builds the confusion matrix from predictions; it sums to the number of samples', () => {
    const preds = [
      { index: 0, label: 0, predicted: 0, confidence: 0.9 },
      { index: 1, label: 0, predicted: 1, confidence: 0.6 },
      { index: 2, label: 1, predicted: 1, confidence: 0.8 },
      { index: 3, label: 2, predicted: 0, confidence: 0.95 },
      { index: 4, label: 2, predicted: 1, confidence: 0.6 },
    ]
    const m = confusionFromPredictions(preds, 3)
    expect(m).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 1, 0],
    ])
    expect(confusionTotal(m)).toBe(preds.length)
    expect(() => confusionFromPredictions([{ label: 3, predicted: 0 }], 3)).toThrow(/outside/)
    // Most confident mistakes first; ties by index.
    expect(misclassified(preds).map((p) => p.index)).toEqual([3, 1, 4])
    expect(misclassified(preds, { order: 'index' }).map((p) => p.index)).toEqual([1, 3, 4])
    expect(misclassified(preds, { trueClass: 2, predictedClass: 1 }).map((p) => p.index)).toEqual([4])
    expect(misclassified(preds, { limit: 1 })).toEqual([preds[3]])
    expect(fromColumnar(toColumnar(preds))).toEqual(preds)
  })

  it('normalizes rows and lists the most confused pairs', () => {
    expect(normalizeConfusion(M)[1]).toEqual([0.2, 0.6, 0.2])
    expect(normalizeConfusion([[0, 0]].concat([[1, 1]]))[0]).toEqual([0, 0])
    expect(topConfusions(M, 2)).toEqual([
      { trueClass: 1, predictedClass: 0, count: 2 },
      { trueClass: 1, predictedClass: 2, count: 2 },
    ])
  })
})
