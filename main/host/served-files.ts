/**
 * Which files under the data folder a host may hand to the renderer as a URL (so a training worker can read a
 * dataset cache without passing megabytes through JSON): dataset caches only. Both hosts use this one check.
 */
import { existsSync, statSync } from 'node:fs'
import { DataPaths } from '../store/files'

const SERVED = /^datasets\/\d+\/(images\.u8|labels\.i32)$/

/** `files/<relative path>` -> absolute file path, or null when the path is not a served file. */
export function resolveServedFile(dataDir: string, relativePath: string): string | null {
  if (!SERVED.test(relativePath)) return null
  const file = new DataPaths(dataDir).resolve(relativePath)
  return existsSync(file) && statSync(file).isFile() ? file : null
}
