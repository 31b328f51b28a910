/**
 * The Train form and the Procedure tab's search are kept with the project in the studio's database: the form keeps
 * its augmentation pipeline and epochs after leaving Train and coming back, and both are still there after the
 * browser host restarts on a new port (a new origin, so the page's localStorage starts empty).
 */
import type { Page } from '@playwright/test'
import { createStep, emptyPipeline } from '../../shared/augment'
import { call, expect, setupToyMnist, test } from './fixtures'

const chosenPipeline = (page: Page) => page.getByLabel('Augmentation pipeline').locator('option:checked')

async function openTrain(page: Page) {
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByLabel('Augmentation pipeline')).toBeEnabled()
}

test('the Train form and a search survive leaving Train and a restart of the host on a new port', async ({ studio }) => {
  test.setTimeout(150_000)
  const { page, host } = studio
  const projectId = await setupToyMnist(studio, { project: 'Kept settings', learningRate: '0.01', count: 100 })
  await call(page, host, 'studio:pipelines.create', { projectId, name: 'Flips', document: { ...emptyPipeline(), steps: [createStep('horizontalFlip', 'flip')] } })
  await expect(page.getByLabel('Augmentation pipeline')).toContainText('Flips')
  await page.getByLabel('Augmentation pipeline').selectOption({ label: 'Flips (v1)' })
  await page.getByLabel('Epochs', { exact: true }).fill('4')

  // Away to Data and back: the form is as it was left.
  await page.getByRole('button', { name: 'Data', exact: true }).click()
  await expect(page.getByLabel('Augmentation pipeline')).toHaveCount(0)
  await openTrain(page)
  await expect(chosenPipeline(page)).toHaveText('Flips (v1)')
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('4')

  // A one-trial search, run to the end.
  await page.getByRole('tab', { name: 'Procedure' }).click()
  await page.getByLabel('Trials', { exact: true }).fill('1')
  await page.getByLabel('Epochs per trial', { exact: true }).fill('1')
  await page.getByRole('button', { name: 'Start search' }).click()
  await expect(page.getByText('1 of 1 trials done')).toBeVisible({ timeout: 90_000 })
  await expect(page.getByText('stage finished')).toBeVisible()

  const before = studio.url
  await studio.restart()
  if (studio.host === 'browser') {
    expect(new URL(studio.url!).origin).not.toBe(new URL(before!).origin)
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
  }
  await expect(page.getByTestId('project-title')).toHaveText('Kept settings')
  await openTrain(page)
  await expect(chosenPipeline(page)).toHaveText('Flips (v1)')
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('4')
  await expect(page.getByLabel('Backend')).toHaveValue('wasm')
  await page.getByRole('tab', { name: 'Procedure' }).click()
  await expect(page.getByText('1 of 1 trials done')).toBeVisible()
  await expect(page.getByText('stage finished')).toBeVisible()
  await expect(page.getByRole('alert')).toHaveCount(0)
})

test('a Train form that cannot be saved says so and what to do, and Save again saves it', async ({ studio }) => {
  test.skip(studio.host !== 'browser', 'the failure is made by cutting the page off its host (HTTP)')
  const { page, host } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill('Unsaved')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText('Unsaved')
  const projectId = Number(/#\/p\/(\d+)/.exec(page.url())![1])
  await openTrain(page)
  // The host cannot be reached for saves.
  await page.route('**/api/studio%3Aworkspace.saveTrainForm', (route) => route.abort('connectionrefused'))
  await page.getByLabel('Epochs', { exact: true }).fill('9')
  const alert = page.getByRole('alert').filter({ hasText: 'The training form could not be saved' })
  await expect(alert).toBeVisible()
  await expect(alert).toContainText('The studio host is not reachable')
  await expect(alert).toContainText('press Save again')
  expect(await call(page, host, 'studio:workspace.getTrainForm', { projectId })).toBeNull()

  await page.unroute('**/api/studio%3Aworkspace.saveTrainForm')
  await alert.getByRole('button', { name: 'Save again' }).click()
  await expect(alert).toHaveCount(0)
  expect(await call<{ form: { epochs: string } }>(page, host, 'studio:workspace.getTrainForm', { projectId })).toMatchObject({ form: { epochs: '9' } })
})

test('a Train form an earlier version kept in localStorage moves into the database once', async ({ studio }) => {
  test.skip(studio.host !== 'browser', 'earlier versions kept the form in the browser page\'s localStorage')
  const { page, host } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill('Older form')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText('Older form')
  const projectId = Number(/#\/p\/(\d+)/.exec(page.url())![1])
  const key = `cnn-studio.train-form.${projectId}`
  await page.evaluate(([k]) => localStorage.setItem(k!, JSON.stringify({ epochs: '6', optimizer: 'adamw', backend: 'wasm' })), [key])
  await page.reload()
  await openTrain(page)
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('6')
  await expect(page.getByLabel('Optimizer')).toHaveValue('adamw')
  await expect.poll(() => page.evaluate(([k]) => localStorage.getItem(k!), [key])).toBeNull()
  expect(await call(page, host, 'studio:workspace.getTrainForm', { projectId })).toMatchObject({ form: { epochs: '6', optimizer: 'adamw', backend: 'wasm' } })
})
