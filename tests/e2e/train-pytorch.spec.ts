/**
 * The PyTorch engine from the Train view (browser host): the interpreter set once in the app (/usr/bin/python3, or
 * $PYTHON), the engine offered with its python/torch/device label, a short run of the toy ConvNet on 120 digits
 * started with it: its panel shows the curves while it trains (points arrive before the run ends) and it completes;
 * then a TF.js run of the same design and form; both land in Compare side by side. A PyTorch run stopped from its
 * panel resumes there (Resume: train.py --resume) and completes with every step charted once. Skipped with the
 * reason when no Python with PyTorch is found.
 */
import type { Page } from '@playwright/test'
import { findTorchPython } from '../shared/export/torch-python'
import { call, expect, setupToyMnist, test } from './fixtures'

const torch = findTorchPython()
const panel = (page: Page) => page.getByTestId('run-panel')
const pointsOf = async (page: Page) => Number((await page.locator('.train-charts').getAttribute('data-points')) ?? '0')

/** Sets the interpreter once (an absolute path: $PYTHON or Debian's) and chooses the PyTorch engine. */
async function choosePytorch(page: Page) {
  const interpreter = torch.python!.startsWith('/') ? torch.python! : '/usr/bin/python3'
  await page.getByTestId('set-interpreter').click()
  await page.getByTestId('interpreter-input').fill(interpreter)
  await page.getByTestId('interpreter-save').click()
  // The probe imports torch (seconds; more on a loaded machine).
  await expect(page.getByRole('dialog', { name: 'Python interpreter for PyTorch' })).toHaveCount(0, { timeout: 120_000 })
  const option = page.getByTestId('engine-select').locator('option[value="pytorch"]')
  await expect(option).toHaveText(/^PyTorch \(python \d+\.\d+.*torch \d+\.\d+.*(CPU|CUDA)/, { timeout: 120_000 })
  await expect(option).toBeEnabled()
  await expect(page.getByTestId('engine-hint')).toContainText(interpreter)
  await page.getByTestId('engine-select').selectOption('pytorch')
  await expect(page.getByLabel('Backend')).toHaveCount(0)
}

test('a PyTorch run from the Train view: live curves, completed, in Compare beside a TF.js run of the same design', async ({ studio }) => {
  test.skip(torch.python === null, torch.reason ?? '')
  test.skip(studio.host !== 'browser', 'browser host flow')
  test.setTimeout(420_000)
  const { page, host } = studio
  const projectId = await setupToyMnist(studio, { project: 'Engines', learningRate: '0.01', count: 120 })
  for (const [label, value] of Object.entries({ 'Batch size': '8', Epochs: '24' })) await page.getByLabel(label, { exact: true }).fill(value)

  await choosePytorch(page)

  // Live: points arrive while the run is still training (no reload), with an ETA at its pace; then it completes.
  // Watched in the page every 20 ms from before Start (a poll from here every 200 ms missed it on a quiet machine,
  // where the whole run took a few seconds and completed between two looks).
  await page.evaluate(() => {
    const w = window as unknown as { seenLive?: boolean }
    w.seenLive = false
    const look = setInterval(() => {
      const panel = document.querySelector('[data-testid="run-panel"]')
      const status = panel?.querySelector('[data-testid="run-status"]')?.textContent
      const points = Number(document.querySelector('.train-charts')?.getAttribute('data-points') ?? '0')
      const eta = panel?.querySelector('[data-testid="run-eta"]')?.textContent ?? ''
      if (status === 'Running' && points > 0 && /\d/.test(eta)) {
        w.seenLive = true
        clearInterval(look)
      }
    }, 20)
  })
  await page.getByTestId('start-training').click()
  await expect(panel(page).getByTestId('run-status')).toHaveText('Completed', { timeout: 240_000 })
  expect(await page.evaluate(() => (window as unknown as { seenLive?: boolean }).seenLive), 'points and an ETA were shown while the run was still running').toBe(true)
  await expect(page.getByTestId('epoch-table')).toContainText('24')
  const runs = await call<{ id: number; name: string; status: string; backend: string | null; bestValAccuracy: number | null }[]>(page, host, 'studio:runs.list', { projectId })
  expect(runs).toHaveLength(1)
  const pytorchRun = runs[0]!
  expect(pytorchRun).toMatchObject({ status: 'completed' })
  expect(pytorchRun.backend ?? '').toMatch(/pytorch/i)
  await expect(panel(page).getByTestId('run-backend')).toHaveText(/^(CPU|CUDA)$/)
  expect(pytorchRun.bestValAccuracy).not.toBeNull()
  // Every step of the 24 epochs is charted (the form's own count: "N steps per epoch · M steps in all").
  const planned = Number(/([\d,]+) steps in all/.exec((await page.getByText(/steps in all/).textContent()) ?? '')![1]!.replace(/,/g, ''))
  expect(await pointsOf(page)).toBe(planned)

  // The same design and form on TF.js.
  await page.getByTestId('engine-select').selectOption('tfjs')
  await page.getByLabel('Backend').selectOption('wasm')
  await page.getByLabel('Epochs', { exact: true }).fill('1')
  await page.getByTestId('start-training').click()
  // The panel still shows the PyTorch run's "Completed" until the new run is created: wait for the second run
  // itself (a CI run read the old status and listed one run), then for the panel to show it completed.
  const listed = () => call<{ id: number; name: string; status: string }[]>(page, host, 'studio:runs.list', { projectId })
  await expect.poll(async () => (await listed()).find((r) => r.id !== pytorchRun.id)?.status ?? 'not created', { timeout: 240_000, intervals: [500] }).toBe('completed')
  const both = await listed()
  expect(both).toHaveLength(2)
  const tfjsRun = both.find((r) => r.id !== pytorchRun.id)!
  await expect(panel(page).getByTestId('run-status')).toHaveText('Completed')

  // Compare: both runs' curves side by side.
  await page.getByRole('button', { name: 'Runs', exact: true }).click()
  await page.getByLabel(`Select ${pytorchRun.name}`).check()
  await page.getByLabel(`Select ${tfjsRun.name}`).check()
  const compare = page.getByTestId('compare')
  await expect(compare).toBeVisible()
  const lossLegend = compare.getByTestId('chart-loss').locator('.u-legend .u-series')
  await expect(lossLegend.filter({ hasText: `${pytorchRun.name} · train` })).toHaveCount(1)
  await expect(lossLegend.filter({ hasText: `${tfjsRun.name} · train` })).toHaveCount(1)
})

test('a PyTorch run stopped from its panel resumes there and completes with every step charted once', async ({ studio }) => {
  test.skip(torch.python === null, torch.reason ?? '')
  test.skip(studio.host !== 'browser', 'browser host flow')
  test.setTimeout(420_000)
  const { page, host } = studio
  const projectId = await setupToyMnist(studio, { project: 'Resume', learningRate: '0.01', count: 120 })
  for (const [label, value] of Object.entries({ 'Batch size': '8', Epochs: '40' })) await page.getByLabel(label, { exact: true }).fill(value)
  await choosePytorch(page)
  await page.getByTestId('start-training').click()
  await expect.poll(async () => (await panel(page).getByTestId('run-status').textContent()) === 'Running' && (await pointsOf(page)) > 0, { timeout: 180_000, intervals: [200] }).toBe(true)
  await panel(page).getByTestId('stop-training').click()
  await expect(panel(page).getByTestId('run-status')).toHaveText('Stopped', { timeout: 120_000 })
  const [listed] = await call<{ id: number }[]>(page, host, 'studio:runs.list', { projectId })
  const stopped = await call<{ id: number; summary: { steps: number } }>(page, host, 'studio:runs.get', { id: listed!.id })
  const planned = Number(/([\d,]+) steps in all/.exec((await page.getByText(/steps in all/).textContent()) ?? '')![1]!.replace(/,/g, ''))
  expect(stopped.summary.steps).toBeLessThan(planned)
  await expect(page.getByTestId('run-item-resume')).toBeVisible()
  await panel(page).getByTestId('resume-run').click()
  await expect(panel(page).getByTestId('run-status')).toHaveText('Running', { timeout: 60_000 })
  await expect(panel(page).getByTestId('run-status')).toHaveText('Completed', { timeout: 300_000 })
  await expect.poll(() => pointsOf(page), { timeout: 30_000 }).toBe(planned)
  const runs = await call<{ id: number; status: string }[]>(page, host, 'studio:runs.list', { projectId })
  expect(runs).toEqual([expect.objectContaining({ id: stopped.id, status: 'completed' })])
})
