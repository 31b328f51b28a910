/**
 * The training engine's DataSource over a dataset cache (main/datasets/cache.ts): the train and val splits of
 * a ready dataset, in cache order. The test split is served only when asked for (`studio evaluate --split test`,
 * a final evaluation); otherwise its count is 0 and its batches are refused.
 */
import { ApiError, type DatasetDetail } from '@shared/api'
import type { DataBatch, DataSource, DataSplit } from '../../shared/train/data'
import { DatasetCache, splitIndices } from '../datasets/cache'
import type { Db } from '../store/db'
import type { DataPaths } from '../store/files'

export interface CacheSplits {
  /** Cache positions of the training split (index i of the split -> cache position). */
  readonly train: readonly number[] | Int32Array
  readonly val: readonly number[] | Int32Array
  /** Only for a final evaluation that asks for the test split. */
  readonly test?: readonly number[] | Int32Array
}

export class CacheDataSource implements DataSource {
  readonly classes: readonly string[]
  readonly imageShape: readonly [number, number, number]
  readonly #cache: DatasetCache
  readonly #splits: { train: Int32Array; val: Int32Array; test: Int32Array | null }

  constructor(cache: DatasetCache, classes: readonly string[], splits: CacheSplits) {
    this.#cache = cache
    this.classes = [...classes]
    this.imageShape = [cache.height, cache.width, cache.channels]
    this.#splits = { train: Int32Array.from(splits.train), val: Int32Array.from(splits.val), test: splits.test ? Int32Array.from(splits.test) : null }
  }

  count(split: DataSplit): number {
    return this.#splits[split]?.length ?? 0
  }

  batch(split: DataSplit, indices: Int32Array): Promise<DataBatch> {
    const positions = this.#splits[split]
    if (positions === null) return Promise.reject(new Error('CacheDataSource: the test split is not served for training'))
    const cachePositions = new Int32Array(indices.length)
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i] as number
      if (!(k >= 0 && k < positions.length)) return Promise.reject(new RangeError(`CacheDataSource: ${split} index ${k} out of range [0, ${positions.length})`))
      cachePositions[i] = positions[k] as number
    }
    try {
      return Promise.resolve(this.#cache.batch(cachePositions))
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }
}

/**
 * The DataSource of a ready dataset of this data folder: its cache file (`DatasetDetail.cachePath`) and the
 * train/val split positions from `dataset_items` (and the test split's with `{ test: true }`, for a final evaluation).
 */
export function openDatasetSource(db: Db, paths: DataPaths, dataset: DatasetDetail, options: { test?: boolean } = {}): CacheDataSource {
  if (dataset.status !== 'ready' || dataset.cachePath === null) {
    throw new ApiError('conflict', `Dataset ${dataset.id} (${dataset.name}) is not ready (status ${dataset.status}): wait for its import to finish.`)
  }
  const cache = DatasetCache.open(paths.resolve(dataset.cachePath), {
    count: dataset.itemCount,
    height: dataset.size.height,
    width: dataset.size.width,
    channels: dataset.channels,
  })
  return new CacheDataSource(cache, dataset.classes, {
    train: splitIndices(db, dataset.id, 'train'),
    val: splitIndices(db, dataset.id, 'val'),
    ...(options.test === true ? { test: splitIndices(db, dataset.id, 'test', { allowTest: true }) } : {}),
  })
}
