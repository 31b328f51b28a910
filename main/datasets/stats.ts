/**
 * Dataset statistics: images per class per split, a summary of the original image sizes, and the per-channel
 * mean/std of the training split on values scaled to [0, 1] (shared/augment/stats.ts over the cached uint8
 * pixels).
 */
import type { DatasetSplit, DatasetStats, OriginalSizeStats, SplitCounts } from '@shared/api'
import { ChannelStatsAccumulator } from '@shared/augment/stats'
import type { DatasetCache } from './cache'

/** Upper bounds (inclusive) of the longer-side buckets; the last bucket is "larger". */
export const SIZE_BUCKETS = [32, 64, 128, 256, 512, 1024, 2048] as const

export function summarizeSizes(widths: ArrayLike<number>, heights: ArrayLike<number>): OriginalSizeStats {
  const n = widths.length
  let minWidth = Infinity
  let maxWidth = 0
  let minHeight = Infinity
  let maxHeight = 0
  let sumW = 0
  let sumH = 0
  const buckets = new Array<number>(SIZE_BUCKETS.length + 1).fill(0)
  for (let i = 0; i < n; i++) {
    const w = widths[i] as number
    const h = heights[i] as number
    minWidth = Math.min(minWidth, w)
    maxWidth = Math.max(maxWidth, w)
    minHeight = Math.min(minHeight, h)
    maxHeight = Math.max(maxHeight, h)
    sumW += w
    sumH += h
    const longer = Math.max(w, h)
    let b = SIZE_BUCKETS.findIndex((upTo) => longer <= upTo)
    if (b < 0) b = SIZE_BUCKETS.length
    buckets[b]! += 1
  }
  return {
    minWidth: n ? minWidth : 0,
    maxWidth,
    minHeight: n ? minHeight : 0,
    maxHeight,
    meanWidth: n ? sumW / n : 0,
    meanHeight: n ? sumH / n : 0,
    longerSide: buckets.map((count, i) => ({ upTo: SIZE_BUCKETS[i] ?? null, count })).filter((b) => b.count > 0),
  }
}

export function countSplits(labels: ArrayLike<number>, splits: readonly DatasetSplit[], classCount: number): SplitCounts {
  const counts: SplitCounts = { train: new Array<number>(classCount).fill(0), val: new Array<number>(classCount).fill(0), test: new Array<number>(classCount).fill(0) }
  for (let i = 0; i < labels.length; i++) counts[splits[i]!][labels[i]!]! += 1
  return counts
}

/** Mean/std per channel over the given images of the cache, scaled to [0, 1]. */
export function trainingChannelStats(cache: DatasetCache, indices: readonly number[], onProgress?: (done: number) => void): { mean: number[]; std: number[]; pixelCount: number } {
  const acc = new ChannelStatsAccumulator(cache.channels, { scale: 1 / 255 })
  indices.forEach((i, k) => {
    acc.addUint8(cache.image(i))
    if (onProgress && (k + 1) % 256 === 0) onProgress(k + 1)
  })
  if (indices.length === 0) return { mean: new Array<number>(cache.channels).fill(0), std: new Array<number>(cache.channels).fill(0), pixelCount: 0 }
  const r = acc.result()
  return { mean: r.mean, std: r.std, pixelCount: r.count }
}

export function buildStats(counts: SplitCounts, originalSizes: OriginalSizeStats, channel: { mean: number[]; std: number[]; pixelCount: number }): DatasetStats {
  return { counts, originalSizes, mean: channel.mean, std: channel.std, pixelCount: channel.pixelCount }
}
