/**
 * `npm run start:web -- [--port <p>] [--data-dir <dir>]`: the studio in a browser. Serves the built renderer
 * and the API on 127.0.0.1 and prints the URL.
 */
import { parseArgs } from 'node:util'
import { join, resolve } from 'node:path'
import { defaultDataDir } from '../host/paths'
import { startStudio } from '../studio'
import { startWebHost } from './server'

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'renderer-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log('Usage: npm run start:web -- [--port <port>] [--data-dir <folder>]')
    return
  }
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, received "${values.port}"`)
  }
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  const studio = startStudio({ dataDir, host: 'browser', settleEngineRuns: true })
  let host
  try {
    host = await startWebHost({
      services: studio.services,
      dataDir,
      rendererDir: values['renderer-dir'] ?? join(import.meta.dirname, '../renderer'),
      port,
    })
  } catch (error) {
    studio.close()
    throw error
  }
  console.log(`CNN Studio (browser host) is running at ${host.url}`)
  console.log(`Data folder: ${dataDir}`)
  console.log('Open the address above in Chrome or Edge (WebGPU). Press Ctrl+C to stop.')
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    void host.close().then(() => {
      studio.close()
      process.exit(0)
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error: unknown) => {
  console.error(`CNN Studio could not start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
