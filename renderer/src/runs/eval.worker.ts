/// <reference lib="webworker" />
/**
 * The evaluation worker: compiles a run's graph snapshot, restores a checkpoint's weights into it
 * (shared/train restoreCheckpoint), and evaluates it on the validation (or, confirmed, the test) split of the
 * dataset cache fetched with dataFileUrl, applying only the run pipeline's normalize steps, and its test-time
 * augmentation when it has one (shared/train evaluate: both accuracies). Also reads the first convolution's kernels, a chosen layer's activations for one image, and raw
 * images of the cache for the mistakes gallery.
 */
import * as tf from '@tensorflow/tfjs'
import { env } from '@tensorflow/tfjs'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { pipelineTta } from '@shared/augment'
import { compileGraph } from '@shared/tfjs/compile'
import { registerWasmTrainingKernels } from '@shared/tfjs/wasm'
import { restoreCheckpoint } from '@shared/train/checkpoint'
import type { DataBatch, DataSource, DataSplit } from '@shared/train/data'
import { evaluate } from '@shared/train/evaluate'
import type { CheckpointMeta } from '@shared/train/messages'
import { evalPipeline, preprocessBatch } from '@shared/train/preprocess'
import { selectBackend, type BackendName } from '../backend/backends'
import { fetchDataFile } from '../api/data-file'
import { serve, type CallContext } from '../workers/serve'
import type { ActivationsResult, CacheSpec, EvalMethods, EvaluateResult, ImagesResult, InspectResult, LayerInfo, ModelSpec, SplitRows } from './eval-protocol'

type Request<K extends keyof EvalMethods> = EvalMethods[K]['request']

let backend: { name: BackendName; ready: Promise<string> } | null = null
let cache: { url: string; images: Promise<Uint8Array> } | null = null
let loaded: { key: number; model: tf.LayersModel } | null = null

/** Starts `wanted` (once; again when a later request names another backend, dropping the model loaded on the old one). */
function ensureBackend(wanted: BackendName): Promise<string> {
  if (backend && backend.name !== wanted) {
    loaded?.model.dispose()
    loaded = null
    backend = null
  }
  backend ??= { name: wanted, ready: (async () => {
    registerWasmTrainingKernels()
    env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
    try {
      setThreadsCount(1)
    } catch {
      // already initialised
    }
    const probe = await selectBackend(wanted)
    if (probe.backend === null) throw new Error(`No TF.js backend works here: ${probe.tried.map((t) => `${t.backend}: ${t.error ?? 'ok'}`).join('; ')}`)
    return probe.backend
  })() }
  return backend.ready
}

function images(spec: CacheSpec): Promise<Uint8Array> {
  if (cache?.url !== spec.url) {
    const p = fetchDataFile(spec.url)
    cache = { url: spec.url, images: p }
    p.catch(() => {
      if (cache?.images === p) cache = null
    })
  }
  return cache.images
}

async function modelOf(spec: ModelSpec): Promise<tf.LayersModel> {
  if (loaded?.key === spec.key) return loaded.model
  loaded?.model.dispose()
  loaded = null
  const model = compileGraph(spec.graph).model
  try {
    restoreCheckpoint(model, null, { meta: spec.meta as CheckpointMeta, weights: spec.weights, optimizerState: new ArrayBuffer(0) })
  } catch (e) {
    model.dispose()
    throw e
  }
  loaded = { key: spec.key, model }
  return model
}

class SplitSource implements DataSource {
  readonly classes: readonly string[]
  readonly imageShape: readonly [number, number, number]
  constructor(
    private readonly pixels: Uint8Array,
    private readonly split: DataSplit,
    private readonly rows: SplitRows,
    classes: readonly string[],
    shape: readonly [number, number, number],
  ) {
    this.classes = classes
    this.imageShape = shape
    const size = shape[0] * shape[1] * shape[2]
    const total = Math.floor(pixels.length / size)
    for (const r of rows.indices) if (!(r >= 0 && r < total)) throw new Error(`The split refers to image ${r}, the dataset cache holds ${total}: import the dataset again`)
  }
  count(split: DataSplit): number {
    return split === this.split ? this.rows.indices.length : 0
  }
  batch(split: DataSplit, indices: Int32Array): Promise<DataBatch> {
    if (split !== this.split) return Promise.reject(new Error(`No ${split} split here`))
    const [h, w, c] = this.imageShape
    const size = h * w * c
    const out = new Uint8Array(indices.length * size)
    const labels = new Int32Array(indices.length)
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i] as number
      const row = this.rows.indices[k] as number
      out.set(this.pixels.subarray(row * size, (row + 1) * size), i * size)
      labels[i] = this.rows.labels[k] as number
    }
    return Promise.resolve({ images: out, labels })
  }
}

async function runEvaluate(req: Request<'evaluate'>, ctx: CallContext<EvalMethods['evaluate']['progress']>): Promise<EvaluateResult> {
  await ensureBackend(req.backend)
  const t0 = performance.now()
  const [model, pixels, name] = await Promise.all([modelOf(req.model), images(req.cache), backend!.ready])
  const data = new SplitSource(pixels, req.split, req.rows, req.classes, req.cache.shape)
  const r = await evaluate(model, data, req.split, { allowTest: req.allowTest, pipeline: req.pipeline, tta: pipelineTta(req.pipeline), batchSize: 128,
    onProgress: (done, total) => ctx.progress({ done, total }),
  })
  const n = r.predictions.length
  const predicted = new Int32Array(n)
  const confidence = new Float32Array(n)
  const labels = new Int32Array(n)
  r.predictions.forEach((p, i) => {
    predicted[i] = p.predicted
    confidence[i] = p.confidence
    labels[i] = p.label
  })
  const tta = r.tta ? { views: r.tta.views, loss: r.tta.loss, accuracy: r.tta.accuracy } : null
  const result: EvaluateResult = { backend: name, count: r.count, loss: r.loss, accuracy: r.accuracy, confusion: r.confusion, predicted, confidence, labels, tta, ms: performance.now() - t0 }
  ctx.transfer(predicted.buffer, confidence.buffer, labels.buffer)
  return result
}

function imageShapeOf(shape: readonly (number | null)[]): [number, number, number] | null {
  if (shape.length !== 4) return null
  const [, h, w, c] = shape
  return typeof h === 'number' && typeof w === 'number' && typeof c === 'number' ? [h, w, c] : null
}

async function runInspect(req: Request<'inspect'>, ctx: CallContext<never>): Promise<InspectResult> {
  await ensureBackend(req.backend)
  const model = await modelOf(req.model)
  const layers: LayerInfo[] = []
  let filters: InspectResult['filters'] = null
  for (const layer of model.layers) {
    const cls = layer.getClassName()
    if (filters === null && (cls === 'Conv2D' || cls === 'DepthwiseConv2D')) {
      const kernel = layer.getWeights()[0]
      if (kernel && kernel.shape.length === 4) {
        const values = (await kernel.data()) as Float32Array
        filters = { layer: layer.name, shape: kernel.shape as [number, number, number, number], values: new Float32Array(values) }
      }
    }
    if (cls === 'InputLayer') continue
    const out = layer.outputShape
    const shape = Array.isArray(out) && !Array.isArray(out[0]) ? imageShapeOf(out as (number | null)[]) : null
    if (shape) layers.push({ name: layer.name, className: cls, shape })
  }
  if (filters) ctx.transfer(filters.values.buffer as ArrayBuffer)
  return { filters, layers }
}

async function runActivations(req: Request<'activations'>, ctx: CallContext<never>): Promise<ActivationsResult> {
  await ensureBackend(req.backend)
  const [model, pixels] = await Promise.all([modelOf(req.model), images(req.cache)])
  const layer = model.getLayer(req.layer)
  const probe = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor })
  const [h, w, c] = req.cache.shape
  const size = h * w * c
  const bytes = pixels.subarray(req.row * size, (req.row + 1) * size)
  if (bytes.length !== size) throw new Error(`Image ${req.row} is not in the dataset cache`)
  const pipeline = evalPipeline(req.pipeline)
  const out = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(bytes, (v) => v / 255), [1, h, w, c])
    const y = tf.zeros([1, 1]) as tf.Tensor2D
    const pre = preprocessBatch(x, y, pipeline, 0, 0)
    const a = probe.predict(pre.images) as tf.Tensor
    const [, ah, aw, ac] = a.shape as [number, number, number, number]
    const keep = Math.min(ac, req.maxChannels)
    return { t: a.slice([0, 0, 0, 0], [1, ah, aw, keep]).reshape([ah, aw, keep]), channels: ac }
  })
  const values = (await out.t.data()) as Float32Array
  const shape = out.t.shape as [number, number, number]
  out.t.dispose()
  const result: ActivationsResult = { layer: req.layer, shape, channels: out.channels, values: new Float32Array(values) }
  ctx.transfer(result.values.buffer as ArrayBuffer)
  return result
}

async function runImages(req: Request<'images'>, ctx: CallContext<never>): Promise<ImagesResult> {
  await ensureBackend(req.backend)
  const pixels = await images(req.cache)
  const [h, w, c] = req.cache.shape
  const size = h * w * c
  const out = new Uint8Array(req.rows.length * size)
  req.rows.forEach((row, i) => out.set(pixels.subarray(row * size, (row + 1) * size), i * size))
  ctx.transfer(out.buffer)
  return { shape: req.cache.shape, images: out }
}

// One request at a time, in order (they share the model and the backend).
serve<EvalMethods>({ evaluate: runEvaluate, inspect: runInspect, activations: runActivations, images: runImages }, { sequential: true })
