/**
 * Opens the studio database (`studio.db` in the data folder): WAL, foreign keys, busy timeout, and the
 * numbered migrations applied in one transaction. A database written by a newer version is refused before
 * anything is changed.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ApiError } from '@shared/api'
import { storageProblem } from './files'
import { latestSchemaVersion, migrations as defaultMigrations, type Migration } from './migrations'

export type Db = Database.Database

export const DB_FILE = 'studio.db'

export interface OpenOptions {
  /** Path to a better-sqlite3 native binding (Electron uses its own ABI build). */
  readonly nativeBinding?: string
  readonly migrations?: readonly Migration[]
}

export function openDatabase(dataDir: string, options: OpenOptions = {}): Db {
  let db: Db
  try {
    mkdirSync(dataDir, { recursive: true })
    db = new Database(join(dataDir, DB_FILE), options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  } catch (error) {
    throw storageError(error, dataDir)
  }
  try {
    db.pragma('busy_timeout = 5000')
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('synchronous = NORMAL')
    migrate(db, options.migrations ?? defaultMigrations)
    return db
  } catch (error) {
    db.close()
    throw storageError(error, dataDir)
  }
}

/** A full disk or a read-only folder at opening, in the user's words (naming the folder); anything else as it is. */
function storageError(error: unknown, dataDir: string): unknown {
  const problem = storageProblem(error, dataDir)
  return problem ? new ApiError('storage', `CNN Studio cannot open its data folder. ${problem}`) : error
}

export function currentSchemaVersion(db: Db): number {
  const hasTable = db
    .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`)
    .get()
  if (!hasTable) return 0
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }
  return row.v ?? 0
}

export function migrate(db: Db, migrations: readonly Migration[] = defaultMigrations): { from: number; to: number } {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0)
  const run = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TEXT NOT NULL
    ) STRICT`)
    const from = currentSchemaVersion(db)
    if (from > latest) {
      throw new ApiError(
        'schema_too_new',
        `This data folder was written by a newer CNN Studio (database schema ${from}; this version knows up to ${latest}). ` +
          'Update CNN Studio or choose another data folder; nothing was changed.',
      )
    }
    const insert = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= from) continue
      if (m.sql) db.exec(m.sql)
      m.run?.(db)
      insert.run(m.version, m.name, new Date().toISOString())
    }
    return { from, to: Math.max(from, latest) }
  })
  return run.immediate()
}

export { latestSchemaVersion }
