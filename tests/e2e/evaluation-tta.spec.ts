/**
 * Test-time augmentation in the run detail: two tiny runs made with the studio's CLI on 200 MNIST digits, one whose
 * pipeline asks for flip TTA and one without. Evaluating the first in the app (the evaluation worker) shows the
 * accuracy without and with TTA side by side, the numbers the API stored, and the same ones `studio evaluate`
 * computes under Node; the second says its pipeline has no test-time augmentation.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { GraphBuilder, serializeGraphDocument } from '../../shared/graph'
import { call, expect, screenshotDir, test } from './fixtures'

function cli(dataDir: string, args: string[]): string {
  return execFileSync(join('node_modules', '.bin', 'tsx'), ['main/cli/index.ts', ...args, '--data-dir', dataDir], { encoding: 'utf8', timeout: 120_000 })
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

interface StoredEvaluation {
  accuracy: number | null
  count: number
  tta: { status: 'applied'; accuracy: number | null; views: number; description: string } | { status: 'none' | 'unknown' }
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`

async function evaluateBest(page: Page, runName: string) {
  await page.getByRole('button', { name: runName, exact: true }).first().click()
  await expect(page.getByTestId('run-title')).toHaveText(runName)
  await page.getByRole('tab', { name: 'Checkpoints & evaluation' }).click()
  // The button counts the images as the worker reports them (seen however fast the evaluation is).
  await page.evaluate(() => {
    const seen: string[] = []
    ;(window as unknown as { evalProgress: string[] }).evalProgress = seen
    new MutationObserver(() => {
      for (const b of document.querySelectorAll('button')) if (/^Evaluating… \d+ of \d+ images$/.test(b.textContent ?? '')) seen.push(b.textContent!)
    }).observe(document.body, { subtree: true, childList: true, characterData: true })
  })
  await page.getByTestId('checkpoint-row').filter({ hasText: 'best' }).getByRole('button', { name: 'Evaluate', exact: true }).click()
  await expect(page.getByTestId('confusion-matrix')).toBeVisible({ timeout: 120_000 })
  const seen = await page.evaluate(() => (window as unknown as { evalProgress: string[] }).evalProgress)
  expect(seen.length).toBeGreaterThan(0)
  const [, done, total] = /(\d+) of (\d+)/.exec(seen.at(-1)!)!
  expect(Number(done)).toBe(Number(total))
}

test('run detail evaluation shows the accuracy with and without the pipeline test-time augmentation', async ({ studio }) => {
  test.setTimeout(240_000)
  const { host, dataDir } = studio
  let page = studio.page
  const files = mkdtempSync(join(tmpdir(), 'cnn-studio-tta-'))
  writeFileSync(join(files, 'tiny.json'), tinyGraph())
  writeFileSync(join(files, 'flip.json'), JSON.stringify({ format: 1, steps: [], tta: { crops: 'full', cropFractions: [1], flip: true } }))
  cli(dataDir, ['dataset', 'mnist', '--count', '200'])
  const common = ['train', '--graph', join(files, 'tiny.json'), '--dataset', '1', '--epochs', '1', '--batch', '40', '--lr', '0.003', '--json']
  cli(dataDir, [...common, '--pipeline', join(files, 'flip.json'), '--name', 'Tiny with flip TTA'])
  cli(dataDir, [...common, '--name', 'Tiny without TTA'])

  const projects = await call<{ id: number; name: string }[]>(page, host, 'studio:projects.list', {})
  const projectId = projects.find((p) => p.name === 'Command line')!.id
  await page.evaluate((id) => (window.location.hash = `#/p/${id}/runs`), projectId)
  await studio.restart()
  page = studio.page
  await expect(page.getByTestId('run-row')).toHaveCount(2)

  // The run whose pipeline has flip TTA: both numbers, side by side, as stored.
  await evaluateBest(page, 'Tiny with flip TTA')
  const [stored] = await call<StoredEvaluation[]>(page, host, 'studio:runs.evaluations', { runId: 1 })
  expect(stored!.tta.status).toBe('applied')
  if (stored!.tta.status !== 'applied') return
  expect(stored!.tta).toMatchObject({ views: 2, description: '2 views: flip' })
  await expect(page.getByTestId('eval-accuracy')).toHaveText(pct(stored!.accuracy!))
  await expect(page.getByTestId('eval-tta')).toContainText('with TTA (2 views: flip)')
  await expect(page.getByTestId('eval-tta-accuracy')).toHaveText(pct(stored!.tta.accuracy!))

  // The same two numbers from `studio evaluate` under Node (within one image: WASM in the worker vs WASM in Node).
  const node = JSON.parse(cli(dataDir, ['evaluate', '1', '--json'])) as { accuracy: number; count: number; tta: { accuracy: number } }
  expect(node.count).toBe(stored!.count)
  expect(Math.abs(node.accuracy - stored!.accuracy!)).toBeLessThanOrEqual(1 / stored!.count + 1e-9)
  expect(Math.abs(node.tta.accuracy - stored!.tta.accuracy!)).toBeLessThanOrEqual(1 / stored!.count + 1e-9)
  await page.mouse.move(2, 2)
  await page.screenshot({ path: join(screenshotDir(studio), 'run-detail-tta.png') })

  // The run without TTA says so.
  await page.getByRole('button', { name: 'Back to all runs' }).click()
  await evaluateBest(page, 'Tiny without TTA')
  await expect(page.getByTestId('eval-tta')).toHaveText(/no test-time augmentation in this run’s pipeline/)
  await expect(page.getByTestId('eval-tta-accuracy')).toHaveCount(0)
})
