/**
 * Export of a checkpoint as a TF.js layers-model folder: `model.json` (topology + weights manifest) and
 * `weights.bin` (all weights, float32, in manifest order), readable by `tf.loadLayersModel` (with a file or
 * HTTP handler) and by the TF.js converter tools. The model is rebuilt from the run's graph snapshot with
 * compileGraph (same layer names as in training) and the checkpoint's weights are restored into it by
 * variable order with shape checks (shared/train restoreCheckpoint). No tfjs-node: the files are written here.
 *
 * The exported model takes inputs preprocessed the way the run's evaluation does (its pipeline's normalize
 * steps, carried in `userDefinedMetadata.cnnStudio.preprocess`; the dataset mean/std are there too when the
 * snapshot has them) and outputs what the graph's head outputs (class probabilities for a softmax Output). The
 * pipeline's test-time augmentation travels in `cnnStudio.tta`: evaluating the exported model
 * (`readExportedModel` + shared/train evaluate, as `studio evaluate --model` does) predicts each view and averages
 * the probabilities, like the run's own evaluation.
 *
 * Loaded lazily by the runs service (tfjs stays out of the studio's start-up).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { ApiError, type ExportedModel } from '@shared/api'
import { parseGraphDocument, type GraphDocument } from '@shared/graph'
import { describeTta, pipelineTta, ttaSpecSchema, ttaViewList, type AugmentPipeline, type TtaSpec } from '@shared/augment/spec-only'
import { getPath } from '@shared/compare'
import { compileGraph } from '../../shared/tfjs/compile'
import { restoreCheckpoint } from '../../shared/train/checkpoint'
import type { CheckpointMeta } from '../../shared/train/messages'
import { evalPipeline } from '../../shared/train/preprocess'
import { writeFileAtomic } from '../store/files'
import { checkPathArgument, isSymlink } from '../store/path-guard'

export interface ExportSource {
  readonly runId: number
  readonly checkpointId: number
  readonly kind: string
  readonly epoch: number
  readonly step: number
  /** The run's config snapshot. */
  readonly config: unknown
  /** The graph document when the snapshot lacks one (the run's architecture version). */
  readonly fallbackDocument: unknown
  readonly meta: unknown
  readonly weights: Uint8Array
}

/** `userDefinedMetadata.cnnStudio` of an exported model. */
export interface ExportMetadata {
  readonly runId: number
  readonly checkpointId: number
  readonly checkpoint: { readonly kind: string; readonly epoch: number; readonly step: number }
  readonly classes: string[] | null
  readonly mean: unknown
  readonly std: unknown
  /** The run pipeline's normalize steps (what evaluation applies to the inputs), or null when it has none. */
  readonly preprocess: AugmentPipeline | null
  /** The run pipeline's test-time augmentation, or null when it has none. */
  readonly tta: { readonly spec: TtaSpec; readonly views: number; readonly description: string; readonly how: string } | null
  readonly inputs: string
}

export const MODEL_FILE = 'model.json'
export const WEIGHTS_FILE = 'weights.bin'

/** The graph document of a run's config snapshot (or `fallbackDocument`): what its checkpoints' weights fit. */
export function snapshotGraph(src: Pick<ExportSource, 'runId' | 'config' | 'fallbackDocument'>, purpose = 'for export'): GraphDocument {
  const doc = getPath(src.config, 'architecture.document') ?? getPath(src.config, 'graph.document') ?? getPath(src.config, 'document') ?? src.fallbackDocument
  if (doc === undefined || doc === null) {
    throw new ApiError('not_found', `Run ${src.runId} has no architecture in its snapshot: the model cannot be rebuilt ${purpose}`)
  }
  try {
    return parseGraphDocument(doc)
  } catch (e) {
    throw new ApiError('invalid_payload', `The architecture in run ${src.runId}'s snapshot cannot be read: ${(e as Error).message}`)
  }
}

/** Writes weights of `src` into `model` (positional; shapes checked). */
function restore(model: tf.LayersModel, src: ExportSource): void {
  const bytes = src.weights
  if (bytes.byteLength % 4 !== 0) throw new ApiError('internal', `Checkpoint ${src.checkpointId} weights are not float32 (${bytes.byteLength} bytes)`)
  const weights = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  const meta = src.meta as Partial<CheckpointMeta> | null
  try {
    if (meta && meta.format === 1 && Array.isArray(meta.variables)) {
      restoreCheckpoint(model, null, { meta: meta as CheckpointMeta, weights, optimizerState: new ArrayBuffer(0) })
      return
    }
    // A meta without variable descriptions: by model.weights order, checked by total size.
    const all = new Float32Array(weights)
    const total = model.weights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0)
    if (all.length !== total) throw new Error(`Checkpoint holds ${all.length} values, the model has ${total}`)
    let offset = 0
    tf.tidy(() => {
      for (const w of model.weights) {
        const n = w.shape.reduce((x: number, y) => x * (y ?? 1), 1)
        w.write(tf.tensor(all.subarray(offset, offset + n), w.shape as number[], 'float32'))
        offset += n
      }
    })
  } catch (e) {
    throw new ApiError('conflict', `Checkpoint ${src.checkpointId} does not fit run ${src.runId}'s architecture: ${(e as Error).message}`)
  }
}

export async function exportCheckpointModel(src: ExportSource, folder: string, overwrite: boolean): Promise<ExportedModel> {
  checkPathArgument(folder, 'Export folder', 'folder')
  const modelPath = join(folder, MODEL_FILE)
  const weightsPath = join(folder, WEIGHTS_FILE)
  for (const file of [folder, modelPath, weightsPath]) {
    if (isSymlink(file)) {
      throw new ApiError('invalid_payload', `${file} is a symbolic link: the export writes only into a real folder; choose the folder it points to, or another one`, [
        { path: 'folder', message: 'Must not be a symbolic link' },
      ])
    }
  }
  if (!overwrite && (existsSync(modelPath) || existsSync(weightsPath))) {
    throw new ApiError('conflict', `${folder} already holds an exported model (${MODEL_FILE}); choose another folder or overwrite it`)
  }
  await tf.ready()
  const doc = snapshotGraph(src)
  const { model } = compileGraph(doc, { name: `run${src.runId}_checkpoint${src.checkpointId}` })
  try {
    restore(model, src)
    const classes = getPath(src.config, 'dataset.classes')
    const pipeline = (getPath(src.config, 'pipeline.document') ?? null) as AugmentPipeline | null
    const preprocess = evalPipeline(pipeline)
    const tta = pipelineTta(pipeline)
    const cnnStudio: ExportMetadata = {
      runId: src.runId,
      checkpointId: src.checkpointId,
      checkpoint: { kind: src.kind, epoch: src.epoch, step: src.step },
      classes: Array.isArray(classes) ? (classes as string[]) : null,
      mean: getPath(src.config, 'dataset.mean') ?? null,
      std: getPath(src.config, 'dataset.std') ?? null,
      preprocess: preprocess === null ? null : { format: preprocess.format, steps: preprocess.steps },
      tta:
        tta === null
          ? null
          : {
              spec: tta,
              views: ttaViewList(tta).length,
              description: describeTta(tta),
              how: 'predict every view of each preprocessed image (views in this order: for each crop fraction, unflipped then flipped, crops centre, top-left, top-right, bottom-left, bottom-right; crops resized to the input size) and average the probabilities',
            },
      inputs: 'preprocessed as the run evaluates (its pipeline normalize steps, in `preprocess`), channels-last [batch, H, W, C]',
    }
    const metadata = { cnnStudio }
    let written: ExportedModel | null = null
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData)
        const json = {
          format: artifacts.format ?? 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: `CNN Studio`,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
          userDefinedMetadata: metadata,
        }
        mkdirSync(folder, { recursive: true })
        const text = JSON.stringify(json)
        writeFileAtomic(weightsPath, new Uint8Array(data))
        writeFileAtomic(modelPath, text)
        written = {
          folder,
          files: [MODEL_FILE, WEIGHTS_FILE],
          bytes: Buffer.byteLength(text) + data.byteLength,
          inputShape: (model.inputs[0]?.shape ?? []).slice(1).map((d) => d ?? -1),
          outputShape: (model.outputs[0]?.shape ?? []).slice(1).map((d) => d ?? -1),
        }
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } }
      }),
    )
    if (!written) throw new ApiError('internal', 'The model was not written')
    return written
  } finally {
    model.dispose()
  }
}

/**
 * Loads an exported model folder (model.json + weights.bin) with its CNN Studio metadata: what evaluating the
 * exported model needs (shared/train evaluate with `pipeline: metadata.preprocess` and `tta: metadata.tta?.spec`).
 */
export async function readExportedModel(folder: string): Promise<{ model: tf.LayersModel; metadata: ExportMetadata }> {
  let json: tf.io.ModelJSON
  let weights: Buffer
  try {
    json = JSON.parse(readFileSync(join(folder, MODEL_FILE), 'utf8')) as tf.io.ModelJSON
    weights = readFileSync(join(folder, json.weightsManifest?.[0]?.paths[0] ?? WEIGHTS_FILE))
  } catch (e) {
    throw new ApiError('not_found', `${folder} does not hold a readable exported model (${MODEL_FILE} and ${WEIGHTS_FILE}): ${(e as Error).message}`)
  }
  const meta = (json.userDefinedMetadata as { cnnStudio?: ExportMetadata } | undefined)?.cnnStudio
  if (!meta) throw new ApiError('invalid_payload', `${join(folder, MODEL_FILE)} was not exported by CNN Studio (no cnnStudio metadata): its preprocessing and test-time augmentation are unknown`)
  let tta: ExportMetadata['tta'] = null
  if (meta.tta != null) {
    const spec = ttaSpecSchema.safeParse(meta.tta.spec)
    if (!spec.success) throw new ApiError('invalid_payload', `${join(folder, MODEL_FILE)}: the test-time augmentation in its metadata cannot be read: ${spec.error.issues.map((i) => i.message).join('; ')}`)
    tta = { ...meta.tta, spec: spec.data, views: ttaViewList(spec.data).length, description: describeTta(spec.data) }
  }
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    }),
  )
  return { model, metadata: { ...meta, preprocess: meta.preprocess ?? null, tta } }
}
