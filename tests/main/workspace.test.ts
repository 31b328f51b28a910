import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ApiError, projectsContract, workspaceContract, type StoredSearch, type StoredTrainForm } from '@shared/api'
import { createSearch } from '@shared/procedure'
import { currentSchemaVersion, DB_FILE, openDatabase } from '../../main/store/db'
import { latestSchemaVersion, migrations } from '../../main/store/migrations'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()

function folder(): string {
  const t = tempDataDir()
  temps.push(t.cleanup)
  return t.dir
}

/** Opens a studio on `dir`; closed after the test (before the folder is removed) unless closed earlier. */
function studioOn(dir: string) {
  const studio = openStudio(dir)
  let open = true
  const close = () => {
    if (open) studio.close()
    open = false
  }
  temps.unshift(close)
  return { projects: clientFor(studio, projectsContract), workspace: clientFor(studio, workspaceContract), close, db: studio.db }
}

const FORM: StoredTrainForm = {
  architectureId: null,
  datasetId: null,
  pipelineId: null,
  optimizer: 'momentum',
  learningRate: '0.05',
  momentum: '0.9',
  beta1: '0.9',
  beta2: '0.999',
  weightDecay: '5e-4',
  excludeBiasNorm: true,
  clipGradNorm: '',
  schedule: 'cosine',
  warmupEpochs: '1',
  stepEvery: '10',
  stepGamma: '0.1',
  expGamma: '0.97',
  cosineMin: '0',
  invK: '0.5',
  batchSize: '64',
  epochs: '7',
  dropLast: false,
  balanceClasses: true,
  seed: 'abc',
  backend: 'wasm',
  keepEvery: '0',
}

function aSearch(key: string): StoredSearch {
  const state = createSearch({ lr: { type: 'logUniform', min: 1e-4, max: 1e-1 } }, { trials: 3, seed: `1/${key}` })
  // One trial done, one diverged (its metric is Infinity, which JSON cannot hold).
  const [a, b, ...rest] = state.pending
  return {
    version: 1,
    key,
    setup: { trials: '3', epochs: '1', mode: 'random', metric: 'valLoss', seed: '1', params: { lr: { enabled: true, min: '1e-4', max: '1e-1', values: '' } } },
    state: {
      ...state,
      pending: rest,
      done: [
        { ...a!, metric: 0.42, status: 'done', extra: { runId: 3, valLoss: 0.42, valAcc: null } },
        { ...b!, metric: Infinity, status: 'early-stopped', note: 'stopped at step 4' },
      ],
    },
    epochsByRound: [1],
    base: { epochs: 1, batchSize: 32, learningRate: 0.001 },
    architectureId: 1,
    datasetId: 2,
    pipelineId: null,
    backend: 'wasm',
    paused: true,
  }
}

describe('workspace service (Train form and searches in studio.db)', () => {
  it('keeps a project\'s Train form across closing and reopening the database', async () => {
    const dir = folder()
    const first = studioOn(dir)
    const p = await first.projects.create({ name: 'p' })
    const q = await first.projects.create({ name: 'q' })
    expect(await first.workspace.getTrainForm({ projectId: p.id })).toBeNull()
    await first.workspace.saveTrainForm({ projectId: p.id, form: { ...FORM, epochs: '3' } })
    await first.workspace.saveTrainForm({ projectId: p.id, form: FORM })
    await first.workspace.saveTrainForm({ projectId: q.id, form: { ...FORM, optimizer: 'adam', epochs: '2' } })
    first.close()

    const second = studioOn(dir)
    const got = await second.workspace.getTrainForm({ projectId: p.id })
    expect(got?.form).toEqual(FORM)
    expect((await second.workspace.getTrainForm({ projectId: q.id }))?.form).toMatchObject({ optimizer: 'adam', epochs: '2' })
    // The form belongs to the project: deleting the project deletes it.
    await second.projects.delete({ id: q.id })
    expect((second.db.prepare('SELECT COUNT(*) AS n FROM train_forms').get() as { n: number }).n).toBe(1)
  })

  it('refuses a form with a bad field, naming it, and keeps the saved one', async () => {
    const s = studioOn(folder())
    const p = await s.projects.create({ name: 'p' })
    await s.workspace.saveTrainForm({ projectId: p.id, form: FORM })
    const error = await s.workspace.saveTrainForm({ projectId: p.id, form: { ...FORM, optimizer: 'rmsprop' as 'adam' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).issues[0]?.path).toBe('form.optimizer')
    expect((error as ApiError).message).toMatch(/Optimizer must be one of/)
    expect((await s.workspace.getTrainForm({ projectId: p.id }))?.form.optimizer).toBe('momentum')
    const missing = await s.workspace.getTrainForm({ projectId: 999 }).catch((e: unknown) => e)
    expect((missing as ApiError).code).toBe('not_found')
  })

  it('reads back the fields of an older form that still fit and leaves the others out', async () => {
    const s = studioOn(folder())
    const p = await s.projects.create({ name: 'p' })
    s.db.prepare('INSERT INTO train_forms (project_id, form, updated_at) VALUES (?, ?, ?)').run(p.id, JSON.stringify({ epochs: '4', optimizer: 'rmsprop', gone: 1, pipelineId: 7 }), 't')
    expect((await s.workspace.getTrainForm({ projectId: p.id }))?.form).toEqual({ epochs: '4', pipelineId: 7 })
  })

  it('keeps searches in run_groups across closing and reopening; the one saved last is current', async () => {
    const dir = folder()
    const first = studioOn(dir)
    const p = await first.projects.create({ name: 'p' })
    expect(await first.workspace.getSearch({ projectId: p.id })).toBeNull()
    const older = aSearch('12-01 10:00')
    await first.workspace.saveSearch({ projectId: p.id, search: older })
    const newer = aSearch('12-01 11:00')
    await first.workspace.saveSearch({ projectId: p.id, search: newer })
    // A later state of the same search replaces it (no second row).
    const later = { ...newer, paused: false, epochsByRound: [1, 2] }
    await first.workspace.saveSearch({ projectId: p.id, search: later })
    first.close()

    const second = studioOn(dir)
    const got = await second.workspace.getSearch({ projectId: p.id })
    expect(got?.search).toEqual(later)
    expect(got?.search.state.done[1]?.metric).toBe(Infinity)
    const rows = second.db.prepare('SELECT kind, name FROM run_groups WHERE project_id = ? ORDER BY id').all(p.id)
    expect(rows).toEqual([
      { kind: 'search', name: older.key },
      { kind: 'search', name: newer.key },
    ])
    // Saving the older one again makes it current.
    await second.workspace.saveSearch({ projectId: p.id, search: { ...older, paused: false } })
    expect((await second.workspace.getSearch({ projectId: p.id }))?.search.key).toBe(older.key)
  })

  it('refuses a search whose state is not a search state, and says which one is damaged when reading', async () => {
    const s = studioOn(folder())
    const p = await s.projects.create({ name: 'p' })
    const bad = { ...aSearch('x'), state: { ...aSearch('x').state, round: -1 } }
    const error = await s.workspace.saveSearch({ projectId: p.id, search: bad }).catch((e: unknown) => e)
    expect((error as ApiError).code).toBe('invalid_payload')
    expect((error as ApiError).issues[0]?.path).toBe('search.state.round')
    s.db.prepare(`INSERT INTO run_groups (project_id, kind, name, config, state, created_at, updated_at) VALUES (?, 'search', 'broken', '{}', '{}', 't', 't')`).run(p.id)
    const read = await s.workspace.getSearch({ projectId: p.id }).catch((e: unknown) => e)
    expect((read as ApiError).message).toMatch(/The saved search "broken" is damaged/)
  })

  it('upgrades a database at the previous schema version, keeping its data', async () => {
    const dir = folder()
    // The schema just before the migration that added the Train form and searches.
    const added = migrations.find((m) => m.name === 'train forms, saved searches')!.version
    const old = openDatabase(dir, { migrations: migrations.filter((m) => m.version < added) })
    expect(currentSchemaVersion(old)).toBe(added - 1)
    old.prepare(`INSERT INTO projects (id, name, created_at, updated_at) VALUES (5, 'old project', 't', 't')`).run()
    old.close()
    // Before the upgrade the tables this version needs are not there.
    const raw = new Database(join(dir, DB_FILE), { readonly: true })
    expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name = 'train_forms'`).get()).toBeUndefined()
    raw.close()

    const s = studioOn(dir)
    expect(currentSchemaVersion(s.db)).toBe(latestSchemaVersion)
    expect((await s.projects.get({ id: 5 })).name).toBe('old project')
    await s.workspace.saveTrainForm({ projectId: 5, form: FORM })
    await s.workspace.saveSearch({ projectId: 5, search: aSearch('k') })
    s.close()
    const again = studioOn(dir)
    expect((await again.workspace.getTrainForm({ projectId: 5 }))?.form).toEqual(FORM)
    expect((await again.workspace.getSearch({ projectId: 5 }))?.search.key).toBe('k')
  })
})
