/** The one reader of a dataset split's cache rows and labels (pages of datasets.readSplit, without pixels). */
import type { Api } from './client'

export interface SplitRows {
  /** Positions in the dataset cache (row index of images.u8). */
  readonly indices: Int32Array
  /** Class index of each position. */
  readonly labels: Int32Array
}

const PAGE = 10_000

/** Every row of `split` (the test split needs `allowTest`: it is read only for a confirmed final evaluation). */
export async function readSplit(datasets: Pick<Api['datasets'], 'readSplit'>, datasetId: number, split: 'train' | 'val' | 'test', options: { allowTest?: boolean } = {}): Promise<SplitRows> {
  const indices: number[] = []
  const labels: number[] = []
  for (;;) {
    const page = await datasets.readSplit({ id: datasetId, split, offset: indices.length, limit: PAGE, withImages: false, ...(options.allowTest ? { allowTest: true } : {}) })
    if (page.indices.length === 0) break
    indices.push(...page.indices)
    labels.push(...page.labels)
    if (indices.length >= page.total) break
  }
  return { indices: Int32Array.from(indices), labels: Int32Array.from(labels) }
}
