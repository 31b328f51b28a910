import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type ServiceContract, type Transport } from '@shared/api'
import { startStudio, type Studio } from '../../main/studio'

/** A fresh data folder in the system temp dir, removed by `cleanup`. */
export function tempDataDir(prefix = 'cnn-studio-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** An in-process transport straight into the ServiceHost: the same path both real hosts use. */
export function directTransport(studio: Studio): Transport {
  return {
    invoke: (channel, payload) => studio.services.call(channel, JSON.parse(JSON.stringify(payload ?? {}))),
    subscribe: (channel, listener) =>
      studio.services.onEvent((c, payload) => {
        if (c === channel) listener(payload)
      }),
  }
}

export function clientFor<C extends ServiceContract>(studio: Studio, contract: C) {
  return createClient(contract, directTransport(studio))
}

export function openStudio(dir: string): Studio {
  return startStudio({ dataDir: dir, host: 'browser' })
}
