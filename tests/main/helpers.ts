import { afterEach } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startStudio, type Studio } from '../../main/studio'

/** In-process typed clients: shared with the CLI (main/rpc/direct-client.ts). */
export { clientFor, directTransport } from '../../main/rpc/direct-client'

/** A fresh data folder in the system temp dir, removed by `cleanup`. */
export function tempDataDir(prefix = 'cnn-studio-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function openStudio(dir: string): Studio {
  return startStudio({ dataDir: dir, host: 'browser' })
}

/** Cleanups run in order after each test (close studios before removing their folders: push those first). */
export function cleanups(): (() => void)[] {
  const list: (() => void)[] = []
  afterEach(() => list.splice(0).forEach((c) => c()))
  return list
}
