/** One preview worker per page; requests are answered in order, a newer request makes older answers stale. */
import { studioBackend } from '../backend/probe'
import type { PreviewRequest, PreviewResponse } from './preview-protocol'

let worker: Worker | null = null
let nextId = 1
const waiting = new Map<number, { resolve: (r: PreviewResponse) => void }>()

function getWorker(): Worker {
  if (worker) return worker
  const w = new Worker(new URL('./preview.worker.ts', import.meta.url), { type: 'module' })
  w.onmessage = (event: MessageEvent<PreviewResponse>) => {
    const entry = waiting.get(event.data.id)
    waiting.delete(event.data.id)
    entry?.resolve(event.data)
  }
  w.onerror = (event) => {
    for (const [id, entry] of waiting) entry.resolve({ type: 'error', id, message: event.message || 'The preview worker failed' })
    waiting.clear()
    worker?.terminate()
    worker = null
  }
  worker = w
  return w
}

/** Draws on the backend of the studio's setting (training's, unless a run chose another). */
export async function requestPreview(req: Omit<PreviewRequest, 'id' | 'backend'>): Promise<PreviewResponse> {
  const { backend } = await studioBackend()
  const id = nextId++
  return new Promise((resolve) => {
    waiting.set(id, { resolve })
    // The images are copied (not transferred): the tab keeps its copy for the next request.
    getWorker().postMessage({ ...req, id, backend: backend ?? 'cpu' })
  })
}
