/**
 * The data source the training engine reads, and an in-memory implementation (tests, small datasets).
 *
 * A source serves uint8 images (N*H*W*C, row-major NHWC, 0..255) and integer class labels by index. Indices
 * of a split are 0..count(split)-1. The engine asks for one batch while the previous step runs (prefetch), so
 * an implementation may do its I/O asynchronously.
 */
import * as tf from '@tensorflow/tfjs'

export type DataSplit = 'train' | 'val' | 'test'

export interface DataBatch {
  /** N*H*W*C bytes, NHWC. */
  readonly images: Uint8Array
  /** N class indices in [0, classes.length). */
  readonly labels: Int32Array
}

export interface DataSource {
  readonly classes: readonly string[]
  readonly imageShape: readonly [number, number, number]
  /** Number of samples in the split (0 when the split is absent; 'test' is only read by evaluate with allowTest). */
  count(split: DataSplit): number
  batch(split: DataSplit, indices: Int32Array): Promise<DataBatch>
  /** The split's class labels in sample order, without the images (class weighting counts them). */
  labels?(split: DataSplit): ArrayLike<number>
}


export interface InMemorySplit {
  readonly images: Uint8Array
  readonly labels: Int32Array | readonly number[]
}

/** A DataSource over arrays held in memory. */
export class InMemoryDataSource implements DataSource {
  readonly classes: readonly string[]
  readonly imageShape: readonly [number, number, number]
  readonly #splits: Partial<Record<DataSplit, { images: Uint8Array; labels: Int32Array }>>
  readonly #size: number

  constructor(options: {
    classes: readonly string[]
    imageShape: readonly [number, number, number]
    train: InMemorySplit
    val?: InMemorySplit
    test?: InMemorySplit
  }) {
    this.classes = [...options.classes]
    this.imageShape = [...options.imageShape] as [number, number, number]
    this.#size = options.imageShape[0] * options.imageShape[1] * options.imageShape[2]
    this.#splits = {}
    for (const split of ['train', 'val', 'test'] as const) {
      const s = options[split]
      if (s === undefined) continue
      const labels = s.labels instanceof Int32Array ? s.labels : Int32Array.from(s.labels)
      if (s.images.length !== labels.length * this.#size) {
        throw new Error(`InMemoryDataSource: ${split} has ${labels.length} labels but ${s.images.length} bytes of images (expected ${labels.length * this.#size})`)
      }
      for (const l of labels) {
        if (!(l >= 0 && l < this.classes.length)) throw new Error(`InMemoryDataSource: ${split} label ${l} is not a class index in [0, ${this.classes.length})`)
      }
      this.#splits[split] = { images: s.images, labels }
    }
  }

  count(split: DataSplit): number {
    return this.#splits[split]?.labels.length ?? 0
  }

  labels(split: DataSplit): Int32Array {
    return this.#splits[split]?.labels ?? new Int32Array(0)
  }

  batch(split: DataSplit, indices: Int32Array): Promise<DataBatch> {
    const s = this.#splits[split]
    if (s === undefined) return Promise.reject(new Error(`InMemoryDataSource: no ${split} split`))
    const n = indices.length
    const size = this.#size
    const images = new Uint8Array(n * size)
    const labels = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const k = indices[i] as number
      if (!(k >= 0 && k < s.labels.length)) return Promise.reject(new Error(`InMemoryDataSource: ${split} index ${k} out of range [0, ${s.labels.length})`))
      images.set(s.images.subarray(k * size, (k + 1) * size), i * size)
      labels[i] = s.labels[k] as number
    }
    return Promise.resolve({ images, labels })
  }
}

/** Images [N,H,W,C] float32 in [0, 1] and one-hot labels [N,K] from a DataBatch. */
export function batchToTensors(batch: DataBatch, imageShape: readonly [number, number, number], classes: number): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  const [h, w, c] = imageShape
  const n = batch.labels.length
  if (batch.images.length !== n * h * w * c) {
    throw new Error(`Data batch has ${n} labels but ${batch.images.length} image bytes (expected ${n * h * w * c} for ${h}x${w}x${c})`)
  }
  const x = new Float32Array(batch.images.length)
  for (let i = 0; i < x.length; i++) x[i] = (batch.images[i] as number) / 255
  const y = new Float32Array(n * classes)
  for (let i = 0; i < n; i++) {
    const l = batch.labels[i] as number
    if (!(l >= 0 && l < classes)) throw new Error(`Data batch label ${l} is not a class index in [0, ${classes})`)
    y[i * classes + l] = 1
  }
  return { images: tf.tensor4d(x, [n, h, w, c]), labels: tf.tensor2d(y, [n, classes]) }
}
