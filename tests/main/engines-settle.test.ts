/**
 * PyTorch runs left "running" by a studio that closed (or was killed) with its train.py: the next studio (the app's
 * hosts: settleEngineRuns) imports each once from its folder and ends it as run.json says, or as failed when train.py
 * never reported an end; a run whose studio or child process is still alive (the CLI training it) is left alone.
 * Real SQLite, real folders; no PyTorch needed (no .pt files to convert).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { projectsContract, runsContract } from '@shared/api'
import { clientFor } from '../../main/rpc/direct-client'
import { startStudio } from '../../main/studio'
import { pytorchFolder } from '../../main/engines/import'
import { RUNNER_JSON } from '../../main/engines/runner'
import { tempDataDir } from './helpers'

const cleanups: (() => void)[] = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()!()
})

/** A pid that no process has any more (a child that already exited). */
const deadPid = (): number => spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!

describe('PyTorch runs that no process trains any more', () => {
  it('are settled once at start: as run.json says, failed when it says nothing, left alone while their owner lives', { timeout: 60_000 }, async () => {
    const t = tempDataDir()
    cleanups.push(t.cleanup)
    const first = startStudio({ dataDir: t.dir, host: 'browser' })
    const runs = clientFor(first, runsContract)
    const project = await clientFor(first, projectsContract).create({ name: 'p' })
    const live = spawn('sleep', ['30'])
    cleanups.push(() => live.kill())
    const make = async (name: string, pytorchRun: Record<string, unknown>, owners: { hostPid: number; childPid: number }) => {
      const run = await runs.create({ projectId: project.id, name, config: { architecture: { name: 'tiny', document: null }, engine: { name: 'pytorch', worldSize: 1 }, training: { epochs: 2 } }, backend: 'pytorch-cpu' })
      first.db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(run.id)
      const folder = pytorchFolder(first.paths, project.id, run.id)
      mkdirSync(folder, { recursive: true })
      writeFileSync(join(folder, 'run.json'), JSON.stringify({ ...(run.config as Record<string, unknown>), engine: { torch: '1.13', worldSize: 1 }, pytorchRun: { startedAt: '2026-12-02T00:00:00.000Z', stepsPerEpoch: 2, totalSteps: 4, epochs: 2, ...pytorchRun } }))
      writeFileSync(join(folder, 'metrics.jsonl'), [1, 2, 3].map((s) => JSON.stringify({ name: 'train/loss', step: s, epoch: s <= 2 ? 1 : 2, value: 2 / s, time: s * 100 })).join('\n') + '\n')
      writeFileSync(join(folder, RUNNER_JSON), JSON.stringify(owners))
      return run.id
    }
    const stopped = await make('stopped', { status: 'stopped', reason: 'Stopped by SIGTERM at step 3 (epoch 2)', step: 3, epoch: 2, endedAt: '2026-12-02T00:01:00.000Z' }, { hostPid: deadPid(), childPid: deadPid() })
    const silent = await make('silent', { status: 'running', step: 3, epoch: 2 }, { hostPid: deadPid(), childPid: deadPid() })
    const owned = await make('owned', { status: 'running', step: 3, epoch: 2 }, { hostPid: live.pid!, childPid: deadPid() })
    first.close()

    // A CLI command opens the folder for moments: it settles nothing.
    const cli = startStudio({ dataDir: t.dir, host: 'browser' })
    expect(await cli.engines.settled).toEqual([])
    expect((await clientFor(cli, runsContract).get({ id: stopped })).status).toBe('running')
    cli.close()

    const app = startStudio({ dataDir: t.dir, host: 'browser', settleEngineRuns: true })
    cleanups.push(() => app.close())
    expect((await app.engines.settled).sort()).toEqual([stopped, silent].sort())
    const r = clientFor(app, runsContract)
    expect(await r.get({ id: stopped })).toMatchObject({ status: 'stopped' })
    expect((await r.metrics({ runId: stopped, names: ['train/loss'] }))['train/loss']!.step).toEqual([1, 2, 3])
    const failed = await r.get({ id: silent })
    expect(failed.status).toBe('failed')
    expect(JSON.stringify(failed.summary)).toMatch(/The studio closed while PyTorch trained this run/)
    expect((await r.metrics({ runId: silent, names: ['train/loss'] }))['train/loss']!.step).toEqual([1, 2, 3])
    expect((await r.get({ id: owned })).status).toBe('running')
  })

  it('a folder that cannot be read back still ends its run, saying why', { timeout: 60_000 }, async () => {
    const t = tempDataDir()
    cleanups.push(t.cleanup)
    const first = startStudio({ dataDir: t.dir, host: 'browser' })
    const project = await clientFor(first, projectsContract).create({ name: 'p' })
    const run = await clientFor(first, runsContract).create({ projectId: project.id, name: 'gone', config: { engine: { name: 'pytorch' } }, backend: 'pytorch-cpu' })
    first.db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(run.id)
    first.close() // no folder at all: the studio died before train.py wrote run.json
    const app = startStudio({ dataDir: t.dir, host: 'browser', settleEngineRuns: true })
    cleanups.push(() => app.close())
    expect(await app.engines.settled).toEqual([run.id])
    const after = await clientFor(app, runsContract).get({ id: run.id })
    expect(after.status).toBe('failed')
    expect(String((after.summary as { message?: string }).message)).toMatch(/could not be read back: .*run\.json/)
  })
})
