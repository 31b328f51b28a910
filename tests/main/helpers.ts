import { afterEach } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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

export function openStudio(dir: string, options: { enginePollMs?: number } = {}): Studio {
  return startStudio({ dataDir: dir, host: 'browser', ...options })
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

/**
 * A process that was killed and is not reaped (a zombie), as a killed `studio` command is for a while when it ran
 * under a wrapper (tsx, npm) that was killed with it: reparented to an init that reaps only now and then. Made
 * here by a shell that starts `sleep 0` and then becomes `sleep 30` (which never waits for its child). `pid` is
 * the zombie's; `end` kills its parent (init then reaps both).
 */
export async function zombieProcess(): Promise<{ pid: number; end: () => void }> {
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))))
  const end = () => void parent.kill('SIGKILL')
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return { pid, end }
  }
  end()
  throw new Error(`process ${pid} did not become a zombie`)
}
