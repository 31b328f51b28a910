/**
 * The runs table at scale and its groups, end to end in Chromium (browser host). Runs are made through the real
 * services before the host reads them (tests/e2e/seed-runs.ts: no training).
 * - 10,000 runs: the table renders them (virtualized: a few dozen rows in the page), scrolls from top to bottom,
 *   and reports the frame times of the scroll (requestAnimationFrame deltas: reported, not asserted as timing).
 * - Three seeds each of two learning rates: grouping by "everything except the seed" gives two groups whose
 *   mean ± std of the best val/acc are those of their runs; a group opens in place; the CSV export reopens with
 *   the same rows.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatMeanStd, metricStats, parseCsv } from '../../shared/runs/index'
import { expect, test } from './fixtures'
import { SEED_RUNS } from './seed-runs-data'

const RUNS = 10_000

function seed(dataDir: string): { seeds: number; scale: number } {
  const out = execFileSync(join('node_modules', '.bin', 'tsx'), ['tests/e2e/seed-runs.ts', dataDir, String(RUNS)], { encoding: 'utf8', timeout: 900_000 })
  return JSON.parse(out.trim().split('\n').at(-1) as string) as { seeds: number; scale: number }
}

// Every action waits at most a minute: a locator that matches nothing fails with its call log instead of waiting out
// the test's timeout (session 4's stall: "Add a column" was looked up as a textbox; an input with a list of
// suggestions is a combobox, so the fill waited 20 minutes for an element that never came).
test.use({ actionTimeout: 60_000 })

test('10,000 runs: the table renders and scrolls (frame times reported); seed groups with mean ± std; CSV export reopens with the same rows', async ({ studio }) => {
  test.skip(studio.host !== 'browser', 'the browser host: the CSV export is a download there')
  test.setTimeout(600_000)
  const ids = seed(studio.dataDir)
  await studio.restart()
  let page = studio.page

  // --- 10,000 runs -------------------------------------------------------------------------------------------
  await page.evaluate((id) => (window.location.hash = `#/p/${id}/runs`), ids.scale)
  await expect(page.getByTestId('runs-count')).toHaveText(`${RUNS} runs`, { timeout: 60_000 })
  const rendered = await page.getByTestId('run-row').count()
  expect(rendered).toBeGreaterThan(5)
  expect(rendered).toBeLessThan(200) // virtualized: only the rows in view
  const frames = await page.evaluate(async () => {
    const el = document.querySelector<HTMLElement>('[data-testid="runs-table-scroll"]')!
    const deltas: number[] = []
    const longTasks: number[] = []
    const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)))
    observer.observe({ type: 'longtask' })
    let last = performance.now()
    const max = el.scrollHeight - el.clientHeight
    await new Promise<void>((resolve) => {
      const step = (t: number) => {
        deltas.push(t - last)
        last = t
        el.scrollTop = Math.min(max, el.scrollTop + max / 240)
        if (el.scrollTop >= max - 1) resolve()
        else requestAnimationFrame(step)
      }
      requestAnimationFrame(step)
    })
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
    observer.disconnect()
    const sorted = [...deltas].sort((a, b) => a - b)
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
    return { frames: deltas.length, meanMs: deltas.reduce((a, b) => a + b, 0) / deltas.length, p50Ms: q(0.5), p95Ms: q(0.95), maxMs: sorted.at(-1) as number, longTasks: longTasks.length, longTaskMs: longTasks.reduce((a, b) => a + b, 0) }
  })
  const report = `runs table scroll, ${RUNS} runs: ${frames.frames} frames, mean ${frames.meanMs.toFixed(1)} ms, p50 ${frames.p50Ms.toFixed(1)} ms, p95 ${frames.p95Ms.toFixed(1)} ms, max ${frames.maxMs.toFixed(1)} ms; ${frames.longTasks} long tasks, ${frames.longTaskMs.toFixed(0)} ms in all`
  console.log(report)
  test.info().annotations.push({ type: 'frame-time', description: report })
  // At the bottom: the oldest run (default sort: newest first) is in view, and the page still holds few rows.
  await expect(page.getByTestId('run-row').filter({ has: page.getByRole('button', { name: 'scale 0', exact: true }) })).toBeVisible()
  expect(await page.getByTestId('run-row').count()).toBeLessThan(200)
  // Selecting every run stays one click.
  await page.getByRole('checkbox', { name: 'Select all listed runs' }).check()
  await expect(page.getByRole('toolbar', { name: 'Selected runs' })).toContainText(`${RUNS} selected`)
  // Compare does not try to draw 10,000 runs at once; it says so and what to do instead.
  await expect(page.getByTestId('compare-too-many')).toContainText('Group the table')
  await page.getByRole('button', { name: 'Clear selection' }).click()

  // --- three seeds each of two learning rates ------------------------------------------------------------------
  await page.evaluate((id) => (window.location.hash = `#/p/${id}/runs`), ids.seeds)
  await studio.restart() // a fresh view state for the project
  page = studio.page
  await expect(page.getByTestId('runs-count')).toHaveText('6 runs')
  await page.getByRole('combobox', { name: 'Add a column' }).fill('metric:val/acc:best')
  await page.getByRole('combobox', { name: 'Add a column' }).press('Enter')
  await page.getByRole('combobox', { name: 'Group runs by' }).selectOption({ label: 'Everything except the seed' })
  const groups = page.getByTestId('group-row')
  await expect(groups).toHaveCount(2)
  await expect(page.getByTestId('runs-count')).toHaveText('6 runs in 2 groups')
  await expect(page.getByTestId('run-row')).toHaveCount(0)
  for (const [i, lr] of [0.01, 0.1].entries()) {
    const row = groups.nth(i)
    await expect(row.getByTestId('group-label')).toHaveText(`learning rate ${lr}`)
    await expect(row.getByTestId('group-count')).toHaveText('· 3 runs')
    const expected = formatMeanStd(metricStats(SEED_RUNS.filter((r) => r.lr === lr).map((r) => r.best)))
    await expect(row.locator('td[data-col="metric:val/acc:best"]')).toHaveText(expected)
  }
  // The numbers, by hand: lr 0.01 best 0.81, 0.84, 0.9: mean 0.85, sample std 0.0458 (shown to the std's 2 digits).
  await expect(groups.nth(0).locator('td[data-col="metric:val/acc:best"]')).toHaveText('0.850 ± 0.046')
  // A group opens in place: its three runs under it, in the table's order (newest first).
  await groups.nth(1).getByRole('button', { name: /learning rate 0.1/ }).click()
  await expect(page.getByTestId('run-row')).toHaveCount(3)
  await expect(page.getByTestId('run-row')).toContainText(['lr 0.1 seed 3', 'lr 0.1 seed 2', 'lr 0.1 seed 1'])

  // CSV export (a download in the browser host) reopens with the same rows.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
  expect(download.suggestedFilename()).toMatch(/\.csv$/)
  const csv = parseCsv(readFileSync((await download.path())!, 'utf8'))
  const [header, ...lines] = csv as [string[], ...string[][]]
  expect(header.slice(0, 3)).toEqual(['Group', 'Run id', 'Run'])
  expect(header).toContain('val/acc (best)')
  expect(lines).toHaveLength(6)
  const col = (name: string) => header.indexOf(name)
  const got = lines.map((l) => [l[col('Group')], l[col('Run')], Number(l[col('val/acc (best)')]), Number(l[col('LR')])]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))
  const want = SEED_RUNS.map((r) => [`learning rate ${r.lr}`, `lr ${r.lr} seed ${r.seed}`, r.best, r.lr]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))
  expect(got).toEqual(want)
})
