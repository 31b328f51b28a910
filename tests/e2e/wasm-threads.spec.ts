/**
 * The multi-threaded WASM backend in the built (minified) renderer: tfjs' pthread workers must start under the
 * page's CSP and cross-origin isolation. Checked through the diagnostics hook (renderer/src/backend/diagnostics.ts),
 * which initialises WASM in a worker as the training worker does and runs a conv2d against the CPU backend.
 */
import { expect, test } from './fixtures'

interface WasmThreadsReport {
  crossOriginIsolated: boolean
  hardwareConcurrency: number
  plan: { threads: number; reason: string | null }
  backend: string | null
  tried: { backend: string; error: string | null }[]
  threads: number | null
  multithreadBinary: boolean
  conv2d: { sum: number; maxAbsDiffVsCpu: number } | null
}

type DiagnosticsWindow = Window & {
  __cnnStudioDiagnostics?: { wasmThreads(threads?: number, logicalCores?: number): Promise<WasmThreadsReport> }
}

test('WASM backend starts multi-threaded in the built app', async ({ studio }) => {
  const { page } = studio
  const errors: string[] = []
  page.on('console', (m) => {
    if (/importScripts|worker sent an error/i.test(m.text())) errors.push(m.text())
  })
  await page.waitForFunction(() => (window as DiagnosticsWindow).__cnnStudioDiagnostics !== undefined)

  // 2 threads asked for. tfjs caps its pool at half of navigator.hardwareConcurrency, so the diagnostics worker
  // emulates 8 logical cores: the test proves the pthread workers start whatever the machine's core count.
  const threaded = await page.evaluate(() => (window as DiagnosticsWindow).__cnnStudioDiagnostics!.wasmThreads(2, 8))
  expect(threaded.crossOriginIsolated).toBe(true)
  expect(threaded.tried).toEqual([{ backend: 'wasm', error: null }])
  expect(threaded.backend).toBe('wasm')
  expect(threaded.multithreadBinary).toBe(true)
  expect(threaded.plan).toEqual({ threads: 2, reason: null })
  expect(threaded.threads).toBe(2)
  expect(threaded.conv2d).not.toBeNull()
  expect(threaded.conv2d!.maxAbsDiffVsCpu).toBeLessThan(1e-3)
  expect(errors).toEqual([])

  // The app's policy on this machine: half of its logical cores, at least 1 (1: the single-threaded binary).
  const policy = await page.evaluate(() => (window as DiagnosticsWindow).__cnnStudioDiagnostics!.wasmThreads())
  const expected = Math.max(1, Math.floor(policy.hardwareConcurrency / 2))
  expect(policy.backend).toBe('wasm')
  expect(policy.threads).toBe(expected)
  expect(policy.multithreadBinary).toBe(expected > 1)
  expect(policy.conv2d!.maxAbsDiffVsCpu).toBeLessThan(1e-3)
})
