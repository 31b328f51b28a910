/**
 * The studio as a new user meets it, on real data imported from a folder: 1,000 handwritten digits (the `mnist`
 * package's images written as PNG files, a subfolder per class, as a user's own folder would be), every view
 * walked by visible text and roles, and each view photographed in both themes. With STUDIO_SCREENSHOTS=1 the
 * photographs go to docs/screenshots/tour/ (linked from the README); otherwise to .cache/screenshots.
 *
 * Views: data (samples, statistics, augmentation previewer), the template gallery sized for the dataset and the
 * editor, training (live and finished), the procedure's LR sweep and init lab, the runs table grouped by
 * everything except the seed, Compare (grouped curves, trade-off, settings diff, confusion diff), the run detail
 * (evaluation, filters and activations) and the projects list.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import sharp from 'sharp'
import { readMnistDigit, MNIST_SIDE } from '../../main/datasets/mnist'
import { expect, test, type StudioSession, setTheme } from './fixtures'

const PER_CLASS = 100

/** A user's folder: `<root>/digits/<class>/<n>.png`, 28x28 grayscale PNGs of real handwritten digits. */
async function digitsFolder(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'cnn-studio-tour-'))
  const folder = join(root, 'digits')
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']
  const px = MNIST_SIDE * MNIST_SIDE
  for (let d = 0; d < 10; d++) {
    const dir = join(folder, names[d]!)
    mkdirSync(dir, { recursive: true })
    const data = readMnistDigit(d)
    const writes: Promise<unknown>[] = []
    for (let i = 0; i < PER_CLASS; i++) {
      const bytes = Buffer.alloc(px)
      for (let p = 0; p < px; p++) bytes[p] = Math.round((data[i * px + p] ?? 0) * 255)
      writes.push(sharp(bytes, { raw: { width: MNIST_SIDE, height: MNIST_SIDE, channels: 1 } }).png().toFile(join(dir, `${String(i).padStart(3, '0')}.png`)))
    }
    await Promise.all(writes)
  }
  return folder
}

function shotDir(studio: StudioSession): string {
  const dir = process.env.STUDIO_SCREENSHOTS ? join('docs', 'screenshots', 'tour') : join('.cache', 'screenshots', studio.host, 'tour')
  mkdirSync(dir, { recursive: true })
  return dir
}


async function tidy(page: Page) {
  for (const toast of await page.locator('.toast').all()) await toast.click({ timeout: 2000 }).catch(() => undefined)
  await expect(page.locator('.toast')).toHaveCount(0)
}

const stepOf = async (page: Page) => Number(((await page.getByTestId('run-step').textContent()) ?? '0').split('/')[0]!.replace(/,/g, '').trim())

test('tour: real digits imported from a folder, every view, both themes', async ({ studio }) => {
  test.skip(studio.host !== 'browser', 'the tour runs in the browser host (the Electron binary is not installed here)')
  test.setTimeout(900_000)
  const { page } = studio
  await page.setViewportSize({ width: 1440, height: 900 })
  const dir = shotDir(studio)
  const folder = await digitsFolder()
  const taken: string[] = []
  /** The view in both themes; `ready` waits for what must be on screen (again after the theme changes). */
  const shoot = async (name: string, ready: () => Promise<void>, target?: Locator) => {
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, theme)
      await ready()
      await tidy(page)
      await page.waitForTimeout(250) // charts redraw in the theme's colours on the next frame
      // The window itself never scrolls (only its panes): nothing shifts the top bar out of view.
      expect(await page.evaluate(() => [document.documentElement.scrollTop, document.documentElement.scrollHeight - window.innerHeight])).toEqual([0, 0])
      const path = join(dir, `${name}-${theme}.png`)
      await (target ?? page).screenshot({ path })
      taken.push(path)
    }
    await setTheme(page, 'dark')
  }

  try {
    await setTheme(page, 'dark')
    await page.getByRole('button', { name: 'New project' }).click()
    await page.getByLabel('Project name').fill('Handwritten digits')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    await expect(page.getByTestId('project-title')).toHaveText('Handwritten digits')

    // --- Data: import the folder as 28x28 grayscale ---------------------------------------------------------
    await page.getByRole('button', { name: 'Data', exact: true }).click()
    await page.getByRole('button', { name: 'Import folder…' }).first().click()
    await page.getByLabel('Folder path').fill(folder)
    await expect(page.getByTestId('folder-probe')).toHaveText('10 classes, 1,000 images found.')
    await expect(page.getByLabel('Dataset name')).toHaveValue('digits')
    await page.getByLabel('Height').fill('28')
    await page.getByLabel('Width').fill('28')
    await page.getByRole('radiogroup', { name: 'Channels' }).getByRole('radio', { name: '1 · grayscale' }).click()
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(page.getByRole('dialog')).toBeHidden()
    await expect(page.getByTestId('dataset-item')).toContainText('1,000 images · 28×28', { timeout: 120_000 })
    await expect(page.getByTestId('class-row')).toHaveCount(10)
    await expect(page.getByTestId('class-count').first()).toHaveText('100 images')
    await shoot('01-data-samples', async () => {
      await expect(page.getByTestId('class-row').first().locator('img').first()).toBeVisible()
    })

    await page.getByRole('tab', { name: 'Statistics' }).click()
    const stats = page.getByTestId('statistics')
    await expect(stats.getByTestId('channel-stats').locator('tbody tr')).toHaveCount(1)
    await shoot('02-data-statistics', async () => {
      await expect(stats.getByTestId('class-counts-chart').locator('canvas')).toBeVisible()
    })

    await page.getByRole('tab', { name: 'Augmentations' }).click()
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/Saved/)
    for (const label of ['Random crop', 'Rotation']) {
      await page.getByRole('button', { name: 'Add step' }).click()
      await page.getByRole('menuitem', { name: label, exact: true }).click()
    }
    await expect(page.getByTestId('step-card')).toHaveCount(2)
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/^Saved · v\d+/)
    const grid = page.getByTestId('preview-grid')
    await expect(grid).toBeVisible({ timeout: 60_000 })
    await shoot('03-data-augmentations', async () => {
      await expect(page.getByTestId('preview-tile').first()).toBeVisible({ timeout: 60_000 })
      await page.getByTestId('preview-tile').nth(10).hover()
      await expect(page.getByTestId('tile-popover')).toContainText('Rotation:')
    })
    await page.mouse.move(2, 2)

    // --- Design: the gallery sizes LeNet-5 for the dataset; the editor with live shapes ----------------------
    await page.getByRole('button', { name: 'Architecture', exact: true }).click()
    await expect(page.getByLabel('Size for')).toContainText('(28×28×1, 10 classes)')
    await page.getByRole('option', { name: /LeNet-5/ }).click()
    await expect(page.getByLabel('Input size')).toHaveValue('28x28x1')
    await shoot('04-design-templates', async () => {
      await expect(page.getByTestId('template-gallery')).toBeVisible()
    })
    await page.getByRole('button', { name: /^Create from LeNet-5/ }).click()
    await expect(page.getByTestId('template-gallery')).toBeHidden()
    await expect(page.locator('.react-flow__node').first()).toBeVisible()
    await page.locator('.react-flow__node').nth(1).click()
    await shoot('05-design-editor', async () => {
      await expect(page.locator('.react-flow__node').first()).toBeVisible()
    })

    // --- Train: four runs, two learning rates x two seeds, on WASM ------------------------------------------
    await page.getByRole('button', { name: 'Train', exact: true }).click()
    await expect(page.getByTestId('train-form')).toBeVisible()
    await expect(page.getByLabel('Dataset')).toContainText('digits')
    const start = page.getByTestId('start-training')
    const status = page.getByTestId('run-panel').getByTestId('run-status')
    const train = async (lr: string, seed: string, live: boolean) => {
      for (const [label, value] of Object.entries({ 'Batch size': '32', Epochs: '6', 'Learning rate': lr, Seed: seed })) {
        await page.getByLabel(label, { exact: true }).fill(value)
      }
      await page.getByLabel('Backend').selectOption('wasm')
      await expect(start).toBeEnabled({ timeout: 60_000 })
      await start.click()
      if (live) {
        await expect.poll(() => stepOf(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(10)
        await page.locator('.train-config-scroll').evaluate((e) => e.scrollTo(0, 0))
        await page.getByRole('button', { name: 'Pause' }).click()
        await expect(status).toHaveText('Paused')
        await shoot('06-train-live', async () => {
          await expect(page.locator('.train-charts')).not.toHaveAttribute('data-points', '0')
        })
        await page.getByRole('button', { name: 'Resume' }).click()
      }
      await expect(status).toHaveText('Completed', { timeout: 300_000 })
      await expect(page.getByTestId('training-pill')).toHaveText('No run in progress', { timeout: 60_000 })
    }
    await train('0.001', '1', true)
    await page.locator('.train-config-scroll').evaluate((e) => e.scrollTo(0, 0))
    await shoot('07-train-finished', async () => {
      await expect(page.getByTestId('epoch-table')).toContainText('6')
    })
    await train('0.001', '2', false)
    await train('0.01', '1', false)
    await train('0.01', '2', false)

    // --- Procedure: LR sweep and init lab -------------------------------------------------------------------
    await page.getByTestId('tab-procedure').click()
    await expect(page.getByTestId('procedure')).toBeVisible()
    await page.getByLabel('Procedure backend').selectOption('wasm')
    const sweep = page.getByTestId('proc-lr-sweep')
    await sweep.getByTestId('sweep-iterations').fill('40')
    await sweep.getByTestId('run-lr-sweep').click()
    await expect(sweep.getByTestId('sweep-recommendation')).toBeVisible({ timeout: 180_000 })
    await sweep.evaluate((e) => e.scrollIntoView({ block: 'start' }))
    await shoot('08-procedure-lr-sweep', async () => {
      await expect(sweep.getByTestId('sweep-chart').locator('canvas').first()).toBeVisible()
    })
    const lab = page.getByTestId('proc-init-lab')
    await lab.getByTestId('run-init-lab').click()
    await expect(lab.getByTestId('lab-verdict')).toHaveCount(4, { timeout: 180_000 })
    await expect(lab.getByTestId('job-progress')).toHaveCount(0, { timeout: 120_000 })
    await lab.evaluate((e) => e.scrollIntoView({ block: 'start' }))
    await shoot('09-procedure-init-lab', async () => {
      await expect(lab.getByTestId('init-lab-result')).toBeVisible()
    })

    // --- Runs: the table grouped by everything except the seed ----------------------------------------------
    await page.getByRole('button', { name: 'Runs', exact: true }).click()
    await expect(page.getByTestId('runs-count')).toHaveText('4 runs')
    await page.getByLabel('Group runs by').selectOption('exceptSeed')
    await expect(page.getByTestId('group-row')).toHaveCount(2)
    await page.getByTestId('group-row').first().getByRole('button', { name: /learning rate/ }).click()
    await shoot('10-runs-table', async () => {
      await expect(page.getByTestId('run-row').first()).toBeVisible()
    })
    // At 1440 px the whole table is in the window (issue 12: Params/Backend/Tags were off-screen; runs-fit.spec
    // checks the widest values a run gives).
    const overflow = () => page.getByTestId('runs-table-scroll').evaluate((el) => el.scrollWidth - el.clientWidth)
    expect(await overflow(), 'the grouped runs table scrolls sideways at 1440 px').toBeLessThanOrEqual(0)
    await page.getByLabel('Group runs by').selectOption('')
    await expect(page.getByTestId('run-row')).toHaveCount(4)
    expect(await overflow(), 'the runs table scrolls sideways at 1440 px').toBeLessThanOrEqual(0)

    // --- Run detail: evaluate two runs (for the confusion diff), filters and activations --------------------
    const runNames = await page.getByTestId('run-row').locator('input[type="checkbox"]').evaluateAll((boxes) => boxes.map((b) => (b.getAttribute('aria-label') ?? '').replace(/^Select /, '')))
    const evaluate = async (name: string) => {
      await page.getByRole('button', { name, exact: true }).first().click()
      await expect(page.getByTestId('run-detail')).toBeVisible()
      await page.getByRole('tab', { name: 'Checkpoints & evaluation' }).click()
      await page.getByTestId('checkpoint-row').filter({ hasText: 'best' }).getByRole('button', { name: 'Evaluate', exact: true }).click()
      await expect(page.getByTestId('confusion-matrix')).toBeVisible({ timeout: 120_000 })
    }
    expect(runNames.filter(Boolean)).toHaveLength(4)
    await evaluate(runNames[0]!)
    await page.locator('.section-body').evaluate((el) => (el.scrollTop = 0))
    await shoot('11-run-evaluation', async () => {
      await expect(page.getByTestId('confusion-matrix')).toBeVisible()
    })
    await page.getByRole('tab', { name: 'Filters & activations' }).click()
    await shoot('12-run-filters', async () => {
      await expect(page.getByTestId('filters').locator('canvas').first()).toBeVisible({ timeout: 60_000 })
      await expect(page.getByTestId('activations').locator('canvas').first()).toBeVisible({ timeout: 60_000 })
    })
    await page.getByRole('button', { name: 'Back to all runs' }).click()
    await evaluate(runNames[2]!)
    await page.getByRole('button', { name: 'Back to all runs' }).click()

    // --- Compare: all four, grouped; trade-off; settings; confusion diff ------------------------------------
    await expect(page.getByTestId('run-row')).toHaveCount(4)
    for (const name of runNames) await page.getByLabel(`Select ${name}`).check()
    const compare = page.getByTestId('compare')
    await compare.getByLabel('Group runs').selectOption('exceptSeed')
    await expect(compare.getByTestId('compare-groups')).toHaveText('2 groups of 4 runs')
    await compare.evaluate((el) => el.scrollIntoView())
    await shoot('13-compare-curves', async () => {
      // a band per group for each of train and val accuracy
      await expect(compare.getByTestId('chart-acc')).toHaveAttribute('data-fills', '4')
    })
    const tradeoff = compare.getByRole('region', { name: 'Trade-off' })
    // The four runs share one design: best val accuracy against training time, one point per run.
    await tradeoff.getByLabel('Trade-off X').selectOption({ label: 'Training time' })
    await compare.getByLabel('One point per group').uncheck()
    await expect(tradeoff.getByTestId('scatter-point')).toHaveCount(4)
    await tradeoff.evaluate((el) => el.scrollIntoView())
    await shoot('14-compare-tradeoff', async () => {
      await expect(tradeoff.getByTestId('scatter-point').first()).toBeVisible()
    })
    await page.getByTestId('hyper-table').evaluate((el) => el.scrollIntoView())
    await shoot('15-compare-settings', async () => {
      await expect(page.getByTestId('hyper-table').getByTestId('hyper-row').first()).toBeVisible()
    })
    for (const name of [runNames[1]!, runNames[3]!]) await page.getByLabel(`Select ${name}`).uncheck()
    const diff = compare.getByRole('region', { name: 'Confusion diff' })
    await expect(diff.getByTestId('confusion-diff-matrix').locator('td')).toHaveCount(100, { timeout: 30_000 })
    await diff.evaluate((el) => el.scrollIntoView())
    await shoot('16-compare-confusion-diff', async () => {
      await expect(diff.getByTestId('confusion-diff-matrix')).toBeVisible()
    })

    // --- Projects ---------------------------------------------------------------------------------------------
    await page.getByRole('button', { name: 'All projects' }).click()
    await shoot('17-projects', async () => {
      await expect(page.getByRole('button', { name: 'Open Handwritten digits' })).toBeVisible()
    })
    expect(taken).toHaveLength(34)
  } finally {
    rmSync(join(folder, '..'), { recursive: true, force: true })
  }
})
