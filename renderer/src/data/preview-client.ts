/** One preview worker per page (../workers/: requests by id); the tab keeps only the newest answer. */
import { studioBackend } from '../backend/probe'
import { workerClient } from '../workers/client'
import type { PreviewMethods, PreviewRequest, PreviewResult } from './preview-protocol'

const previewWorker = workerClient<PreviewMethods>(() => new Worker(new URL('./preview.worker.ts', import.meta.url), { type: 'module' }), {
  crashed: (detail) => `The preview worker failed: ${detail}`,
})

/** Draws on the backend of the studio's setting (training's, unless a run chose another). */
export async function requestPreview(req: Omit<PreviewRequest, 'backend'>): Promise<PreviewResult> {
  const { backend } = await studioBackend()
  // The images are copied (not transferred): the tab keeps its copy for the next request.
  return previewWorker.call('preview', { ...req, backend: backend ?? 'cpu' })
}
