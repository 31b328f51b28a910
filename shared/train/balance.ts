/**
 * Class balance (pure, no TF.js: the UI thread uses it too): images per class, whether a split is unbalanced
 * (said in words for Statistics and the Train form), and the balanced class weights of the loss.
 */

/** Images per class of a split's labels. */
export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0)
  for (let i = 0; i < labels.length; i++) counts[labels[i] as number]! += 1
  return counts
}

/**
 * Class weights N / (C * n_c) from the training split's images per class (a class without images gets 0: it never
 * occurs). Every class then carries the same total weight, as if the classes were balanced.
 */
export function balancedClassWeights(counts: readonly number[]): Float32Array {
  const n = counts.reduce((a, b) => a + b, 0)
  const c = counts.length
  return Float32Array.from(counts, (k) => (k > 0 ? n / (c * k) : 0))
}

/** Largest over smallest class at or above this reads as unbalanced. */
export const UNBALANCED_RATIO = 1.5

export interface ClassImbalance {
  readonly largest: { readonly name: string; readonly count: number }
  readonly smallest: { readonly name: string; readonly count: number }
  readonly unbalanced: boolean
  /** "613 vs 59 images (“star” vs “moon”): classes are unbalanced". */
  readonly words: string
}

/** The split's largest and smallest class; null with fewer than two classes or no images. */
export function classImbalance(counts: readonly number[], names: readonly string[]): ClassImbalance | null {
  if (counts.length < 2 || counts.every((c) => c === 0)) return null
  let hi = 0
  let lo = 0
  counts.forEach((c, i) => {
    if (c > counts[hi]!) hi = i
    if (c < counts[lo]!) lo = i
  })
  const largest = { name: names[hi] ?? String(hi), count: counts[hi]! }
  const smallest = { name: names[lo] ?? String(lo), count: counts[lo]! }
  const unbalanced = smallest.count === 0 || largest.count / smallest.count >= UNBALANCED_RATIO
  const n = (v: number) => v.toLocaleString('en-US')
  const words =
    largest.count === smallest.count
      ? `${n(largest.count)} images in every class: classes are balanced`
      : `${n(largest.count)} vs ${n(smallest.count)} images (“${largest.name}” vs “${smallest.name}”): ${unbalanced ? 'classes are unbalanced' : 'classes are about balanced'}`
  return { largest, smallest, unbalanced, words }
}
