import { afterEach } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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

/**
 * A browser host on 127.0.0.1 over a fresh studio in a temporary folder, with a stand-in renderer (an index.html)
 * unless `services` replace the studio's. `temps` collects the cleanups (run them in reverse order after the test).
 */
export async function startTestHost(temps: (() => void | Promise<void>)[], options: { services?: (studio: Studio) => Studio['services'] } = {}) {
  const { startWebHost } = await import('../../main/web/server')
  const t = tempDataDir()
  temps.push(t.cleanup)
  const rendererDir = join(t.dir, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<html><head></head><body>studio</body></html>')
  const dataDir = join(t.dir, 'data')
  const studio = openStudio(dataDir)
  temps.push(() => studio.close())
  const web = await startWebHost({ services: options.services ? options.services(studio) : studio.services, rendererDir, dataDir })
  temps.push(() => web.close())
  return { web, studio, dataDir, rendererDir }
}

/** Cleanups run in order after each test (close studios before removing their folders: push those first). */
export function cleanups(): (() => void)[] {
  const list: (() => void)[] = []
  afterEach(() => list.splice(0).forEach((c) => c()))
  return list
}
