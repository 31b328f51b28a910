/** The page's side of the evaluation worker: one worker, requests answered by id; loading its inputs over the API. */
import type { DatasetDetail } from '@shared/api'
import type { GraphDocument } from '@shared/graph/types'
import { api } from '../api/client'
import { dataFileUrl } from '../api/data-file'
import { readSplit } from '../api/splits'
import type { BackendName } from '../backend/backends'
import { studioBackend } from '../backend/probe'
import { workerClient } from '../workers/client'
import type { CacheSpec, EvalMethods, ModelSpec, SplitRows } from './eval-protocol'

const evalWorker = workerClient<EvalMethods>(() => new Worker(new URL('./eval.worker.ts', import.meta.url), { type: 'module', name: 'evaluate' }), {
  crashed: (detail) => `The evaluation worker crashed: ${detail}`,
})

/**
 * Sends a request to the worker, on `options.backend` (a run's own) or else the backend of the studio's setting
 * (Auto: the fastest that works here, never software WebGPU); resolves with its result. `onProgress` hears an
 * evaluation's images done so far.
 */
export async function evalRequest<K extends keyof EvalMethods>(
  method: K,
  request: Omit<EvalMethods[K]['request'], 'backend'>,
  transfer: Transferable[] = [],
  options: { backend?: BackendName | null; onProgress?: (done: number, total: number) => void } = {},
): Promise<EvalMethods[K]['result']> {
  const backend = options.backend ?? (await studioBackend()).backend
  const onProgress = options.onProgress
  return evalWorker.call(method, { ...request, backend: backend ?? 'cpu' } as EvalMethods[K]['request'], {
    transfer,
    ...(onProgress ? { onProgress: (p: { done: number; total: number }) => onProgress(p.done, p.total) } : {}),
  })
}

const checkpointCache = new Map<number, Promise<{ meta: unknown; weights: Uint8Array }>>()

/** A checkpoint's weights for the worker (the bytes are kept; each call copies a fresh buffer to transfer). */
export async function modelSpec(checkpointId: number, graph: GraphDocument): Promise<ModelSpec> {
  let p = checkpointCache.get(checkpointId)
  if (!p) {
    p = api()
      .runs.loadCheckpoint({ id: checkpointId })
      .then((c) => ({ meta: c.meta, weights: c.weights }))
    checkpointCache.set(checkpointId, p)
    p.catch(() => checkpointCache.delete(checkpointId))
  }
  const c = await p
  return { key: checkpointId, graph, meta: c.meta, weights: new Uint8Array(c.weights).buffer }
}

export function cacheSpec(dataset: DatasetDetail): CacheSpec {
  if (!dataset.cachePath) throw new Error(`Dataset “${dataset.name}” has no image cache: import it again`)
  return { url: dataFileUrl(dataset.cachePath), shape: [dataset.size.height, dataset.size.width, dataset.channels] }
}

const splitCache = new Map<string, Promise<SplitRows>>()

/** Cache rows and labels of a split (pages of readSplit without pixels). The test split needs allowTest. */
export function splitRows(datasetId: number, split: 'val' | 'test', allowTest = false): Promise<SplitRows> {
  const key = `${datasetId}/${split}`
  let p = splitCache.get(key)
  if (!p) {
    p = readSplit(api().datasets, datasetId, split, { allowTest })
    splitCache.set(key, p)
    p.catch(() => splitCache.delete(key))
  }
  return p.then((r) => ({ indices: r.indices.slice(), labels: r.labels.slice() }))
}
