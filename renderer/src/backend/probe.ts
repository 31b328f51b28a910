import { installDiagnostics } from './diagnostics'
import type { BackendProbe } from './labels'

installDiagnostics()

let pending: Promise<BackendProbe> | null = null

/** Which TF.js backend training will use here, detected for real in a worker (once per page). */
export function probeBackend(): Promise<BackendProbe> {
  return (pending ??= new Promise<BackendProbe>((resolve) => {
    const worker = new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module' })
    worker.onmessage = (event: MessageEvent<BackendProbe>) => {
      resolve(event.data)
      worker.terminate()
    }
    worker.onerror = (event) => {
      resolve({ backend: null, adapter: null, tried: [{ backend: 'cpu', error: event.message || 'worker failed' }] })
      worker.terminate()
    }
    worker.postMessage('probe')
  }))
}
