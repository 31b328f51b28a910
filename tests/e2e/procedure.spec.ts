/**
 * The Train section's Procedure tab end to end on a toy ConvNet and a 200-image MNIST subset (WASM): the LR sweep
 * with few iterations (40: chart, verdicts, recommendation, "Use this rate" into the form), the init lab on the
 * lectures' 6x4096 MLP (0.01 collapses, Kaiming stays), a coarse random search of 6 one-epoch trials recorded as
 * runs and a refine stage (table, scatter, parallel coordinates), and the diagnosis of a finished run.
 */
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, test, type StudioSession, screenshotDir, call, setupToyMnist } from './fixtures'



async function setup(studio: StudioSession): Promise<number> {
  const { page } = studio
  const projectId = await setupToyMnist(studio, { project: 'Procedure', learningRate: '0.001' })
  await page.getByTestId('tab-procedure').click()
  await expect(page.getByTestId('procedure')).toBeVisible()
  await page.getByLabel('Procedure backend').selectOption('wasm')
  return projectId
}

test('procedure tools: LR sweep, init lab, coarse-to-fine search recorded as runs, diagnosis', async ({ studio }) => {
  test.setTimeout(300_000)
  const { page } = studio
  const dir = screenshotDir(studio)
  const t0 = Date.now()
  await page.setViewportSize({ width: 1680, height: 1050 })
  await setup(studio)
  /** The card at the top of the scrolled Train center, then the window (cards can be taller than the window). */
  const shoot = async (card: ReturnType<Page['getByTestId']>, name: string) => {
    await card.evaluate((e) => e.scrollIntoView({ block: 'start' }))
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(dir, name) })
  }

  // LR sweep, 20 iterations per rate: one curve per rate, verdicts, a recommendation, and "Use this rate".
  const sweep = page.getByTestId('proc-lr-sweep')
  await sweep.getByTestId('sweep-iterations').fill('40')
  await sweep.getByTestId('run-lr-sweep').click()
  await expect(sweep.getByTestId('job-progress')).toBeVisible()
  await expect(sweep.getByTestId('sweep-recommendation')).toBeVisible({ timeout: 90_000 })
  await expect(sweep.getByTestId('sweep-rate')).toHaveCount(5)
  await expect(sweep.getByTestId('sweep-chart').locator('canvas').first()).toBeVisible()
  const rec = await sweep.getByTestId('sweep-recommendation').textContent()
  if (await sweep.getByTestId('use-rate').count()) {
    await sweep.getByTestId('use-rate').click()
    const rate = /Use ([0-9.e-]+)\./.exec(rec ?? '')?.[1]
    expect(Number(await page.getByLabel('Learning rate', { exact: true }).first().inputValue())).toBeCloseTo(Number(rate), 12)
  }
  await shoot(sweep, 'procedure-lr-sweep.png')
  console.log(`sweep done at ${((Date.now() - t0) / 1000).toFixed(1)} s: ${rec}`)

  // Init lab on the lectures' 6x4096 MLP: 0.01 collapses, Kaiming keeps the scale.
  const lab = page.getByTestId('proc-init-lab')
  await lab.getByTestId('run-init-lab').click()
  await expect(lab.getByTestId('init-lab-result')).toBeVisible({ timeout: 120_000 })
  await expect(lab.getByTestId('lab-verdict')).toHaveCount(4, { timeout: 120_000 })
  await expect(lab.getByTestId('job-progress')).toHaveCount(0, { timeout: 120_000 })
  await expect(lab.getByTestId('lab-verdict').nth(0)).toContainText('Collapses')
  await expect(lab.getByTestId('lab-verdict').nth(3)).toContainText('Stays')
  await shoot(lab, 'procedure-init-lab.png')
  console.log(`init lab done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  // Coarse random search: 6 one-epoch trials, each a recorded run; then a refine stage of 2 trials.
  const search = page.getByTestId('proc-search')
  await search.getByTestId('search-trials').fill('6')
  await search.getByTestId('search-epochs').fill('1')
  await search.getByTestId('start-search').click()
  await expect(search.getByTestId('search-run')).toBeVisible()
  await expect(search.getByTestId('search-finished')).toBeVisible({ timeout: 120_000 })
  await expect(search.getByTestId('search-row')).toHaveCount(6)
  await expect(page.getByTestId('run-item')).toHaveCount(6)
  console.log(`coarse stage done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  await search.getByTestId('refine-trials').fill('2')
  await search.getByTestId('refine-epochs').fill('2')
  await search.getByTestId('refine-search').click()
  await expect(search.getByTestId('search-progress')).toContainText('of 8 trials')
  await expect(search.getByTestId('search-finished')).toBeVisible({ timeout: 120_000 })
  await expect(search.getByTestId('search-progress')).toHaveText('8 of 8 trials done')
  await expect(search.getByTestId('search-row')).toHaveCount(8)
  await expect(search.getByTestId('search-scatter').first()).toBeVisible()
  await expect(search.getByTestId('search-best')).toBeVisible()
  await expect(page.getByTestId('run-item')).toHaveCount(8)
  await shoot(search, 'procedure-search.png')
  console.log(`refine stage done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  // The search survives a reload.
  await page.reload()
  await page.getByTestId('tab-procedure').click()
  await expect(page.getByTestId('proc-search').getByTestId('search-progress')).toHaveText('8 of 8 trials done')

  // Diagnosis of a finished run (the newest: the last refine trial).
  const diag = page.getByTestId('proc-diagnosis')
  await page.getByTestId('run-item').first().locator('.run-open').click()
  await expect(diag.getByTestId('diagnosis-result')).toBeVisible({ timeout: 30_000 })
  await expect(diag.getByTestId('diagnosis-finding').first()).toBeVisible()
  await expect(diag.getByTestId('diagnosis-step-chart').locator('canvas').first()).toBeVisible()
  await shoot(diag, 'procedure-diagnosis.png')
  console.log(`all done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)
})
