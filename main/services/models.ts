/**
 * Import of a TF.js layers-model folder (model.json + the weight files of its weightsManifest) as a design and a
 * pretrained checkpoint (see shared/api/services/models.ts). Everything is read and checked before anything is
 * written; the design, run and checkpoint are created through the other services (same validation and events),
 * and removed again if a later step fails.
 *
 * The checkpoint is in the engine's format (shared/train/checkpoint.ts): meta.variables lists every weight of the
 * model compiled from the imported graph, in that model's weight order, and the float32 weights follow in the same
 * order, so restoreCheckpoint / transferWeights load it into the design like any trained run's checkpoint. Each
 * variable is found in the file by name (`<node id>/<weight>` -> `<tfjs layer>/<weight>`). The optimizer state is
 * empty (a fresh SGD at step 0).
 *
 * tfjs (to compile the graph and decode the weights) is loaded on first use.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs'
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path'
import {
  ApiError,
  architecturesContract,
  modelsContract,
  runsContract,
  type ImportedModel,
  type ServiceImpl,
} from '@shared/api'
import { graphFromTfjsTopology, importedWeightName, TfjsImportError, type TfjsImportResult } from '@shared/graph'
import { clientFor } from '../rpc/direct-client'
import type { ServiceHost } from '../rpc/service-host'
import { checkPathArgument } from '../store/path-guard'
import type { CheckpointMeta } from '../../shared/train/messages'
import type * as TF from '@tensorflow/tfjs'

export const MODEL_JSON = 'model.json'
export const IMPORTED_RUN_KIND = 'cnn-studio/imported'

interface WeightSpec {
  readonly name: string
  readonly shape: number[]
  readonly dtype: string
  readonly group?: string
  readonly quantization?: { dtype: string }
}

interface FolderContents {
  readonly folder: string
  readonly json: Record<string, unknown>
  readonly specs: WeightSpec[]
  readonly data: ArrayBuffer
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 }

function refuse(message: string, path = 'path'): never {
  throw new ApiError('invalid_payload', message, [{ path, message }])
}

function isInside(folder: string, file: string): boolean {
  const rel = relative(folder, file)
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
}

/** Reads and checks model.json and its weight files (all inside `path`). */
export function readModelFolder(path: string): FolderContents {
  checkPathArgument(path, 'The model folder')
  let folder: string
  try {
    folder = realpathSync(path)
    if (!statSync(folder).isDirectory()) refuse(`${path} is not a folder: choose the folder that holds ${MODEL_JSON}`)
  } catch (e) {
    if (e instanceof ApiError) throw e
    refuse(`The folder ${path} does not exist or cannot be read`)
  }
  const modelPath = join(folder, MODEL_JSON)
  let text: string
  try {
    text = readFileSync(modelPath, 'utf8')
  } catch {
    refuse(`${path} has no ${MODEL_JSON}: choose the folder of a TF.js layers model (model.json + weight files)`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    refuse(`${MODEL_JSON} in ${path} is not valid JSON: ${(e as Error).message}`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) refuse(`${MODEL_JSON} in ${path} is not a model description (a JSON object)`)
  const obj = json as Record<string, unknown>
  const manifest = obj.weightsManifest
  if (!Array.isArray(manifest)) refuse(`${MODEL_JSON} in ${path} has no weightsManifest: the weights cannot be found`)
  const specs: WeightSpec[] = []
  const chunks: Buffer[] = []
  let expected = 0
  manifest.forEach((group: unknown, g) => {
    const grp = group as { paths?: unknown; weights?: unknown }
    if (!Array.isArray(grp.paths) || !Array.isArray(grp.weights)) refuse(`weightsManifest group ${g} in ${MODEL_JSON} is malformed (paths and weights must be lists)`)
    for (const p of grp.paths) {
      if (typeof p !== 'string' || p === '') refuse(`weightsManifest group ${g} in ${MODEL_JSON} lists a path that is not a file name: ${JSON.stringify(p)}`)
      const file = resolve(folder, p)
      if (!isInside(folder, file)) refuse(`${MODEL_JSON} lists the weights file ${JSON.stringify(p)}, which is outside ${path}: refused`)
      let real: string
      try {
        real = realpathSync(file)
      } catch {
        refuse(`The weights file ${p} listed in ${MODEL_JSON} is missing from ${path}`)
      }
      if (!isInside(folder, real)) refuse(`The weights file ${p} links outside ${path}: refused`)
      chunks.push(readFileSync(real))
    }
    for (const w of grp.weights as unknown[]) {
      const s = w as Partial<WeightSpec>
      if (typeof s.name !== 'string' || !Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0) || typeof s.dtype !== 'string') {
        refuse(`weightsManifest group ${g} in ${MODEL_JSON} has a malformed weight entry: ${JSON.stringify(w).slice(0, 200)}`)
      }
      const bytes = BYTES[s.quantization?.dtype ?? s.dtype]
      if (bytes === undefined) refuse(`Weight ${s.name} has dtype ${s.quantization?.dtype ?? s.dtype}, which cannot be imported`)
      expected += bytes * s.shape.reduce((a, b) => a * b, 1)
      specs.push(s as WeightSpec)
    }
  })
  const all = Buffer.concat(chunks)
  if (all.length !== expected) {
    refuse(`The weight files in ${path} hold ${all.length} bytes, ${MODEL_JSON} describes ${expected}: the files are incomplete or do not belong to this model`)
  }
  const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer
  return { folder, json: obj, specs, data }
}

function mapTopology(contents: FolderContents, path: string): TfjsImportResult {
  try {
    return graphFromTfjsTopology(contents.json)
  } catch (e) {
    if (e instanceof TfjsImportError) refuse(`The model in ${path} cannot be imported: ${e.message}`)
    throw e
  }
}

/** The checkpoint (meta + float32 weights in the compiled model's weight order) of the imported weights. */
export async function importedCheckpoint(
  contents: FolderContents,
  mapped: TfjsImportResult,
  path: string,
): Promise<{ meta: CheckpointMeta; weights: Float32Array; notes: string[] }> {
  const tf = await import('@tensorflow/tfjs')
  const { compileGraph } = await import('../../shared/tfjs/compile')
  const { variableName } = await import('../../shared/train/params')
  await tf.ready()
  const { model } = compileGraph(mapped.document)
  const named = tf.io.decodeWeights(contents.data, contents.specs as TF.io.WeightsManifestEntry[])
  try {
    const variables: CheckpointMeta['variables'] = []
    const parts: Float32Array[] = []
    const used = new Set<string>()
    for (const w of model.weights) {
      const name = variableName(w as unknown as { name: string; originalName?: string })
      const source = importedWeightName(mapped, name)
      const t = source === null ? undefined : named[source]
      if (source === null || t === undefined) refuse(`The model in ${path} has no weight ${source ?? name} (needed by ${name.split('/')[0]})`)
      const shape = w.shape as number[]
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        refuse(`Weight ${source} in ${path} has shape [${t.shape.join(', ')}], its layer needs [${shape.join(', ')}]`)
      }
      used.add(source)
      variables.push({ name, shape: [...shape], dtype: 'float32', trainable: w.trainable })
      parts.push(Float32Array.from(await t.data()))
    }
    const weights = new Float32Array(parts.reduce((a, p) => a + p.length, 0))
    let offset = 0
    for (const p of parts) {
      weights.set(p, offset)
      offset += p.length
    }
    const unused = contents.specs.filter((s) => s.group !== 'optimizer' && !used.has(s.name)).map((s) => s.name)
    const notes = unused.length ? [`${unused.length} weight(s) of the file fit no layer and were left out: ${unused.slice(0, 10).join(', ')}`] : []
    const meta: CheckpointMeta = {
      format: 1,
      step: 0,
      epoch: 0,
      stepInEpoch: 0,
      stepsPerEpoch: 0,
      totalSteps: 0,
      seed: 'imported',
      dataOrder: 'rng-fork-per-epoch',
      nextLr: 0,
      epochAccum: { lossSum: 0, correct: 0, samples: 0, steps: 0 },
      best: { valAcc: null, trainLoss: null, epoch: null },
      metrics: null,
      variables,
      optimizer: { type: 'sgd', t: 0, slots: [] },
    }
    return { meta, weights, notes }
  } finally {
    model.dispose()
    tf.dispose(Object.values(named))
  }
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)

export function createModelsService(host: { readonly services: ServiceHost }): ServiceImpl<typeof modelsContract> {
  const architectures = clientFor(host, architecturesContract)
  const runs = clientFor(host, runsContract)
  return {
    async importFolder({ path, projectId, name }): Promise<ImportedModel> {
      const contents = readModelFolder(path)
      const mapped = mapTopology(contents, path)
      const { meta, weights, notes } = await importedCheckpoint(contents, mapped, path)
      const designName = (name ?? mapped.modelName ?? basename(contents.folder)).slice(0, 120)
      const architecture = await architectures.create({ projectId, name: designName, document: mapped.document })
      let runId: number | null = null
      try {
        const config = {
          kind: IMPORTED_RUN_KIND,
          architecture: { document: architecture.document, name: designName, architectureId: architecture.architectureId, version: architecture.version },
          source: { path: contents.folder, format: typeof contents.json.format === 'string' ? contents.json.format : 'layers-model', layers: mapped.layers },
        }
        const created = await runs.create({ projectId, name: `Imported: ${designName}`.slice(0, 200), config, architectureVersionId: architecture.id })
        runId = created.id
        const checkpoint = (await runs.saveCheckpoint({ runId, kinds: ['last'], epoch: 0, step: 0, meta, weights: bytesOf(weights), optimizer: new Uint8Array(0) }))[0]!
        const t = new Date().toISOString()
        const run = await runs.update({
          id: runId,
          status: 'completed',
          startedAt: t,
          endedAt: t,
          durationMs: 0,
          summary: { imported: { path: contents.folder, parameters: weights.length, notes: [...mapped.notes, ...notes] } },
        })
        return { architecture, designName, run, checkpoint, nodes: mapped.document.nodes.length, parameters: weights.length, notes: [...mapped.notes, ...notes] }
      } catch (e) {
        if (runId !== null) await runs.delete({ id: runId }).catch(() => undefined)
        await architectures.delete({ id: architecture.architectureId }).catch(() => undefined)
        throw e
      }
    },
  }
}
