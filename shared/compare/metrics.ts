/**
 * Classification metrics from a confusion matrix or from per-sample predictions (pure; no tfjs).
 *
 * Conventions: `confusion[t][p]` counts samples of true class `t` predicted as `p` (as `evaluate` in
 * shared/train returns it). A ratio whose denominator is 0 (precision of a class never predicted, recall of a
 * class with no samples) is `null`, never NaN, so results survive JSON. Macro averages are over the classes
 * where the value is defined; weighted averages weight each class by its support (true count).
 */

export interface PredictionLike {
  /** Index of the sample in its split. */
  readonly index: number
  /** True class. */
  readonly label: number
  readonly predicted: number
  /** Softmax probability of the predicted class. */
  readonly confidence: number
}

export interface ClassMetrics {
  readonly classIndex: number
  readonly className: string
  /** True samples of the class (row sum). */
  readonly support: number
  /** Samples predicted as the class (column sum). */
  readonly predicted: number
  readonly tp: number
  readonly fp: number
  readonly fn: number
  readonly precision: number | null
  readonly recall: number | null
  readonly f1: number | null
}

export interface AveragedMetrics {
  readonly precision: number | null
  readonly recall: number | null
  readonly f1: number | null
}

export interface ClassificationReport {
  readonly count: number
  readonly correct: number
  readonly accuracy: number | null
  readonly perClass: ClassMetrics[]
  readonly macro: AveragedMetrics
  readonly weighted: AveragedMetrics
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

/** Throws with a message when `confusion` is not a square matrix of non-negative integers. Returns C. */
export function checkConfusion(confusion: readonly (readonly number[])[]): number {
  const C = confusion.length
  confusion.forEach((row, t) => {
    if (row.length !== C) throw new Error(`Confusion matrix row ${t} has ${row.length} columns, expected ${C} (square)`)
    row.forEach((v, p) => {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Confusion matrix cell [${t}][${p}] must be a non-negative integer, received ${v}`)
    })
  })
  return C
}

/** Sum of all cells: the number of evaluated samples. */
export function confusionTotal(confusion: readonly (readonly number[])[]): number {
  let n = 0
  for (const row of confusion) for (const v of row) n += v
  return n
}

/** The C x C confusion matrix of predictions (labels and predictions must be in [0, C)). */
export function confusionFromPredictions(predictions: readonly Pick<PredictionLike, 'label' | 'predicted'>[], classCount: number): number[][] {
  const m = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0))
  for (const p of predictions) {
    if (!(p.label >= 0 && p.label < classCount && p.predicted >= 0 && p.predicted < classCount)) {
      throw new Error(`Prediction with label ${p.label} / predicted ${p.predicted} is outside the ${classCount} classes`)
    }
    const row = m[p.label] as number[]
    row[p.predicted] = (row[p.predicted] as number) + 1
  }
  return m
}

/** Per-class precision / recall / F1 with macro and weighted averages and accuracy. */
export function classificationReport(confusion: readonly (readonly number[])[], classNames: readonly string[] = []): ClassificationReport {
  const C = checkConfusion(confusion)
  const colSum = new Array<number>(C).fill(0)
  let count = 0
  let correct = 0
  for (let t = 0; t < C; t++) {
    for (let p = 0; p < C; p++) {
      const v = (confusion[t] as readonly number[])[p] as number
      colSum[p] = (colSum[p] as number) + v
      count += v
      if (t === p) correct += v
    }
  }
  const perClass: ClassMetrics[] = []
  for (let c = 0; c < C; c++) {
    const row = confusion[c] as readonly number[]
    const tp = row[c] as number
    const support = row.reduce((a, b) => a + b, 0)
    const predicted = colSum[c] as number
    const precision = ratio(tp, predicted)
    const recall = ratio(tp, support)
    // F1 = 2TP / (2TP + FP + FN): defined whenever the class occurs or is predicted.
    const f1 = ratio(2 * tp, 2 * tp + (predicted - tp) + (support - tp))
    perClass.push({ classIndex: c, className: classNames[c] ?? String(c), support, predicted, tp, fp: predicted - tp, fn: support - tp, precision, recall, f1 })
  }
  const avg = (key: 'precision' | 'recall' | 'f1', weighted: boolean): number | null => {
    let sum = 0
    let weight = 0
    for (const m of perClass) {
      const v = m[key]
      if (v === null) continue
      const w = weighted ? m.support : 1
      sum += v * w
      weight += w
    }
    return weight > 0 ? sum / weight : null
  }
  return {
    count,
    correct,
    accuracy: ratio(correct, count),
    perClass,
    macro: { precision: avg('precision', false), recall: avg('recall', false), f1: avg('f1', false) },
    weighted: { precision: avg('precision', true), recall: avg('recall', true), f1: avg('f1', true) },
  }
}

/** Each row divided by its sum (recall view); rows without samples stay all zero. */
export function normalizeConfusion(confusion: readonly (readonly number[])[]): number[][] {
  return confusion.map((row) => {
    const s = row.reduce((a, b) => a + b, 0)
    return row.map((v) => (s > 0 ? v / s : 0))
  })
}

export interface ConfusedPair {
  readonly trueClass: number
  readonly predictedClass: number
  readonly count: number
}

/** Off-diagonal cells, largest first (ties: by true class, then predicted class). */
export function topConfusions(confusion: readonly (readonly number[])[], limit = 10): ConfusedPair[] {
  const out: ConfusedPair[] = []
  confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      if (t !== p && count > 0) out.push({ trueClass: t, predictedClass: p, count })
    }),
  )
  out.sort((a, b) => b.count - a.count || a.trueClass - b.trueClass || a.predictedClass - b.predictedClass)
  return out.slice(0, limit)
}

export interface MisclassifiedOptions {
  /** Keep at most this many (after sorting). */
  readonly limit?: number
  /** 'confidence': most confident mistakes first (ties by index); 'index': in sample order. Default 'confidence'. */
  readonly order?: 'confidence' | 'index'
  /** Only mistakes of this true class / this predicted class (a confusion-matrix cell). */
  readonly trueClass?: number
  readonly predictedClass?: number
}

/** The wrong predictions, most confident first by default. */
export function misclassified<P extends PredictionLike>(predictions: readonly P[], options: MisclassifiedOptions = {}): P[] {
  const wrong = predictions.filter(
    (p) =>
      p.label !== p.predicted &&
      (options.trueClass === undefined || p.label === options.trueClass) &&
      (options.predictedClass === undefined || p.predicted === options.predictedClass),
  )
  if ((options.order ?? 'confidence') === 'confidence') wrong.sort((a, b) => b.confidence - a.confidence || a.index - b.index)
  else wrong.sort((a, b) => a.index - b.index)
  return options.limit === undefined ? wrong : wrong.slice(0, Math.max(0, options.limit))
}

/** Predictions as parallel arrays (compact for storage and IPC). */
export interface ColumnarPredictions {
  readonly index: number[]
  readonly label: number[]
  readonly predicted: number[]
  readonly confidence: number[]
}

export function toColumnar(predictions: readonly PredictionLike[]): ColumnarPredictions {
  return {
    index: predictions.map((p) => p.index),
    label: predictions.map((p) => p.label),
    predicted: predictions.map((p) => p.predicted),
    confidence: predictions.map((p) => p.confidence),
  }
}

export function fromColumnar(c: ColumnarPredictions): PredictionLike[] {
  return c.index.map((index, i) => ({ index, label: c.label[i] as number, predicted: c.predicted[i] as number, confidence: c.confidence[i] as number }))
}
