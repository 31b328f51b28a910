/**
 * Which files the hosts serve: the built renderer's files, and those under the data folder a host may hand to
 * the renderer as a URL (so a training worker can read a dataset cache without passing megabytes through
 * JSON): dataset caches only. Both hosts use these checks (main/store/path-guard.ts does the path part).
 */
import { existsSync, statSync } from 'node:fs'
import { DataPaths } from '../store/files'
import { PathRefused, resolveInside } from '../store/path-guard'

const SERVED = /^datasets\/\d+\/(images\.u8|labels\.i32)$/

/** `files/<relative path>` -> absolute file path, or null when the path is not a served file. */
export function resolveServedFile(dataDir: string, relativePath: string): string | null {
  if (!SERVED.test(relativePath)) return null
  let file: string
  try {
    file = new DataPaths(dataDir).resolve(relativePath)
  } catch (error) {
    if (error instanceof PathRefused) return null
    throw error
  }
  return existsSync(file) && statSync(file).isFile() ? file : null
}

/**
 * A decoded request path (`/assets/x.js`) -> the renderer file it names, or null: not a file, or outside the
 * renderer folder (`..`, NUL bytes, a symbolic link that leads out).
 */
export function resolveRendererFile(rendererDir: string, requestPath: string): string | null {
  let file: string
  try {
    file = resolveInside(rendererDir, requestPath.replace(/^\/+/, ''), { rootName: 'the renderer folder' })
  } catch (error) {
    if (error instanceof PathRefused) return null
    throw error
  }
  return existsSync(file) && statSync(file).isFile() ? file : null
}

/** A URL's path (percent-encoded) decoded, or null when it is malformed: a bad percent-escape or a NUL byte. */
export function decodeRequestPath(encoded: string): string | null {
  let path: string
  try {
    path = decodeURIComponent(encoded)
  } catch {
    return null
  }
  return path.includes('\0') ? null : path
}
