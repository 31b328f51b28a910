/**
 * Scanning an image folder: its subfolders are the classes (sorted by name), each class's images are the
 * image files anywhere below its folder (sorted by path). Hidden files and folders (dot-names) and files that
 * are not images by their extension are ignored silently. Symbolic links are followed only when they point
 * inside the chosen folder and do not lead back into a folder already being walked (a loop); the others are
 * reported as not followed.
 */
import { readdir, realpath, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { ApiError } from '@shared/api'
import { imageFormatOf } from './decode'

export interface ScannedFile {
  readonly classIndex: number
  /** Absolute path (as found, may go through a followed symlink). */
  readonly path: string
  /** Relative to the chosen folder, `/`-separated. */
  readonly relativePath: string
}

export interface FolderScan {
  readonly root: string
  readonly classes: string[]
  readonly files: ScannedFile[]
  readonly notFollowed: { path: string; reason: string }[]
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target)
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel))
}

interface ClassFolders {
  readonly root: string
  readonly classDirs: { name: string; path: string; real: string }[]
  readonly notFollowed: { path: string; reason: string }[]
  readonly follow: (path: string, ancestors: ReadonlySet<string>) => Promise<{ real: string; isDir: boolean } | null>
  readonly rel: (path: string) => string
}

/** Why a file or folder of an import cannot be read, in words: 'cannot be read (permission denied)'. */
export function cannotRead(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(error)})`
}

/** The import folder itself cannot be opened or listed: refused naming it. */
function folderProblem(folder: string, error: unknown): ApiError {
  const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : cannotRead(error)
  return new ApiError('invalid_payload', `Folder ${folder} ${why}: check the path and try again.`, [{ path: 'path', message: `Folder ${why}` }])
}

async function classFolders(folder: string): Promise<ClassFolders> {
  let root: string
  try {
    root = await realpath(folder)
    if (!(await stat(root)).isDirectory()) {
      throw new ApiError('invalid_payload', `${folder} is a file, not a folder: choose the folder that holds one subfolder per class.`, [
        { path: 'path', message: 'Not a folder' },
      ])
    }
  } catch (error) {
    if (error instanceof ApiError) throw error
    throw folderProblem(folder, error)
  }

  const notFollowed: { path: string; reason: string }[] = []
  const rel = (p: string) => relative(folder, p).split(sep).join('/')

  /** Resolves a symlink; null (and reported) when it must not be followed. */
  const follow = async (path: string, ancestors: ReadonlySet<string>): Promise<{ real: string; isDir: boolean } | null> => {
    let real: string
    try {
      real = await realpath(path)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      notFollowed.push({ path: rel(path), reason: code === 'ELOOP' ? 'symbolic link loop' : 'broken symbolic link' })
      return null
    }
    if (!isInside(root, real)) {
      notFollowed.push({ path: rel(path), reason: 'symbolic link points outside the imported folder' })
      return null
    }
    const info = await stat(real)
    if (info.isDirectory() && ancestors.has(real)) {
      notFollowed.push({ path: rel(path), reason: 'symbolic link loop (points back to a folder that contains it)' })
      return null
    }
    return { real, isDir: info.isDirectory() }
  }

  // Classes: the root's visible subfolders (or links to folders inside it).
  const classDirs: { name: string; path: string; real: string }[] = []
  let entries
  try {
    // A folder one may enter but not list (no read permission) is refused here, by name.
    entries = await readdir(root, { withFileTypes: true })
  } catch (error) {
    throw folderProblem(folder, error)
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const path = join(folder, entry.name)
    if (entry.isDirectory()) classDirs.push({ name: entry.name, path, real: join(root, entry.name) })
    else if (entry.isSymbolicLink()) {
      const target = await follow(path, new Set([root]))
      if (target?.isDir) classDirs.push({ name: entry.name, path, real: target.real })
    }
  }
  classDirs.sort((a, b) => byName(a.name, b.name))
  if (classDirs.length === 0) {
    throw new ApiError(
      'invalid_payload',
      `Folder ${folder} has no class subfolders: put each class's images in its own subfolder, e.g. ${join(folder, 'cats')}${sep}*.jpg and ${join(folder, 'dogs')}${sep}*.jpg.`,
      [{ path: 'path', message: 'No class subfolders' }],
    )
  }
  return { root, classDirs, notFollowed, follow, rel }
}

/** Checks that the folder exists and has class subfolders (ApiError naming `path` otherwise); the class names. */
export async function checkFolder(folder: string): Promise<string[]> {
  return (await classFolders(folder)).classDirs.map((d) => d.name)
}

export async function scanFolder(folder: string, isCancelled: () => boolean = () => false): Promise<FolderScan> {
  const { root, classDirs, notFollowed, follow, rel } = await classFolders(folder)
  const files: ScannedFile[] = []
  const walk = async (dir: string, real: string, classIndex: number, ancestors: Set<string>, out: ScannedFile[]) => {
    if (isCancelled()) return
    ancestors.add(real)
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      notFollowed.push({ path: rel(dir), reason: `folder ${cannotRead(error)}` })
      ancestors.delete(real)
      return
    }
    entries.sort((a, b) => byName(a.name, b.name))
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        await walk(path, join(real, entry.name), classIndex, ancestors, out)
      } else if (entry.isSymbolicLink()) {
        const target = await follow(path, ancestors)
        if (!target) continue
        if (target.isDir) await walk(path, target.real, classIndex, ancestors, out)
        else if (imageFormatOf(entry.name)) out.push({ classIndex, path, relativePath: rel(path) })
      } else if (entry.isFile() && imageFormatOf(entry.name)) {
        out.push({ classIndex, path, relativePath: rel(path) })
      }
    }
    ancestors.delete(real)
  }
  for (const [classIndex, dir] of classDirs.entries()) {
    await walk(dir.path, dir.real, classIndex, new Set([root]), files)
  }
  return { root, classes: classDirs.map((d) => d.name), files, notFollowed }
}
