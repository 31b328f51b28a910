/**
 * The engine's DataSource over a dataset cache held in memory (the whole images.u8 file, fetched once) and the
 * split indices from datasets.readSplit: sample i of a split is cache row `split.indices[i]`.
 */
import type { DataBatch, DataSource, DataSplit } from '@shared/train/data'
import type { SplitIndex } from './protocol'

export class CacheDataSource implements DataSource {
  readonly classes: readonly string[]
  readonly imageShape: readonly [number, number, number]
  readonly #images: Uint8Array
  readonly #splits: Partial<Record<DataSplit, SplitIndex>>
  readonly #size: number

  constructor(options: { images: Uint8Array; classes: readonly string[]; shape: readonly [number, number, number]; train: SplitIndex; val?: SplitIndex }) {
    this.classes = [...options.classes]
    this.imageShape = [...options.shape] as [number, number, number]
    this.#images = options.images
    this.#size = options.shape[0] * options.shape[1] * options.shape[2]
    const rows = Math.floor(options.images.length / this.#size)
    if (options.images.length % this.#size !== 0) {
      throw new Error(`The dataset cache has ${options.images.length} bytes, not a whole number of ${options.shape.join('x')} images: it is damaged; import the dataset again`)
    }
    this.#splits = { train: options.train, ...(options.val ? { val: options.val } : {}) }
    for (const [name, split] of Object.entries(this.#splits)) {
      if (split.indices.length !== split.labels.length) throw new Error(`The ${name} split has ${split.indices.length} indices but ${split.labels.length} labels`)
      for (let i = 0; i < split.indices.length; i++) {
        const row = split.indices[i] as number
        if (!(row >= 0 && row < rows)) throw new Error(`The ${name} split refers to image ${row}, the cache holds ${rows}: import the dataset again`)
        const label = split.labels[i] as number
        if (!(label >= 0 && label < this.classes.length)) throw new Error(`The ${name} split has label ${label}, not one of the ${this.classes.length} classes`)
      }
    }
  }

  count(split: DataSplit): number {
    return this.#splits[split]?.indices.length ?? 0
  }

  labels(split: DataSplit): ArrayLike<number> {
    return this.#splits[split]?.labels ?? []
  }

  batch(split: DataSplit, indices: Int32Array): Promise<DataBatch> {
    const s = this.#splits[split]
    if (!s) return Promise.reject(new Error(`No ${split} split in this run's data`))
    const size = this.#size
    const images = new Uint8Array(indices.length * size)
    const labels = new Int32Array(indices.length)
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i] as number
      if (!(k >= 0 && k < s.indices.length)) return Promise.reject(new Error(`${split} sample ${k} out of range [0, ${s.indices.length})`))
      const row = s.indices[k] as number
      images.set(this.#images.subarray(row * size, (row + 1) * size), i * size)
      labels[i] = s.labels[k] as number
    }
    return Promise.resolve({ images, labels })
  }
}
