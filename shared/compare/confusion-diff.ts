/**
 * Comparing two evaluations of the same images (pure): whether they are comparable at all (same split of the same
 * data, same classes, same image count), the per-cell difference of their confusion matrices (B - A), the per-class
 * precision / recall deltas, and the images one gets right and the other wrong.
 */
import { checkConfusion, classificationReport, type ClassificationReport } from './metrics'

/** What decides whether two evaluations saw the same images. */
export interface EvaluationIdentity {
  /** The run's name (for the message). */
  readonly name: string
  readonly split: 'val' | 'test'
  readonly datasetId: number | null
  /** A fingerprint of the run's split settings (ratios and seed); null when its snapshot records none. */
  readonly splitKey: string | null
  readonly count: number
  readonly classes: readonly string[]
}

/** Null when the two evaluations are of the same images; otherwise what differs, in words. */
export function splitMismatch(a: EvaluationIdentity, b: EvaluationIdentity): string | null {
  const both = `${a.name} and ${b.name}`
  if (a.split !== b.split) return `${a.name} was evaluated on its ${splitWord(a.split)}, ${b.name} on its ${splitWord(b.split)}: a confusion diff needs both on the same split.`
  if (a.datasetId !== b.datasetId) return `${both} were trained on different datasets, so their ${splitWord(a.split)}s hold different images.`
  if (a.splitKey !== b.splitKey) return `${both} split the dataset differently (other ratios or split seed), so their ${splitWord(a.split)}s hold different images.`
  if (a.count !== b.count) return `${a.name}'s evaluation covers ${a.count} images and ${b.name}'s ${b.count}: they were not evaluated on the same images.`
  if (a.classes.length !== b.classes.length || a.classes.some((c, i) => c !== b.classes[i])) return `${both} name their classes differently, so their matrices cannot be compared cell by cell.`
  return null
}

const splitWord = (s: 'val' | 'test') => (s === 'val' ? 'validation split' : 'test split')

export interface ClassDelta {
  readonly classIndex: number
  readonly className: string
  readonly precisionA: number | null
  readonly precisionB: number | null
  /** B - A; null when either is undefined (a class never predicted). */
  readonly precisionDelta: number | null
  readonly recallA: number | null
  readonly recallB: number | null
  readonly recallDelta: number | null
}

export interface ConfusionDiff {
  /** cells[t][p] = B[t][p] - A[t][p]. */
  readonly cells: number[][]
  readonly a: ClassificationReport
  readonly b: ClassificationReport
  readonly perClass: ClassDelta[]
  /** B's accuracy - A's (null when either has no images). */
  readonly accuracyDelta: number | null
}

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a)

/** The difference of two confusion matrices of the same classes (throws when their shapes differ). */
export function diffConfusion(a: readonly (readonly number[])[], b: readonly (readonly number[])[], classes: readonly string[] = []): ConfusionDiff {
  const ca = checkConfusion(a)
  const cb = checkConfusion(b)
  if (ca !== cb) throw new Error(`The confusion matrices have ${ca} and ${cb} classes: they cannot be compared cell by cell`)
  const ra = classificationReport(a, classes)
  const rb = classificationReport(b, classes)
  const cells = a.map((row, t) => row.map((v, p) => ((b[t] as readonly number[])[p] as number) - v))
  const perClass = ra.perClass.map((m, i) => {
    const n = rb.perClass[i] as (typeof rb.perClass)[number]
    return {
      classIndex: m.classIndex,
      className: m.className,
      precisionA: m.precision,
      precisionB: n.precision,
      precisionDelta: delta(m.precision, n.precision),
      recallA: m.recall,
      recallB: n.recall,
      recallDelta: delta(m.recall, n.recall),
    }
  })
  return { cells, a: ra, b: rb, perClass, accuracyDelta: delta(ra.accuracy, rb.accuracy) }
}

/** An evaluation's mistakes as stored: the misclassified images (by index in the split) and how many there were in all. */
export interface StoredMistakes {
  readonly misclassified: readonly { readonly index: number }[]
  readonly misclassifiedTotal: number
}

export interface RightWrong {
  /** Images A classifies correctly and B does not (indices in the split, ascending). */
  readonly onlyA: number[]
  /** Images B classifies correctly and A does not. */
  readonly onlyB: number[]
  /** False when a side's stored mistakes are capped (MAX_STORED_MISCLASSIFIED): the lists are then a lower bound. */
  readonly complete: boolean
}

/** The images one evaluation gets right and the other wrong: one side's mistakes that are not the other's. */
export function rightWrong(a: StoredMistakes, b: StoredMistakes): RightWrong {
  const wa = new Set(a.misclassified.map((m) => m.index))
  const wb = new Set(b.misclassified.map((m) => m.index))
  const onlyA = [...wb].filter((i) => !wa.has(i)).sort((x, y) => x - y)
  const onlyB = [...wa].filter((i) => !wb.has(i)).sort((x, y) => x - y)
  return { onlyA, onlyB, complete: a.misclassified.length === a.misclassifiedTotal && b.misclassified.length === b.misclassifiedTotal }
}
