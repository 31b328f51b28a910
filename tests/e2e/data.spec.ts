import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { expect, test, type StudioSession, screenshotDir, setTheme } from './fixtures'

async function createProject(studio: StudioSession, name: string) {
  const { page } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill(name)
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText(name)
}


const CLASSES = { circle: 9, square: 8, stripes: 7 } as const

/** A small RGB picture of a class: a disc, a square or stripes, with colours and positions varying per image. */
function picture(kind: keyof typeof CLASSES, i: number, width: number, height: number): Buffer {
  const px = Buffer.alloc(width * height * 3)
  const hue = (i * 47) % 360
  const [r, g, b] = [Math.round(128 + 110 * Math.cos((hue * Math.PI) / 180)), Math.round(128 + 110 * Math.cos(((hue - 120) * Math.PI) / 180)), Math.round(128 + 110 * Math.cos(((hue + 120) * Math.PI) / 180))]
  const cx = width / 2 + ((i % 3) - 1) * 5
  const cy = height / 2 + ((i % 2) * 2 - 1) * 4
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3
      const grad = Math.round((y / height) * 60)
      let on = false
      if (kind === 'circle') on = (x - cx) ** 2 + (y - cy) ** 2 < (Math.min(width, height) * 0.3) ** 2
      else if (kind === 'square') on = Math.abs(x - cx) < width * 0.25 && Math.abs(y - cy) < height * 0.25
      else on = Math.floor((x + y + i * 2) / 5) % 2 === 0
      px[o] = on ? r : 30 + grad
      px[o + 1] = on ? g : 34 + grad
      px[o + 2] = on ? b : 48 + grad
    }
  }
  return px
}

async function makeFolder(): Promise<string> {
  const root = join(mkdtempSync(join(tmpdir(), 'cnn-studio-data-e2e-')), 'shapes')
  for (const [kind, count] of Object.entries(CLASSES) as [keyof typeof CLASSES, number][]) {
    mkdirSync(join(root, kind), { recursive: true })
    for (let i = 0; i < count; i++) {
      const [w, h] = [40 + (i % 3) * 8, 36 + (i % 2) * 12]
      await sharp(picture(kind, i, w, h), { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(root, kind, `${kind}-${i}.png`))
    }
  }
  // A JPEG that ends after its header, and a text file.
  const jpeg = await sharp(picture('circle', 99, 40, 40), { raw: { width: 40, height: 40, channels: 3 } }).jpeg().toBuffer()
  writeFileSync(join(root, 'circle', 'corrupt.jpg'), jpeg.subarray(0, 120))
  writeFileSync(join(root, 'square', 'notes.txt'), 'not an image\n')
  return root
}


/** Screenshots without transient toasts, with scrolled panels back at the top. */
async function tidy(page: Page) {
  for (const toast of await page.locator('.toast').all()) await toast.click().catch(() => undefined)
  await expect(page.locator('.toast')).toHaveCount(0)
  await page.locator('.aug-left, .tab-body').evaluateAll((els) => els.forEach((el) => (el.scrollTop = 0)))
}

const tileImage = (page: Page, index: number) =>
  page.getByTestId('preview-tile').nth(index).evaluate((c) => (c as HTMLCanvasElement).toDataURL())

test('import a folder, browse samples and statistics, build an augmentation pipeline and preview it; screenshots', async ({ studio }) => {
  test.setTimeout(180_000)
  const { page } = studio
  const folder = await makeFolder()
  const dir = screenshotDir(studio)
  try {
    await createProject(studio, 'Shapes')
    await page.getByRole('button', { name: 'Data', exact: true }).click()
    await expect(page.getByTestId('data-view')).toBeVisible()
    await expect(page.getByRole('heading', { name: 'No dataset yet' })).toBeVisible()

    // A relative path is refused next to the field.
    await page.getByRole('button', { name: 'Import folder…' }).first().click()
    await page.getByLabel('Folder path').fill('shapes')
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(page.locator('.field', { has: page.getByLabel('Folder path') }).getByRole('alert')).toContainText('relative')

    // The real folder, at 32x32 RGB.
    await page.getByLabel('Folder path').fill(folder)
    await expect(page.getByLabel('Dataset name')).toHaveValue('shapes')
    await page.getByLabel('Height').fill('32')
    await page.getByLabel('Width').fill('32')
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(page.getByRole('dialog')).toBeHidden()
    await expect(page.getByTestId('dataset-item')).toHaveCount(1, { timeout: 60_000 })
    await expect(page.getByTestId('dataset-item')).toContainText('24 images · 32×32 RGB · 3 classes')

    // The corrupt file is listed with its reason (the report opens after the import).
    const skipped = page.getByTestId('skipped-file')
    await expect(skipped).toHaveCount(1)
    await expect(skipped).toContainText('circle/corrupt.jpg')
    await expect(skipped.locator('td').nth(1)).not.toBeEmpty()

    // Samples: one row per class with its count.
    await expect(page.getByTestId('class-row')).toHaveCount(3)
    await expect(page.getByTestId('class-count')).toHaveText(['9 images', '8 images', '7 images'])
    await expect(page.getByTestId('class-row').first().locator('img')).toHaveCount(9)
    await page.getByRole('radio', { name: 'square' }).click()
    await expect(page.getByTestId('sample-grid').locator('img')).toHaveCount(8)
    await page.getByRole('radio', { name: 'All classes' }).click()
    await expect(page.getByTestId('class-count')).toHaveText(['9 images', '8 images', '7 images'])
    await tidy(page)
    await page.screenshot({ path: join(dir, 'data-view.png') })

    // Statistics: split counts, test locked, chart, per-channel numbers.
    await page.getByRole('tab', { name: 'Statistics' }).click()
    const stats = page.getByTestId('statistics')
    await expect(stats.getByTestId('split-train')).toContainText(/\d+/)
    const counts = await Promise.all((['train', 'val', 'test'] as const).map(async (s) => Number((await stats.getByTestId(`split-${s}`).locator('.stat-value').textContent())?.replace(/,/g, ''))))
    expect(counts.reduce((a, b) => a + b, 0)).toBe(24)
    await expect(stats.getByTestId('test-locked')).toHaveText(/locked: evaluated only on request/)
    await expect(stats.getByTestId('class-counts-chart').locator('canvas')).toBeVisible()
    await expect(stats.getByTestId('channel-stats').locator('tbody tr')).toHaveCount(3)
    await expect(stats.getByTestId('channel-stats')).toContainText(/0\.\d{4}/)
    await expect(stats.getByTestId('size-summary')).toContainText('40–56 px')
    await tidy(page)
    await page.screenshot({ path: join(dir, 'data-statistics.png') })

    // Augmentations: a default pipeline is created; build one.
    await page.getByRole('tab', { name: 'Augmentations' }).click()
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/Saved/)
    for (const label of ['Random resized crop', 'Horizontal flip', 'Colour jitter', 'Cutout']) {
      await page.getByRole('button', { name: 'Add step' }).click()
      await page.getByRole('menuitem', { name: label, exact: true }).click()
    }
    // RandAugment, the composition kind, is offered with its description; adding it and undoing leaves the four.
    await page.getByRole('button', { name: 'Add step' }).click()
    await expect(page.getByRole('menuitem', { name: 'RandAugment', exact: true })).toContainText('N ops per image')
    await page.getByRole('menuitem', { name: 'RandAugment', exact: true }).click()
    await expect(page.getByTestId('step-card')).toHaveCount(5)
    await expect(page.getByRole('group', { name: 'RandAugment Ops' }).getByRole('checkbox')).toHaveCount(5)
    await page.getByRole('button', { name: 'Undo pipeline edit' }).click()
    await expect(page.getByTestId('step-card')).toHaveCount(4)
    await page.getByLabel('Random resized crop Area scale min').fill('0.3')
    // Numbers for people: the default aspect ratio 4/3 reads 1.333, not 1.3333333333333333.
    await expect(page.getByLabel('Random resized crop Aspect ratio max')).toHaveValue('1.333')
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/^Saved · v\d+/)
    // A second save within the minute joins the same version, and the badge says so instead of standing still.
    await page.getByLabel('Random resized crop Area scale min').fill('0.35')
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/^Saved · v\d+ · \d+ edits$/)

    // The grid: N source images x M draws.
    const grid = page.getByTestId('preview-grid')
    await expect(grid).toBeVisible({ timeout: 60_000 })
    const rows = await page.getByTestId('source-tile').count()
    const cols = await grid.locator('thead th').count() - 1
    expect(rows).toBeGreaterThanOrEqual(3)
    expect(cols).toBe(8)
    await expect(page.getByTestId('preview-tile')).toHaveCount(rows * cols)
    await expect(page.getByTestId('preview-status')).toContainText(/TF\.js (WASM|WebGL|WebGPU|CPU)/)
    // The legend says what the grid is: the trainer's augmentation of these images, not the batch a run draws.
    await expect(page.getByTestId('preview-legend')).toContainText('The run itself draws other images at step j')
    await expect(page.getByTestId('preview-legend')).toContainText(/Computed with (WASM|WebGL|WebGPU|CPU)/)

    // Validation as you type: a scale above 1 is refused under the field, and nothing is saved.
    await page.getByLabel('Random resized crop Area scale max').fill('1.5')
    await expect(page.getByTestId('step-card').first().getByRole('alert').first()).toContainText('Random resized crop: scale max must be in (0, 1], received 1.5')
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/Not saved/)
    await page.getByLabel('Random resized crop Area scale max').fill('1')
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/Saved/)

    // Reseed: the tiles change.
    const seedBefore = await grid.getAttribute('data-seed')
    await expect.poll(() => tileImage(page, 0), { timeout: 30_000 }).toMatch(/^data:image\/png/)
    const before = await Promise.all([0, 1, 2, 3].map((i) => tileImage(page, i)))
    await page.getByRole('button', { name: /Reseed/ }).click()
    await expect(grid).not.toHaveAttribute('data-seed', seedBefore ?? '')
    await expect.poll(async () => (await Promise.all([0, 1, 2, 3].map((i) => tileImage(page, i)))).join('|'), { timeout: 30_000 }).not.toBe(before.join('|'))

    // Before / after: "before" shows each row's source image in every column.
    const source0 = await page.getByTestId('source-tile').first().evaluate((c) => (c as HTMLCanvasElement).toDataURL())
    expect(await tileImage(page, 0)).not.toBe(source0)
    await page.getByRole('radio', { name: 'Before' }).click()
    await expect.poll(() => tileImage(page, 1)).toBe(source0)
    await page.getByRole('radio', { name: 'After' }).click()
    await expect.poll(() => tileImage(page, 1)).not.toBe(source0)

    // Hover: the parameters drawn for that tile.
    await page.getByTestId('preview-tile').nth(cols + 2).hover()
    const popover = page.getByTestId('tile-popover')
    await expect(popover).toBeVisible()
    await expect(popover).toContainText('Random resized crop:')
    await expect(popover).toContainText(/Horizontal flip: (applied|not applied)/)
    await tidy(page)
    await page.getByTestId('preview-tile').nth(cols + 2).hover()
    await expect(popover).toBeVisible()
    await page.screenshot({ path: join(dir, 'augment-previewer.png') })
    await page.mouse.move(5, 5)

    // Test-time augmentation is part of the pipeline document.
    await page.getByRole('radiogroup', { name: 'Test-time augmentation' }).getByRole('radio', { name: '10-crop' }).click()
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/Saving|Saved/)
    await expect(page.getByTestId('pipeline-save-state')).toHaveText(/Saved · v\d+/)

    // After a reload the pipeline is still there (autosaved), its TTA choice too.
    await page.reload()
    await page.getByRole('tab', { name: 'Augmentations' }).click()
    await expect(page.getByTestId('step-card')).toHaveCount(4)
    await expect(page.getByLabel('Random resized crop Area scale min')).toHaveValue('0.35')
    await expect(page.getByRole('radio', { name: '10-crop' })).toHaveAttribute('aria-checked', 'true')

    // Light theme versions.
    await setTheme(page, 'light')
    await expect(page.getByTestId('preview-tile')).toHaveCount(rows * cols, { timeout: 60_000 })
    await tidy(page)
    await page.screenshot({ path: join(dir, 'augment-previewer-light.png') })
    await page.getByRole('tab', { name: 'Statistics' }).click()
    await expect(stats.getByTestId('class-counts-chart').locator('canvas')).toBeVisible()
    await tidy(page)
    await page.screenshot({ path: join(dir, 'data-statistics-light.png') })
    await page.getByRole('tab', { name: 'Samples' }).click()
    await expect(page.getByTestId('class-count')).toHaveText(['9 images', '8 images', '7 images'])
    await tidy(page)
    await page.screenshot({ path: join(dir, 'data-view-light.png') })
  } finally {
    rmSync(join(folder, '..'), { recursive: true, force: true })
  }
})
