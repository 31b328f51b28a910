import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ApiError, appContract, projectsContract } from '@shared/api'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()
function setup() {
  const t = tempDataDir()
  temps.push(t.cleanup)
  const studio = openStudio(t.dir)
  temps.unshift(() => studio.close())
  return { studio, dir: t.dir, projects: clientFor(studio, projectsContract) }
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

describe('projects service', () => {
  it('creates, lists, renames and finds projects again after reopening the database', async () => {
    const { studio, dir, projects } = setup()
    const a = await projects.create({ name: '  Digits  ' })
    expect(a.name).toBe('Digits')
    await projects.create({ name: 'Cats vs dogs' })
    await projects.rename({ id: a.id, name: 'MNIST digits' })
    studio.close()
    const reopened = openStudio(dir)
    temps.unshift(() => reopened.close())
    const list = await clientFor(reopened, projectsContract).list({})
    expect(list.map((p) => p.name).sort()).toEqual(['Cats vs dogs', 'MNIST digits'])
  })

  it('sorts by last opened and searches by name, treating % and _ literally', async () => {
    const { projects } = setup()
    const a = await projects.create({ name: 'alpha' })
    const b = await projects.create({ name: 'beta_1' })
    await projects.create({ name: 'gamma 100%' })
    await projects.create({ name: 'betax1' })
    await projects.open({ id: a.id })
    await new Promise((r) => setTimeout(r, 5))
    await projects.open({ id: b.id })
    expect((await projects.list({})).map((p) => p.name)).toEqual(['beta_1', 'alpha', 'betax1', 'gamma 100%'])
    // Case-insensitive, and `_` is a literal underscore (not LIKE's any-character).
    expect((await projects.list({ search: 'A_1' })).map((p) => p.name)).toEqual(['beta_1'])
    expect((await projects.list({ search: '100%' })).map((p) => p.name)).toEqual(['gamma 100%'])
    expect((await projects.list({ search: 'MM' })).map((p) => p.name)).toEqual(['gamma 100%'])
  })

  it('duplicates designs and pipelines under a unique copy name', async () => {
    const { studio, projects } = setup()
    const p = await projects.create({ name: 'Base' })
    const t = new Date().toISOString()
    const arch = studio.db.prepare('INSERT INTO architectures (project_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(p.id, 'net', t, t).lastInsertRowid
    studio.db.prepare('INSERT INTO architecture_versions (architecture_id, version, document, created_at) VALUES (?, 1, ?, ?)').run(arch, '{"format":1}', t)
    const copy1 = await projects.duplicate({ id: p.id })
    const copy2 = await projects.duplicate({ id: p.id })
    expect([copy1.name, copy2.name]).toEqual(['Base (copy)', 'Base (copy 2)'])
    const docs = studio.db
      .prepare('SELECT v.document FROM architecture_versions v JOIN architectures a ON a.id = v.architecture_id WHERE a.project_id = ?')
      .all(copy1.id)
    expect(docs).toEqual([{ document: '{"format":1}' }])
    expect((await projects.list({})).find((x) => x.id === copy1.id)?.architectureCount).toBe(1)
  })

  it('deletes a project with its rows and its files', async () => {
    const { studio, dir, projects } = setup()
    const keep = await projects.create({ name: 'keep' })
    const gone = await projects.create({ name: 'gone' })
    const t = new Date().toISOString()
    studio.db.prepare(`INSERT INTO runs (project_id, name, status, config, app_version, created_at) VALUES (?, 'r', 'completed', '{}', '0', ?)`).run(gone.id, t)
    const files = join(dir, 'projects', String(gone.id), 'checkpoints')
    mkdirSync(files, { recursive: true })
    writeFileSync(join(files, 'w.bin'), 'x')
    await projects.delete({ id: gone.id })
    expect(existsSync(join(dir, 'projects', String(gone.id)))).toBe(false)
    expect((studio.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n).toBe(0)
    expect((await projects.list({})).map((p) => p.id)).toEqual([keep.id])
    const err = await rejection(projects.get({ id: gone.id }))
    expect(err.code).toBe('not_found')
  })

  it('emits change events', async () => {
    const { projects } = setup()
    const seen: unknown[] = []
    const off = projects.on('onDidChange', (e) => seen.push(e))
    const p = await projects.create({ name: 'x' })
    await projects.rename({ id: p.id, name: 'y' })
    off()
    await projects.delete({ id: p.id })
    expect(seen).toEqual([
      { kind: 'created', id: p.id },
      { kind: 'renamed', id: p.id },
    ])
  })
})

describe('payload validation', () => {
  it('refuses a bad payload, names the field and writes nothing', async () => {
    const { studio, projects } = setup()
    const err = await rejection(projects.create({ name: '   ' }))
    expect(err.code).toBe('invalid_payload')
    expect(err.issues).toEqual([{ path: 'name', message: 'Project name must not be empty' }])
    expect(err.message).toContain('projects.create')
    const wrongType = await studio.services.call('studio:projects.rename', { id: 'seven', name: 'x' })
    expect(wrongType.ok).toBe(false)
    if (!wrongType.ok) expect(wrongType.error.issues?.[0]?.path).toBe('id')
    expect((studio.db.prepare('SELECT COUNT(*) AS n FROM projects').get() as { n: number }).n).toBe(0)
  })

  it('refuses channels outside the studio prefix and unknown methods', async () => {
    const { studio } = setup()
    const foreign = await studio.services.call('evil:projects.list', {})
    expect(foreign).toMatchObject({ ok: false, error: { code: 'unknown_channel' } })
    const unknown = await studio.services.call('studio:projects.dropTables', {})
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_channel' } })
  })

  it('stores preferences', async () => {
    const { studio } = setup()
    const app = clientFor(studio, appContract)
    expect((await app.getPreferences({})).theme).toBe('dark')
    await app.setPreferences({ theme: 'light' })
    expect((await app.getPreferences({})).theme).toBe('light')
    const bad = await rejection(app.setPreferences({ theme: 'purple' as 'dark' }))
    expect(bad.issues[0]?.path).toBe('theme')
  })

  it('stores the backend setting and the speed probes per adapter, across a reopen', async () => {
    const { studio, dir } = setup()
    const app = clientFor(studio, appContract)
    expect(await app.getPreferences({})).toMatchObject({ backend: 'auto', backendProbes: {} })
    await app.setPreferences({ backend: 'webgpu', backendProbe: { key: 'nvidia|ampere', webgpu: 3.5, wasm: 40 } })
    await app.setPreferences({ backendProbe: { key: 'intel|gen12', webgpu: null, wasm: 20 } })
    const bad = await rejection(app.setPreferences({ backend: 'tpu' as 'auto' }))
    expect(bad.issues[0]?.path).toBe('backend')
    studio.close()
    const reopened = openStudio(dir)
    temps.unshift(() => reopened.close())
    const again = clientFor(reopened, appContract)
    expect(await again.getPreferences({})).toEqual({
      theme: 'dark',
      backend: 'webgpu',
      backendProbes: { 'nvidia|ampere': { webgpu: 3.5, wasm: 40 }, 'intel|gen12': { webgpu: null, wasm: 20 } },
    })
  })
})
