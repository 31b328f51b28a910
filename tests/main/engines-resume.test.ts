/**
 * PyTorch runs while they train and after they stop, with real PyTorch and a real data folder (500 MNIST digits,
 * real SQLite): last.pt / best.pt become studio checkpoints at every epoch's end while train.py still runs (the
 * run detail and the TF.js export work mid-run, and a killed child keeps the last epoch), and a stopped or failed
 * run resumes from last.pt (`engines.resumePytorch`, `studio train --resume`) with its metrics contiguous: no gap,
 * no duplicate, the same values as a run that was never stopped. Skipped, with the reason printed, when no Python
 * imports torch.
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runsContract, type Run } from '@shared/api'
import { runCli } from '../../main/cli/index'
import { processAlive } from '../../main/store/files'
import { clientFor, openStudio } from './helpers'
import { expectContiguous, python, pytorchStudio } from './pytorch-fixture'
import { capture } from './cli-train-fixtures'
import { readJsonlLines } from '../jsonl'

// Dropout-free but with momentum state and a schedule: a resume that loses the optimizer or the step shows.
const f = pytorchStudio('the PyTorch resume tests', 'resume', { seed: 11, schedule: { type: 'cosine', warmupEpochs: 0.5 } })

async function until<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 120_000, every = 25): Promise<T> {
  const t0 = Date.now()
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms / 1000} s`)
    await new Promise((r) => setTimeout(r, every))
  }
}

/** metrics.jsonl's points by name (what train.py wrote, every session; whole lines only while it writes). */
function filePoints(folder: string): Map<string, { step: number; value: number }[]> {
  const out = new Map<string, { step: number; value: number }[]>()
  for (const p of readJsonlLines<{ name: string; step: number; value: number }>(join(folder, 'metrics.jsonl'))) {
    out.set(p.name, [...(out.get(p.name) ?? []), { step: p.step, value: p.value }])
  }
  return out
}

/** The last training step in the folder's metrics.jsonl (0 before the first). */
function stepInFile(folder: string): number {
  try {
    if (statSync(join(folder, 'metrics.jsonl')).size === 0) return 0
  } catch {
    return 0
  }
  return (filePoints(folder).get('train/loss') ?? []).at(-1)?.step ?? 0
}

const trainPid = (runId: number) => f.studio.engines.runner.active().find((a) => a.runId === runId)?.pid ?? null

describe.skipIf(python === null)('PyTorch runs: checkpoints while training, resume (real PyTorch)', () => {
  let straight: Run | null = null

  it('an uninterrupted 3-epoch run (the reference)', async () => {
    const s = await f.start({ epochs: 3, batchSize: 4 })
    straight = await s.done
    expect(straight.status, JSON.stringify(straight.summary)).toBe('completed')
  }, 240_000)

  it('stopped after epoch 1 of 3, then resumed: ends with 3 epochs, its metrics contiguous and as the uninterrupted run', async () => {
    expect(straight).not.toBeNull()
    const { engines, runs } = f.api()
    const s = await f.start({ epochs: 3, batchSize: 4 })
    const total = (straight!.summary as { totalSteps: number }).totalSteps
    // Stopped a few steps into epoch 2: last.pt is written mid-epoch (the epoch's sums so far go with it).
    await until('epoch 2 trains', () => stepInFile(s.folder) >= total / 3 + 3, 120_000, 10)
    const stopped = await engines.stop({ runId: s.run.id })
    expect(stopped.status, JSON.stringify(stopped.summary)).toBe('stopped')
    const at = (JSON.parse(readFileSync(join(s.folder, 'run.json'), 'utf8')) as { pytorchRun: { step: number; epoch: number } }).pytorchRun
    expect(at.step).toBeGreaterThan(total / 3)
    expect(at.step).toBeLessThan((2 * total) / 3)
    expect((await runs.checkpoints({ runId: s.run.id })).find((c) => c.kind === 'last')?.step).toBe(at.step)

    const resumed = await engines.resumePytorch({ runId: s.run.id })
    expect(resumed.command).toContain('--resume')
    expect(resumed.folder).toBe(s.folder)
    await expect(engines.resumePytorch({ runId: s.run.id })).rejects.toThrow(/training on PyTorch right now/)
    const ended = await f.studio.engines.runner.finished(s.run.id)!
    expect(ended.status, JSON.stringify(ended.summary)).toBe('completed')
    expect(ended.summary).toMatchObject({ steps: total, totalSteps: total, epochsDone: 3 })

    const m = await runs.metrics({ runId: s.run.id })
    const ref = await runs.metrics({ runId: straight!.id })
    for (const name of ['train/loss', 'train/acc', 'lr', 'images_per_sec']) expectContiguous(m[name], total)
    expect(m['val/acc']?.epoch).toEqual([1, 2, 3])
    expect(m['epoch/train_loss']?.epoch).toEqual([1, 2, 3])
    // The same run as one never stopped: data order, augmentation draws, optimizer state, schedule and weights go on.
    for (const name of ['train/loss', 'lr', 'val/loss', 'epoch/train_loss']) {
      const got = m[name]!.value
      const want = ref[name]!.value
      expect(got.length).toBe(want.length)
      got.forEach((v, i) => expect(Math.abs(v - want[i]!), `${name} #${i + 1}`).toBeLessThan(1e-5))
    }
    // metrics.jsonl itself: every step once.
    for (const [name, pts] of filePoints(s.folder)) expect(new Set(pts.map((p) => p.step)).size, name).toBe(pts.length)
    expect((filePoints(s.folder).get('train/loss') ?? []).length).toBe(total)
    expect(ended.durationMs).toBeGreaterThan(0)
    expect(ended.durationMs).toBeLessThan(Date.parse(ended.endedAt!) - Date.parse(ended.startedAt!)) // the time it lay stopped is not training time
    const cps = await runs.checkpoints({ runId: s.run.id })
    expect(cps.find((c) => c.kind === 'last')).toMatchObject({ step: total, epoch: 3 })
    await expect(engines.resumePytorch({ runId: s.run.id })).rejects.toThrow(/completed: there is nothing to resume/)
  }, 300_000)

  it('converts last.pt into the run while train.py still trains; a killed child keeps that epoch, and studio train --resume goes on from it', async () => {
    const { runs } = f.api()
    // Long enough that an epoch's checkpoint is converted while it trains (importing torch alone takes seconds on a
    // loaded machine); a killed child keeps it.
    const EPOCHS = 40
    const s = await f.start({ epochs: EPOCHS, batchSize: 32 })
    const total = await until('the run started', async () => ((await runs.get({ id: s.run.id })).summary as { totalSteps?: number } | null)?.totalSteps)
    // The run's last checkpoint appears while train.py is alive (its epoch 1, or a later one on a fast machine).
    const last = await until('a last checkpoint while training', async () => {
      const pid = trainPid(s.run.id)
      const c = (await runs.checkpoints({ runId: s.run.id })).find((k) => k.kind === 'last')
      return c && pid !== null && processAlive(pid) ? c : null
    }, 300_000) // an epoch takes seconds on a quiet machine; under load PyTorch's start alone can take a minute
    expect(last.epoch).toBeGreaterThanOrEqual(1)
    expect(last.step).toBe((last.epoch * total) / EPOCHS)
    // The run detail's model (evaluation, the TF.js export) loads from it while training goes on.
    const out = join(f.tmp('pt-midrun-'), 'model')
    expect((await runs.exportModel({ checkpointId: last.id, folder: out })).files).toContain('model.json')
    // The child dies without a word (a crash): the run fails, keeping the checkpoint of an epoch it completed.
    const pid = trainPid(s.run.id)
    if (pid === null) throw new Error('train.py ended before it could be killed')
    process.kill(-pid, 'SIGKILL')
    const failed = await s.done
    expect(failed.status).toBe('failed')
    const kept = (await runs.checkpoints({ runId: s.run.id })).find((c) => c.kind === 'last')!
    expect(kept.epoch).toBeGreaterThanOrEqual(1)
    expect(kept.step).toBe((kept.epoch * total) / EPOCHS)

    f.studio.close()
    const io = capture()
    let code: number
    try {
      code = await runCli(['train', '--resume', String(s.run.id), '--data-dir', f.dataDir, '--json'], io)
    } finally {
      f.studio = openStudio(f.dataDir)
    }
    expect(code, io.err).toBe(0)
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines[0]).toMatchObject({ type: 'start', runId: s.run.id, engine: 'pytorch', resumedFromStep: kept.step })
    expect(lines.at(-1)).toMatchObject({ type: 'summary', status: 'completed', engine: 'pytorch', epochs: EPOCHS })
    const m = await clientFor(f.studio, runsContract).metrics({ runId: s.run.id })
    expectContiguous(m['train/loss'], total)
    expect(m['val/acc']?.epoch).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1))
    expect(await runCli(['train', '--resume', String(s.run.id), '--engine', 'pytorch', '--data-dir', f.dataDir], capture())).toBe(2)
  }, 600_000)

  it('under torchrun (2 processes, gloo): stopped in epoch 2, resumed with every process reading last.pt, ends with 3 epochs contiguous', async () => {
    const { engines, runs } = f.api()
    const s = await f.start({ epochs: 3, batchSize: 8 }, 2)
    const total = await until('the run started', async () => ((await runs.get({ id: s.run.id })).summary as { totalSteps?: number } | null)?.totalSteps)
    await until('epoch 2 trains', () => stepInFile(s.folder) >= total / 3 + 2, 120_000, 10)
    const stopped = await engines.stop({ runId: s.run.id })
    expect(stopped.status, JSON.stringify(stopped.summary)).toBe('stopped')
    const resumed = await engines.resumePytorch({ runId: s.run.id })
    expect(resumed.command.slice(1, 5)).toEqual(['torchrun_compat.py', '--standalone', '--nproc_per_node', '2'])
    expect(resumed.command).toContain('--resume')
    const ended = await f.studio.engines.runner.finished(s.run.id)!
    expect(ended.status, JSON.stringify(ended.summary)).toBe('completed')
    expect((ended.summary as { engine: unknown }).engine).toMatchObject({ worldSize: 2, distributedBackend: 'gloo' })
    const m = await runs.metrics({ runId: s.run.id })
    expectContiguous(m['train/loss'], total)
    expect(m['val/acc']?.epoch).toEqual([1, 2, 3])
    expect((filePoints(s.folder).get('train/loss') ?? []).length).toBe(total)
  }, 300_000)
})
