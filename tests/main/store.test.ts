import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { ApiError } from '@shared/api'
import { currentSchemaVersion, DB_FILE, migrate, openDatabase } from '../../main/store/db'
import { DataPaths, processAlive, sweepOrphanTemps, writeFileAtomic } from '../../main/store/files'
import { latestSchemaVersion, migrations } from '../../main/store/migrations'
import { cleanups, tempDataDir, zombieProcess } from './helpers'

const temps = cleanups()
function temp() {
  const t = tempDataDir()
  temps.push(t.cleanup)
  return t.dir
}

const tables = (db: Database.Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name)

describe('studio.db', () => {
  it('migrates an empty folder to the latest schema with every table the studio needs', () => {
    const dir = temp()
    const db = openDatabase(dir)
    expect(existsSync(join(dir, DB_FILE))).toBe(true)
    expect(currentSchemaVersion(db)).toBe(latestSchemaVersion)
    expect(tables(db)).toEqual(
      expect.arrayContaining([
        'schema_migrations', 'projects', 'architectures', 'architecture_versions', 'datasets', 'dataset_items',
        'pipelines', 'pipeline_versions', 'runs', 'run_groups', 'metric_names', 'metric_chunks', 'checkpoints', 'settings',
      ]),
    )
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
    const recorded = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()
    expect(recorded).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })))
    db.close()
  })

  it('reopening applies nothing twice', () => {
    const dir = temp()
    openDatabase(dir).close()
    const db = openDatabase(dir)
    expect(migrate(db)).toEqual({ from: latestSchemaVersion, to: latestSchemaVersion })
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(migrations.length)
    db.close()
  })

  it('applies a new numbered migration on top of an existing database', () => {
    const dir = temp()
    openDatabase(dir).close()
    const next = [...migrations, { version: latestSchemaVersion + 1, name: 'add a column', sql: 'ALTER TABLE projects ADD COLUMN color TEXT' }]
    const db = openDatabase(dir, { migrations: next })
    expect(currentSchemaVersion(db)).toBe(latestSchemaVersion + 1)
    db.prepare(`INSERT INTO projects (name, created_at, updated_at, color) VALUES ('x', '', '', 'red')`).run()
    db.close()
  })

  it('rolls a failing migration back whole', () => {
    const dir = temp()
    openDatabase(dir).close()
    const broken = [
      ...migrations,
      { version: latestSchemaVersion + 1, name: 'half good', sql: 'CREATE TABLE extra (id INTEGER); SELECT * FROM no_such_table;' },
    ]
    expect(() => openDatabase(dir, { migrations: broken })).toThrow(/no_such_table/)
    const db = openDatabase(dir)
    expect(currentSchemaVersion(db)).toBe(latestSchemaVersion)
    expect(tables(db)).not.toContain('extra')
    db.close()
  })

  it('refuses a database from a newer version with a clear message and changes nothing', () => {
    const dir = temp()
    const db = openDatabase(dir)
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(latestSchemaVersion + 5, 'from the future', 'x')
    db.close()
    const before = readFileSync(join(dir, DB_FILE))
    let error: unknown
    try {
      openDatabase(dir)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).code).toBe('schema_too_new')
    expect((error as ApiError).message).toMatch(/newer CNN Studio/)
    expect((error as ApiError).message).toContain(`schema ${latestSchemaVersion + 5}`)
    const raw = new Database(join(dir, DB_FILE))
    expect(currentSchemaVersion(raw)).toBe(latestSchemaVersion + 5)
    raw.close()
    expect(readFileSync(join(dir, DB_FILE)).length).toBe(before.length)
  })

  it('cascades deletes through foreign keys', () => {
    const db = openDatabase(temp())
    const p = db.prepare(`INSERT INTO projects (name, created_at, updated_at) VALUES ('p', '', '')`).run().lastInsertRowid
    const r = db
      .prepare(`INSERT INTO runs (project_id, name, status, config, app_version, created_at) VALUES (?, 'r', 'completed', '{}', '0', '')`)
      .run(p).lastInsertRowid
    db.prepare(`INSERT INTO metric_names (name) VALUES ('loss')`).run()
    db.prepare(`INSERT INTO metric_chunks (run_id, name_id, first_step, last_step, min_epoch, max_epoch, count, data) VALUES (?, 1, 1, 1, 0, 0, 1, X'00')`).run(r)
    db.prepare('DELETE FROM projects WHERE id = ?').run(p)
    expect((db.prepare('SELECT COUNT(*) AS n FROM metric_chunks').get() as { n: number }).n).toBe(0)
    expect(() => db.prepare(`INSERT INTO runs (project_id, name, status, config, app_version, created_at) VALUES (999, 'r', 's', '{}', '0', '')`).run()).toThrow(/FOREIGN KEY/)
    db.close()
  })
})

describe('artifact files', () => {
  it('writes atomically and leaves no temporary file behind', () => {
    const dir = temp()
    const file = join(dir, 'projects', '1', 'ckpt', 'weights.bin')
    writeFileAtomic(file, new Uint8Array([1, 2, 3]))
    writeFileAtomic(file, new Uint8Array([4, 5]))
    expect([...readFileSync(file)]).toEqual([4, 5])
    expect(readdirSync(join(dir, 'projects', '1', 'ckpt'))).toEqual(['weights.bin'])
  })

  it('keeps the old file when a write fails', () => {
    const dir = temp()
    const file = join(dir, 'a.bin')
    writeFileAtomic(file, 'old')
    mkdirSync(join(dir, 'blocker'))
    writeFileSync(join(dir, 'blocker', 'x'), '')
    // Renaming over a non-empty directory fails: the previous content must survive.
    expect(() => writeFileAtomic(join(dir, 'blocker'), 'new')).toThrow()
    expect(readFileSync(file, 'utf8')).toBe('old')
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('sweeps the temporary files of a writer that was killed, also while it is a zombie not yet reaped; keeps a live writer\'s', async () => {
    const dir = temp()
    const zombie = await zombieProcess()
    temps.push(zombie.end)
    // kill(pid, 0) succeeds on a zombie: that alone took the dead writer for a live one.
    expect(processAlive(zombie.pid)).toBe(false)
    expect(processAlive(process.pid)).toBe(true)
    const runDir = join(dir, 'projects', '1', 'runs', '2')
    const cacheDir = join(dir, 'datasets', '2')
    mkdirSync(runDir, { recursive: true })
    mkdirSync(cacheDir, { recursive: true })
    writeFileSync(join(runDir, `.${zombie.pid}-0123456789ab.tmp`), 'half a checkpoint')
    writeFileSync(join(cacheDir, `.${zombie.pid}-ba9876543210.tmp`), 'half a cache')
    writeFileSync(join(runDir, `.${process.pid}-00000000aaaa.tmp`), 'being written')
    expect(sweepOrphanTemps(dir).sort()).toEqual([`datasets/2/.${zombie.pid}-ba9876543210.tmp`, `projects/1/runs/2/.${zombie.pid}-0123456789ab.tmp`])
    expect(readdirSync(runDir)).toEqual([`.${process.pid}-00000000aaaa.tmp`])
    expect(readdirSync(cacheDir)).toEqual([])
  })

  it('refuses stored paths that escape the data folder', () => {
    const paths = new DataPaths(temp())
    expect(() => paths.resolve('../../etc/passwd')).toThrow(/outside the data folder/)
    expect(paths.resolve('projects/1/x.bin')).toContain(join('projects', '1', 'x.bin'))
  })
})
