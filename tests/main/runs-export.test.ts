import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ApiError } from '@shared/api'
import { compileGraph } from '../../shared/tfjs/compile'
import { graph, modelWithWeights, runWithCheckpoint, seeded, SIZE } from './runs-model-fixture'

const cleanups: (() => void)[] = []
afterEach(() => cleanups.splice(0).forEach((c) => c()))
beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** An IOHandler that reads an exported folder from disk (what tf.loadLayersModel needs, without tfjs-node). */
function folderHandler(folder: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as tf.io.ModelJSON
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights)
        const bytes = Buffer.concat(manifest.flatMap((g) => g.paths).map((p) => readFileSync(join(folder, p))))
        return [specs, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)]
      })
    },
  }
}

describe('exportModel', () => {
  it('writes a TF.js model folder that tf.loadLayersModel loads with the same predictions', async () => {
    const doc = graph()
    const model = modelWithWeights(doc)
    const s = await runWithCheckpoint(model, doc)
    cleanups.push(s.close, () => model.dispose())
    const folder = join(s.dir, 'exports', 'tiny')
    const out = await s.runs.exportModel({ checkpointId: s.checkpoint.id, folder })
    expect(out).toMatchObject({ folder, files: ['model.json', 'weights.bin'], inputShape: [SIZE, SIZE, 1], outputShape: [3] })
    expect(readdirSync(folder).sort()).toEqual(['model.json', 'weights.bin'])
    const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as tf.io.ModelJSON
    expect(json.format).toBe('layers-model')
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin'])
    expect(json.userDefinedMetadata).toMatchObject({ cnnStudio: { runId: s.run.id, checkpointId: s.checkpoint.id, checkpoint: { kind: 'best', epoch: 2, step: 10 }, classes: ['circle', 'square', 'star'] } })
    const bytes = readFileSync(join(folder, 'weights.bin')).length
    expect(bytes).toBe(model.weights.reduce((a, w) => a + 4 * w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0))
    expect(out.bytes).toBe(bytes + readFileSync(join(folder, 'model.json')).length)

    const loaded = await tf.loadLayersModel(folderHandler(folder))
    cleanups.push(() => loaded.dispose())
    const rnd = seeded(42)
    const x = tf.tensor4d(Float32Array.from({ length: 16 * SIZE * SIZE }, () => rnd() * 2 - 1), [16, SIZE, SIZE, 1])
    const expected = model.predict(x) as tf.Tensor
    const got = loaded.predict(x) as tf.Tensor
    const [e, g] = [await expected.data(), await got.data()]
    expect(g.length).toBe(16 * 3)
    let maxDiff = 0
    for (let i = 0; i < e.length; i++) maxDiff = Math.max(maxDiff, Math.abs((e[i] as number) - (g[i] as number)))
    expect(maxDiff).toBeLessThanOrEqual(1e-6)
    // The weights really come from the checkpoint: a freshly compiled model predicts otherwise.
    const fresh = compileGraph(doc).model
    const f = await (fresh.predict(x) as tf.Tensor).data()
    expect(Math.max(...Array.from(f, (v, i) => Math.abs(v - (e[i] as number))))).toBeGreaterThan(1e-3)
    tf.dispose([x, expected, got])
    fresh.dispose()
  })

  it('refuses relative folders, existing exports without overwrite, and unknown checkpoints', async () => {
    const doc = graph()
    const model = modelWithWeights(doc)
    const s = await runWithCheckpoint(model, doc)
    cleanups.push(s.close, () => model.dispose())
    const rel = (await s.runs.exportModel({ checkpointId: s.checkpoint.id, folder: 'relative/out' }).catch((e: unknown) => e)) as ApiError
    expect(rel.code).toBe('invalid_payload')
    const folder = join(s.dir, 'exported')
    mkdirSync(folder)
    writeFileSync(join(folder, 'model.json'), '{}')
    const exists = (await s.runs.exportModel({ checkpointId: s.checkpoint.id, folder }).catch((e: unknown) => e)) as ApiError
    expect(exists.code).toBe('conflict')
    await s.runs.exportModel({ checkpointId: s.checkpoint.id, folder, overwrite: true })
    expect(JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8'))).toHaveProperty('modelTopology')
    expect(((await s.runs.exportModel({ checkpointId: 999, folder }).catch((e: unknown) => e)) as ApiError).code).toBe('not_found')
  })
})
