/**
 * Upgrades from every earlier schema version: each fixture tests/fixtures/db/schema-v<N>.sql (a database made by
 * migrations 1..N with representative rows; tests/fixtures/db/make-fixtures.ts writes the missing ones) is loaded
 * into a real SQLite file, opened with the current code, and must come out at the latest schema with every row
 * and column it had intact, `PRAGMA integrity_check` ok, and readable through the services.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { latestSchemaVersion, migrations } from '../../main/store/migrations'
import { DB_FILE, currentSchemaVersion, openDatabase } from '../../main/store/db'
import { decodeChunk, STRIDE } from '../../main/services/metric-chunks'
import { parseGraphDocument } from '../../shared/graph/index'
import { unpackRunsTable, type PackedRunsTable } from '../../shared/api/index'
import { cleanups, openStudio, tempDataDir } from './helpers'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'db')
const fixtures = readdirSync(FIXTURES)
  .map((f) => /^schema-v(\d+)\.sql$/.exec(f))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ version: Number(m[1]), file: join(FIXTURES, m[0]) }))
  .sort((a, b) => a.version - b.version)

const temps = cleanups()

type Row = Record<string, unknown>

function tablesAndRows(db: Database.Database): Map<string, Row[]> {
  const out = new Map<string, Row[]>()
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'`).all() as { name: string }[]
  for (const { name } of tables) out.set(name, orderedRows(db, name, ['*']))
  return out
}

function orderedRows(db: Database.Database, table: string, columns: string[]): Row[] {
  const pk = db.prepare(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).all(table) as { name: string }[]
  const order = pk.length ? pk.map((c) => c.name).join(', ') : 'rowid'
  return db.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${order}`).all() as Row[]
}

/** The points of metric_chunks as the rows of the `metrics` table they replaced, in its key order. */
function metricRowsOfChunks(db: Database.Database): Row[] {
  const out: Row[] = []
  for (const [runId, nameId, data] of db.prepare('SELECT run_id, name_id, data FROM metric_chunks ORDER BY run_id, name_id, first_step').raw().all() as [number, number, Buffer][]) {
    const p = decodeChunk(data)
    for (let i = 0; i < p.length; i += STRIDE) out.push({ run_id: runId, name_id: nameId, step: p[i], epoch: p[i + 1], value: p[i + 2], time: p[i + 3] })
  }
  return out
}

describe('schema upgrades from every earlier version', () => {
  it('keeps a fixture for every earlier schema version (add one with make-fixtures.ts when adding a migration)', () => {
    expect(fixtures.map((f) => f.version)).toEqual(Array.from({ length: latestSchemaVersion - 1 }, (_, i) => i + 1))
  })

  for (const fixture of fixtures) {
    it(`upgrades a schema ${fixture.version} database to ${latestSchemaVersion} with its data intact`, async () => {
      const t = tempDataDir()
      temps.push(t.cleanup)
      const old = new Database(join(t.dir, DB_FILE))
      old.exec(readFileSync(fixture.file, 'utf8'))
      expect(currentSchemaVersion(old)).toBe(fixture.version)
      const before = tablesAndRows(old)
      old.close()
      expect([...before.values()].every((rows) => rows.length > 0)).toBe(true)

      const studio = openStudio(t.dir)
      temps.unshift(() => studio.close())
      expect(currentSchemaVersion(studio.db)).toBe(latestSchemaVersion)
      expect(studio.db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }])
      expect(studio.db.pragma('foreign_key_check')).toEqual([])
      // Every row of every table that existed is still there, every old column with the same value.
      // (Migration 9 packed the rows of `metrics` into metric_chunks: the same points, read back from there.)
      for (const [table, rows] of before) {
        const columns = Object.keys(rows[0]!)
        const after = table === 'metrics' ? metricRowsOfChunks(studio.db) : orderedRows(studio.db, table, columns)
        expect({ table, rows: after }).toEqual({ table, rows })
      }
      expect(studio.db.prepare(`SELECT name FROM sqlite_master WHERE name IN ('metrics', 'metrics_by_epoch')`).all()).toEqual([])
      // And the services read it.
      const call = async (channel: string, payload: unknown) => {
        const r = await studio.services.call(channel, payload)
        if (!r.ok) throw new Error(`${channel}: ${r.error.message}`)
        return r.value as Record<string, unknown>
      }
      const projects = (await call('studio:projects.list', {})) as unknown as { name: string }[]
      expect(projects.map((p) => p.name).sort()).toEqual(['Digits — “quoted” ünïcode', "O'Brien's empty project"])
      const arch = (await call('studio:architectures.get', { id: 1 })) as { version: { version: number; document: unknown } }
      expect(arch.version.version).toBe(2)
      expect(() => parseGraphDocument(arch.version.document)).not.toThrow()
      expect(((await call('studio:pipelines.get', { id: 1 })) as { version: { document: { steps: unknown[] } } }).version.document.steps).toHaveLength(1)
      const run = await call('studio:runs.get', { id: 1 })
      expect(run).toMatchObject({ name: 'adam 1e-3', status: 'completed', notes: 'kept', starred: true })
      const metrics = (await call('studio:runs.metrics', { runId: 1 })) as Record<string, { step: number[]; value: number[] }>
      expect(Object.keys(metrics).sort()).toEqual(['train/loss', 'val/acc'])
      expect(metrics['train/loss']!.step).toEqual([0, 1, 2, 3, 4])
      expect(((await call('studio:runs.checkpoints', { runId: 1 })) as unknown as unknown[]).length).toBe(1)
      const dataset = await call('studio:datasets.get', { id: 1 })
      expect(dataset).toMatchObject({ name: 'Tiny digits', itemCount: 4, classes: ['0', '1'] })
    })
  }

  it('migration 6 derives the table facts and metric statistics of runs recorded before migration 3', async () => {
    const t = tempDataDir()
    temps.push(t.cleanup)
    const old = new Database(join(t.dir, DB_FILE))
    old.exec(readFileSync(join(FIXTURES, 'schema-v2.sql'), 'utf8'))
    old.close()
    const studio = openStudio(t.dir)
    temps.unshift(() => studio.close())
    const facts = studio.db.prepare('SELECT id, derived, architecture_name, architecture_version, param_count FROM runs ORDER BY id').all()
    // Run 1's snapshot names LeNet-5 and carries its graph (44,426 parameters); its version row is version 2.
    expect(facts).toEqual([
      { id: 1, derived: 1, architecture_name: 'LeNet-5', architecture_version: 2, param_count: 44426 },
      { id: 2, derived: 1, architecture_name: null, architecture_version: null, param_count: null },
    ])
    expect(studio.db.prepare('SELECT name_id, count, last_step, min_value, max_value FROM run_metric_stats WHERE run_id = 1 ORDER BY name_id').all()).toEqual([
      { name_id: 1, count: 5, last_step: 4, min_value: 1.9, max_value: 2.3 },
      { name_id: 2, count: 5, last_step: 4, min_value: 0, max_value: 0.4 },
    ])
    // The runs table reads them (no derivation at service start any more).
    const table = await studio.services.call('studio:runs.table', { projectId: 1, extraColumns: ['metric:val/acc:best'] })
    expect(table.ok && unpackRunsTable(table.value as PackedRunsTable).rows.find((r) => r.id === 1)).toMatchObject({
      architectureName: 'LeNet-5',
      paramCount: 44426,
      extra: { 'metric:val/acc:best': 0.4 },
    })
  })

  it('migration 9 packs every metric point of a schema 8 database into chunks: series, values at a step or epoch, best/last and later appends as before', async () => {
    const t = tempDataDir()
    temps.push(t.cleanup)
    const old = new Database(join(t.dir, DB_FILE))
    old.exec(readFileSync(join(FIXTURES, 'schema-v8.sql'), 'utf8'))
    // Run 1 gets a longer history: 700 steps of train/loss (3 chunks' worth), 7 epochs of val/acc at epoch ends.
    old.prepare(`INSERT INTO metric_names (id, name) VALUES (3, 'val/loss')`).run()
    const row = old.prepare('INSERT OR REPLACE INTO metrics (run_id, name_id, step, epoch, value, time) VALUES (?, ?, ?, ?, ?, ?)')
    old.transaction(() => {
      for (let step = 5; step < 700; step++) row.run(1, 1, step, step / 100, 2.3 / (1 + step / 50) + ((step * 7919) % 13) / 1000, step * 0.25)
      for (let e = 1; e <= 7; e++) row.run(1, 3, e * 100 - 1, e, 1 / e + (e % 2) * 0.05, e * 25)
    })()
    const oldSeries = (nameId: number) => old.prepare('SELECT step, epoch, value, time FROM metrics WHERE run_id = 1 AND name_id = ? ORDER BY step').all(nameId) as { step: number; epoch: number; value: number; time: number }[]
    const before = { loss: oldSeries(1), acc: oldSeries(2), vloss: oldSeries(3) }
    // The readers' answers on the old table (runs-table.ts before migration 9).
    const atStep = old.prepare('SELECT value FROM metrics WHERE run_id = 1 AND name_id = 1 AND step <= 333 ORDER BY step DESC LIMIT 1').pluck().get()
    const atEpoch = old.prepare('SELECT value FROM metrics WHERE run_id = 1 AND name_id = 3 AND epoch <= 4 + 1e-9 ORDER BY epoch DESC, step DESC LIMIT 1').pluck().get()
    // Their statistics as appendMetrics kept them (min and max: the lowest step's).
    const stat = old.prepare('INSERT OR REPLACE INTO run_metric_stats (run_id, name_id, count, first_step, last_step, last_epoch, last_value, min_value, min_step, max_value, max_step) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    for (const [nameId, rows] of [[1, before.loss], [3, before.vloss]] as const) {
      const lo = rows.reduce((a, r) => (r.value < a.value ? r : a))
      const hi = rows.reduce((a, r) => (r.value > a.value ? r : a))
      const last = rows.at(-1)!
      stat.run(nameId, rows.length, rows[0]!.step, last.step, last.epoch, last.value, lo.value, lo.step, hi.value, hi.step)
    }
    old.close()
    const studio = openStudio(t.dir)
    temps.unshift(() => studio.close())
    expect(currentSchemaVersion(studio.db)).toBe(latestSchemaVersion)
    expect(studio.db.prepare('SELECT name_id, count FROM metric_chunks WHERE run_id = 1 ORDER BY name_id, first_step').raw().all()).toEqual([[1, 256], [1, 256], [1, 188], [2, 5], [3, 7]])
    const call = async <T>(channel: string, payload: unknown): Promise<T> => {
      const r = await studio.services.call(channel, payload)
      if (!r.ok) throw new Error(`${channel}: ${r.error.message}`)
      return r.value as T
    }
    const columns = (rows: { step: number; epoch: number; value: number; time: number }[]) => ({ step: rows.map((r) => r.step), epoch: rows.map((r) => r.epoch), value: rows.map((r) => r.value), time: rows.map((r) => r.time) })
    expect(await call('studio:runs.metrics', { runId: 1 })).toEqual({ 'train/loss': columns(before.loss), 'val/acc': columns(before.acc), 'val/loss': columns(before.vloss) })
    const extras = ['metric:train/loss:step=333', 'metric:val/loss:epoch=4', 'metric:train/loss:min', 'metric:train/loss:last', 'metric:val/loss:best']
    const table = unpackRunsTable(await call<PackedRunsTable>('studio:runs.table', { projectId: 1, extraColumns: extras }))
    const losses = before.loss.map((r) => r.value)
    expect(table.rows.find((r) => r.id === 1)!.extra).toEqual({
      'metric:train/loss:step=333': atStep,
      'metric:val/loss:epoch=4': atEpoch,
      'metric:train/loss:min': Math.min(...losses),
      'metric:train/loss:last': losses.at(-1),
      'metric:val/loss:best': Math.min(...before.vloss.map((r) => r.value)),
    })
    // Training goes on after the upgrade: appended after the last chunk, and a replayed step replaces its point.
    await call('studio:runs.appendMetrics', { runId: 1, points: [{ name: 'train/loss', step: 700, epoch: 7, value: 0.01, time: 175 }] })
    await call('studio:runs.appendMetrics', { runId: 1, points: [{ name: 'train/loss', step: 10, epoch: 0.1, value: 0.001, time: 2.5 }] })
    const after = await call<Record<string, { step: number[]; value: number[] }>>('studio:runs.metrics', { runId: 1, names: ['train/loss'] })
    expect(after['train/loss']!.step).toEqual([...before.loss.map((r) => r.step), 700])
    expect(after['train/loss']!.value[10]).toBe(0.001)
    const again = unpackRunsTable(await call<PackedRunsTable>('studio:runs.table', { projectId: 1, extraColumns: ['metric:train/loss:min', 'metric:train/loss:count'] }))
    expect(again.rows.find((r) => r.id === 1)!.extra).toEqual({ 'metric:train/loss:min': 0.001, 'metric:train/loss:count': 701 })
  })

  it('a migration whose code step fails leaves the database at the version before, its SQL undone', () => {
    const t = tempDataDir()
    temps.push(t.cleanup)
    const db = openDatabase(t.dir)
    db.close()
    const broken = [
      ...migrations,
      {
        version: latestSchemaVersion + 1,
        name: 'fails in code',
        sql: 'CREATE TABLE doomed (x INTEGER) STRICT;',
        run: () => {
          throw new Error('backfill failed')
        },
      },
    ]
    expect(() => openDatabase(t.dir, { migrations: broken })).toThrow(/backfill failed/)
    const again = openDatabase(t.dir)
    temps.unshift(() => again.close())
    expect(currentSchemaVersion(again)).toBe(latestSchemaVersion)
    expect(again.prepare(`SELECT name FROM sqlite_master WHERE name = 'doomed'`).all()).toEqual([])
  })
})
