/**
 * Compare names every setting that differs in the words of the forms: two runs of the same design whose backend,
 * augmentation and epochs differ (recorded through the API as the Train view records them) show "Backend (used)
 * WebGPU / WASM", "Augmentation None / flips · v1" and "Epochs 3 / 5", and no internal keys, hashes in angle
 * brackets or `null`.
 */
import { createStep } from '../../shared/augment/spec-only'
import { lenet5 } from '../../shared/graph/templates'
import { join } from 'node:path'
import { call, expect, screenshotDir, test } from './fixtures'

test('compare shows the backend, the augmentation and every differing setting in the words of the forms', async ({ studio }) => {
  const page = studio.page
  const host = studio.host
  const project = await call<{ id: number }>(page, host, 'studio:projects.create', { name: 'Settings diff' })
  const doc = lenet5([28, 28, 1], 10)
  const snapshot = (o: { backendRequested: string; epochs: number; pipeline: unknown }) => ({
    kind: 'cnn-studio/train',
    format: 1,
    architecture: { id: 1, name: 'LeNet-5', versionId: 1, version: 1, document: doc },
    dataset: { id: 1, name: 'digits', classes: ['0', '1'], shape: [28, 28, 1], trainSplit: 'train', valSplit: 'val', counts: { train: 80, val: 10, test: 10 }, split: { ratios: { train: 0.8, val: 0.1, test: 0.1 }, seed: 1 }, mean: [0.1], std: [0.3] },
    pipeline: o.pipeline,
    training: { epochs: o.epochs, batchSize: 32, seed: 1, learningRate: 0.001, optimizer: { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, schedule: { type: 'constant', warmupEpochs: 0 }, weightDecay: 0, decayBiasAndNorm: false, clipGradNorm: null, groups: [], dropLast: false, checkpoint: { keepEvery: 0 } },
    seed: 1,
    backendRequested: o.backendRequested,
    appVersion: '0.1.0',
  })
  const pipeline = { id: 3, name: 'flips', versionId: 4, version: 1, document: { format: 1, steps: [createStep('horizontalFlip', 'a')] } }
  await call(page, host, 'studio:runs.create', { projectId: project.id, name: 'On WebGPU', config: snapshot({ backendRequested: 'webgpu', epochs: 3, pipeline: null }), backend: 'webgpu' })
  await call(page, host, 'studio:runs.create', { projectId: project.id, name: 'On WASM', config: snapshot({ backendRequested: 'wasm', epochs: 5, pipeline }), backend: 'wasm' })

  await page.evaluate((id) => (window.location.hash = `#/p/${id}/runs`), project.id)
  await page.getByLabel('Select On WebGPU').check()
  await page.getByLabel('Select On WASM').check()
  const table = page.getByTestId('hyper-table')
  await expect(page.getByRole('switch', { name: 'Differences only' })).toBeChecked()
  const row = (label: string) => table.getByTestId('hyper-row').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) })
  await expect(row('Backend (chosen)')).toContainText('WebGPU')
  await expect(row('Backend (chosen)')).toContainText('WASM')
  await expect(row('Backend (used)')).toContainText('WebGPU')
  await expect(row('Augmentation')).toContainText('None')
  await expect(row('Augmentation')).toContainText('flips · v1')
  await expect(row('Augmentation steps')).toContainText('flip')
  await expect(row('Epochs')).toContainText('3')
  await expect(row('Epochs')).toContainText('5')
  await expect(table.getByTestId('hyper-row')).toHaveCount(5)
  await expect(table).not.toContainText('<document')
  await expect(table).not.toContainText('null')
  // All settings, in sections, with the form's labels.
  await page.getByRole('switch', { name: 'Differences only' }).uncheck()
  await expect(row('Update rule')).toContainText('Adam')
  await expect(row('Learning rate')).toContainText('0.001')
  await expect(table).not.toContainText('versionId')
  await expect(table).not.toContainText('null')

  // The runs table says the optimizer and backend as the form does, and at 1440 px every column through Tags is
  // on screen without scrolling sideways.
  await page.setViewportSize({ width: 1440, height: 900 })
  const runRow = page.getByTestId('run-row').filter({ hasText: 'On WASM' })
  await expect(runRow).toContainText('Adam')
  await expect(runRow).toContainText('WASM')
  await expect(runRow).not.toContainText('adam')
  const scroller = await page.locator('.runs-table-scroll').boundingBox()
  for (const name of ['Params', 'Backend', 'Tags']) {
    const box = await page.getByTestId('runs-table').locator('thead th').filter({ hasText: new RegExp(`^${name}`) }).first().boundingBox()
    expect(box, `${name} header`).not.toBeNull()
    expect(box!.x + box!.width, `${name} header's right edge within the table's visible width`).toBeLessThanOrEqual(scroller!.x + scroller!.width + 1)
  }
  await page.getByRole('switch', { name: 'Differences only' }).check()
  await page.mouse.move(2, 2)
  await page.screenshot({ path: join(screenshotDir(studio), 'runs-settings-diff.png') })

  // The run detail counts the parameters of an app run (its snapshot has the graph, not a count), names the
  // optimizer and backend as the form does, and a reload comes back to the same run and tab.
  await page.getByRole('button', { name: 'On WASM', exact: true }).first().click()
  await expect(page.getByTestId('run-detail')).toBeVisible()
  await expect(page.getByTestId('run-params')).toHaveText('44.4 K')
  await page.getByRole('tab', { name: 'Configuration' }).click()
  await page.reload()
  await expect(page.getByTestId('run-title')).toHaveText('On WASM')
  await expect(page.getByRole('tab', { name: 'Configuration' })).toHaveAttribute('aria-selected', 'true')
  await page.getByRole('button', { name: 'Back to all runs' }).click()
  await expect(page.getByTestId('runs-table')).toBeVisible()
  await page.reload()
  await expect(page.getByTestId('runs-table')).toBeVisible()
  await expect(page.getByTestId('run-detail')).toHaveCount(0)
})

test('the Data view keeps the dataset and tab in the address, so a reload comes back to them', async ({ studio }) => {
  const page = studio.page
  const host = studio.host
  const project = await call<{ id: number }>(page, host, 'studio:projects.create', { name: 'Data tabs' })
  for (const name of ['first digits', 'second digits']) {
    const { datasetId } = await call<{ datasetId: number }>(page, host, 'studio:datasets.importMnist', { projectId: project.id, name, count: 40 })
    await expect
      .poll(async () => (await call<{ id: number; status: string }[]>(page, host, 'studio:datasets.list', { projectId: project.id })).some((d) => d.id === datasetId && d.status === 'ready'), { timeout: 60_000 })
      .toBe(true)
  }
  await page.evaluate((id) => (window.location.hash = `#/p/${id}/data`), project.id)
  await page.getByTestId('dataset-item').filter({ hasText: 'second digits' }).click()
  await page.getByRole('tab', { name: 'Statistics' }).click()
  await expect(page.getByRole('tab', { name: 'Statistics' })).toHaveAttribute('aria-selected', 'true')
  await page.reload()
  await expect(page.getByTestId('dataset-item').filter({ hasText: 'second digits' })).toHaveAttribute('aria-current', 'true')
  await expect(page.getByRole('tab', { name: 'Statistics' })).toHaveAttribute('aria-selected', 'true')
})
