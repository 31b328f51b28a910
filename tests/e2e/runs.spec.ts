/**
 * Runs section end to end. Runs are made FAST with the studio's CLI on the test's data folder (an MNIST subset,
 * LeNet-5 for two epochs): two runs that differ only in learning rate, then a third with one layer changed.
 * The table lists them; selecting two opens Compare with both curves, a "differences only" table holding only
 * the learning rate and an architecture diff saying the graphs are equal; against the changed run the diff
 * names that layer and parameter. The run detail evaluates a checkpoint on the validation split in the worker:
 * the confusion matrix sums to the number of validation images. Screenshots of the table, the comparison and
 * the run detail, dark and light.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import type { GraphDocument } from '../../shared/graph/types'
import { lenet5 } from '../../shared/graph/templates'
import { expect, test, screenshotDir, call, setTheme } from './fixtures'



/** The studio CLI on the test's data folder. */
function cli(dataDir: string, args: string[]): string {
  return execFileSync(join('node_modules', '.bin', 'tsx'), ['main/cli/index.ts', ...args, '--data-dir', dataDir], { encoding: 'utf8', timeout: 120_000 })
}

function train(dataDir: string, graph: string, lr: string, name: string): void {
  cli(dataDir, ['train', '--graph', graph, '--dataset', '1', '--epochs', '2', '--batch', '32', '--lr', lr, '--name', name, '--json'])
}


async function tidy(page: Page) {
  for (const toast of await page.locator('.toast').all()) await toast.click().catch(() => undefined)
  await expect(page.locator('.toast')).toHaveCount(0)
  await page.mouse.move(2, 2)
}

const rowOf = (page: Page, name: string) => page.getByTestId('run-row').filter({ has: page.getByRole('button', { name, exact: true }) })

test('runs table, compare (curves, differences only, architecture diff), run detail with evaluation; screenshots', async ({ studio }) => {
  test.setTimeout(300_000)
  const { host, dataDir } = studio
  let page = studio.page
  const dir = screenshotDir(studio)

  // Data and runs through the CLI (the host keeps running: it reads the same database).
  const files = mkdtempSync(join(tmpdir(), 'cnn-studio-runs-'))
  const base = lenet5([28, 28, 1], 10)
  const wide: GraphDocument = { ...base, nodes: base.nodes.map((n) => (n.id === 'c1' ? { ...n, params: { ...n.params, filters: 12 } } : n)) }
  writeFileSync(join(files, 'lenet.json'), JSON.stringify(base))
  writeFileSync(join(files, 'lenet-wide.json'), JSON.stringify(wide))
  cli(dataDir, ['dataset', 'mnist', '--count', '300'])
  train(dataDir, join(files, 'lenet.json'), '0.01', 'LeNet lr 0.01')
  train(dataDir, join(files, 'lenet.json'), '0.002', 'LeNet lr 0.002')

  const projects = await call<{ id: number; name: string }[]>(page, host, 'studio:projects.list', {})
  const projectId = projects.find((p) => p.name === 'Command line')!.id
  await page.evaluate((id) => (window.location.hash = `#/p/${id}/runs`), projectId)
  // Restart the host on the same folder (the CLI wrote while it ran): the runs must be there after a restart too.
  await studio.restart()
  page = studio.page
  await setTheme(page, 'dark')

  // The table.
  await expect(page.getByTestId('runs-table')).toBeVisible()
  await expect(page.getByTestId('run-row')).toHaveCount(2)
  await expect(page.getByTestId('runs-count')).toHaveText('2 runs')
  await expect(rowOf(page, 'LeNet lr 0.01')).toContainText('0.01')
  await expect(rowOf(page, 'LeNet lr 0.002')).toContainText('0.002')
  await expect(rowOf(page, 'LeNet lr 0.01')).toContainText('Completed')
  // Sorting by a header, and the text filter.
  await page.getByRole('button', { name: 'Sort by LR', exact: true }).click()
  await expect(page.getByTestId('run-row').first()).toContainText('LeNet lr 0.01')
  await page.getByRole('button', { name: 'Sort by LR', exact: true }).click()
  await expect(page.getByTestId('run-row').first()).toContainText('LeNet lr 0.002')
  await page.getByLabel('Filter runs').fill('0.002')
  await expect(page.getByTestId('run-row')).toHaveCount(1)
  await page.getByLabel('Filter runs').fill('')
  await expect(page.getByTestId('run-row')).toHaveCount(2)
  // Star inline.
  await page.getByRole('button', { name: 'Star LeNet lr 0.01' }).click()
  await expect(page.getByRole('button', { name: 'Unstar LeNet lr 0.01' })).toBeVisible()
  await tidy(page)
  await page.screenshot({ path: join(dir, 'runs-table.png') })

  // Compare the two runs.
  await page.getByLabel('Select LeNet lr 0.01').check()
  await page.getByLabel('Select LeNet lr 0.002').check()
  const compare = page.getByTestId('compare')
  await expect(compare).toBeVisible()
  // Both curves: one train and one val series per run in the loss chart's legend.
  const lossLegend = compare.getByTestId('chart-loss').locator('.u-legend .u-series')
  await expect(lossLegend.filter({ hasText: 'LeNet lr 0.01 · train' })).toHaveCount(1)
  await expect(lossLegend.filter({ hasText: 'LeNet lr 0.002 · train' })).toHaveCount(1)
  await expect(lossLegend.filter({ hasText: 'LeNet lr 0.002 · val' })).toHaveCount(1)
  // Differences only: the learning rate and nothing else.
  await expect(page.getByRole('switch', { name: 'Differences only' })).toBeChecked()
  const hyperRows = page.getByTestId('hyper-table').getByTestId('hyper-row')
  await expect(hyperRows).toHaveCount(1)
  await expect(hyperRows.first()).toHaveAttribute('data-path', /(^|\.)(lr|learningRate)$/)
  await expect(hyperRows.first()).toContainText('Learning rate')
  await expect(hyperRows.first()).toContainText('0.01')
  await expect(hyperRows.first()).toContainText('0.002')
  await page.getByRole('switch', { name: 'Differences only' }).uncheck()
  expect(await hyperRows.count()).toBeGreaterThan(10)
  await page.getByRole('switch', { name: 'Differences only' }).check()
  // The architecture diff.
  await expect(page.getByTestId('arch-diff-summary')).toHaveText(/The graphs are equal/)
  await expect(page.getByTestId('arch-graph-a').locator('.react-flow__node')).toHaveCount(base.nodes.length)
  // Compare at each run's best epoch.
  await expect(page.getByTestId('compare-at').locator('tbody tr')).toHaveCount(2)
  await tidy(page)
  await page.locator('.section-body').evaluate((el) => (el.scrollTop = 0))
  await page.screenshot({ path: join(dir, 'runs-compare.png'), fullPage: false })
  await compare.evaluate((el) => el.scrollIntoView())
  await page.screenshot({ path: join(dir, 'runs-compare-details.png') })

  // One layer changed, run again: the diff names that layer and parameter.
  train(dataDir, join(files, 'lenet-wide.json'), '0.002', 'LeNet wide c1')
  await studio.restart()
  page = studio.page
  await expect(page.getByTestId('run-row')).toHaveCount(3)
  // (a reload starts with nothing selected)
  await page.getByLabel('Select LeNet lr 0.002').check()
  await page.getByLabel('Select LeNet wide c1').check()
  await expect(page.getByTestId('arch-diff-summary')).toContainText('Conv2D “c1”: filters 6 → 12')
  await expect(page.getByTestId('arch-graph-a').locator('.react-flow__node.diff-changed')).toHaveCount(1)
  await expect(page.getByTestId('arch-graph-b').locator('.react-flow__node.diff-changed')).toHaveCount(1)
  // The changed graph is one "Graph" row (the architecture diff below says what changed), not a hash of a document.
  await expect(page.getByTestId('hyper-table').locator('[data-testid="hyper-row"][data-path="architecture.document"]')).toHaveCount(1)
  await expect(page.getByTestId('hyper-table')).not.toContainText('<document')
  await page.getByTestId('arch-diff-summary').scrollIntoViewIfNeeded()
  await tidy(page)
  await page.screenshot({ path: join(dir, 'runs-arch-diff.png') })

  // Run detail: evaluate the best checkpoint on the validation split.
  const dataset = await call<{ splitTotals: { val: number } }>(page, host, 'studio:datasets.get', { id: 1 })
  const valCount = dataset.splitTotals.val
  await page.getByRole('button', { name: 'LeNet lr 0.01', exact: true }).first().click()
  await expect(page.getByTestId('run-detail')).toBeVisible()
  await expect(page.getByTestId('run-title')).toHaveText('LeNet lr 0.01')
  await expect(page.getByTestId('detail-curves').getByTestId('chart-loss')).toBeVisible()
  await page.getByRole('tab', { name: 'Configuration' }).click()
  await expect(page.getByTestId('config-table')).toContainText('training.learningRate')
  await page.getByRole('tab', { name: 'Checkpoints & evaluation' }).click()
  const bestRow = page.getByTestId('checkpoint-row').filter({ hasText: 'best' })
  await bestRow.getByRole('button', { name: 'Evaluate', exact: true }).click()
  await expect(page.getByTestId('confusion-matrix')).toBeVisible({ timeout: 120_000 })
  await expect(page.getByTestId('eval-count')).toContainText(`${valCount} images evaluated`)
  await expect(page.getByTestId('confusion-sum')).toContainText(`Sums to ${valCount}`)
  const cells = await page.getByTestId('confusion-matrix').locator('td[data-count]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-count'))))
  expect(cells).toHaveLength(100)
  expect(cells.reduce((a, b) => a + b, 0)).toBe(valCount)
  await expect(page.getByTestId('class-report').locator('tbody tr')).toHaveCount(10)
  // Mistakes drawn from the dataset cache (when there are any).
  const evals = await call<{ misclassifiedTotal: number; count: number }[]>(page, host, 'studio:runs.evaluations', { runId: 1 })
  expect(evals[0]!.count).toBe(valCount)
  if (evals[0]!.misclassifiedTotal > 0) await expect(page.getByTestId('mistakes').locator('canvas.thumb').first()).toBeVisible()
  await tidy(page)
  await page.locator('.section-body').evaluate((el) => (el.scrollTop = 0))
  await page.screenshot({ path: join(dir, 'run-detail.png') })

  // Filters and activations of the checkpoint (in the worker).
  await page.getByRole('tab', { name: 'Filters & activations' }).click()
  await expect(page.getByTestId('filters').locator('canvas')).toHaveCount(6, { timeout: 60_000 })
  await expect(page.getByTestId('activations').locator('canvas')).toHaveCount(6, { timeout: 60_000 })
  await tidy(page)
  await page.screenshot({ path: join(dir, 'run-filters.png') })

  // Light theme.
  await setTheme(page, 'light')
  await page.getByRole('tab', { name: 'Checkpoints & evaluation' }).click()
  await expect(page.getByTestId('confusion-matrix')).toBeVisible()
  await tidy(page)
  await page.screenshot({ path: join(dir, 'run-detail-light.png') })
  await page.getByRole('button', { name: 'Back to all runs' }).click()
  await expect(page.getByTestId('compare')).toBeVisible()
  await tidy(page)
  await page.screenshot({ path: join(dir, 'runs-compare-light.png') })
})
