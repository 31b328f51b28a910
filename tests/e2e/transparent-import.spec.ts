/**
 * Transparent images and unbalanced classes, as a user meets them: the import dialog says transparency was found
 * and asks for the background (not black silently), Statistics says what was filled and that the classes are
 * unbalanced, and the Train form offers to weight the loss by class.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, screenshotDir, test } from './fixtures'


/** 16x16 RGBA icons: a dark 4x4 glyph on transparent pixels; 12 "star", 3 "moon". */
async function makeIcons(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'cnn-icons-'))
  for (const [name, n, at] of [['star', 12, 2], ['moon', 3, 9]] as const) {
    mkdirSync(join(root, name))
    for (let i = 0; i < n; i++) {
      const px = Buffer.alloc(16 * 16 * 4)
      for (let y = at; y < at + 4; y++) for (let x = at; x < at + 4; x++) px.set([15, 15, 15, 255], (y * 16 + x) * 4)
      await sharp(px, { raw: { width: 16, height: 16, channels: 4 } }).png().toFile(join(root, name, `${i}.png`))
    }
  }
  return root
}

test('transparency is found and filled with the chosen background; unbalanced classes are said and can be weighted', async ({ studio }) => {
  test.setTimeout(120_000)
  const { page } = studio
  const folder = await makeIcons()
  try {
    await page.getByRole('button', { name: 'New project' }).click()
    await page.getByLabel('Project name').fill('Icons')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    await expect(page.getByTestId('project-title')).toHaveText('Icons')
    await page.getByRole('button', { name: 'Data', exact: true }).click()
    await page.getByRole('button', { name: 'Import folder…' }).first().click()
    await page.getByLabel('Folder path').fill(folder)
    await page.getByLabel('Height').fill('16')
    await page.getByLabel('Width').fill('16')
    await page.getByRole('radio', { name: '1 · grayscale' }).click()

    const dialog = page.getByRole('dialog')
    await expect(dialog.getByRole('status')).toContainText('Transparency found: 15 of the 15 images checked have an alpha channel')
    const backgrounds = dialog.getByRole('radiogroup', { name: 'Background for transparent pixels' })
    await expect(backgrounds.getByRole('radio', { name: 'White' })).toHaveAttribute('aria-checked', 'true')
    await backgrounds.getByRole('radio', { name: 'Black' }).click()
    await backgrounds.getByRole('radio', { name: 'White' }).click()
    await page.screenshot({ path: `${screenshotDir(studio)}/alpha-import.png` })
    await dialog.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByTestId('dataset-item')).toContainText('15 images', { timeout: 60_000 })

    await page.getByRole('tab', { name: 'Statistics' }).click()
    const stats = page.getByTestId('statistics')
    await expect(stats.getByRole('note').filter({ hasText: 'transparency' })).toHaveText(/15 images had transparency \(an alpha channel\); transparent pixels were filled with white/)
    await expect(stats.getByRole('note').filter({ hasText: 'unbalanced' })).toContainText('12 vs 3 images (“star” vs “moon”): classes are unbalanced')
    // Filled with white, a 16x16 icon with a 4x4 dark glyph has a mean near (240 * 255 + 16 * 15) / 256 / 255 = 0.94.
    const mean = Number(await stats.getByTestId('channel-stats').locator('tbody tr td').nth(1).textContent())
    expect(mean).toBeGreaterThan(0.9)
    await page.screenshot({ path: `${screenshotDir(studio)}/alpha-statistics.png` })

    await page.getByRole('button', { name: 'Train', exact: true }).click()
    const balance = page.getByTestId('class-balance')
    await expect(balance).toContainText('Training split:')
    await expect(balance).toContainText('classes are unbalanced')
    const box = balance.getByRole('checkbox', { name: 'Weight the loss by class (rare classes count more)' })
    await expect(box).not.toBeChecked()
    await box.check()
    await expect(box).toBeChecked()
    await page.screenshot({ path: `${screenshotDir(studio)}/alpha-train-balance.png` })
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
})
