/**
 * The live charts follow a run while it trains: points appear during the first epoch (no reload, no epoch end),
 * also after leaving the Train section and coming back mid-run, and the charts hold every step after Pause and
 * Stop. The charts' `data-drawn-points` is what uPlot's last finished draw showed (not what React was given),
 * and the page throws nothing while they update. A stopped run still reads epoch 1 of 1 after a reload.
 */
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, test, screenshotDir, setupToyMnist } from './fixtures'

const panel = (page: Page) => page.getByTestId('run-panel')
const stepOf = async (page: Page) => Number(((await panel(page).getByTestId('run-step').textContent()) ?? '0').split('/')[0]!.replace(/,/g, '').trim())
const CHARTS = ['chart-loss', 'chart-acc', 'chart-lr', 'chart-ips'] as const
const drawn = async (page: Page, chart: string) => Number((await page.getByTestId(chart).getAttribute('data-drawn-points')) ?? '0')

test('live charts draw the steps during the first epoch, after coming back to the run, and after Pause and Stop', async ({ studio }) => {
  test.setTimeout(180_000)
  const { page } = studio
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await setupToyMnist(studio, { project: 'Live charts', learningRate: '0.003', count: 4000 })
  await page.getByLabel('Batch size', { exact: true }).fill('4')
  const stepsPerEpoch = 800 // 3,200 training images / 4, one epoch
  await page.getByTestId('start-training').click()
  await expect(panel(page)).toHaveAttribute('data-live', 'true')

  // Points appear while the steps climb, well inside the first epoch.
  await expect.poll(() => stepOf(page), { timeout: 60_000, intervals: [50] }).toBeGreaterThanOrEqual(1)
  for (const chart of CHARTS) await expect.poll(() => drawn(page, chart), { timeout: 10_000, intervals: [50] }).toBeGreaterThanOrEqual(1)
  const first = await drawn(page, 'chart-loss')
  await expect.poll(() => drawn(page, 'chart-loss'), { timeout: 30_000, intervals: [50] }).toBeGreaterThan(first + 10)
  expect(await stepOf(page)).toBeLessThan(stepsPerEpoch)
  await expect(page.getByTestId('epoch-table')).toHaveCount(0)
  // (A chart that throws while it updates stops drawing: "object null is not iterable" froze them once.)
  expect(errors).toEqual([])
  await page.locator('.train-config-scroll').evaluate((e) => e.scrollTo(0, 0))
  await page.screenshot({ path: join(screenshotDir(studio), 'train-live.png') })

  // Leave the Train section and come back mid-run: the charts mount with the history and keep moving.
  await page.getByRole('button', { name: 'Data', exact: true }).click()
  await expect(page.getByTestId('train-view')).toHaveCount(0)
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(panel(page)).toHaveAttribute('data-live', 'true')
  await expect.poll(() => drawn(page, 'chart-loss'), { timeout: 10_000, intervals: [50] }).toBeGreaterThan(0)
  const back = await drawn(page, 'chart-loss')
  await expect.poll(() => drawn(page, 'chart-loss'), { timeout: 30_000, intervals: [50] }).toBeGreaterThan(back + 10)
  expect(await stepOf(page)).toBeLessThan(stepsPerEpoch)

  // Paused, then stopped: every chart holds every step the counter shows.
  await page.getByTestId('pause-training').click()
  await expect(page.getByTestId('resume-training')).toBeVisible()
  await expect.poll(async () => (await stepOf(page)) === (await stepOf(page).then((s) => new Promise<number>((r) => setTimeout(() => r(s), 600))))).toBe(true)
  const pausedAt = await stepOf(page)
  expect(pausedAt).toBeLessThan(stepsPerEpoch)
  for (const chart of CHARTS) await expect.poll(() => drawn(page, chart), { timeout: 10_000 }).toBe(pausedAt)
  await page.getByTestId('stop-training').click()
  await expect(panel(page).getByTestId('run-status')).toHaveText('Stopped', { timeout: 60_000 })
  const stoppedAt = await stepOf(page)
  for (const chart of CHARTS) await expect.poll(() => drawn(page, chart), { timeout: 10_000 }).toBe(stoppedAt)
  await expect(panel(page).getByTestId('run-epoch')).toHaveText('1 / 1')

  // After a reload the stopped run is still in epoch 1 of 1 (no epoch finished), its curves drawn from the database.
  await page.reload()
  if (!(await page.getByTestId('train-view').isVisible())) await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(panel(page)).toHaveAttribute('data-live', 'false')
  await expect(panel(page).getByTestId('run-status')).toHaveText('Stopped')
  await expect(panel(page).getByTestId('run-epoch')).toHaveText('1 / 1')
  await expect.poll(() => drawn(page, 'chart-loss'), { timeout: 10_000 }).toBe(stoppedAt)

  expect(errors).toEqual([])
})
