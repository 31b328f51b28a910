/**
 * The dataset cache: images decoded once at the training resolution.
 *
 * Format, in `datasets/<id>/` under the data folder:
 *  - `images.u8`: N*H*W*C bytes, image i at offset i*H*W*C, rows top to bottom, channels interleaved (HWC,
 *    channels-last), no header: the shape lives in SQLite (`datasets.height/width/channels/item_count`);
 *  - `labels.i32`: N little-endian int32 class indices.
 * Both are written atomically (temporary file, fsync, rename, fsync of the folder). Which image belongs to which
 * split is in `dataset_items` (see splitIndices).
 *
 * The reader loads both files once into memory (datasets here are small) and serves batches by copying the
 * requested images into one contiguous buffer.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ApiError, type DatasetSplit } from '@shared/api'
import type { Db } from '../store/db'
import { tempFileIn, writeFileAtomic } from '../store/files'

export const IMAGES_FILE = 'images.u8'
export const LABELS_FILE = 'labels.i32'

export interface CacheShape {
  readonly count: number
  readonly height: number
  readonly width: number
  readonly channels: number
}

export interface Batch {
  /** count*H*W*C uint8, channels-last, in the order of the requested indices. */
  readonly images: Uint8Array
  readonly labels: Int32Array
}

export class DatasetCache {
  readonly count: number
  readonly height: number
  readonly width: number
  readonly channels: number
  /** Bytes per image (H*W*C). */
  readonly imageBytes: number
  readonly #images: Buffer
  readonly #labels: Int32Array

  private constructor(shape: CacheShape, images: Buffer, labels: Int32Array) {
    this.count = shape.count
    this.height = shape.height
    this.width = shape.width
    this.channels = shape.channels
    this.imageBytes = shape.height * shape.width * shape.channels
    this.#images = images
    this.#labels = labels
  }

  /** Opens `images.u8` (and `labels.i32` beside it), checking their sizes against the shape. */
  static open(imagesFile: string, shape: CacheShape): DatasetCache {
    const labelsFile = join(dirname(imagesFile), LABELS_FILE)
    let images: Buffer
    let labelBytes: Buffer
    try {
      images = readFileSync(imagesFile)
      labelBytes = readFileSync(labelsFile)
    } catch (error) {
      throw new ApiError('not_found', `The dataset's cache file is missing (${(error as NodeJS.ErrnoException).code ?? String(error)}): delete the dataset and import it again.`)
    }
    const expected = shape.count * shape.height * shape.width * shape.channels
    if (images.length !== expected || labelBytes.length !== shape.count * 4) {
      throw new ApiError(
        'conflict',
        `The dataset's cache file is damaged (${images.length} bytes of images and ${labelBytes.length} of labels, expected ${expected} and ${shape.count * 4}): delete the dataset and import it again.`,
      )
    }
    const labels = new Int32Array(shape.count)
    for (let i = 0; i < shape.count; i++) labels[i] = labelBytes.readInt32LE(i * 4)
    return new DatasetCache(shape, images, labels)
  }

  /** Image i as a view into the cache (no copy); do not modify it. */
  image(i: number): Uint8Array {
    this.#check(i)
    return this.#images.subarray(i * this.imageBytes, (i + 1) * this.imageBytes)
  }

  label(i: number): number {
    this.#check(i)
    return this.#labels[i] as number
  }

  /** The images and labels at `indices`, copied into fresh contiguous buffers. */
  batch(indices: ArrayLike<number>): Batch {
    const n = indices.length
    const per = this.imageBytes
    const images = new Uint8Array(n * per)
    const labels = new Int32Array(n)
    for (let k = 0; k < n; k++) {
      const i = indices[k] as number
      this.#check(i)
      images.set(this.#images.subarray(i * per, (i + 1) * per), k * per)
      labels[k] = this.#labels[i] as number
    }
    return { images, labels }
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`Image index ${i} is outside the dataset (0..${this.count - 1})`)
  }
}

/**
 * Cache positions of one split, in cache order. The test split is locked: it is refused unless
 * `allowTest` is true (and whoever uses it marks the results as evaluated on test).
 */
export function splitIndices(db: Db, datasetId: number, split: DatasetSplit, options: { allowTest?: boolean } = {}): number[] {
  if (split === 'test' && options.allowTest !== true) {
    throw new ApiError(
      'invalid_payload',
      'The test split is locked: it is for the final evaluation only. Use "train" or "val", or pass allowTest: true to read it on purpose (results will be marked as evaluated on test).',
      [{ path: 'allowTest', message: 'Must be true to read the test split' }],
    )
  }
  const rows = db.prepare('SELECT idx FROM dataset_items WHERE dataset_id = ? AND split = ? ORDER BY idx').all(datasetId, split) as { idx: number }[]
  return rows.map((r) => r.idx)
}

/**
 * Writes the images file in order through a temporary file in the target folder; `commit` fsyncs and renames
 * it into place, `abort` removes it. Nothing appears under the final name until `commit`.
 */
export class CacheWriter {
  readonly #file: string
  readonly #tmp: string
  #fd: number | null
  #bytes = 0

  constructor(file: string) {
    this.#file = file
    this.#tmp = tempFileIn(dirname(file))
    this.#fd = openSync(this.#tmp, 'w')
  }

  get bytesWritten(): number {
    return this.#bytes
  }

  append(data: Uint8Array): void {
    if (this.#fd === null) throw new Error('Cache writer is closed')
    let offset = 0
    while (offset < data.length) offset += writeSync(this.#fd, data, offset, data.length - offset)
    this.#bytes += data.length
  }

  commit(labels: Int32Array): void {
    if (this.#fd === null) throw new Error('Cache writer is closed')
    fsyncSync(this.#fd)
    closeSync(this.#fd)
    this.#fd = null
    const labelBytes = Buffer.alloc(labels.length * 4)
    for (let i = 0; i < labels.length; i++) labelBytes.writeInt32LE(labels[i] as number, i * 4)
    try {
      writeFileAtomic(join(dirname(this.#file), LABELS_FILE), labelBytes)
      renameSync(this.#tmp, this.#file)
    } catch (error) {
      rmSync(this.#tmp, { force: true })
      throw error
    }
    // Same-folder fsync as writeFileAtomic, so the rename is durable.
    try {
      const fd = openSync(dirname(this.#file), 'r')
      try {
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
    } catch {
      // Folders cannot be fsynced on some platforms; the rename is still atomic.
    }
  }

  abort(): void {
    if (this.#fd !== null) {
      try {
        closeSync(this.#fd)
      } catch {
        // already closed
      }
      this.#fd = null
    }
    rmSync(this.#tmp, { force: true })
  }
}
