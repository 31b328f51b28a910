/**
 * The one check for paths that come from outside: path arguments a person or a client gives (the data folder,
 * an import folder, an export folder) and relative paths resolved inside a folder (served files, files named
 * in the database, files listed by a model). Refused with a message that says what is wrong: NUL bytes, `..`
 * segments, relative paths where a full one is needed, absolute escapes, and symbolic links that lead out.
 */
import { existsSync, lstatSync, realpathSync } from 'node:fs'
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path'
import { ApiError } from '@shared/api'

/** A path refused by `resolveInside` (an Error, for callers that answer 404 or wrap it themselves). */
export class PathRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PathRefused'
  }
}

const SEGMENT_SPLIT = /[\\/]/

/** True when `target` is `root` itself or below it (lexically: no `..` step, no other drive or root). */
export function isInside(root: string, target: string): boolean {
  const rel = relative(root, target)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`) && !/^[A-Za-z]:/.test(rel))
}

/**
 * A path argument (data folder, import folder, export folder): must be a full path without NUL bytes or `..`
 * segments. Refused as an `invalid_payload` ApiError naming `field`; returns the path normalized.
 */
export function checkPathArgument(path: string, what: string, field = 'path'): string {
  const refuse = (why: string, hint: string, issue = `${what} ${why}`): never => {
    throw new ApiError('invalid_payload', `${what} ${JSON.stringify(path)} ${why}: ${hint}`, [{ path: field, message: issue }])
  }
  if (path.includes('\0')) refuse('contains a NUL byte', 'a path cannot hold one; check how it was typed or pasted.')
  if (!isAbsolute(path)) {
    const example = process.platform === 'win32' ? 'C:\\data\\pets' : '/home/me/data/pets'
    refuse('is relative', `give the folder’s full, absolute path (e.g. ${example}).`, 'Must be an absolute path')
  }
  if (path.split(SEGMENT_SPLIT).includes('..')) refuse('contains “..”', 'give the folder’s full path without “..” steps.')
  return normalize(path)
}

/** The real path of `path`, or of its nearest existing ancestor joined with the rest (a file not written yet). */
function realpathOfExisting(path: string): string {
  let existing = path
  const rest: string[] = []
  while (!existsSync(existing)) {
    const parent = dirname(existing)
    if (parent === existing) return path
    rest.unshift(existing.slice(parent.length).replace(/^[\\/]/, ''))
    existing = parent
  }
  return join(realpathSync(existing), ...rest)
}

/**
 * `relativePath` inside `root` as an absolute path. Refuses (PathRefused) NUL bytes, absolute paths, `..`
 * escapes, and a path that, through symbolic links, really lies outside `root`.
 */
export function resolveInside(root: string, relativePath: string, names: { what?: string; rootName?: string } = {}): string {
  const what = names.what ?? 'Path'
  const rootName = names.rootName ?? root
  const show = JSON.stringify(relativePath)
  if (relativePath.includes('\0')) throw new PathRefused(`${what} ${show} contains a NUL byte`)
  if (isAbsolute(relativePath) || /^[A-Za-z]:/.test(relativePath)) throw new PathRefused(`${what} ${show} is absolute: only paths inside ${rootName} are allowed`)
  const full = normalize(join(root, relativePath))
  if (!isInside(root, full)) throw new PathRefused(`${what} ${show} leads outside ${rootName}`)
  if (existsSync(root)) {
    const realRoot = realpathSync(root)
    if (!isInside(realRoot, realpathOfExisting(full))) throw new PathRefused(`${what} ${show} is a symbolic link that leads outside ${rootName}`)
  }
  return full
}

/** True when `path` itself is a symbolic link (not followed). */
export function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}
