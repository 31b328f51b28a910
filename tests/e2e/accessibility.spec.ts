/**
 * An automated accessibility check (axe-core, WCAG 2 A/AA rules) over every view, in both themes: the projects
 * list, the architecture editor with a template, the Data view's three tabs, the Train form and its procedure
 * tab, the runs table with Compare open, and a run's detail tabs. Each view must report no violations; a failure
 * lists the rule, what it is about and the offending elements.
 */
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { lenet5 } from '../../shared/graph/templates'
import { call, expect, test, setTheme } from './fixtures'

/** All WCAG 2.1 A/AA rules in the dark theme; in the light theme only colour contrast (the rest does not change). */
async function expectNoViolations(page: Page, view: string, theme: 'dark' | 'light') {
  // Let transitions and lazy panels settle so axe sees the finished view.
  await page.waitForTimeout(300)
  // One main landmark per page (axe counts this as best practice, not WCAG, so it is checked here directly).
  await expect(page.locator('main, [role="main"]'), `${view}: one main landmark`).toHaveCount(1)
  const started = Date.now()
  const builder = new AxeBuilder({ page })
  const result = await (theme === 'dark' ? builder.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']) : builder.withRules(['color-contrast'])).analyze()
  console.log(`axe: ${view}: ${result.violations.length} violations, ${result.passes.length} rules passed (${Date.now() - started} ms)`)
  const where = (n: (typeof result.violations)[number]['nodes'][number]) => {
    const data = n.any[0]?.data as { fgColor?: string; bgColor?: string; contrastRatio?: number } | undefined
    return `${n.target.join(' ')}${data?.contrastRatio ? ` (${data.fgColor} on ${data.bgColor}: ${data.contrastRatio})` : ''}`
  }
  const lines = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 6).map(where).join('\n    ')}${v.nodes.length > 6 ? `\n    … ${v.nodes.length - 6} more` : ''}`)
  expect.soft(lines, `accessibility violations in ${view} (${theme})`).toEqual([])
}


test('every view passes an automated accessibility check (axe-core) in both themes', async ({ studio }) => {
  test.setTimeout(240_000)
  const page = studio.page
  const host = studio.host
  const project = await call<{ id: number }>(page, host, 'studio:projects.create', { name: 'Accessible' })
  const doc = lenet5([28, 28, 1], 10)
  await call(page, host, 'studio:architectures.create', { projectId: project.id, name: 'LeNet-5', document: doc })
  const { datasetId } = await call<{ datasetId: number }>(page, host, 'studio:datasets.importMnist', { projectId: project.id, name: 'digits', count: 60 })
  await expect
    .poll(async () => (await call<{ id: number; status: string }[]>(page, host, 'studio:datasets.list', { projectId: project.id })).some((d) => d.id === datasetId && d.status === 'ready'), { timeout: 60_000 })
    .toBe(true)
  const snapshot = (lr: number) => ({
    kind: 'cnn-studio/train',
    format: 1,
    architecture: { id: 1, name: 'LeNet-5', versionId: 1, version: 1, document: doc },
    dataset: { id: datasetId, name: 'digits', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], shape: [28, 28, 1], trainSplit: 'train', valSplit: 'val', counts: { train: 48, val: 6, test: 6 }, split: null, mean: null, std: null },
    pipeline: null,
    training: { epochs: 1, batchSize: 16, seed: 1, learningRate: lr, optimizer: { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, schedule: { type: 'constant', warmupEpochs: 0 }, weightDecay: 0, decayBiasAndNorm: false, clipGradNorm: null, groups: [], dropLast: false, checkpoint: { keepEvery: 0 } },
    seed: 1,
    backendRequested: 'wasm',
    appVersion: '0.1.0',
  })
  for (const lr of [0.001, 0.01]) await call(page, host, 'studio:runs.create', { projectId: project.id, name: `LeNet lr ${lr}`, config: snapshot(lr), datasetId, backend: 'wasm' })

  for (const theme of ['dark', 'light'] as const) {
    await page.goto(`${studio.url ?? ''}#/projects`)
    await setTheme(page, theme)
    await expect(page.getByRole('button', { name: 'New project' })).toBeVisible()
    await expectNoViolations(page, `projects`, theme)

    await page.evaluate((id) => (window.location.hash = `#/p/${id}/architecture`), project.id)
    await expect(page.locator('.react-flow__node').first()).toBeVisible()
    await expectNoViolations(page, `architecture editor`, theme)

    await page.evaluate((id) => (window.location.hash = `#/p/${id}/data`), project.id)
    for (const tab of ['Samples', 'Statistics', 'Augmentations']) {
      await page.getByRole('tab', { name: tab }).click()
      await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true')
      await expectNoViolations(page, `data · ${tab}`, theme)
    }

    await page.evaluate((id) => (window.location.hash = `#/p/${id}/train`), project.id)
    await expect(page.getByTestId('train-form')).toBeVisible()
    await expectNoViolations(page, `train form`, theme)
    await page.getByTestId('tab-procedure').click()
    await expectNoViolations(page, `procedure`, theme)

    await page.evaluate((id) => (window.location.hash = `#/p/${id}/runs`), project.id)
    await page.getByLabel('Select LeNet lr 0.001').check()
    await page.getByLabel('Select LeNet lr 0.01').check()
    await expect(page.getByTestId('compare')).toBeVisible()
    await expectNoViolations(page, `runs table and compare`, theme)
    await page.getByRole('button', { name: 'LeNet lr 0.01', exact: true }).first().click()
    await expect(page.getByTestId('run-detail')).toBeVisible()
    for (const tab of await page.getByRole('tablist', { name: 'Run views' }).getByRole('tab').allTextContents()) {
      await page.getByRole('tablist', { name: 'Run views' }).getByRole('tab', { name: tab }).click()
      await expectNoViolations(page, `run detail · ${tab}`, theme)
    }
    await page.getByRole('button', { name: 'Back to all runs' }).click()
  }
})
