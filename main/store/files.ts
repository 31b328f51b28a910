/**
 * Large binary artifacts (checkpoint weights, dataset caches) live as files under the data folder and are
 * referenced from the database by a path relative to it. Writes are atomic: temporary file, fsync, rename,
 * fsync of the folder, so a crash leaves either the old file or the new one.
 */
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { randomBytes } from 'node:crypto'
import { isInside, resolveInside } from './path-guard'

/**
 * What a failed write in the data folder means for the user, when it is the disk or the folder rather than the
 * studio: a full disk (ENOSPC, SQLite's SQLITE_FULL, a quota) or a read-only or unwritable folder (EROFS,
 * SQLITE_READONLY, EACCES, EPERM). Null for anything else, and for a file error about a path neither in the data
 * folder nor above it (an image folder that cannot be read, an export folder elsewhere): that is not the data
 * folder's problem. The text names the folder and what to do.
 */
export function storageProblem(error: unknown, root: string): string | null {
  const code = String((error as { code?: unknown } | null)?.code ?? '')
  const path = (error as { path?: unknown } | null)?.path
  if (typeof path === 'string' && !isInside(resolve(root), resolve(path)) && !isInside(resolve(path), resolve(root))) return null
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    return `The disk holding the data folder ${root} is full: free some space on it (or move the data folder to a larger disk), then try again; a stopped run goes on from its last checkpoint with Resume (\`studio train --resume <run>\`)`
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN') {
    return `The data folder ${root} is read-only or not writable by you (${code}): make it writable (or choose another data folder), then try again`
  }
  return null
}

/**
 * True while process `pid` runs (on this machine); a process of another user counts as running. A process that
 * was killed but not yet reaped (a zombie: its parent, or an init that reaps only now and then, has not waited
 * for it) has stopped for good and counts as gone: `kill(pid, 0)` still succeeds on it, so where /proc tells the
 * process's state (Linux) that is read too. Without this, a studio started right after another one was killed
 * kept the dead writer's temporary files and its dataset stuck in "importing" (the killed `studio` command is a
 * child of the tsx or npm wrapper, so it is reparented to init and stays a zombie until init reaps it).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  const state = procState(pid)
  return state !== 'Z' && state !== 'X' && state !== 'gone'
}

/** The state letter of process `pid` from /proc/<pid>/stat ('gone' when it has no entry there), null without /proc. */
function procState(pid: number): string | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // No entry for a pid that kill() just found: it went in between; no /proc at all (macOS, Windows): unknown.
    return code === 'ENOENT' && existsSync('/proc/self/stat') ? 'gone' : null
  }
  // "<pid> (<comm>) <state> ...": the command name may hold spaces and parentheses, the state follows the last ')'.
  return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) || null
}

/**
 * A temporary file name next to `dir`'s files: `.<pid>-<random>.tmp`. The writer's process id in the name lets
 * `sweepOrphanTemps` tell a temporary file a killed process left from one another process is still writing.
 */
export function tempFileIn(dir: string): string {
  return join(dir, `.${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
}

const TEMP_NAME = /^\.(?:(\d+)-)?[0-9a-f]{12}\.tmp$/
/** A temporary file of an earlier version (no process id in its name) is taken as left over after this long. */
const UNOWNED_TEMP_AGE_MS = 60 * 60 * 1000

/**
 * Removes the temporary files of atomic writes that never finished (the writer was killed, or the computer went
 * off, between writing and renaming): those whose process no longer runs, and nameless-owner ones older than an
 * hour. Run when a studio opens its data folder; returns what it removed (relative paths).
 */
export function sweepOrphanTemps(root: string): string[] {
  const removed: string[] = []
  const walk = (dir: string, depth: number) => {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names) {
      const path = join(dir, name)
      let stat
      try {
        stat = lstatSync(path)
      } catch {
        continue
      }
      if (stat.isDirectory()) {
        if (depth < 6) walk(path, depth + 1)
        continue
      }
      const m = TEMP_NAME.exec(name)
      if (!m || !stat.isFile()) continue
      const pid = m[1] === undefined ? null : Number(m[1])
      const orphan = pid === null ? Date.now() - stat.mtimeMs > UNOWNED_TEMP_AGE_MS : pid !== process.pid && !processAlive(pid)
      if (!orphan) continue
      rmSync(path, { force: true })
      removed.push(relative(root, path).split(sep).join('/'))
    }
  }
  for (const top of ['projects', 'datasets']) walk(join(root, top), 0)
  return removed
}

export function writeFileAtomic(file: string, data: Uint8Array | string | readonly Uint8Array[]): void {
  stageFileAtomic(file, data).commit()
}

/** A file written to a temporary name next to its target, fsynced, not yet in place. */
export interface StagedFile {
  readonly file: string
  /** Renames it over its target (atomic) and fsyncs the folder. */
  commit(): void
  /** Removes the temporary file (after a failure elsewhere); the target is untouched. */
  discard(): void
}

/**
 * The first half of an atomic write: several files can be staged and only committed once all are written, so a
 * failure (disk full) leaves every target as it was. `data` may be a list of parts, written one after another
 * (no concatenation of large buffers).
 */
export function stageFileAtomic(file: string, data: Uint8Array | string | readonly Uint8Array[]): StagedFile {
  const dir = dirname(file)
  mkdirSync(dir, { recursive: true })
  const tmp = tempFileIn(dir)
  const parts = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data
  const fd = openSync(tmp, 'w')
  try {
    for (const bytes of parts) {
      let offset = 0
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
    }
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw error
  }
  closeSync(fd)
  return {
    file,
    commit() {
      try {
        renameSync(tmp, file)
      } catch (error) {
        rmSync(tmp, { force: true })
        throw error
      }
      fsyncDir(dir)
    },
    discard() {
      rmSync(tmp, { force: true })
    },
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // Some platforms (Windows) cannot open a directory for fsync; the rename is still atomic there.
  }
}

const PARTIAL_NAME = /^\.(.+)\.(\d+)-[0-9a-f]{12}\.partial$/

/**
 * Writes a folder of files (`files`: relative path with '/' -> content) so that a crash leaves either no folder
 * or the whole one: everything is written and fsynced into a staging folder next to `folder`
 * (`.<name>.<pid>-<random>.partial`), which is then renamed to `folder`. When `folder` exists and holds files
 * (an export with --force), each file is replaced atomically instead: no file is ever half-written. Staging
 * folders that killed processes left next to `folder` are removed first.
 */
export function writeFolderAtomic(folder: string, files: readonly { readonly path: string; readonly data: Uint8Array | string }[]): void {
  const parent = dirname(folder)
  const name = folder.slice(parent.length + 1)
  mkdirSync(parent, { recursive: true })
  for (const entry of readdirSync(parent)) {
    const m = PARTIAL_NAME.exec(entry)
    if (m && m[1] === name && !processAlive(Number(m[2]))) rmSync(join(parent, entry), { recursive: true, force: true })
  }
  let existing: string[] | null = null
  try {
    existing = readdirSync(folder)
  } catch {
    existing = null
  }
  if (existing !== null && existing.length > 0) {
    const staged: StagedFile[] = []
    try {
      for (const f of files) staged.push(stageFileAtomic(join(folder, ...f.path.split('/')), f.data))
    } catch (error) {
      for (const s of staged) s.discard()
      throw error
    }
    staged.forEach((s) => s.commit())
    return
  }
  const staging = join(parent, `.${name}.${process.pid}-${randomBytes(6).toString('hex')}.partial`)
  try {
    for (const f of files) {
      const path = join(staging, ...f.path.split('/'))
      mkdirSync(dirname(path), { recursive: true })
      const fd = openSync(path, 'w')
      try {
        const bytes = typeof f.data === 'string' ? Buffer.from(f.data) : f.data
        let offset = 0
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
    }
    if (existing !== null) rmSync(folder, { recursive: true, force: true }) // an empty folder: replaced by the rename
    renameSync(staging, folder)
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    throw error
  }
  fsyncDir(parent)
}

/** The data folder's layout, in one place. */
export class DataPaths {
  constructor(readonly root: string) {}
  projectDir(projectId: number): string {
    return join(this.root, 'projects', String(projectId))
  }
  datasetDir(datasetId: number): string {
    return join(this.root, 'datasets', String(datasetId))
  }
  /** Resolve a path stored in the database; refuses anything that escapes the data folder (also by a symlink). */
  resolve(relativePath: string): string {
    return resolveInside(this.root, relativePath, { rootName: 'the data folder' })
  }
  toRelative(absolutePath: string): string {
    return relative(this.root, absolutePath).split(sep).join('/')
  }
  removeProjectFiles(projectId: number): void {
    rmSync(this.projectDir(projectId), { recursive: true, force: true })
  }
  removeDatasetFiles(datasetId: number): void {
    rmSync(this.datasetDir(datasetId), { recursive: true, force: true })
  }
}
