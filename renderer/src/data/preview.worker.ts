/// <reference lib="webworker" />
/**
 * The augmentation previewer's worker: TF.js runs here so the UI never freezes. It receives the source images
 * (raw uint8, NHWC) and the pipeline document, runs previewBatch (the training path) for each requested step,
 * and answers RGBA pixels plus the replay record that same call sampled.
 */
import * as tf from '@tensorflow/tfjs'
import type { AugmentPipeline } from '@shared/augment'
import { selectBackend, type BackendName } from '../backend/backends'
import { configureWasmThreads } from '../backend/wasm-threads'
import { displayDenormalization, floatImageToRgba, previewBatch, uint8ImageToRgba } from './preview-core'
import { serve } from '../workers/serve'
import type { PreviewDraw, PreviewMethods, PreviewRequest, PreviewResult } from './preview-protocol'

// The backend each request names (the studio's setting, as training's), started once; again if a request names another.
let ready: { wanted: BackendName; backend: Promise<BackendName | null> } | null = null
let configured = false
let fellBack = false

function ensureBackend(wanted: BackendName): Promise<BackendName | null> {
  // WASM threads: half of the logical cores when cross-origin isolated, else single-threaded (backend/wasm-threads.ts).
  if (!configured) configureWasmThreads()
  configured = true
  if (ready?.wanted !== wanted) {
    fellBack = false
    ready = { wanted, backend: selectBackend(wanted).then((probe) => probe.backend) }
  }
  return ready.backend
}

async function run(req: PreviewRequest): Promise<PreviewResult> {
  const started = performance.now()
  const shape = req.imageShape
  const n = req.labels.length
  const batch = { images: req.images, labels: req.labels }
  const pipeline: AugmentPipeline | null = req.pipeline
  const denorm = displayDenormalization(pipeline)
  const draws: PreviewDraw[] = []
  for (const step of req.steps) {
    const out = previewBatch(batch, shape, req.classCount, pipeline, req.seed, step)
    const data = (await out.images.data()) as Float32Array
    const soft = (await out.labels.data()) as Float32Array
    out.images.dispose()
    out.labels.dispose()
    const tiles = Array.from({ length: n }, (_, i) => floatImageToRgba(data, i, shape, denorm))
    draws.push({ step, tiles, labels: Array.from({ length: n }, (_, i) => Array.from(soft.slice(i * req.classCount, (i + 1) * req.classCount))), record: out.params })
  }
  const sources = Array.from({ length: n }, (_, i) => uint8ImageToRgba(req.images, i, shape))
  return { backend: tf.getBackend(), fellBack, ms: performance.now() - started, sources, draws }
}

serve<PreviewMethods>({
  async preview(req, ctx) {
    const backend = await ensureBackend(req.backend)
    if (!backend) throw new Error('No TF.js backend works in this worker')
    let res: PreviewResult
    try {
      res = await run(req)
    } catch (error) {
      // A kernel missing on the preferred backend: the CPU backend has them all.
      if (tf.getBackend() === 'cpu') throw error
      await tf.setBackend('cpu')
      fellBack = true
      res = await run(req)
    }
    ctx.transfer(...res.sources.map((s) => s.buffer), ...res.draws.flatMap((d) => d.tiles.map((t) => t.buffer)))
    return res
  },
})
