/**
 * Transfer learning end to end (WASM, a 200-image MNIST subset, one epoch): train a toy ConvNet, then start a
 * transfer run from its best checkpoint in the Procedure tab's Transfer card with every convolution frozen ("all
 * but the last 1" layers), and check through the API that the new run completed, that its frozen weights equal the
 * source checkpoint's bit for bit while the head changed, and that its snapshot and summary record the transfer.
 */
import type { Page } from '@playwright/test'
import { expect, test, call, setupToyMnist, checkpointVariables, type CheckpointData } from './fixtures'


interface CheckpointRow {
  id: number
  kind: string
  epoch: number
  step: number
}


test('transfer run: start from a checkpoint with the convolutions frozen; frozen weights bit-identical, head trained', async ({ studio }) => {
  test.setTimeout(120_000)
  const { page, host } = studio
  const t0 = Date.now()
  const projectId = await setupToyMnist(studio, { project: 'Transfer', learningRate: '0.003' })

  // The source run.
  await page.getByTestId('start-training').click()
  await expect.poll(async () => (await call<{ status: string }[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status, { timeout: 60_000 }).toBe('completed')
  const [source] = await call<{ id: number; name: string }[]>(page, host, 'studio:runs.list', { projectId })
  const sourceCheckpoints = await call<CheckpointRow[]>(page, host, 'studio:runs.checkpoints', { runId: source!.id })
  const best = sourceCheckpoints.find((c) => c.kind === 'best')!
  expect(best).toBeTruthy()
  console.log(`source run done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  // The transfer run, from the Transfer card: best checkpoint (the default), all but the last 1 layer frozen.
  await page.getByTestId('tab-procedure').click()
  await expect(page.getByTestId('procedure')).toBeVisible()
  await page.getByLabel('Procedure backend').selectOption('wasm')
  const card = page.getByTestId('proc-transfer')
  await card.getByLabel('Source run').selectOption(String(source!.id))
  await expect(card.getByLabel('Source checkpoint')).toHaveValue(String(best.id))
  await card.getByLabel('Freeze').selectOption('all-but-last')
  await card.getByLabel('k', { exact: true }).fill('1')
  await card.getByTestId('transfer-start').click()
  await expect(card.getByTestId('transfer-live')).toBeVisible({ timeout: 30_000 })
  await expect(card.getByTestId('transfer-live')).toContainText('completed', { timeout: 60_000 })
  await expect(card.getByTestId('transfer-live').locator('canvas').first()).toBeVisible()
  await expect.poll(async () => (await call<{ id: number; status: string }[]>(page, host, 'studio:runs.list', { projectId }))[0]?.status, { timeout: 30_000 }).toBe('completed')
  const [target] = await call<{ id: number }[]>(page, host, 'studio:runs.list', { projectId })
  expect(target!.id).not.toBe(source!.id)
  console.log(`transfer run done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  // Its snapshot and summary record the transfer.
  const run = await call<{ config: Record<string, unknown>; summary: Record<string, unknown> | null }>(page, host, 'studio:runs.get', { id: target!.id })
  expect(run.config.transfer).toMatchObject({ sourceRunId: source!.id, checkpointId: best.id, checkpointKind: 'best', checkpointEpoch: best.epoch, freeze: { mode: 'all-but-last', k: 1 } })
  const report = run.summary?.transfer as { copied: string[]; reinitialized: string[]; head: string; groups: { match: string; frozen: boolean }[] }
  expect(report.head).toBe('fc')
  expect(report.reinitialized).toEqual(['fc'])
  expect(report.copied.length).toBe(6)
  expect(report.groups.filter((g) => g.frozen)).toHaveLength(6)

  // Weights: every convolution variable equals the source checkpoint's bit for bit; the head changed.
  const targetCheckpoints = await call<CheckpointRow[]>(page, host, 'studio:runs.checkpoints', { runId: target!.id })
  const last = targetCheckpoints.find((c) => c.kind === 'last')!
  const [src, dst] = await Promise.all([call<CheckpointData>(page, host, 'studio:runs.loadCheckpoint', { id: best.id }), call<CheckpointData>(page, host, 'studio:runs.loadCheckpoint', { id: last.id })])
  expect(dst.runId).toBe(target!.id)
  const a = checkpointVariables(src)
  const b = checkpointVariables(dst)
  expect([...b.keys()]).toEqual([...a.keys()])
  const head = [...b.keys()].filter((n) => n.startsWith('fc/'))
  const frozen = [...b.keys()].filter((n) => !n.startsWith('fc/'))
  expect(head).toHaveLength(2)
  expect(frozen).toHaveLength(12)
  for (const name of frozen) expect(Buffer.compare(b.get(name)!, a.get(name)!), `${name} unchanged`).toBe(0)
  for (const name of head) expect(Buffer.compare(b.get(name)!, a.get(name)!), `${name} changed`).not.toBe(0)
  console.log(`all done at ${((Date.now() - t0) / 1000).toFixed(1)} s`)
})
