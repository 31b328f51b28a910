/**
 * A design that does not fit the dataset is found before Start: templates are sized for the project's dataset, the
 * Train form names the nodes to change (as the editor names them) with a one-click fix that is a new, undoable
 * version of the design, Start stays off with the reason shown, and no run is created. A failed run of a design
 * that cannot train offers to open the design, not a Resume that fails again.
 */
import { toyConvnet } from '../../shared/graph/templates'
import { DEFAULT_FORM, validateForm } from '../../renderer/src/train/form'
import { call, expect, screenshotDir, test } from './fixtures'


test('the Train form shows the mismatch before Start and fixes it in one undoable click', async ({ studio }) => {
  test.setTimeout(120_000)
  const { page, host } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill('Fit')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText('Fit')
  const projectId = Number(/#\/p\/(\d+)/.exec(page.url())![1])
  const { datasetId } = await call<{ datasetId: number }>(page, host, 'studio:datasets.importMnist', { projectId, name: 'Digits', count: 60 })
  await expect
    .poll(async () => (await call<{ id: number; status: string }[]>(page, host, 'studio:datasets.list', { projectId })).some((d) => d.id === datasetId && d.status === 'ready'), { timeout: 60_000 })
    .toBe(true)

  // The template gallery sizes its templates for the project's dataset (28x28x1, 10 classes), not 32x32x3.
  await page.getByRole('button', { name: 'Architecture', exact: true }).click()
  await expect(page.getByLabel('Size for')).toContainText('Dataset “Digits” (28×28×1, 10 classes)')
  await page.getByRole('option', { name: /Toy ConvNet/ }).click()
  await expect(page.getByLabel('Input size')).toHaveValue('28x28x1')
  await expect(page.getByLabel('Classes')).toHaveValue('10')
  await page.screenshot({ path: `${screenshotDir(studio)}/fit-gallery.png` })
  await page.getByRole('button', { name: 'Create from Toy ConvNet (CS5670)' }).click()
  await expect(page.getByTestId('template-gallery')).toBeHidden()

  // A design for other data: 32x32x3 images, 6 classes.
  const wrong = await call<{ architectureId: number }>(page, host, 'studio:architectures.create', { projectId, name: 'Icons net', document: toyConvnet([32, 32, 3], 6) })
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId('train-form')).toBeVisible()
  const start = page.getByRole('button', { name: 'Start training' })
  const panel = page.getByRole('region', { name: 'Design and dataset' })

  // The gallery's design fits: no panel, Start on.
  await page.getByLabel('Design', { exact: true }).selectOption({ label: 'Toy ConvNet (CS5670) (v1)' })
  await expect(start).toBeEnabled()
  await expect(panel).toBeHidden()

  await page.getByLabel('Design', { exact: true }).selectOption({ label: 'Icons net (v1)' })
  await expect(panel).toContainText('The design does not fit the dataset')
  await expect(panel).toContainText('Input “input”: set Shape to 28×28×1 (it is 32×32×3')
  await expect(panel).toContainText('Output (classifier) “fc”: set Classes to 10 (it gives 6 outputs; the dataset has 10 classes)')
  await expect(panel).not.toContainText('Dense')
  await expect(start).toBeDisabled()
  await expect(page.getByText('Start is off: the design does not fit the dataset')).toBeVisible()
  await page.screenshot({ path: `${screenshotDir(studio)}/fit-mismatch.png` })

  // One click: a new version of the design with the Input and Output set for the dataset.
  await panel.getByRole('button', { name: 'Fit the design to the dataset' }).click()
  await expect(page.getByRole('status').filter({ hasText: '“Icons net” now fits “Digits” (28×28×1, 10 classes) as version 2' })).toBeVisible()
  await expect(start).toBeEnabled()
  const fixed = await call<{ version: { version: number; label: string | null; document: { nodes: { id: string; params: Record<string, unknown> }[] } } }>(page, host, 'studio:architectures.get', { id: wrong.architectureId })
  expect(fixed.version.version).toBe(2)
  expect(fixed.version.label).toBe('Fitted to dataset “Digits” (28×28×1, 10 classes)')
  expect(fixed.version.document.nodes.find((n) => n.id === 'input')!.params.shape).toEqual([28, 28, 1])
  expect(fixed.version.document.nodes.find((n) => n.id === 'fc')!.params.units).toBe(10)
  await page.screenshot({ path: `${screenshotDir(studio)}/fit-fixed.png` })

  // Undo: version 3 is version 1's document again, and the mismatch is back.
  await page.getByRole('button', { name: 'Undo the fit' }).click()
  await expect(panel).toContainText('Output (classifier) “fc”: set Classes to 10')
  await expect(start).toBeDisabled()
  const undone = await call<{ version: { version: number; document: unknown } }>(page, host, 'studio:architectures.get', { id: wrong.architectureId })
  expect(undone.version.version).toBe(3)
  const first = await call<{ version: { document: unknown } }>(page, host, 'studio:architectures.get', { id: wrong.architectureId, version: 1 })
  expect(undone.version.document).toEqual(first.version.document)

  // Nothing started, nothing recorded.
  expect(await call<unknown[]>(page, host, 'studio:runs.list', { projectId })).toEqual([])
})

test('a failed run of a design that cannot train offers to open the design, not a Resume', async ({ studio }) => {
  test.setTimeout(120_000)
  const { page, host } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill('Failed')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText('Failed')
  const projectId = Number(/#\/p\/(\d+)/.exec(page.url())![1])
  const { datasetId } = await call<{ datasetId: number }>(page, host, 'studio:datasets.importMnist', { projectId, name: 'Digits', count: 60 })
  await expect
    .poll(async () => (await call<{ id: number; status: string }[]>(page, host, 'studio:datasets.list', { projectId })).some((d) => d.id === datasetId && d.status === 'ready'), { timeout: 60_000 })
    .toBe(true)
  // A run recorded by an earlier version of the studio, which let a 6-class design start on 10-class data.
  const document = toyConvnet([28, 28, 1], 6)
  const arch = await call<{ id: number; architectureId: number; version: number }>(page, host, 'studio:architectures.create', { projectId, name: 'Six', document })
  const dataset = await call<{ name: string; classes: string[]; splitTotals: { train: number; val: number; test: number } }>(page, host, 'studio:datasets.get', { id: datasetId })
  const snapshot = {
    kind: 'cnn-studio/train',
    format: 1,
    architecture: { id: arch.architectureId, name: 'Six', versionId: arch.id, version: 1, document },
    dataset: { id: datasetId, name: dataset.name, classes: dataset.classes, shape: [28, 28, 1], trainSplit: 'train', valSplit: 'val', counts: dataset.splitTotals, split: null, mean: null, std: null },
    pipeline: null,
    training: validateForm(DEFAULT_FORM).config,
    seed: 1,
    backendRequested: 'wasm',
    appVersion: 'old',
  }
  const run = await call<{ id: number }>(page, host, 'studio:runs.create', { projectId, name: 'Old run', config: snapshot, datasetId, backend: 'wasm' })
  await call(page, host, 'studio:runs.update', { id: run.id, status: 'failed', summary: { message: 'The design outputs 6 values but the dataset has 10 classes: set the last Dense layer to 10 units' } })

  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await page.getByTestId('run-item').filter({ hasText: 'Old run' }).getByRole('button').first().click()
  const runPanel = page.getByTestId('run-panel')
  await expect(runPanel.getByTestId('run-status')).toHaveText('Failed')
  await expect(runPanel.getByRole('alert').filter({ hasText: 'resuming it would fail again' })).toContainText('Output (classifier) “fc”: set Classes to 10')
  await expect(runPanel.getByRole('button', { name: 'Resume' })).toHaveCount(0)
  await page.screenshot({ path: `${screenshotDir(studio)}/fit-failed-run.png` })
  await runPanel.getByRole('button', { name: 'Open the design' }).click()
  await expect(page.getByRole('button', { name: 'Architecture', exact: true })).toHaveAttribute('aria-current', /page|true/)
})
