/**
 * Paths from outside (the data folder, dataset import folders, model import folders, export folders, files
 * the hosts serve) with `..`, absolute escapes, symbolic links out of their folder and NUL bytes: each refused
 * with an error that says what is wrong, and nothing written.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ApiError, modelsContract, projectsContract } from '@shared/api'
import { resolveRendererFile, resolveServedFile } from '../../main/host/served-files'
import { startWebHost } from '../../main/web/server'
import { DataPaths } from '../../main/store/files'
import { PathRefused } from '../../main/store/path-guard'
import { startStudio } from '../../main/studio'
import { datasetsClient, encode, randomPixels, writeFile } from './datasets-fixtures'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'
import { graph, modelWithWeights, runWithCheckpoint } from './runs-model-fixture'

const after = cleanups()
beforeAll(async () => {
  await tf.setBackend('cpu')
})

function temp() {
  const t = tempDataDir()
  after.push(t.cleanup)
  return t.dir
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const outcome = await promise.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  )
  if (!(outcome instanceof ApiError)) throw outcome
  return outcome
}

/** The escapes every folder argument is tried with (`base` is a real folder next to the target). */
const escapes = (base: string) => [
  { path: `${base}/../elsewhere`, message: /contains “\.\.”/ },
  { path: `${base}/sub/../../../etc`, message: /contains “\.\.”/ },
  { path: `${base}\0/x`, message: /contains a NUL byte/ },
  { path: 'relative/folder', message: /is relative: give the folder’s full, absolute path/ },
  { path: '../up', message: /is relative/ },
]

describe('the data folder', () => {
  it('is refused with `..`, NUL bytes or as a relative path, before anything is created', () => {
    const dir = temp()
    for (const { path, message } of escapes(join(dir, 'data'))) {
      let error: unknown = null
      try {
        startStudio({ dataDir: path, host: 'browser' }).close()
      } catch (e) {
        error = e
      }
      expect({ path, error: String(error) }).toEqual({ path, error: expect.stringMatching(message) })
      expect((error as ApiError).message).toMatch(/^The data folder /)
    }
    expect(readdirSync(dir)).toEqual([])
  })
})

describe('files inside the data folder', () => {
  it('a stored path that escapes (.., absolute, NUL, a symlink out) is refused', () => {
    const dir = temp()
    const root = join(dir, 'data')
    mkdirSync(join(root, 'projects', '1'), { recursive: true })
    writeFileSync(join(dir, 'secret'), 'secret')
    symlinkSync(join(dir, 'secret'), join(root, 'projects', '1', 'link.bin'))
    symlinkSync(dir, join(root, 'projects', 'out'))
    const paths = new DataPaths(root)
    expect(paths.resolve('projects/1/ckpt.bin')).toBe(join(root, 'projects', '1', 'ckpt.bin'))
    const cases: [string, RegExp][] = [
      ['../secret', /leads outside the data folder/],
      ['projects/../../secret', /leads outside the data folder/],
      [join(dir, 'secret'), /is absolute/],
      ['projects/1/a\0b', /NUL byte/],
      ['projects/1/link.bin', /symbolic link that leads outside the data folder/],
      ['projects/out/secret', /symbolic link that leads outside the data folder/],
      ['projects/out/not-written-yet.bin', /symbolic link that leads outside the data folder/],
    ]
    for (const [path, message] of cases) {
      expect(() => paths.resolve(path)).toThrow(PathRefused)
      expect(() => paths.resolve(path)).toThrow(message)
    }
  })

  it('served files: only dataset caches, never through a symlink out, `..` or NUL; on the browser host too', async () => {
    const dir = temp()
    const dataDir = join(dir, 'data')
    // Opened first: a starting studio removes dataset folders it has no record of.
    const studio = openStudio(dataDir)
    after.push(() => studio.close())
    mkdirSync(join(dataDir, 'datasets', '1'), { recursive: true })
    mkdirSync(join(dataDir, 'datasets', '2'), { recursive: true })
    writeFileSync(join(dataDir, 'datasets', '1', 'images.u8'), Buffer.from([1, 2, 3]))
    writeFileSync(join(dir, 'secret'), 'secret')
    symlinkSync(join(dir, 'secret'), join(dataDir, 'datasets', '2', 'images.u8'))
    expect(resolveServedFile(dataDir, 'datasets/1/images.u8')).toBe(join(dataDir, 'datasets', '1', 'images.u8'))
    for (const path of ['datasets/2/images.u8', 'datasets/1/../2/images.u8', 'datasets/1/images.u8\0', '/etc/passwd', 'studio.db']) {
      expect({ path, file: resolveServedFile(dataDir, path) }).toEqual({ path, file: null })
    }

    const rendererDir = join(dir, 'renderer')
    mkdirSync(join(rendererDir, 'assets'), { recursive: true })
    writeFileSync(join(rendererDir, 'index.html'), '<html><head></head></html>')
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'export {}')
    symlinkSync(join(dir, 'secret'), join(rendererDir, 'assets', 'leak.js'))
    expect(resolveRendererFile(rendererDir, '/assets/app.js')).toBe(join(rendererDir, 'assets', 'app.js'))
    for (const path of ['/assets/leak.js', '/../secret', '/assets/../../secret', '/assets/app.js\0', '/assets']) {
      expect({ path, file: resolveRendererFile(rendererDir, path) }).toEqual({ path, file: null })
    }

    const web = await startWebHost({ services: studio.services, rendererDir, dataDir })
    const get = (path: string) => fetch(new URL(path, web.url), { headers: { 'X-Studio-Token': web.token } })
    try {
      expect((await get('/files/datasets/1/images.u8')).status).toBe(200)
      expect((await get('/files/datasets/2/images.u8')).status).toBe(404)
      expect((await get('/assets/app.js')).status).toBe(200)
      const leak = await get('/assets/leak.js')
      expect(leak.status).toBe(404)
      expect(await leak.text()).not.toContain('secret')
      expect((await get('/files/datasets/1/images.u8%00')).status).toBe(400)
    } finally {
      await web.close()
    }
  })
})

describe('dataset import folders', () => {
  it('are refused with `..`, NUL bytes or as relative paths (links out of the folder: datasets.test.ts)', async () => {
    const dir = temp()
    const studio = openStudio(join(dir, 'data'))
    after.push(() => studio.close())
    const project = await clientFor(studio, projectsContract).create({ name: 'p' })
    const { client } = datasetsClient(studio)
    const src = join(dir, 'pets')
    writeFile(join(src, 'cat', 'a.png'), await encode(randomPixels(4, 4, 'a'), 4, 4, 'png'))
    const base = { projectId: project.id, name: 'pets', size: { height: 4, width: 4 }, channels: 1 as const, aspect: 'pad' as const, split: { train: 1, val: 0, test: 0 }, seed: 1 }
    for (const { path, message } of escapes(src)) {
      const error = await refusal(client.import({ ...base, path }))
      expect({ path, code: error.code, message: error.message }).toEqual({ path, code: 'invalid_payload', message: expect.stringMatching(message) })
      expect(error.message).toMatch(/^Folder path /)
      expect(error.issues[0]?.path).toBe('path')
    }
    expect(await client.list({ projectId: project.id })).toEqual([])
  })
})

describe('model import folders', () => {
  it('are refused with `..`, NUL bytes or as relative paths, and nothing is created', async () => {
    const dir = temp()
    const studio = openStudio(join(dir, 'data'))
    after.push(() => studio.close())
    const project = await clientFor(studio, projectsContract).create({ name: 'p' })
    const models = clientFor(studio, modelsContract)
    mkdirSync(join(dir, 'model'))
    for (const { path, message } of escapes(join(dir, 'model'))) {
      const error = await refusal(models.importFolder({ path, projectId: project.id }))
      expect({ path, code: error.code, message: error.message }).toEqual({ path, code: 'invalid_payload', message: expect.stringMatching(message) })
      expect(error.message).toMatch(/^The model folder /)
    }
  })
})

describe('export folders', () => {
  it('are refused with `..`, NUL bytes, as relative paths, or through a symbolic link; nothing is written', async () => {
    const doc = graph()
    const model = modelWithWeights(doc)
    const s = await runWithCheckpoint(model, doc)
    after.push(s.close, () => model.dispose())
    const target = join(s.dir, 'exports')
    for (const { path, message } of escapes(target)) {
      const error = await refusal(s.runs.exportModel({ checkpointId: s.checkpoint.id, folder: path }))
      expect({ path, code: error.code, message: error.message }).toEqual({ path, code: 'invalid_payload', message: expect.stringMatching(message) })
      expect(error.issues[0]?.path).toBe('folder')
    }
    expect(existsSync(target)).toBe(false)

    // A folder that is a link, or a model.json that is a link to a file elsewhere: refused, the file untouched.
    const elsewhere = join(s.dir, 'elsewhere')
    mkdirSync(elsewhere)
    symlinkSync(elsewhere, join(s.dir, 'linked'))
    const folderLink = await refusal(s.runs.exportModel({ checkpointId: s.checkpoint.id, folder: join(s.dir, 'linked') }))
    expect(folderLink.message).toMatch(/is a symbolic link/)
    writeFileSync(join(elsewhere, 'precious.json'), 'precious')
    mkdirSync(join(s.dir, 'out'))
    symlinkSync(join(elsewhere, 'precious.json'), join(s.dir, 'out', 'model.json'))
    const fileLink = await refusal(s.runs.exportModel({ checkpointId: s.checkpoint.id, folder: join(s.dir, 'out'), overwrite: true }))
    expect(fileLink.message).toMatch(/model\.json is a symbolic link/)
    expect(readdirSync(elsewhere)).toEqual(['precious.json'])
  })
})
