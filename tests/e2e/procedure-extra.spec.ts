/**
 * Procedure tab additions end to end (WASM, toy ConvNet, 200 MNIST images, one epoch): a search of 2 trials that
 * varies the width multiplier (one of x0.5, x2) and dropout (the design has none: a note says so), whose runs'
 * snapshots hold the scaled filters and the trial's values; a transfer run with one chosen layer frozen (its weights
 * bit-identical to the source checkpoint's, an unfrozen pretrained layer changed); and the init lab's
 * update-to-weight ratio table for the finished source run.
 */
import { expect, test, call, setupToyMnist, checkpointVariables, type CheckpointData } from './fixtures'

interface CheckpointRow {
  id: number
  kind: string
}
interface GraphNodeLike {
  kind: string
  params: Record<string, unknown>
}
interface RunRow {
  id: number
  name: string
  status: string
}


test('procedure extras: width/dropout search, per-layer freeze, update ratios after training', async ({ studio }) => {
  test.setTimeout(180_000)
  const { page, host } = studio
  const t0 = Date.now()
  const projectId = await setupToyMnist(studio, { project: 'Procedure extras', learningRate: '0.003' })
  await page.getByTestId('start-training').click()
  await expect.poll(async () => (await call<RunRow[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status, { timeout: 60_000 }).toBe('completed')
  const [source] = await call<RunRow[]>(page, host, 'studio:runs.list', { projectId })
  const best = (await call<CheckpointRow[]>(page, host, 'studio:runs.checkpoints', { runId: source!.id })).find((c) => c.kind === 'best')!
  console.log(`source run done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  await page.getByTestId('tab-procedure').click()
  await expect(page.getByTestId('procedure')).toBeVisible()
  await page.getByLabel('Procedure backend').selectOption('wasm')

  // Update-to-weight ratios of the finished run (against its seeded initial weights).
  const lab = page.getByTestId('proc-init-lab')
  await lab.getByLabel('Trained lab run').selectOption(String(source!.id))
  await expect(lab.getByTestId('run-trained-lab')).toBeEnabled()
  await lab.getByTestId('run-trained-lab').click()
  await expect(lab.getByTestId('update-ratio-table')).toBeVisible({ timeout: 30_000 })
  await expect(lab.getByTestId('update-ratio-row')).toHaveCount(7)
  await expect(lab.getByTestId('trained-lab-result')).toContainText('1e-3')
  console.log(`update ratios at ${((Date.now() - t0) / 1000).toFixed(1)} s: ${(await lab.getByTestId('update-ratio-row').first().textContent()) ?? ''}`)

  // Search: width one of x0.5 / x2 and dropout, 2 one-epoch trials.
  const search = page.getByTestId('proc-search')
  await search.getByLabel('Vary width multiplier').check()
  await search.getByLabel('Width sampling').selectOption('choice')
  await search.getByLabel('width multipliers').fill('0.5, 2')
  await search.getByLabel('Vary dropout').check()
  await expect(search.getByTestId('no-dropout-note')).toBeVisible()
  await search.getByTestId('search-trials').fill('2')
  await search.getByTestId('search-epochs').fill('1')
  await search.getByTestId('start-search').click()
  await expect(search.getByTestId('search-finished')).toBeVisible({ timeout: 90_000 })
  await expect(search.getByTestId('search-row')).toHaveCount(2)
  const trials = (await call<RunRow[]>(page, host, 'studio:runs.list', { projectId })).filter((r) => r.name.startsWith('Search '))
  expect(trials).toHaveLength(2)
  for (const t of trials) {
    const run = await call<{ config: { trial: { params: Record<string, number>; designModified: boolean }; architecture: { document: { nodes: GraphNodeLike[]; blocks: { nodes: GraphNodeLike[] }[] } } } }>(page, host, 'studio:runs.get', { id: t.id })
    const { params } = run.config.trial
    expect([0.5, 2]).toContain(params.width)
    expect(params.dropout).toBeGreaterThanOrEqual(0)
    expect(run.config.trial.designModified).toBe(true)
    const convs = run.config.architecture.document.blocks.flatMap((b) => b.nodes).filter((n) => n.kind === 'Conv2D')
    expect(convs.length).toBeGreaterThan(0)
    for (const c of convs) expect(c.params.filters).toBe(Math.round(10 * params.width!))
    expect(run.config.architecture.document.nodes.find((n) => n.kind === 'Output')!.params.units).toBe(10)
  }
  console.log(`search done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  // Transfer with one chosen layer frozen.
  const card = page.getByTestId('proc-transfer')
  await card.getByLabel('Source run').selectOption(String(source!.id))
  await expect(card.getByLabel('Source checkpoint')).toHaveValue(String(best.id))
  await card.getByLabel('Freeze').selectOption('layers')
  await card.getByTestId('transfer-preview').click()
  const boxes = card.getByTestId('freeze-layers').getByRole('checkbox')
  await expect(boxes).toHaveCount(6, { timeout: 30_000 })
  const chosen = ((await boxes.first().getAttribute('aria-label')) ?? '').replace(/^Freeze /, '')
  const other = ((await boxes.nth(1).getAttribute('aria-label')) ?? '').replace(/^Freeze /, '')
  await boxes.first().check()
  await card.getByTestId('transfer-start').click()
  await expect(card.getByTestId('transfer-live')).toContainText('completed', { timeout: 60_000 })
  await expect.poll(async () => (await call<RunRow[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status, { timeout: 30_000 }).toBe('completed')
  const [target] = await call<RunRow[]>(page, host, 'studio:runs.list', { projectId })
  const run = await call<{ config: Record<string, unknown> }>(page, host, 'studio:runs.get', { id: target!.id })
  expect(run.config.transfer).toMatchObject({ sourceRunId: source!.id, freeze: { mode: 'layers', frozen: [chosen] } })
  const last = (await call<CheckpointRow[]>(page, host, 'studio:runs.checkpoints', { runId: target!.id })).find((c) => c.kind === 'last')!
  const [a, b] = (await Promise.all([call<CheckpointData>(page, host, 'studio:runs.loadCheckpoint', { id: best.id }), call<CheckpointData>(page, host, 'studio:runs.loadCheckpoint', { id: last.id })])).map(checkpointVariables)
  const mine = [...b!.keys()].filter((n) => n.startsWith(`${chosen}/`))
  const theirs = [...b!.keys()].filter((n) => n.startsWith(`${other}/`))
  expect(mine.length).toBeGreaterThan(0)
  for (const name of mine) expect(Buffer.compare(b!.get(name)!, a!.get(name)!), `${name} unchanged`).toBe(0)
  expect(theirs.some((name) => Buffer.compare(b!.get(name)!, a!.get(name)!) !== 0)).toBe(true)
  console.log(`all done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)
})
