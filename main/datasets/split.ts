/**
 * Seeded, class-stratified train/val/test split. Every class is split with the same ratios (largest-remainder
 * rounding, so the three counts add up to the class's size exactly), after shuffling the class's images with a
 * stream forked from the seed by the class index. Same seed and same items: same split, on every platform.
 */
import type { DatasetSplit, SplitRatios } from '@shared/api'
import { createRng } from '@shared/random'

/** How many of `n` images go to train, val and test: floors, then the leftovers by largest remainder. */
export function allocateSplit(n: number, ratios: SplitRatios): { train: number; val: number; test: number } {
  const order = ['train', 'val', 'test'] as const
  const sum = ratios.train + ratios.val + ratios.test
  const exact = order.map((k) => (n * ratios[k]) / sum)
  const counts = exact.map(Math.floor)
  let left = n - counts.reduce((a, b) => a + b, 0)
  const byRemainder = [0, 1, 2].sort((a, b) => exact[b]! - counts[b]! - (exact[a]! - counts[a]!) || a - b)
  for (let i = 0; left > 0; i = (i + 1) % 3) {
    const k = byRemainder[i]!
    // A split with ratio 0 never receives leftovers.
    if (ratios[order[k]!] > 0) {
      counts[k]! += 1
      left--
    }
  }
  return { train: counts[0]!, val: counts[1]!, test: counts[2]! }
}

/** The split of each item, given each item's class (items in cache order). */
export function stratifiedSplit(labels: ArrayLike<number>, classCount: number, ratios: SplitRatios, seed: number): DatasetSplit[] {
  const byClass: number[][] = Array.from({ length: classCount }, () => [])
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]!.push(i)
  const splits: DatasetSplit[] = new Array<DatasetSplit>(labels.length).fill('train')
  const rng = createRng(seed).fork('dataset-split')
  byClass.forEach((items, c) => {
    const order = rng.fork(`class:${c}`).shuffled(items)
    const { train, val } = allocateSplit(items.length, ratios)
    order.forEach((idx, k) => {
      splits[idx] = k < train ? 'train' : k < train + val ? 'val' : 'test'
    })
  })
  return splits
}
