/**
 * Preloaded into a studio process by the crash campaign (NODE_OPTIONS=--import <this file>), with
 * CRASH_AT=<moment>:<n>[:after-checkpoint]. It does not kill anything itself: at the n-th occurrence of the moment
 * it tells the campaign on stderr (`CRASH-POINT <moment>`) and holds the process right there (a synchronous wait),
 * so that the campaign's SIGKILL lands exactly in the middle of that work. With `after-checkpoint` the occurrences
 * are counted only once this process recorded a checkpoint row (its run then resumes from that checkpoint).
 * Moments:
 *   checkpoint  between two writes of a checkpoint's temporary file (projects/.../runs/<id>/.<tmp>)
 *   metrics     inside a metric batch's transaction, after its first chunk write
 *   import      inside a dataset import, after a write to its images cache
 *   migration   inside the migrations' transaction, after one migration's SQL ran
 *   export      inside an export, after one file of the project was written
 * Without CRASH_AT it does nothing.
 */
import fs from 'node:fs'
import { createRequire, syncBuiltinESMExports } from 'node:module'

const [moment, nth, when] = (process.env.CRASH_AT ?? '').split(':')
const target = Number(nth)
let seen = 0
/** Counting has begun: at once, or (after-checkpoint) once an INSERT INTO checkpoints ran. */
let counting = when !== 'after-checkpoint'

function hold(what) {
  fs.writeSync(2, `\nCRASH-POINT ${what}\n`)
  // Held until the campaign's SIGKILL arrives (it gives up after 60 s, and the process goes on).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000)
}
const hit = (what) => {
  if (!counting) return
  seen += 1
  if (seen === target) hold(what)
}

if (moment) {
  const fdPaths = new Map()
  const openSync = fs.openSync
  fs.openSync = function (path, ...rest) {
    const fd = openSync.call(this, path, ...rest)
    fdPaths.set(fd, String(path))
    return fd
  }
  const closeSync = fs.closeSync
  fs.closeSync = function (fd) {
    fdPaths.delete(fd)
    return closeSync.call(this, fd)
  }
  const writeSync = fs.writeSync
  const sep = String.raw`[\\/]`
  const patterns = {
    checkpoint: new RegExp(`${sep}runs${sep}\\d+${sep}\\.[^\\\\/]*\\.tmp$`),
    import: new RegExp(`${sep}datasets${sep}\\d+${sep}\\.[^\\\\/]*\\.tmp$`),
    export: /\.partial[\\/]/,
  }
  fs.writeSync = function (fd, ...rest) {
    const n = writeSync.call(this, fd, ...rest)
    const pattern = patterns[moment]
    if (pattern && fd !== 2 && pattern.test(fdPaths.get(fd) ?? '')) hit(moment)
    return n
  }
  syncBuiltinESMExports()

  if (moment === 'metrics' || moment === 'migration' || !counting) {
    const require = createRequire(new URL('../package.json', import.meta.url))
    const Database = require('better-sqlite3')
    if (moment !== 'migration') {
      const prepare = Database.prototype.prepare
      Database.prototype.prepare = function (sql, ...rest) {
        const statement = prepare.call(this, sql, ...rest)
        const metrics = moment === 'metrics' && /^(INSERT INTO metric_chunks|UPDATE metric_chunks SET data)/.test(sql)
        const checkpoints = !counting && /INSERT INTO checkpoints/.test(sql)
        if (!metrics && !checkpoints) return statement
        const run = statement.run
        const db = this
        statement.run = function (...args) {
          const result = run.apply(this, args)
          if (checkpoints) counting = true
          else if (db.inTransaction) hit('metrics')
          return result
        }
        return statement
      }
    }
    if (moment === 'migration') {
      const exec = Database.prototype.exec
      Database.prototype.exec = function (sql, ...rest) {
        const result = exec.call(this, sql, ...rest)
        if (this.inTransaction && /CREATE|ALTER|INSERT|UPDATE/i.test(sql) && !/schema_migrations/.test(sql)) hit('migration')
        return result
      }
    }
  }
}
