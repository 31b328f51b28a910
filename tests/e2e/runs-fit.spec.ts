/**
 * The runs table fits a 1440 px window (issue 12: "at 1440 px the table's Params/Backend/Tags columns are
 * off-screen"). The runs are made through the real services with every column filled as real training fills it
 * (tests/e2e/seed-runs.ts, project "Fit": long names, tags, both engines, hours-long durations); the table must not
 * scroll sideways, grouped or not, and its last columns must be inside the window.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { FIT_RUNS } from './seed-runs-data'

/** How far the table runs past its box (px), and the right edges of its box and of a few headers. */
const widths = (page: Page) =>
  page.getByTestId('runs-table-scroll').evaluate((el) => {
    const box = el.getBoundingClientRect()
    const header = (name: string) => [...el.querySelectorAll('th')].find((th) => (th.textContent ?? '').trim().startsWith(name))?.getBoundingClientRect().right ?? Number.NaN
    const columns = [...el.querySelectorAll('th')].map((th) => `${(th.textContent ?? '').trim().replace(/[▲▼]/g, '') || '·'} ${Math.round(th.getBoundingClientRect().width)}`).join(', ')
    return { overflow: el.scrollWidth - el.clientWidth, right: box.right, params: header('Params'), backend: header('Backend'), tags: header('Tags'), columns }
  })

test('at 1440 px the runs table shows every column without scrolling sideways, grouped by seed or not', async ({ studio }) => {
  test.skip(studio.host !== 'browser', 'seeds the data folder through the services before the host reads it')
  const out = execFileSync(join('node_modules', '.bin', 'tsx'), ['tests/e2e/seed-runs.ts', studio.dataDir, '0'], { encoding: 'utf8', timeout: 300_000 })
  const ids = JSON.parse(out.trim().split('\n').at(-1) as string) as { fit: number }
  await studio.restart()
  const page = studio.page
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.evaluate((id) => (window.location.hash = `#/p/${id}/runs`), ids.fit)
  await expect(page.getByTestId('runs-count')).toHaveText(`${FIT_RUNS.length} runs`, { timeout: 60_000 })
  await expect(page.getByTestId('run-row').filter({ hasText: 'ResNet-20' })).toHaveCount(2)

  const fits = async (what: string) => {
    const w = await widths(page)
    console.log(`runs table at 1440 px, ${what}: ${w.overflow} px past its box (columns: ${w.columns})`)
    expect(w.overflow, `${what}: the table scrolls sideways`).toBeLessThanOrEqual(0)
    for (const [name, right] of [['Params', w.params], ['Backend', w.backend], ['Tags', w.tags]] as const) {
      expect(right, `${what}: the ${name} column ends past the table's box`).toBeLessThanOrEqual(w.right)
    }
  }
  await fits('not grouped')
  await page.getByLabel('Group runs by').selectOption('exceptSeed')
  await expect(page.getByTestId('group-row')).toHaveCount(2)
  for (const g of await page.getByTestId('group-row').all()) await g.getByRole('button').filter({ hasText: /runs/ }).first().click()
  await expect(page.getByTestId('run-row')).toHaveCount(FIT_RUNS.length)
  await fits('grouped by everything except the seed, groups open')
  await page.screenshot({ path: join(test.info().outputDir, 'runs-fit-1440.png') })

  // A row's actions live in one menu (the four buttons took 110 px of every row): keyboard and mouse.
  const name = FIT_RUNS[0].name
  const more = page.getByRole('button', { name: `Actions for ${name}`, exact: true })
  await more.click()
  const menu = page.getByRole('menu', { name: `Actions for ${name}` })
  await expect(menu.getByRole('menuitem')).toHaveText(['Rename…', 'Notes…', 'Export as PyTorch project…', 'Delete…'])
  await expect(menu.getByRole('menuitem', { name: 'Rename…' })).toBeFocused()
  await page.keyboard.press('ArrowDown')
  await expect(menu.getByRole('menuitem', { name: 'Notes…' })).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(menu).toHaveCount(0)
  await expect(more).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(menu).toBeVisible()
  const box = await menu.boundingBox()
  expect(box && box.y >= 0 && box.y + box.height <= 900 && box.x >= 0 && box.x + box.width <= 1440, 'the menu is inside the window').toBe(true)
  await menu.getByRole('menuitem', { name: 'Rename…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Rename run' })
  await dialog.getByLabel('Name').fill('ResNet-20, renamed from its menu')
  await dialog.getByRole('button', { name: 'Rename', exact: true }).click()
  await expect(page.getByRole('button', { name: 'ResNet-20, renamed from its menu', exact: true })).toBeVisible()
})
