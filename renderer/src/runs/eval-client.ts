/** The page's side of the evaluation worker: one worker, requests answered by id; loading its inputs over the API. */
import type { DatasetDetail } from '@shared/api'
import type { GraphDocument } from '@shared/graph/types'
import { api } from '../api/client'
import { dataFileUrl } from '../api/data-file'
import { studioBackend } from '../backend/probe'
import type { BackendName } from '../backend/backends'
import { fromBase64 } from '../train/base64'
import type { CacheSpec, EvalRequest, EvalResponse, ModelSpec, SplitRows } from './eval-protocol'

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (done: number, total: number) => void }

let worker: Worker | null = null
let nextId = 1
const pending = new Map<number, Pending>()

function failAll(message: string): void {
  for (const p of pending.values()) p.reject(new Error(message))
  pending.clear()
  worker?.terminate()
  worker = null
}

function ensureWorker(): Worker {
  if (worker) return worker
  const w = new Worker(new URL('./eval.worker.ts', import.meta.url), { type: 'module', name: 'evaluate' })
  w.onmessage = (event: MessageEvent<EvalResponse>) => {
    const m = event.data
    const p = pending.get(m.id)
    if (!p) return
    if (m.type === 'progress') {
      p.onProgress?.(m.done, m.total)
      return
    }
    pending.delete(m.id)
    if (m.type === 'result') p.resolve(m.result)
    else p.reject(new Error(m.message))
  }
  w.onerror = (event) => {
    event.preventDefault()
    failAll(`The evaluation worker crashed: ${event.message || 'see the console'}`)
  }
  worker = w
  return w
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/**
 * Sends a request to the worker, on `options.backend` (a run's own) or else the backend of the studio's setting
 * (Auto: the fastest that works here, never software WebGPU); resolves with its result.
 */
export async function evalRequest<R>(
  req: DistributiveOmit<EvalRequest, 'id' | 'backend'>,
  transfer: Transferable[] = [],
  options: { backend?: BackendName | null; onProgress?: (done: number, total: number) => void } = {},
): Promise<R> {
  const backend = options.backend ?? (await studioBackend()).backend
  const w = ensureWorker()
  const id = nextId++
  return new Promise<R>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(options.onProgress ? { onProgress: options.onProgress } : {}) })
    w.postMessage({ ...req, id, backend: backend ?? 'cpu' } as EvalRequest, transfer)
  })
}

const checkpointCache = new Map<number, Promise<{ meta: unknown; weights: string }>>()

/** A checkpoint's weights for the worker (the base64 text is kept; each call decodes a fresh buffer to transfer). */
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
  return { key: checkpointId, graph, meta: c.meta, weights: fromBase64(c.weights) }
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
    p = (async () => {
      const indices: number[] = []
      const labels: number[] = []
      let total = Infinity
      while (indices.length < total) {
        const page = await api().datasets.readSplit({ id: datasetId, split, offset: indices.length, limit: 10_000, withImages: false, ...(allowTest ? { allowTest: true } : {}) })
        total = page.total
        if (page.indices.length === 0) break
        indices.push(...page.indices)
        labels.push(...page.labels)
      }
      return { indices: Int32Array.from(indices), labels: Int32Array.from(labels) }
    })()
    splitCache.set(key, p)
    p.catch(() => splitCache.delete(key))
  }
  return p.then((r) => ({ indices: r.indices.slice(), labels: r.labels.slice() }))
}
