import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { ApiError } from '@shared/api'
import { encodeBmp } from '../../main/datasets/bmp'
import { cleanups, openStudio, tempDataDir, zombieProcess } from './helpers'
import { bytes, datasetsClient, encode, randomPixels, writeClass, writeFile } from './datasets-fixtures'

const temps = cleanups()

function setup() {
  const data = tempDataDir('cnn-studio-ds-')
  const src = tempDataDir('cnn-studio-src-')
  temps.push(data.cleanup, src.cleanup)
  const studio = openStudio(data.dir)
  temps.unshift(() => studio.close())
  return { studio, dataDir: data.dir, src: src.dir, ...datasetsClient(studio) }
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError)
    return error as ApiError
  }
  throw new Error('expected the call to be refused')
}

const count = (studio: ReturnType<typeof setup>['studio'], sql: string) => (studio.db.prepare(sql).get() as { n: number }).n

/** Three classes in five formats, one corrupt JPEG, a text file and hidden files/folders. */
async function threeClassFolder(root: string) {
  await writeClass(root, 'cats', 10, 'png')
  await writeClass(root, 'dogs', 20, 'jpeg')
  await writeClass(root, 'birds', 7, 'webp')
  writeFile(join(root, 'birds', 'x-gif.gif'), await encode(randomPixels(9, 9, 'gif'), 9, 9, 'gif'))
  writeFile(join(root, 'birds', 'x-bmp.bmp'), encodeBmp({ width: 11, height: 7, channels: 3, data: randomPixels(11, 7, 'bmp') }))
  writeFile(join(root, 'birds', 'nested', 'deeper.png'), await encode(randomPixels(12, 12, 'n'), 12, 12, 'png'))
  const jpg = await encode(randomPixels(32, 32, 'broken'), 32, 32, 'jpeg')
  writeFile(join(root, 'cats', 'broken.jpg'), jpg.subarray(0, jpg.length >> 1))
  writeFile(join(root, 'cats', 'notes.txt'), 'not an image')
  writeFile(join(root, 'dogs', '.DS_Store'), 'garbage')
  writeFile(join(root, 'dogs', '.hidden', 'secret.png'), await encode(randomPixels(8, 8, 'h'), 8, 8, 'png'))
  writeFile(join(root, '.thumbnails', 'thumb.png'), await encode(randomPixels(8, 8, 't'), 8, 8, 'png'))
  writeFile(join(root, 'README.md'), '# images')
}

describe('datasets service: folder import', () => {
  it('imports three classes: counts, the corrupt file with its reason, nothing else reported, stats vs an independent reference', async () => {
    const { client, wait, studio, src, dataDir, progress } = setup()
    await threeClassFolder(src)
    const { jobId, datasetId } = await client.import({ path: src, name: 'Pets', size: { height: 8, width: 8 }, channels: 3, aspect: 'resize', split: { train: 0.6, val: 0.2, test: 0.2 }, seed: 3 })
    // Not listed while importing.
    expect(await client.list({})).toEqual([])
    const end = await wait(jobId)
    expect(end).toMatchObject({ jobId, datasetId, status: 'ready' })
    expect(progress.some((p) => p.phase === 'decoding' && p.done === p.total && p.total === 41)).toBe(true)

    const ds = await client.get({ id: datasetId })
    expect(ds.status).toBe('ready')
    expect(ds.classes).toEqual(['birds', 'cats', 'dogs'])
    expect(ds.itemCount).toBe(10 + 10 + 20)
    expect(ds.skipped).toEqual([{ path: 'cats/broken.jpg', reason: 'not a valid JPEG (premature end of data)' }])
    expect(ds.notFollowed).toEqual([])
    const counts = ds.stats!.counts
    const perClass = [0, 1, 2].map((c) => counts.train[c]! + counts.val[c]! + counts.test[c]!)
    expect(perClass).toEqual([10, 10, 20])
    // Stratified: every class split 60/20/20 (largest remainder).
    expect(counts).toEqual({ train: [6, 6, 12], val: [2, 2, 4], test: [2, 2, 4] })
    expect(ds.splitTotals).toEqual({ train: 24, val: 8, test: 8 })
    expect(ds.split).toEqual({ ratios: { train: 0.6, val: 0.2, test: 0.2 }, seed: 3 })
    expect(ds.stats!.originalSizes).toMatchObject({ minWidth: 8, maxWidth: 20, minHeight: 7, maxHeight: 18 })
    expect(ds.cachePath).toBe(`datasets/${datasetId}/images.u8`)
    expect(readFileSync(join(dataDir, ds.cachePath!)).length).toBe(40 * 8 * 8 * 3)
    expect(readdirSync(join(dataDir, 'datasets', String(datasetId))).sort()).toEqual(['images.u8', 'labels.i32'])

    // Independent reference: plain float64 two-pass mean/std over the training pixels read back.
    const train = await client.readSplit({ id: datasetId, split: 'train', limit: 1000 })
    expect(train.total).toBe(24)
    const px = bytes(train.images)
    expect(px.length).toBe(24 * 8 * 8 * 3)
    for (let c = 0; c < 3; c++) {
      let sum = 0
      let n = 0
      for (let i = c; i < px.length; i += 3) {
        sum += px[i]! / 255
        n++
      }
      const mean = sum / n
      let sq = 0
      for (let i = c; i < px.length; i += 3) sq += (px[i]! / 255 - mean) ** 2
      expect(Math.abs(ds.stats!.mean[c]! - mean)).toBeLessThan(1e-4)
      expect(Math.abs(ds.stats!.std[c]! - Math.sqrt(sq / n))).toBeLessThan(1e-4)
    }
    expect(ds.stats!.pixelCount).toBe(24 * 64)

    // Cached pixels are the source decoded and stretched by sharp, independently of the import code.
    const first = train.indices.find((i) => train.labels[train.indices.indexOf(i)] === 1)!
    const items = studio.db.prepare('SELECT source FROM dataset_items WHERE dataset_id = ? AND idx = ?').get(datasetId, first) as { source: string }
    const expected = await sharp(join(src, items.source)).resize(8, 8, { fit: 'fill' }).removeAlpha().raw().toBuffer()
    const k = train.indices.indexOf(first)
    expect(Buffer.from(px.subarray(k * 192, (k + 1) * 192)).equals(expected)).toBe(true)

    // Labels agree between the cache's labels file and the database.
    const rows = studio.db.prepare('SELECT idx, class FROM dataset_items WHERE dataset_id = ? ORDER BY idx').all(datasetId) as { idx: number; class: number }[]
    const labelFile = readFileSync(join(dataDir, 'datasets', String(datasetId), 'labels.i32'))
    expect(rows.map((r) => labelFile.readInt32LE(r.idx * 4))).toEqual(rows.map((r) => r.class))

    const listed = await client.list({})
    expect(listed.map((d) => [d.id, d.name, d.itemCount])).toEqual([[datasetId, 'Pets', 40]])
  })

  it('splits deterministically by seed, and differently with another seed', async () => {
    const { client, wait, src } = setup()
    await writeClass(src, 'a', 12)
    await writeClass(src, 'b', 6)
    const run = async (seed: number) => {
      const { jobId, datasetId } = await client.import({ path: src, name: `s${seed}`, size: { height: 4, width: 4 }, channels: 1, aspect: 'pad', split: { train: 0.5, val: 0.25, test: 0.25 }, seed })
      expect((await wait(jobId)).status).toBe('ready')
      const train = await client.readSplit({ id: datasetId, split: 'train' })
      const val = await client.readSplit({ id: datasetId, split: 'val' })
      const test = await client.readSplit({ id: datasetId, split: 'test', allowTest: true })
      return { train: train.indices, val: val.indices, test: test.indices, counts: (await client.get({ id: datasetId })).stats!.counts }
    }
    const a = await run(7)
    const b = await run(7)
    const c = await run(8)
    expect(b).toEqual(a)
    expect(c.counts).toEqual(a.counts)
    expect(a.counts).toEqual({ train: [6, 3], val: [3, 2], test: [3, 1] })
    expect(c.train).not.toEqual(a.train)
    expect([...a.train, ...a.val, ...a.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 18 }, (_, i) => i))
  })

  it('refuses the test split without allowTest, and marks it when allowed', async () => {
    const { client, wait, src } = setup()
    await writeClass(src, 'a', 10)
    await writeClass(src, 'b', 10)
    const { jobId, datasetId } = await client.import({ path: src, name: 'locked', size: { height: 4, width: 4 }, channels: 3, aspect: 'center-crop', split: { train: 0.6, val: 0.2, test: 0.2 }, seed: 1 })
    await wait(jobId)
    const refused = await rejection(client.readSplit({ id: datasetId, split: 'test' }))
    expect(refused.message).toMatch(/test split is locked/)
    expect(refused.issues).toEqual([{ path: 'allowTest', message: 'Must be true to read the test split' }])
    await rejection(client.readSplit({ id: datasetId, split: 'test', allowTest: false }))
    const test = await client.readSplit({ id: datasetId, split: 'test', allowTest: true })
    expect(test).toMatchObject({ split: 'test', total: 4, fromTest: true })
    const val = await client.readSplit({ id: datasetId, split: 'val' })
    expect(val.fromTest).toBe(false)
    // Indices and labels only: the same labels, no pixels.
    const light = await client.readSplit({ id: datasetId, split: 'val', withImages: false })
    expect([light.indices, light.labels, light.images]).toEqual([val.indices, val.labels, ''])
    await rejection(client.readSplit({ id: datasetId, split: 'test', withImages: false }))
  })

  it('pages samples as PNG thumbnails or raw pixels, by split and class', async () => {
    const { client, wait, src } = setup()
    await writeClass(src, 'a', 5)
    await writeClass(src, 'b', 7)
    const { jobId, datasetId } = await client.import({ path: src, name: 'samples', size: { height: 6, width: 5 }, channels: 1, aspect: 'resize', seed: 0 })
    await wait(jobId)
    const page = await client.samples({ id: datasetId, classIndex: 1, offset: 2, limit: 3 })
    expect(page).toMatchObject({ total: 7, offset: 2, format: 'png', height: 6, width: 5, channels: 1 })
    expect(page.items.map((s) => s.source)).toEqual(['b/img002.png', 'b/img003.png', 'b/img004.png'])
    const meta = await sharp(Buffer.from(page.items[0]!.data, 'base64')).metadata()
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 5, 6, 1])
    const raw = await client.samples({ id: datasetId, split: 'train', limit: 100, format: 'raw' })
    expect(raw.total).toBe((await client.get({ id: datasetId })).splitTotals.train)
    expect(raw.items.every((s) => s.split === 'train' && bytes(s.data).length === 30)).toBe(true)
    const bad = await rejection(client.samples({ id: datasetId, classIndex: 2 }))
    expect(bad.issues[0]?.path).toBe('classIndex')
  })

  it('does not follow symlink loops or links out of the folder', async () => {
    const { client, wait, src } = setup()
    const outside = tempDataDir('cnn-studio-outside-')
    temps.push(outside.cleanup)
    await writeClass(outside.dir, 'x', 2)
    await writeClass(src, 'a', 3)
    await writeClass(src, 'b', 2)
    symlinkSync(join(src, 'a'), join(src, 'a', 'loop'))
    symlinkSync('..', join(src, 'b', 'up'))
    symlinkSync(join(src, 'a', 'self'), join(src, 'a', 'self'))
    symlinkSync(join(outside.dir, 'x'), join(src, 'b', 'elsewhere'))
    symlinkSync(join(outside.dir, 'x', 'img000.png'), join(src, 'b', 'linked.png'))
    symlinkSync(join(src, 'a', 'img000.png'), join(src, 'b', 'inside.png'))
    const { jobId, datasetId } = await client.import({ path: src, name: 'links', size: { height: 4, width: 4 }, channels: 3, aspect: 'resize', seed: 0 })
    const end = await wait(jobId)
    expect(end.status).toBe('ready')
    const ds = await client.get({ id: datasetId })
    // b: its two images plus the link to an image inside the folder.
    expect(ds.itemCount).toBe(3 + 3)
    expect(ds.skipped).toEqual([])
    expect(ds.notFollowed).toEqual([
      { path: 'a/loop', reason: 'symbolic link loop (points back to a folder that contains it)' },
      { path: 'a/self', reason: 'symbolic link loop' },
      { path: 'b/elsewhere', reason: 'symbolic link points outside the imported folder' },
      { path: 'b/linked.png', reason: 'symbolic link points outside the imported folder' },
      { path: 'b/up', reason: 'symbolic link loop (points back to a folder that contains it)' },
    ])
  })

  it('cancelling mid-import leaves no rows and no files', async () => {
    const { client, studio, dataDir, progress } = setup()
    const finished: string[] = []
    const cancel: { at?: { done: number; total: number }; result?: Promise<{ cancelled: boolean }> } = {}
    client.on('onDidProgress', (p) => {
      if (p.phase === 'decoding' && !cancel.result) {
        cancel.at = { done: p.done, total: p.total }
        cancel.result = client.cancel({ jobId: p.jobId })
      }
    })
    client.on('onDidFinish', (f) => finished.push(f.status))
    const { datasetId } = await client.importMnist({ count: 3000, size: { height: 20, width: 20 }, seed: 1 })
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (finished.length) {
          clearInterval(timer)
          resolve()
        }
      }, 5)
    })
    expect(cancel.at!.done).toBeLessThan(cancel.at!.total)
    expect(await cancel.result).toEqual({ cancelled: true })
    expect(finished).toEqual(['cancelled'])
    expect(progress.some((p) => p.phase === 'writing')).toBe(false)
    expect(count(studio, 'SELECT COUNT(*) AS n FROM datasets')).toBe(0)
    expect(count(studio, 'SELECT COUNT(*) AS n FROM dataset_items')).toBe(0)
    expect(existsSync(join(dataDir, 'datasets', String(datasetId)))).toBe(false)
    expect(await client.list({})).toEqual([])
    expect(await client.cancel({ jobId: 'no-such-job' })).toEqual({ cancelled: false })
  })

  it('a failed import (every image corrupt) leaves nothing behind and says why', async () => {
    const { client, wait, studio, src, dataDir } = setup()
    writeFile(join(src, 'a', 'x.png'), 'not really a png')
    writeFile(join(src, 'b', 'y.gif'), Buffer.alloc(0))
    const { jobId, datasetId } = await client.import({ path: src, name: 'bad', size: { height: 4, width: 4 }, channels: 3, aspect: 'resize', seed: 0 })
    const end = await wait(jobId)
    expect(end.status).toBe('failed')
    expect(end.message).toBe('No image could be read: all 2 were skipped (e.g. a/x.png: not a valid PNG (unrecognised contents)).')
    expect(count(studio, 'SELECT COUNT(*) AS n FROM datasets')).toBe(0)
    expect(existsSync(join(dataDir, 'datasets', String(datasetId)))).toBe(false)
  })

  it('refuses bad payloads naming the field, and bad folders saying what to do', async () => {
    const { client, src, studio } = setup()
    const base = { path: src, name: 'x', size: { height: 8, width: 8 }, channels: 3 as const, aspect: 'resize' as const, seed: 0 }
    const ch = await rejection(client.import({ ...base, channels: 2 as 3 }))
    expect(ch.code).toBe('invalid_payload')
    expect(ch.issues).toEqual([{ path: 'channels', message: 'Channels must be 1 (grayscale) or 3 (RGB)' }])
    const size = await rejection(client.import({ ...base, size: { height: 0, width: 8 } }))
    expect(size.issues[0]?.path).toBe('size.height')
    const split = await rejection(client.import({ ...base, split: { train: 0.5, val: 0.2, test: 0.2 } }))
    expect(split.issues[0]).toEqual({ path: 'split', message: 'The train, val and test ratios must add up to 1' })
    const aspect = await rejection(client.import({ ...base, aspect: 'squash' as 'pad' }))
    expect(aspect.issues[0]?.path).toBe('aspect')

    const relative = await rejection(client.import({ ...base, path: 'pets' }))
    expect(relative.issues).toEqual([{ path: 'path', message: 'Must be an absolute path' }])
    const missing = await rejection(client.import({ ...base, path: join(src, 'nope') }))
    expect(missing.message).toBe(`Folder ${join(src, 'nope')} does not exist: check the path and try again.`)
    writeFile(join(src, 'flat.png'), await encode(randomPixels(4, 4, 'f'), 4, 4, 'png'))
    const flat = await rejection(client.import(base))
    expect(flat.message).toMatch(new RegExp(`^Folder ${src} has no class subfolders: put each class's images in its own subfolder, e\\.g\\. `))
    const project = await rejection(client.import({ ...base, projectId: 99 }))
    expect(project.issues[0]?.path).toBe('projectId')
    expect(count(studio, 'SELECT COUNT(*) AS n FROM datasets')).toBe(0)
  })

  it('deletes a dataset with its rows and files; a project filter shows its own and shared datasets', async () => {
    const { client, wait, studio, src, dataDir } = setup()
    await writeClass(src, 'a', 3)
    await writeClass(src, 'b', 3)
    const projectId = Number(studio.db.prepare(`INSERT INTO projects (name, created_at, updated_at) VALUES ('p', 'x', 'x')`).run().lastInsertRowid)
    const shared = await client.import({ path: src, name: 'shared', size: { height: 4, width: 4 }, channels: 1, aspect: 'resize', seed: 0 })
    const own = await client.import({ path: src, name: 'own', projectId, size: { height: 4, width: 4 }, channels: 1, aspect: 'resize', seed: 0 })
    await wait(shared.jobId)
    await wait(own.jobId)
    expect((await client.list({ projectId })).map((d) => d.name).sort()).toEqual(['own', 'shared'])
    expect((await client.list({ projectId: projectId + 1 })).map((d) => d.name)).toEqual(['shared'])
    await client.delete({ id: own.datasetId })
    expect(count(studio, `SELECT COUNT(*) AS n FROM dataset_items WHERE dataset_id = ${own.datasetId}`)).toBe(0)
    expect(existsSync(join(dataDir, 'datasets', String(own.datasetId)))).toBe(false)
    expect((await rejection(client.get({ id: own.datasetId }))).code).toBe('not_found')
    expect((await client.list({})).map((d) => d.name)).toEqual(['shared'])
  })

  it('closing the studio mid-import leaves nothing once it is opened again', async () => {
    const { client, studio, dataDir } = setup()
    let closed = false
    client.on('onDidProgress', (p) => {
      if (p.phase === 'decoding' && !closed) {
        closed = true
        studio.close()
      }
    })
    const { jobId } = await client.importMnist({ count: 2000, size: { height: 20, width: 20 }, seed: 1 })
    const end = await new Promise<{ status: string }>((resolve) => client.on('onDidFinish', (f) => f.jobId === jobId && resolve(f)))
    expect(end.status).toBe('cancelled')
    const again = openStudio(dataDir)
    temps.unshift(() => again.close())
    expect(count(again as typeof studio, 'SELECT COUNT(*) AS n FROM datasets')).toBe(0)
    expect(existsSync(join(dataDir, 'datasets')) ? readdirSync(join(dataDir, 'datasets')) : []).toEqual([])
  })

  it('removes leftovers of an import whose process is gone when the studio starts', async () => {
    const { studio, dataDir } = setup()
    const insert = studio.db.prepare(
      `INSERT INTO datasets (name, source, status, height, width, channels, aspect, classes, created_at, import_pid) VALUES ('x', 'folder', 'importing', 4, 4, 1, 'resize', '[]', 'x', ?)`,
    )
    const id = Number(insert.run(2 ** 22 + 12345).lastInsertRowid)
    mkdirSync(join(dataDir, 'datasets', String(id)), { recursive: true })
    mkdirSync(join(dataDir, 'datasets', '999'), { recursive: true })
    studio.close()
    const again = openStudio(dataDir)
    temps.unshift(() => again.close())
    expect(count(again as typeof studio, 'SELECT COUNT(*) AS n FROM datasets')).toBe(0)
    expect(readdirSync(join(dataDir, 'datasets'))).toEqual([])
  })

  it('removes the leftovers of an import whose process was killed and is not yet reaped (a zombie)', async () => {
    const { studio, dataDir } = setup()
    const zombie = await zombieProcess()
    temps.push(zombie.end)
    const insert = studio.db.prepare(
      `INSERT INTO datasets (name, source, status, height, width, channels, aspect, classes, created_at, import_pid) VALUES ('x', 'mnist', 'importing', 4, 4, 1, 'resize', '[]', 'x', ?)`,
    )
    const id = Number(insert.run(zombie.pid).lastInsertRowid)
    mkdirSync(join(dataDir, 'datasets', String(id)), { recursive: true })
    studio.close()
    const again = openStudio(dataDir)
    temps.unshift(() => again.close())
    expect(count(again as typeof studio, 'SELECT COUNT(*) AS n FROM datasets')).toBe(0)
    expect(readdirSync(join(dataDir, 'datasets'))).toEqual([])
  })
})

describe('datasets service: MNIST', () => {
  it('imports a subset with 10 classes and the right counts', async () => {
    const { client, wait } = setup()
    const { jobId, datasetId } = await client.importMnist({ count: 205, split: { train: 0.8, val: 0.2, test: 0 }, seed: 5 })
    expect((await wait(jobId)).status).toBe('ready')
    const ds = await client.get({ id: datasetId })
    expect(ds).toMatchObject({ name: 'MNIST (205 digits)', source: 'mnist', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], itemCount: 205, channels: 1, size: { height: 28, width: 28 } })
    const perClass = ds.stats!.counts.train.map((t, c) => t + ds.stats!.counts.val[c]! + ds.stats!.counts.test[c]!)
    expect(perClass).toEqual([21, 21, 21, 21, 21, 20, 20, 20, 20, 20])
    expect(ds.splitTotals.test).toBe(0)
    // MNIST digits are mostly black: mean around 0.13, std around 0.31.
    expect(ds.stats!.mean[0]).toBeGreaterThan(0.08)
    expect(ds.stats!.mean[0]).toBeLessThan(0.18)
  })

  it('imports all 10,000 digits', async () => {
    const { client, wait } = setup()
    const { jobId, datasetId } = await client.importMnist({ seed: 0 })
    expect((await wait(jobId)).status).toBe('ready')
    const ds = await client.get({ id: datasetId })
    expect(ds.itemCount).toBe(10_000)
    expect(ds.classes).toHaveLength(10)
    const perClass = ds.stats!.counts.train.map((t, c) => t + ds.stats!.counts.val[c]! + ds.stats!.counts.test[c]!)
    expect(perClass).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978])
    const { train, val, test } = ds.splitTotals
    expect(train + val + test).toBe(10_000)
    expect(Math.abs(train - 8000)).toBeLessThanOrEqual(10)
    expect(Math.abs(test - 1000)).toBeLessThanOrEqual(10)
  })
})
