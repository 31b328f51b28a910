/**
 * The Procedure tab's charts draw: the overfit chart and the LR sweep on a log loss axis (uPlot hands a log axis'
 * unlabelled ticks in as null; they once threw "Cannot read properties of null (reading 'toExponential')" and the
 * charts stayed blank), the sweep on a linear axis with an exploded rate capped and marked "diverged", and the LR
 * range test's log rate axis with labelled decades (it read "1e-6 null null"). The range test's advice never names
 * a rate the sweep found too high. Charts report what their last finished draw showed (`data-drawn-points`,
 * `data-y-range`, `data-x-ticks`, `data-y-ticks`).
 */
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import { expect, test, screenshotDir, setupToyMnist } from './fixtures'

const drawn = async (chart: Locator) => Number((await chart.getAttribute('data-drawn-points')) ?? '0')
const ticks = async (chart: Locator, axis: 'x' | 'y') => ((await chart.getAttribute(`data-${axis}-ticks`)) ?? '').split('|')
const yRange = async (chart: Locator) => ((await chart.getAttribute('data-y-range')) ?? ',').split(',').map(Number) as [number, number]

/** Tick labels a person can read: some, none of them "null", "NaN" or "undefined". */
async function expectReadableTicks(chart: Locator) {
  for (const axis of ['x', 'y'] as const) {
    const t = await ticks(chart, axis)
    expect(t.filter((v) => v !== '').length, `${axis} ticks ${t.join(' ')}`).toBeGreaterThanOrEqual(2)
    expect(t.join(' '), `${axis} ticks`).not.toMatch(/null|NaN|undefined/)
  }
}

async function setup(page: Page) {
  await page.getByTestId('tab-procedure').click()
  await expect(page.getByTestId('procedure')).toBeVisible()
  await page.getByLabel('Procedure backend').selectOption('wasm')
}

test('procedure charts draw: overfit and sweep on a log axis, a diverged rate capped and marked, the range test axis and advice', async ({ studio }) => {
  test.setTimeout(240_000)
  const { page } = studio
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.setViewportSize({ width: 1680, height: 1050 })
  await setupToyMnist(studio, { project: 'Procedure charts', learningRate: '0.001' })
  await setup(page)

  // Overfit a tiny subset: the loss chart (log axis) draws its points.
  const overfit = page.getByTestId('proc-overfit')
  await overfit.getByLabel('Max steps').fill('40')
  await overfit.getByTestId('run-overfit').click()
  await expect(overfit.getByTestId('overfit-result')).toBeVisible({ timeout: 90_000 })
  const overfitChart = overfit.getByTestId('overfit-chart')
  await expect.poll(() => drawn(overfitChart), { timeout: 10_000 }).toBeGreaterThanOrEqual(10)
  await expectReadableTicks(overfitChart)

  // The sweep with its log loss axis (on by default): every rate in the legend, points drawn, readable ticks.
  const sweep = page.getByTestId('proc-lr-sweep')
  await sweep.getByTestId('sweep-iterations').fill('40')
  await sweep.getByTestId('run-lr-sweep').click()
  await expect(sweep.getByTestId('sweep-recommendation')).toBeVisible({ timeout: 120_000 })
  const sweepChart = sweep.getByTestId('sweep-chart')
  await expect.poll(() => drawn(sweepChart), { timeout: 10_000 }).toBe(40)
  await expectReadableTicks(sweepChart)
  for (const rate of ['1e-1', '1e-2', '1e-3', '1e-4', '1e-5']) await expect(sweepChart.locator('.u-legend')).toContainText(`lr ${rate}`)
  // The legend sits under a plot of full width, not squashed into a column beside an empty one.
  const plotBox = (await sweepChart.locator('canvas').boundingBox())!
  expect(plotBox.width).toBeGreaterThan(600)
  expect(plotBox.height).toBeGreaterThan(150)

  // Adam at 1e-1 explodes on this model: its curve is marked and the loss axis capped at 3x the initial loss.
  const exploded = sweep.locator('[data-testid="sweep-rate"]', { hasText: 'x the initial' })
  await expect(exploded.first()).toBeVisible()
  await expect(sweepChart.locator('.u-legend')).toContainText(/lr 1e-1 \(too high, diverged at iteration \d+\)/)
  const note = (await sweep.getByTestId('sweep-chart-note').textContent()) ?? ''
  const cap = Number(/\(([0-9.]+)\)/.exec(note)?.[1])
  expect(cap).toBeGreaterThan(3)
  expect(cap).toBeLessThan(10)
  let [, top] = await yRange(sweepChart)
  expect(top).toBeLessThanOrEqual(cap * 1.25)
  await sweep.evaluate((e) => e.scrollIntoView({ block: 'start' }))
  await page.waitForTimeout(300)
  await page.screenshot({ path: join(screenshotDir(studio), 'procedure-lr-sweep-charts.png') })

  // Linear loss axis: the exploded curve does not flatten the others (the range stays capped).
  await sweep.getByLabel('log loss axis').uncheck()
  await expect.poll(async () => (await yRange(sweepChart))[1], { timeout: 10_000 }).not.toBe(top)
  ;[, top] = await yRange(sweepChart)
  expect(top).toBeLessThanOrEqual(cap * 1.1)
  expect(await drawn(sweepChart)).toBe(40)
  await expectReadableTicks(sweepChart)
  await sweep.getByLabel('log loss axis').check()

  // The range test: a log rate axis labelled by decades, and advice below every rate the sweep found too high.
  await sweep.getByTestId('run-range-test').click()
  await expect(sweep.getByTestId('range-result')).toBeVisible({ timeout: 120_000 })
  const rangeChart = sweep.getByTestId('range-chart')
  await expect.poll(() => drawn(rangeChart), { timeout: 10_000 }).toBeGreaterThanOrEqual(10)
  await expectReadableTicks(rangeChart)
  expect((await ticks(rangeChart, 'x')).filter((t) => t !== '')[0]).toBe('1e-6')
  const advice = (await sweep.getByTestId('range-advice').textContent()) ?? ''
  expect(advice).not.toMatch(/tenth/)
  const lowestTooHigh = Math.min(...(await sweep.locator('[data-testid="sweep-rate"][data-verdict="too-high"] strong').allTextContents()).map(Number))
  const advised = /Use about ([0-9.e-]+)\./.exec(advice)?.[1]
  if (advised !== undefined) expect(Number(advised)).toBeLessThan(lowestTooHigh)
  else expect(advice).toContain('never fell clearly')
  await sweep.getByTestId('range-result').evaluate((e) => e.scrollIntoView({ block: 'center' }))
  await page.waitForTimeout(300)
  await page.screenshot({ path: join(screenshotDir(studio), 'procedure-range-test.png') })

  expect(errors).toEqual([])
})
