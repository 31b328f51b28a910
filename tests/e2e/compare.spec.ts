/**
 * The comparison of issue #15 in the browser host, on runs recorded through the services (metrics, summaries)
 * and two tiny real runs made and evaluated with the studio's CLI:
 * - three seeds each of two learning rates, grouped by "everything except the seed": two groups, two bands
 *   (mean line + filled band) in the accuracy chart, one per group;
 * - the trade-off plot marks exactly the Pareto front of parameters against best validation accuracy
 *   (checked against the definition here), hover names the run, a click opens it;
 * - the confusion diff of the two evaluated runs is the difference of their stored matrices, cell by cell, and
 *   the images one gets right and the other wrong are the difference of their mistakes; two evaluations on
 *   different splits are refused in words;
 * - the SVG, PNG and Markdown exports are downloaded and valid.
 * Screenshots of the views in both themes go to docs/screenshots/compare-*.png with STUDIO_SCREENSHOTS=1.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Download, Page } from '@playwright/test'
import { GraphBuilder, serializeGraphDocument } from '../../shared/graph'
import { call, expect, screenshotDir, test, setTheme } from './fixtures'

function cli(dataDir: string, args: string[]): string {
  return execFileSync(join('node_modules', '.bin', 'tsx'), ['main/cli/index.ts', ...args, '--data-dir', dataDir], { encoding: 'utf8', timeout: 180_000 })
}

function tinyGraph(): string {
  const b = new GraphBuilder()
  b.add('Input', { shape: [28, 28, 1] }, { id: 'in' })
  b.add('Conv2D', { filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: 'heNormal' }, { id: 'conv1' })
  b.add('ReLU', {}, { id: 'relu1' })
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool1' })
  b.add('Flatten', {}, { id: 'flat' })
  b.add('Output', { units: 10, kernelInitializer: 'normal', stddev: 0.01 }, { id: 'out' })
  return serializeGraphDocument(b.build())
}


async function tidy(page: Page) {
  for (const toast of await page.locator('.toast').all()) await toast.click({ timeout: 2000 }).catch(() => undefined)
  await expect(page.locator('.toast')).toHaveCount(0)
  await page.mouse.move(2, 2)
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()])
  const path = await (download as Download).path()
  return { name: (download as Download).suggestedFilename(), bytes: readFileSync(path) }
}

interface Evaluation {
  id: number
  split: string
  confusion: number[][]
  classes: string[]
  misclassified: { index: number }[]
  misclassifiedTotal: number
}

test('compare: grouped bands, trade-off with its Pareto front, confusion diff, exports', async ({ studio }) => {
  test.setTimeout(900_000)
  const { host, dataDir } = studio
  let page = studio.page
  const files = mkdtempSync(join(tmpdir(), 'cnn-studio-compare-'))
  writeFileSync(join(files, 'tiny.json'), tinyGraph())
  cli(dataDir, ['dataset', 'mnist', '--count', '200'])
  const common = ['train', '--graph', join(files, 'tiny.json'), '--dataset', '1', '--epochs', '1', '--batch', '40', '--json']
  cli(dataDir, [...common, '--lr', '0.003', '--seed', '1', '--name', 'Tiny A'])
  cli(dataDir, [...common, '--lr', '0.03', '--seed', '2', '--name', 'Tiny B'])
  cli(dataDir, ['evaluate', '1', '--json'])
  cli(dataDir, ['evaluate', '2', '--json'])
  cli(dataDir, ['evaluate', '2', '--split', 'test', '--json'])

  const projects = await call<{ id: number; name: string }[]>(page, host, 'studio:projects.list', {})
  const projectId = projects.find((p) => p.name === 'Command line')!.id

  // Three seeds of two learning rates, recorded through the services (no training).
  const params = { 0.1: [5000, 5200, 4800], 0.01: [20000, 21000, 19000] } as const
  const recorded: { id: number; name: string; paramCount: number; best: number }[] = []
  for (const lr of [0.1, 0.01] as const) {
    for (const seed of [1, 2, 3]) {
      const name = `lr ${lr} seed ${seed}`
      const paramCount = params[lr][seed - 1] as number
      const run = await call<{ id: number }>(page, host, 'studio:runs.create', {
        projectId,
        name,
        config: { training: { learningRate: lr, batchSize: 32, epochs: 3, seed, optimizer: { type: 'sgd', momentum: 0.9, nesterov: false } }, params: paramCount },
      })
      const base = lr === 0.1 ? 0.6 : 0.8
      const points = []
      for (let step = 1; step <= 90; step++) points.push({ name: 'train/loss', step, epoch: step / 30, value: 2.3 * Math.exp(-step / (lr === 0.1 ? 20 : 40)) + seed * 0.05, time: 1_000_000 + step * 100 })
      for (const epoch of [1, 2, 3]) points.push({ name: 'val/acc', step: epoch * 30, epoch, value: base + epoch * 0.03 + seed * 0.01, time: 1_000_000 + epoch * 3000 })
      await call(page, host, 'studio:runs.appendMetrics', { runId: run.id, points })
      const best = base + 0.09 + seed * 0.01
      await call(page, host, 'studio:runs.update', { id: run.id, status: 'completed', bestValAccuracy: best, bestEpoch: 3, finalLoss: 0.5, durationMs: 60_000 * seed })
      recorded.push({ id: run.id, name, paramCount, best })
    }
  }

  await page.evaluate((id) => (window.location.hash = `#/p/${id}/runs`), projectId)
  await studio.restart()
  page = studio.page
  await page.setViewportSize({ width: 1440, height: 1000 })
  await expect(page.getByTestId('run-row')).toHaveCount(8)
  for (const r of recorded) await page.getByLabel(`Select ${r.name}`).check()
  const compare = page.getByTestId('compare')
  await expect(compare).toBeVisible()

  // Grouped by everything except the seed: two groups of three, each drawn as a band with its mean line.
  await compare.getByLabel('Group runs').selectOption('exceptSeed')
  await expect(compare.getByTestId('compare-groups')).toHaveText('2 groups of 6 runs')
  const acc = compare.getByTestId('chart-acc')
  await expect(acc).toHaveAttribute('data-fills', '2')
  const accLegend = acc.locator('.u-legend .u-series:visible')
  await expect(accLegend.filter({ hasText: 'learning rate 0.01 (3 runs) · val' })).toHaveCount(1)
  await expect(accLegend.filter({ hasText: 'learning rate 0.1 (3 runs) · val' })).toHaveCount(1)
  await expect(compare.getByTestId('chart-loss')).toHaveAttribute('data-fills', '2')
  await expect.poll(async () => Number(await acc.getAttribute('data-drawn-points'))).toBeGreaterThan(100)
  const dir = screenshotDir(studio)
  await tidy(page)
  await compare.getByTestId('compare-curves').screenshot({ path: join(dir, 'compare-grouped.png') })

  // Export the accuracy chart as SVG and PNG, and the settings diff as Markdown.
  const svg = await downloaded(page, () => acc.getByRole('button', { name: 'SVG' }).click())
  expect(svg.name).toMatch(/^accuracy-by-step\.svg$/)
  const svgText = svg.bytes.toString('utf8')
  expect(svgText.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
  expect(svgText.trim().endsWith('</svg>')).toBe(true)
  expect(svgText.match(/<polygon /g)?.length).toBe(2)
  expect(svgText).toContain('learning rate 0.01 (3 runs) · val')
  const png = await downloaded(page, () => acc.getByRole('button', { name: 'PNG' }).click())
  expect(png.name).toBe('accuracy-by-step.png')
  expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  expect(png.bytes.readUInt32BE(16)).toBeGreaterThan(400) // IHDR width (2x the chart)
  const md = await downloaded(page, () => compare.getByRole('button', { name: 'Export Markdown' }).click())
  expect(md.name).toMatch(/\.md$/)
  const mdText = md.bytes.toString('utf8')
  expect(mdText).toContain('# Run comparison: settings')
  expect(mdText).toContain(`| Section | Setting | ${recorded.map((r) => r.name).join(' | ')} |`)
  expect(mdText).toMatch(/\| Optimizer \| Learning rate \| 0\.1 \| 0\.1 \| 0\.1 \| 0\.01 \| 0\.01 \| 0\.01 \|/)
  expect(mdText).toMatch(/\| Run \| Seed \| 1 \| 2 \| 3 \| 1 \| 2 \| 3 \|/)

  // Trade-off: one point per run, the Pareto front of parameters (lower better) vs best val accuracy (higher).
  const tradeoff = compare.getByTestId('tradeoff')
  await compare.getByLabel('One point per group').uncheck()
  await expect(tradeoff.getByTestId('scatter-point')).toHaveCount(6)
  const dominated = (p: (typeof recorded)[number]) => recorded.some((q) => q !== p && q.paramCount <= p.paramCount && q.best >= p.best && (q.paramCount < p.paramCount || q.best > p.best))
  const expectedFront = recorded.filter((p) => !dominated(p)).map((p) => p.name).sort()
  expect(expectedFront.length).toBeGreaterThan(1)
  expect(expectedFront.length).toBeLessThan(6)
  const onFront = await tradeoff.locator('[data-testid="scatter-point"][data-front="true"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')).sort())
  expect(onFront).toEqual(expectedFront)
  await expect(tradeoff.getByTestId('pareto-line')).toBeVisible()
  await tidy(page)
  await compare.getByRole('region', { name: 'Trade-off' }).screenshot({ path: join(dir, 'compare-tradeoff.png') })
  const first = tradeoff.locator(`[data-testid="scatter-point"][data-label="${expectedFront[0]}"]`)
  await first.hover()
  await expect(tradeoff.getByTestId('tradeoff-readout')).toContainText(expectedFront[0] as string)
  await expect(tradeoff.getByTestId('tradeoff-readout')).toContainText('on the Pareto front')
  // Grouped points: two, the group means.
  await compare.getByLabel('One point per group').check()
  await expect(tradeoff.getByTestId('scatter-point')).toHaveCount(2)
  await compare.getByLabel('One point per group').uncheck()
  await first.click()
  await expect(page.getByTestId('run-title')).toHaveText(expectedFront[0] as string)
  await page.getByRole('button', { name: 'Back to all runs' }).click()

  // Confusion diff of the two evaluated runs.
  await expect(page.getByTestId('run-row')).toHaveCount(8)
  for (const r of recorded) if (await page.getByLabel(`Select ${r.name}`).isChecked()) await page.getByLabel(`Select ${r.name}`).uncheck()
  await page.getByLabel('Select Tiny A').check()
  await page.getByLabel('Select Tiny B').check()
  const [evA] = await call<Evaluation[]>(page, host, 'studio:runs.evaluations', { runId: 1 })
  const evsB = await call<Evaluation[]>(page, host, 'studio:runs.evaluations', { runId: 2 })
  const evB = evsB.find((e) => e.split === 'val')!
  const evBTest = evsB.find((e) => e.split === 'test')!
  const section = compare.getByRole('region', { name: 'Confusion diff' })
  await section.getByLabel('Confusion diff evaluation A').selectOption(String(evA!.id))
  await section.getByLabel('Confusion diff evaluation B').selectOption(String(evB.id))
  const cells = section.getByTestId('confusion-diff-matrix').locator('td')
  await expect(cells).toHaveCount(100)
  const shown = await cells.evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-diff'))))
  expect(shown).toEqual(evB.confusion.flatMap((row, t) => row.map((v, p) => v - evA!.confusion[t]![p]!)))
  expect(shown.some((d) => d !== 0)).toBe(true)
  await expect(section.getByTestId('class-delta')).toHaveCount(10)
  const wrongA = new Set(evA!.misclassified.map((m) => m.index))
  const wrongB = new Set(evB.misclassified.map((m) => m.index))
  await expect(section.getByTestId('only-a-right')).toHaveAttribute('data-count', String([...wrongB].filter((i) => !wrongA.has(i)).length))
  await expect(section.getByTestId('only-b-right')).toHaveAttribute('data-count', String([...wrongA].filter((i) => !wrongB.has(i)).length))
  await expect(section.getByTestId('only-b-right').locator('canvas.thumb').first()).toBeVisible()
  await tidy(page)
  await section.screenshot({ path: join(dir, 'compare-confusion-diff.png') })
  // Different splits: refused, in words.
  await section.getByLabel('Confusion diff evaluation B').selectOption(String(evBTest.id))
  await expect(section.getByTestId('confusion-diff-refused')).toContainText('Tiny A was evaluated on its validation split, Tiny B on its test split')
  await expect(section.getByTestId('confusion-diff-matrix')).toHaveCount(0)
  await section.getByLabel('Confusion diff evaluation B').selectOption(String(evB.id))
  await expect(section.getByTestId('confusion-diff-matrix')).toBeVisible()

  // The light theme: the same views.
  await setTheme(page, 'light')
  await tidy(page)
  await section.screenshot({ path: join(dir, 'compare-confusion-diff-light.png') })
  for (const r of recorded) await page.getByLabel(`Select ${r.name}`).check()
  await page.getByLabel('Select Tiny A').uncheck()
  await page.getByLabel('Select Tiny B').uncheck()
  await compare.getByLabel('Group runs').selectOption('exceptSeed')
  await expect(compare.getByTestId('chart-acc')).toHaveAttribute('data-fills', '2')
  await tidy(page)
  await compare.getByTestId('compare-curves').screenshot({ path: join(dir, 'compare-grouped-light.png') })
  await compare.getByRole('region', { name: 'Trade-off' }).screenshot({ path: join(dir, 'compare-tradeoff-light.png') })
  await setTheme(page, 'dark')
})
