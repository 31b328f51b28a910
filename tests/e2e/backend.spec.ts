/**
 * The backend the user gets (issue: "Auto picks software WebGPU"). This machine's Chromium offers WebGPU only on
 * SwiftShader, a software adapter on which training is 50-200x slower than on WASM: Auto must pick WASM and say
 * why in the status bar, a run started with Auto must train on WASM, and the user can still choose WebGPU (saved
 * in the preferences, so it survives a reload), which the status bar and the next run then show.
 */
import { call, expect, setupToyMnist, test } from './fixtures'

const panel = (page: import('@playwright/test').Page) => page.getByTestId('run-panel')

test('Auto picks WASM over a software WebGPU adapter and says why; the user can choose WebGPU', async ({ studio }) => {
  test.setTimeout(300_000)
  const { page, host } = studio
  const status = page.getByTestId('status-backend')
  // The adapter this Chromium offers is SwiftShader (else this test proves nothing here).
  const adapter = await page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string } } | null> } }).gpu
    const a = await gpu?.requestAdapter()
    return a?.info ? `${a.info.vendor} ${a.info.architecture}` : null
  })
  expect(adapter).toMatch(/swiftshader/i)
  await expect(status).toHaveText(/^\s*TF\.js WASM · \d+ threads? — auto: software WebGPU adapter \(SwiftShader\), WASM is faster here$/, { timeout: 60_000 })

  // A run whose form keeps "Studio setting" (Auto) trains on WASM and records why.
  const projectId = await setupToyMnist(studio, { project: 'Backend choice', learningRate: '0.01', count: 120 })
  const backendField = page.getByLabel('Backend', { exact: true })
  await expect(backendField.locator('option[value="auto"]')).toHaveText('Studio setting (Auto: WASM)')
  await backendField.selectOption('auto')
  await page.getByTestId('start-training').click()
  await expect(panel(page).getByTestId('run-backend')).toHaveText('WASM', { timeout: 60_000 })
  await expect.poll(async () => (await call<{ status: string }[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status, { timeout: 120_000 }).toBe('completed')
  const [first] = await call<{ id: number; backend: string }[]>(page, host, 'studio:runs.list', { projectId })
  expect(first).toMatchObject({ backend: 'wasm' })
  const run = await call<{ config: { backendRequested: string }; summary: { backendReason?: string } }>(page, host, 'studio:runs.get', { id: first!.id })
  expect(run.config.backendRequested).toBe('auto')
  expect(run.summary.backendReason).toBe('auto: software WebGPU adapter (SwiftShader), WASM is faster here')

  // The user chooses WebGPU in the status bar: said there, kept across a reload, used by the next run.
  await status.click()
  await page.getByRole('dialog', { name: 'Where the studio computes' }).getByLabel('WebGPU', { exact: true }).click()
  await expect(status).toHaveText(/^\s*TF\.js WebGPU · google swiftshader — your choice$/)
  await page.reload()
  await expect(status).toHaveText(/^\s*TF\.js WebGPU · google swiftshader — your choice$/, { timeout: 60_000 })
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(backendField.locator('option[value="auto"]')).toHaveText('Studio setting (WebGPU)')
  await backendField.selectOption('auto')
  await page.getByTestId('start-training').click()
  // The backend is reported when it has started, before the first (slow, shader-compiling) WebGPU step.
  await expect(panel(page).getByTestId('run-backend')).toHaveText('WebGPU', { timeout: 120_000 })
  const runs = await call<{ id: number; backend: string }[]>(page, host, 'studio:runs.list', { projectId })
  const second = runs.find((r) => r.id !== first!.id)!
  expect(second.backend).toBe('webgpu')
  expect((await call<{ config: { backendRequested: string } }>(page, host, 'studio:runs.get', { id: second.id })).config.backendRequested).toBe('webgpu')
})
