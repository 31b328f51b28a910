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
import { parseGraphDocument } from '../../shared/graph/index'
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
      for (const [table, rows] of before) {
        const columns = Object.keys(rows[0]!)
        expect({ table, rows: orderedRows(studio.db, table, columns) }).toEqual({ table, rows })
      }
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
    expect(table.ok && (table.value as { rows: { id: number; architectureName: string | null; paramCount: number | null; extra: Record<string, unknown> }[] }).rows.find((r) => r.id === 1)).toMatchObject({
      architectureName: 'LeNet-5',
      paramCount: 44426,
      extra: { 'metric:val/acc:best': 0.4 },
    })
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
