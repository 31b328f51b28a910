import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ApiError, architecturesContract, modelsContract, projectsContract, runsContract } from '@shared/api'
import { parseGraphDocument } from '@shared/graph'
import { transferWeights } from '../../shared/procedure/transfer'
import { compileGraph } from '../../shared/tfjs/compile'
import { restoreCheckpoint } from '../../shared/train/checkpoint'
import type { CheckpointMeta } from '../../shared/train/messages'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()

beforeAll(async () => {
  await tf.setBackend('cpu')
})

async function setup() {
  const t = tempDataDir()
  const studio = openStudio(t.dir)
  temps.push(() => studio.close(), t.cleanup)
  const project = await clientFor(studio, projectsContract).create({ name: 'p' })
  return {
    dir: t.dir,
    project,
    models: clientFor(studio, modelsContract),
    runs: clientFor(studio, runsContract),
    archs: clientFor(studio, architecturesContract),
  }
}

/** A small residual conv net with random weights (BN statistics included). */
function residualNet(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'image' })
  const stem = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(input) as tf.SymbolicTensor
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'res_conv' }).apply(stem) as tf.SymbolicTensor
  const b = tf.layers.batchNormalization({ name: 'res_bn' }).apply(c) as tf.SymbolicTensor
  const sum = tf.layers.add({ name: 'res_add' }).apply([stem, b]) as tf.SymbolicTensor
  const r = tf.layers.reLU({ name: 'res_relu' }).apply(sum) as tf.SymbolicTensor
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(r) as tf.SymbolicTensor
  const out = tf.layers.dense({ units: 5, activation: 'softmax', name: 'probs' }).apply(gap) as tf.SymbolicTensor
  const model = tf.model({ inputs: input, outputs: out, name: 'tiny_resnet' })
  model.weights.forEach((w, i) => {
    const positive = /moving_variance|gamma/.test(w.name)
    w.write(positive ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', i) : tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', i))
  })
  return model
}

/** Writes model.json + the weights split over two files (one manifest group, two paths). */
async function writeFolder(model: tf.LayersModel, folder: string, edit?: (json: Record<string, unknown>) => void): Promise<void> {
  mkdirSync(folder, { recursive: true })
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = new Uint8Array(a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData))
      const half = Math.floor(data.length / 2)
      writeFileSync(join(folder, 'group1-shard1of2.bin'), data.subarray(0, half))
      writeFileSync(join(folder, 'group1-shard2of2.bin'), data.subarray(half))
      const json: Record<string, unknown> = {
        format: 'layers-model',
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: a.weightSpecs }],
      }
      edit?.(json)
      writeFileSync(join(folder, 'model.json'), JSON.stringify(json))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ApiError)
  return e as ApiError
}

describe('models.importFolder', () => {
  it('imports a TF.js folder as a design and a completed run whose checkpoint restores the same predictions', async () => {
    const { dir, project, models, runs, archs } = await setup()
    const original = residualNet()
    const folder = join(dir, 'pretrained', 'tiny')
    await writeFolder(original, folder)

    const imported = await models.importFolder({ path: folder, projectId: project.id })
    expect(imported.designName).toBe('tiny_resnet')
    expect(imported.run).toMatchObject({ name: 'Imported: tiny_resnet', status: 'completed', architectureVersionId: imported.architecture.id })
    expect(imported.run.config).toMatchObject({ kind: 'cnn-studio/imported', source: { path: folder } })
    expect(imported.parameters).toBe(original.countParams())

    // The design is listed in the project; its document is the mapped graph.
    const list = await archs.list({ projectId: project.id })
    expect(list.map((a) => a.name)).toEqual(['tiny_resnet'])
    const doc = parseGraphDocument((await archs.get({ id: imported.architecture.architectureId })).version.document)
    expect(doc.nodes.map((n) => n.id)).toEqual(['image', 'stem', 'stem_relu', 'res_conv', 'res_bn', 'res_add', 'res_relu', 'gap', 'probs'])

    // The checkpoint restores into the compiled design (engine format) and predicts what the original does.
    const [info] = await runs.checkpoints({ runId: imported.run.id })
    expect(info).toMatchObject({ id: imported.checkpoint.id, epoch: 0, step: 0 })
    const cp = await runs.loadCheckpoint({ id: imported.checkpoint.id })
    const checkpoint = {
      meta: cp.meta as CheckpointMeta,
      weights: new Uint8Array(cp.weights).buffer,
      optimizerState: new Uint8Array(cp.optimizer).buffer,
    }
    const { model } = compileGraph(doc)
    restoreCheckpoint(model, null, checkpoint)
    const x = tf.randomNormal([3, 8, 8, 3], 0, 1, 'float32', 3)
    const a = await (original.predict(x) as tf.Tensor).data()
    const b = await (model.predict(x) as tf.Tensor).data()
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-5)

    // A transfer to the same design with 3 classes copies every layer but the head.
    const { model: target, report } = transferWeights({ checkpoint, graph: doc }, doc, { newClasses: 3 })
    expect(report.head).toBe('probs')
    expect(report.copied.sort()).toEqual(['res_bn', 'res_conv', 'stem'])
    expect(report.skipped).toEqual([])
    target.dispose()
    model.dispose()
    original.dispose()
  })

  it('takes the design name given and refuses folders without writing anything', async () => {
    const { dir, project, models, runs, archs } = await setup()
    const original = residualNet()
    const ok = join(dir, 'ok')
    await writeFolder(original, ok)
    const named = await models.importFolder({ path: ok, projectId: project.id, name: 'My backbone' })
    expect(named.run.name).toBe('Imported: My backbone')
    const before = { designs: (await archs.list({ projectId: project.id })).length, runs: (await runs.list({ projectId: project.id })).length }

    // Relative path.
    expect((await refusal(models.importFolder({ path: 'ok', projectId: project.id }))).message).toMatch(/absolute path/)
    // No model.json.
    mkdirSync(join(dir, 'empty'))
    expect((await refusal(models.importFolder({ path: join(dir, 'empty'), projectId: project.id }))).message).toMatch(/has no model\.json/)
    // Missing weights file.
    const missing = join(dir, 'missing')
    await writeFolder(original, missing, (json) => {
      ;(json.weightsManifest as { paths: string[] }[])[0]!.paths[1] = 'gone.bin'
    })
    expect((await refusal(models.importFolder({ path: missing, projectId: project.id }))).message).toMatch(/The weights file gone\.bin listed in model\.json is missing/)
    // A weights path outside the folder.
    const outside = join(dir, 'outside')
    writeFileSync(join(dir, 'secret.bin'), Buffer.alloc(8))
    await writeFolder(original, outside, (json) => {
      ;(json.weightsManifest as { paths: string[] }[])[0]!.paths[1] = '../secret.bin'
    })
    expect((await refusal(models.importFolder({ path: outside, projectId: project.id }))).message).toMatch(/outside .*refused/)
    // Corrupt JSON.
    const corrupt = join(dir, 'corrupt')
    await writeFolder(original, corrupt)
    writeFileSync(join(corrupt, 'model.json'), '{"modelTopology": {"class_name": ')
    expect((await refusal(models.importFolder({ path: corrupt, projectId: project.id }))).message).toMatch(/model\.json in .* is not valid JSON/)
    // Truncated weights.
    const short = join(dir, 'short')
    await writeFolder(original, short)
    writeFileSync(join(short, 'group1-shard2of2.bin'), Buffer.alloc(4))
    expect((await refusal(models.importFolder({ path: short, projectId: project.id }))).message).toMatch(/hold \d+ bytes, model\.json describes \d+/)
    // Unsupported layer.
    const up = join(dir, 'upsampling')
    const m = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 1, name: 'c' }), tf.layers.upSampling2d({ size: [2, 2], name: 'up' })] })
    await writeFolder(m, up)
    const e = await refusal(models.importFolder({ path: up, projectId: project.id }))
    expect(e.code).toBe('invalid_payload')
    expect(e.message).toMatch(/Layer "up" \(UpSampling2D\) cannot be imported/)

    expect((await archs.list({ projectId: project.id })).length).toBe(before.designs)
    expect((await runs.list({ projectId: project.id })).length).toBe(before.runs)
    m.dispose()
    original.dispose()
  })
})
