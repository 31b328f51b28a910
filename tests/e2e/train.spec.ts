/**
 * Train section end to end: a tiny toy ConvNet on an MNIST subset. WebGPU (software here, slow: one short epoch)
 * with live charts, recorded backend and curves that survive a reload; then a WASM run that is interrupted by
 * killing the host mid-epoch, resumed, stopped, resumed again, and whose metric history has no gap and no
 * duplicate.
 */
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { toyConvnet } from '../../shared/graph/templates'
import { smooth } from '../../renderer/src/train/series'
import { expect, test, type StudioSession, screenshotDir, call } from './fixtures'

interface Series {
  step: number[]
  epoch: number[]
  value: number[]
}



async function createProject(studio: StudioSession, name: string): Promise<number> {
  const { page } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill(name)
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText(name)
  return Number(/#\/p\/(\d+)/.exec(page.url())![1])
}

/** The toy ConvNet design (28x28x1, 10 classes) and an MNIST subset, through the API. */
async function designAndData(studio: StudioSession, projectId: number, count: number) {
  const { page, host } = studio
  await call(page, host, 'studio:architectures.create', { projectId, name: 'Toy ConvNet', document: toyConvnet([28, 28, 1], 10) })
  const { datasetId } = await call<{ datasetId: number }>(page, host, 'studio:datasets.importMnist', { projectId, name: `MNIST ${count}`, count })
  await expect
    .poll(async () => (await call<{ id: number }[]>(page, host, 'studio:datasets.list', { projectId })).some((d) => d.id === datasetId), { timeout: 60_000 })
    .toBe(true)
}

async function openTrain(page: Page) {
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId('train-form')).toBeVisible()
}

async function setForm(page: Page, fields: Record<string, string>, backend: string) {
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value)
  await page.getByLabel('Backend').selectOption(backend)
}

const panel = (page: Page) => page.getByTestId('run-panel')
const stepOf = async (page: Page) => Number(((await page.getByTestId('run-step').textContent()) ?? '0').split('/')[0]!.replace(/,/g, '').trim())

/** The form back at its top (filling fields scrolled it), for the screenshots. */
async function formToTop(page: Page) {
  await page.locator('.train-config-scroll').evaluate((e) => e.scrollTo(0, 0))
}

async function toggleTheme(page: Page) {
  await page.keyboard.press('Control+K')
  await page.keyboard.type('Toggle dark')
  await page.keyboard.press('Enter')
}

test('train the toy ConvNet on WebGPU: live charts, loss falls, run recorded with its backend, curves kept across a reload', async ({ studio }) => {
  test.setTimeout(600_000)
  const { page, host } = studio
  const projectId = await createProject(studio, 'MNIST toy')
  await openTrain(page)
  // Empty state says what is missing.
  await expect(page.getByTestId('train-missing')).toContainText('Nothing to train yet')
  await designAndData(studio, projectId, 250)
  await expect(page.getByTestId('train-missing')).toHaveCount(0)
  await expect(page.getByLabel('Dataset')).toContainText('MNIST 250')

  // A bad value is explained next to its field, and Start waits for a fix.
  await page.getByLabel('Batch size', { exact: true }).fill('0')
  await expect(page.getByText('Batch size must be an integer >= 1, received 0')).toBeVisible()
  await expect(page.getByTestId('start-training')).toBeDisabled()

  await setForm(page, { 'Batch size': '16', Epochs: '1', 'Learning rate': '0.01', Seed: '7' }, 'webgpu')
  await expect(page.getByTestId('schedule-preview').locator('canvas').first()).toBeVisible()
  await page.getByTestId('start-training').click()
  await expect(panel(page).getByTestId('run-status')).toHaveText(/Running|Starting backend|Loading data|Compiling|Preparing/)
  await expect(page.getByTestId('training-pill')).toContainText('Run 1')
  // Live: steps arrive (the first WebGPU step compiles shaders) and the charts draw them.
  await expect.poll(() => stepOf(page), { timeout: 240_000 }).toBeGreaterThanOrEqual(3)
  await expect(panel(page).getByTestId('run-backend')).toHaveText('WebGPU')
  await expect(page.locator('.train-charts')).not.toHaveAttribute('data-points', '0')
  await formToTop(page)
  await page.screenshot({ path: join(screenshotDir(studio), 'train-running.png') })

  await expect(panel(page).getByTestId('run-status')).toHaveText('Completed', { timeout: 300_000 })
  await expect(page.getByTestId('training-pill')).toHaveText('No run in progress')
  await expect(page.getByTestId('epoch-table')).toContainText('1')

  await expect.poll(async () => (await call<{ status: string }[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status).toBe('completed')
  const runs = await call<{ id: number; status: string; backend: string; bestValAccuracy: number | null }[]>(page, host, 'studio:runs.list', { projectId })
  expect(runs).toHaveLength(1)
  expect(runs[0]).toMatchObject({ status: 'completed', backend: 'webgpu' })
  expect(runs[0]!.bestValAccuracy).not.toBeNull()
  const metrics = await call<Record<string, Series>>(page, host, 'studio:runs.metrics', { runId: runs[0]!.id })
  const loss = metrics['train/loss']!
  expect(loss.step).toEqual(Array.from({ length: 13 }, (_, i) => i + 1)) // 200 training images / 16
  const smoothed = smooth(loss.value, 0.6)
  expect(smoothed.at(-1)!).toBeLessThan(smoothed[0]!)
  expect(metrics['val/acc']!.epoch).toEqual([1])
  const checkpoints = await call<{ kind: string }[]>(page, host, 'studio:runs.checkpoints', { runId: runs[0]!.id })
  expect(checkpoints.map((c) => c.kind).sort()).toEqual(['best', 'last'])
  await formToTop(page)
  await page.screenshot({ path: join(screenshotDir(studio), 'train-finished.png') })
  await toggleTheme(page)
  await page.screenshot({ path: join(screenshotDir(studio), 'train-finished-light.png') })
  await toggleTheme(page)

  // After a reload the run, its curves and its configuration come back from the database.
  await page.reload()
  await expect(page.getByTestId('run-item')).toHaveCount(1)
  await expect(page.getByTestId('run-item').first()).toHaveAttribute('data-status', 'completed')
  await expect(panel(page)).toHaveAttribute('data-live', 'false')
  await expect(page.locator('.train-charts')).toHaveAttribute('data-points', '13')
  await expect(panel(page).getByTestId('run-backend')).toHaveText('WebGPU')
  await expect(page.getByTestId('run-config')).toContainText('Toy ConvNet · v1')
  await expect(page.getByTestId('run-config')).toContainText('WebGPU requested')
})

test('a run interrupted by killing the host resumes from its checkpoint; stop and resume; the history has no gap and no duplicate', async ({ studio }) => {
  test.setTimeout(600_000)
  const { page, host } = studio
  const projectId = await createProject(studio, 'Resume')
  await designAndData(studio, projectId, 2000) // 1,600 train / 200 val
  await openTrain(page)
  await setForm(page, { 'Batch size': '8', Epochs: '4', 'Learning rate': '0.003', Seed: '3' }, 'wasm')
  await page.getByTestId('start-training').click()
  const stepsPerEpoch = 200
  // Kill the host in the middle of epoch 2 (after epoch 1's checkpoint).
  await expect.poll(() => stepOf(page), { timeout: 180_000, intervals: [100] }).toBeGreaterThan(stepsPerEpoch + 20)
  const killedAt = await stepOf(page)
  expect(killedAt).toBeLessThan(2 * stepsPerEpoch)
  await studio.restart()

  await openTrainIfNeeded(page)
  const item = page.getByTestId('run-item').first()
  await expect(item).toHaveAttribute('data-status', 'interrupted')
  await item.getByRole('button', { name: 'Run 1' }).click()
  await expect(panel(page).getByTestId('run-message')).toContainText('interrupted')
  await item.getByTestId('run-item-resume').click()
  await expect(panel(page)).toHaveAttribute('data-live', 'true')
  await expect(panel(page).getByTestId('run-backend')).toHaveText('WASM')
  // Resumed from the end of epoch 1: the chart holds the history up to the checkpoint, then goes on.
  await expect.poll(() => stepOf(page), { timeout: 120_000, intervals: [100] }).toBeGreaterThan(2 * stepsPerEpoch + 20)
  await page.getByTestId('stop-training').click()
  await expect(panel(page).getByTestId('run-status')).toHaveText('Stopped', { timeout: 60_000 })
  const stoppedAt = await stepOf(page)
  expect(stoppedAt).toBeLessThan(4 * stepsPerEpoch)
  await page.getByTestId('resume-run').click()
  await expect(panel(page).getByTestId('run-status')).toHaveText('Completed', { timeout: 300_000 })

  // The final status is written right after the last message.
  await expect.poll(async () => (await call<{ status: string }[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status).toBe('completed')
  const [run] = await call<{ id: number; status: string; backend: string }[]>(page, host, 'studio:runs.list', { projectId })
  expect(run).toMatchObject({ status: 'completed', backend: 'wasm' })
  const metrics = await call<Record<string, Series>>(page, host, 'studio:runs.metrics', { runId: run!.id })
  const all = Array.from({ length: 4 * stepsPerEpoch }, (_, i) => i + 1)
  for (const name of ['train/loss', 'train/acc', 'lr', 'images_per_sec']) expect(metrics[name]!.step, name).toEqual(all)
  for (const name of ['epoch/train_loss', 'epoch/train_acc', 'val/loss', 'val/acc']) {
    expect(metrics[name]!.epoch, name).toEqual([1, 2, 3, 4])
    expect(metrics[name]!.step, name).toEqual([200, 400, 600, 800])
  }
  await expect(page.locator('.train-charts')).toHaveAttribute('data-points', String(4 * stepsPerEpoch))
})

async function openTrainIfNeeded(page: Page) {
  if (!(await page.getByTestId('train-view').isVisible())) await openTrain(page)
  await expect(page.getByTestId('train-view')).toBeVisible()
}
