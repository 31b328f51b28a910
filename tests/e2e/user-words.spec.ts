/**
 * Low items of the new-user review (#12), as a person sees them: the runs view's filter fields say in words what
 * to type (no internal keys such as `metric:val/loss:min` as their example), and the init lab's per-layer stats
 * stay inside their cell (they overlapped the next initializer's cell in a narrow window).
 */
import { join } from 'node:path'
import { expect, screenshotDir, setupToyMnist, test } from './fixtures'

test('runs filters speak the user\'s words; init-lab stats stay in their cells', async ({ studio }) => {
  test.setTimeout(180_000)
  const { page } = studio
  await page.setViewportSize({ width: 1280, height: 900 })
  await setupToyMnist(studio, { project: 'Words', learningRate: '0.003' })
  await page.getByTestId('start-training').click()
  await expect(page.getByTestId('run-panel').getByTestId('run-status')).toHaveText('Completed', { timeout: 90_000 })

  // Init lab on the project's design: every cell's histogram, stats and range lie inside the cell.
  await page.getByTestId('tab-procedure').click()
  await page.getByLabel('Procedure backend').selectOption('wasm')
  const lab = page.getByTestId('proc-init-lab')
  await lab.getByLabel('Init lab model').selectOption('design')
  await lab.getByTestId('run-init-lab').click()
  await expect(lab.getByTestId('lab-verdict')).toHaveCount(4, { timeout: 90_000 })
  await expect(lab.getByTestId('job-progress')).toHaveCount(0, { timeout: 60_000 })
  const overflows = await lab.locator('.lab-cell').evaluateAll((cells) =>
    cells.flatMap((cell) => {
      const box = cell.getBoundingClientRect()
      return [...cell.children].filter((child) => {
        const r = child.getBoundingClientRect()
        return r.right > box.right + 0.5 || r.left < box.left - 0.5
      }).map((child) => `${child.className}: ${child.textContent}`)
    }),
  )
  expect(await lab.locator('.lab-cell').count()).toBeGreaterThan(4)
  expect(overflows).toEqual([])

  // The runs view's filter fields: examples in words, the syntax in their tooltips, no internal keys as examples.
  await page.getByRole('button', { name: 'Runs', exact: true }).click()
  const threshold = page.getByLabel('Add a metric threshold')
  const column = page.getByLabel('Add a column')
  await expect(threshold).toBeVisible()
  for (const field of [threshold, column]) {
    const placeholder = (await field.getAttribute('placeholder')) ?? ''
    expect(placeholder).not.toMatch(/metric:|[a-z][A-Z]|>=/)
    expect(placeholder).toMatch(/^e\.g\. [a-z ]+/)
  }
  await expect(threshold).toHaveAttribute('placeholder', 'e.g. best val accuracy ≥ 0.9')
  await expect(page.locator('label', { has: threshold })).toHaveAttribute('title', /best val accuracy at least 90%/)
  // A wrong entry explains the syntax in words.
  await threshold.fill('best')
  await threshold.press('Enter')
  await expect(page.getByText(/a comparison \(>, <, ≥, ≤ or =\) and a number/)).toBeVisible()
  // The placeholder's example, typed as it reads, is a working filter, shown back in the same words.
  await threshold.fill('best val accuracy ≥ 0.9')
  await threshold.press('Enter')
  await expect(page.getByTestId('threshold-chip')).toHaveText('best val accuracy ≥ 0.9')
  await page.locator('.runs-filters.second').screenshot({ path: join(screenshotDir(studio), 'runs-filters-words.png') })
})
