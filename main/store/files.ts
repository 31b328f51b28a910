/**
 * Large binary artifacts (checkpoint weights, dataset caches) live as files under the data folder and are
 * referenced from the database by a path relative to it. Writes are atomic: temporary file, fsync, rename,
 * fsync of the folder, so a crash leaves either the old file or the new one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { randomBytes } from 'node:crypto'
import { resolveInside } from './path-guard'

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
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`)
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
