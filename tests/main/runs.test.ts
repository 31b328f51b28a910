import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ApiError, projectsContract, runsContract } from '@shared/api'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()
async function setup() {
  const t = tempDataDir()
  const studio = openStudio(t.dir)
  temps.push(() => studio.close(), t.cleanup)
  const project = await clientFor(studio, projectsContract).create({ name: 'p' })
  return { studio, dir: t.dir, project, runs: clientFor(studio, runsContract) }
}

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer)

describe('runs service', () => {
  it('keeps the config snapshot and updates status and summary', async () => {
    const { project, runs } = await setup()
    const run = await runs.create({ projectId: project.id, config: { optimizer: { kind: 'adam', lr: 1e-3 }, seed: 7 } })
    expect(run).toMatchObject({ name: 'Run 1', status: 'queued', config: { optimizer: { kind: 'adam', lr: 1e-3 }, seed: 7 } })
    const updated = await runs.update({ id: run.id, status: 'completed', bestValAccuracy: 0.981, bestEpoch: 4, summary: { initialLoss: 2.31 }, tags: ['baseline'] })
    expect(updated).toMatchObject({ status: 'completed', bestValAccuracy: 0.981, bestEpoch: 4, summary: { initialLoss: 2.31 }, tags: ['baseline'] })
    expect((await runs.list({ projectId: project.id })).map((r) => r.id)).toEqual([run.id])
    const bad = await runs.update({ id: run.id, status: 'exploded' as 'failed' }).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(ApiError)
    expect((bad as ApiError).issues[0]?.path).toBe('status')
  })

  it('appends metrics idempotently and returns columnar series', async () => {
    const { project, runs } = await setup()
    const run = await runs.create({ projectId: project.id, config: {} })
    const points = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ name: 'train/loss', step: from + i, epoch: (from + i) / 10, value: 2.3 - (from + i) * 0.01, time: from + i }))
    await runs.appendMetrics({ runId: run.id, points: points(0, 30) })
    // A resumed run replays steps 20..29 (and then continues): no duplicates, no gap.
    await runs.truncateMetrics({ runId: run.id, afterStep: 19 })
    await runs.appendMetrics({ runId: run.id, points: [...points(20, 40), { name: 'val/acc', step: 39, epoch: 4, value: 0.9, time: 39 }] })
    const series = await runs.metrics({ runId: run.id })
    expect(Object.keys(series).sort()).toEqual(['train/loss', 'val/acc'])
    expect(series['train/loss']!.step).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(series['train/loss']!.value[39]).toBeCloseTo(2.3 - 0.39)
    expect((await runs.metrics({ runId: run.id, names: ['val/acc'] }))['val/acc']!.value).toEqual([0.9])
  })

  it('writes checkpoints atomically, replaces last/best, keeps periodic ones, and loads them back', async () => {
    const { dir, project, runs } = await setup()
    const run = await runs.create({ projectId: project.id, config: {} })
    await runs.saveCheckpoint({ runId: run.id, kinds: ['last'], epoch: 1, step: 100, meta: { names: ['w'] }, weights: f32([1, 2]), optimizer: f32([0]) })
    // One call saves the checkpoint under each of its kinds; the rows come back in the order asked.
    const saved = await runs.saveCheckpoint({ runId: run.id, kinds: ['last', 'periodic'], epoch: 2, step: 200, meta: { names: ['w'] }, weights: f32([3, 4]), optimizer: f32([5]), metrics: { valAcc: 0.5 } })
    expect(saved.map((c) => [c.kind, c.epoch, c.step, c.bytes])).toEqual([['last', 2, 200, saved[0]!.bytes], ['periodic', 2, 200, saved[0]!.bytes]])
    const [last] = saved
    const list = await runs.checkpoints({ runId: run.id })
    expect(list.map((c) => [c.kind, c.epoch])).toEqual([['last', 2], ['periodic', 2]])
    for (const c of saved) {
      const loaded = await runs.loadCheckpoint({ id: c.id })
      expect(loaded.meta).toEqual({ names: ['w'] })
      expect(loaded.weights).toBeInstanceOf(Uint8Array)
      expect(new Float32Array(new Uint8Array(loaded.weights).buffer)).toEqual(new Float32Array([3, 4]))
      expect(new Float32Array(new Uint8Array(loaded.optimizer).buffer)).toEqual(new Float32Array([5]))
      expect(loaded.metrics).toEqual({ valAcc: 0.5 })
    }
    const runDir = join(dir, 'projects', String(project.id), 'runs', String(run.id))
    expect(readdirSync(runDir).sort()).toEqual(['checkpoint-epoch-2.ckpt', 'checkpoint-last.ckpt'])

    // A damaged file is reported, not silently loaded.
    writeFileSync(join(runDir, 'checkpoint-last.ckpt'), 'garbage')
    const damaged = await runs.loadCheckpoint({ id: last!.id }).catch((e: unknown) => e)
    expect((damaged as ApiError).message).toMatch(/damaged/)

    await runs.delete({ id: run.id })
    expect(existsSync(runDir)).toBe(false)
  })

  it('refuses weights that are not bytes, and kinds named twice or not at all, with the field named', async () => {
    const { project, runs } = await setup()
    const run = await runs.create({ projectId: project.id, config: {} })
    const base = { runId: run.id, epoch: 0, step: 0, meta: {}, weights: f32([1]), optimizer: f32([]) }
    const issue = async (payload: unknown) => ((await runs.saveCheckpoint(payload as never).catch((e: unknown) => e)) as ApiError).issues.map((i) => i.path)
    expect(await issue({ ...base, kinds: ['best'], weights: 'AAAAAA==' })).toEqual(['weights'])
    expect(await issue({ ...base, kinds: ['best', 'best'] })).toEqual(['kinds'])
    expect(await issue({ ...base, kinds: [] })).toEqual(['kinds'])
    expect(await runs.checkpoints({ runId: run.id })).toEqual([])
  })

  it('a checkpoint write that fails replaces none of its files and records no row', async () => {
    const { dir, project, runs } = await setup()
    const run = await runs.create({ projectId: project.id, config: {} })
    const [first] = await runs.saveCheckpoint({ runId: run.id, kinds: ['last', 'best'], epoch: 1, step: 10, meta: { n: 1 }, weights: f32([1]), optimizer: f32([]) })
    const runDir = join(dir, 'projects', String(project.id), 'runs', String(run.id))
    // The periodic file's name is taken by a folder: staging it fails after 'last' and 'best' were staged.
    mkdirSync(join(runDir, 'checkpoint-epoch-2.ckpt', 'blocker'), { recursive: true })
    const error = await runs
      .saveCheckpoint({ runId: run.id, kinds: ['last', 'best', 'periodic'], epoch: 2, step: 20, meta: { n: 2 }, weights: f32([2]), optimizer: f32([]) })
      .catch((e: unknown) => e)
    expect((error as ApiError).message).toMatch(/checkpoint \(epoch 2\) could not be written.*nothing was replaced/)
    expect((await runs.checkpoints({ runId: run.id })).map((c) => [c.kind, c.epoch])).toEqual([['best', 1], ['last', 1]])
    expect(new Float32Array(new Uint8Array((await runs.loadCheckpoint({ id: first!.id })).weights).buffer)).toEqual(new Float32Array([1]))
    expect(readdirSync(runDir).sort()).toEqual(['checkpoint-best.ckpt', 'checkpoint-epoch-2.ckpt', 'checkpoint-last.ckpt'])
  })
})
