/**
 * A reload of the tab that trains a run resumes it by itself (the tab's sessionStorage names the run): from the
 * checkpoint of the last finished epoch, the partial epoch replayed, and a metric history without gap or duplicate.
 * A run the user paused is not resumed by a reload.
 */
import type { Page } from '@playwright/test'
import { expect, test, call, setupToyMnist } from './fixtures'

interface Series {
  step: number[]
  epoch: number[]
  value: number[]
}

const panel = (page: Page) => page.getByTestId('run-panel')
const stepOf = async (page: Page) => Number(((await page.getByTestId('run-step').textContent()) ?? '0').split('/')[0]!.replace(/,/g, '').trim())

test('reloading the window mid-run resumes the run from its last checkpoint; the history has no gap and no duplicate; a paused run stays paused', async ({ studio }) => {
  test.setTimeout(120_000)
  const { page, host } = studio
  const projectId = await setupToyMnist(studio, { project: 'Reload', learningRate: '0.003', count: 2000 })
  await page.getByLabel('Batch size', { exact: true }).fill('8')
  await page.getByLabel('Epochs', { exact: true }).fill('3')
  const stepsPerEpoch = 200 // 1,600 training images / 8
  await page.getByTestId('start-training').click()
  await expect(panel(page)).toHaveAttribute('data-live', 'true')
  // Reload in the middle of epoch 2 (after epoch 1's checkpoint).
  await expect.poll(() => stepOf(page), { timeout: 60_000, intervals: [50] }).toBeGreaterThan(stepsPerEpoch + 10)
  expect(await stepOf(page)).toBeLessThan(2 * stepsPerEpoch)
  await page.reload()

  // No Resume click: the run goes on by itself, from the end of epoch 1, and says so.
  if (!(await page.getByTestId('train-view').isVisible())) await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId('run-notice')).toHaveText('Resumed after the reload from the checkpoint of epoch 1', { timeout: 30_000 })
  await expect(panel(page)).toHaveAttribute('data-live', 'true')
  await expect(page.getByTestId('training-pill')).toContainText('Run 1')
  await expect(panel(page).getByTestId('run-status')).toHaveText('Completed', { timeout: 90_000 })

  await expect.poll(async () => (await call<{ status: string }[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status).toBe('completed')
  const runs = await call<{ id: number; status: string }[]>(page, host, 'studio:runs.list', { projectId })
  expect(runs).toHaveLength(1)
  const metrics = await call<Record<string, Series>>(page, host, 'studio:runs.metrics', { runId: runs[0]!.id })
  const all = Array.from({ length: 3 * stepsPerEpoch }, (_, i) => i + 1)
  for (const name of ['train/loss', 'train/acc', 'lr', 'images_per_sec']) expect(metrics[name]!.step, name).toEqual(all)
  for (const name of ['epoch/train_loss', 'epoch/train_acc', 'val/loss', 'val/acc']) {
    expect(metrics[name]!.epoch, name).toEqual([1, 2, 3])
    expect(metrics[name]!.step, name).toEqual([200, 400, 600])
  }
  await expect(page.locator('.train-charts')).toHaveAttribute('data-points', String(3 * stepsPerEpoch))

  // The record is gone with the run: another reload resumes nothing.
  await page.reload()
  if (!(await page.getByTestId('train-view').isVisible())) await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId('run-item').first()).toHaveAttribute('data-status', 'completed')
  await expect(page.getByTestId('training-pill')).toHaveText('No run in progress')
  expect(await page.evaluate(() => sessionStorage.getItem('cnn-studio/train/active-run'))).toBeNull()

  // A run the user paused stays paused across a reload: shown interrupted, with Resume, not resumed.
  await page.getByLabel('Epochs', { exact: true }).fill('1')
  await page.getByTestId('start-training').click()
  await expect.poll(() => stepOf(page), { timeout: 30_000, intervals: [50] }).toBeGreaterThan(3)
  await page.getByTestId('pause-training').click()
  await expect(page.getByTestId('training-pill')).toContainText('paused')
  await expect.poll(async () => (await call<{ name: string; status: string }[]>(page, host, 'studio:runs.list', { projectId })).find((r) => r.name === 'Run 2')?.status).toBe('paused')
  await page.reload()
  if (!(await page.getByTestId('train-view').isVisible())) await page.getByRole('button', { name: 'Train', exact: true }).click()
  const paused = page.locator('[data-testid="run-item"]', { hasText: 'Run 2' })
  await expect(paused).toHaveAttribute('data-status', 'interrupted')
  await expect(paused.getByTestId('run-item-resume')).toBeVisible()
  await expect(page.getByTestId('training-pill')).toHaveText('No run in progress')
  expect((await call<{ name: string; status: string }[]>(page, host, 'studio:runs.list', { projectId })).find((r) => r.name === 'Run 2')?.status).toBe('paused')
})

test('with a mid-epoch checkpoint every second, a reload replays only the steps after it; no gap, no duplicate', async ({ studio }) => {
  test.setTimeout(120_000)
  const { page, host } = studio
  const projectId = await setupToyMnist(studio, { project: 'Reload mid-epoch', learningRate: '0.003', count: 4000 })
  await page.getByLabel('Batch size', { exact: true }).fill('8')
  await page.getByLabel('Epochs', { exact: true }).fill('2')
  const stepsPerEpoch = 400 // 3,200 training images / 8
  // The interval is read when the page loads: set it, reload (the form is kept per project).
  await page.evaluate(() => localStorage.setItem('cnn-studio/train/checkpoint-every-ms', '1000'))
  await page.reload()
  if (!(await page.getByTestId('train-view').isVisible())) await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('2')
  await page.getByTestId('start-training').click()
  await expect(panel(page)).toHaveAttribute('data-live', 'true')
  // Wait for a mid-epoch 'last' checkpoint early in epoch 2 (one about every second), then reload.
  let runId = 0
  await expect
    .poll(
      async () => {
        runId = (await call<{ id: number }[]>(page, host, 'studio:runs.list', { projectId }))[0]!.id
        const last = (await call<{ kind: string; step: number }[]>(page, host, 'studio:runs.checkpoints', { runId })).find((c) => c.kind === 'last')
        return last !== undefined && last.step > stepsPerEpoch && last.step < 1.6 * stepsPerEpoch
      },
      { timeout: 60_000, intervals: [50] },
    )
    .toBe(true)
  const status = (await call<{ status: string }[]>(page, host, 'studio:runs.list', { projectId }))[0]!.status
  expect(status).toBe('running') // the checkpoint's pause is not the user's
  await page.reload()
  if (!(await page.getByTestId('train-view').isVisible())) await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId('run-notice')).toHaveText(/^Resumed after the reload from the checkpoint at step (\d+) \(epoch 2\)$/, { timeout: 30_000 })
  const from = Number(/step (\d+)/.exec((await page.getByTestId('run-notice').textContent()) ?? '')![1])
  expect(from).toBeGreaterThan(stepsPerEpoch)
  await expect(panel(page).getByTestId('run-status')).toHaveText('Completed', { timeout: 90_000 })
  await expect.poll(async () => (await call<{ status: string }[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status).toBe('completed')
  const metrics = await call<Record<string, Series>>(page, host, 'studio:runs.metrics', { runId })
  const all = Array.from({ length: 2 * stepsPerEpoch }, (_, i) => i + 1)
  for (const name of ['train/loss', 'train/acc', 'lr', 'images_per_sec']) expect(metrics[name]!.step, name).toEqual(all)
  for (const name of ['epoch/train_loss', 'epoch/train_acc', 'val/loss', 'val/acc']) {
    expect(metrics[name]!.epoch, name).toEqual([1, 2])
    expect(metrics[name]!.step, name).toEqual([400, 800])
  }
  // The resumed partial epoch's accumulators came with the checkpoint: epoch 2's train loss is a mean over steps.
  expect(Number.isFinite(metrics['epoch/train_loss']!.value[1])).toBe(true)
  await page.evaluate(() => localStorage.removeItem('cnn-studio/train/checkpoint-every-ms'))
})
