/**
 * The real command as a subprocess (`node --import tsx main/cli/index.ts train ...`: one Node process, as `studio`
 * runs the built CLI), stopped with Ctrl-C: SIGINT to the whole process group, as a terminal sends it. The run ends
 * 'stopped' with its checkpoints kept, exit code 130.
 *
 * Not through the `tsx` binary: it relays SIGINT to its child and, when the child has not acknowledged it within
 * 30 ms (a loaded machine), sends it again and then SIGKILLs it, exiting 130 itself with no summary printed; a
 * loaded CI machine failed this test that way. npm dies on SIGINT without waiting for its child.
 */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runsContract } from '@shared/api'
import { clientFor, openStudio } from './helpers'
import { mnistDataDir } from './cli-train-fixtures'

const repo = resolve(import.meta.dirname, '../..')
let dataDir = ''
let cleanup = () => {}
beforeAll(async () => {
  ;({ dir: dataDir, cleanup } = await mnistDataDir())
})
afterAll(() => cleanup())

describe('studio train (subprocess)', () => {
  it('trains toy-convnet on the WASM backend and stops cleanly on Ctrl-C', { timeout: 60_000 }, async () => {
    const args = ['--import', 'tsx', 'main/cli/index.ts', 'train', '--template', 'toy-convnet', '--dataset', 'MNIST (500 digits)', '--epochs', '100', '--batch', '25', '--json', '--data-dir', dataDir]
    const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, NO_COLOR: '1', TSX_TSCONFIG_PATH: 'tsconfig.main.json' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let interrupted = false
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (!interrupted && /"type":"epoch"/.test(out)) {
        interrupted = true
        process.kill(-child.pid!, 'SIGINT')
      }
    })
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)))
    expect(interrupted, err).toBe(true)
    expect(code, err).toBe(130)
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines[0]).toMatchObject({ type: 'start', runId: 1, backend: 'wasm', dataset: { train: 400, val: 50 }, stepsPerEpoch: 16 })
    const summary = lines.at(-1)!
    expect(summary).toMatchObject({ type: 'summary', runId: 1, status: 'stopped', reason: 'Stopped by the user', backend: 'wasm' })
    expect(summary.epochs as number).toBeGreaterThanOrEqual(1)

    const studio = openStudio(dataDir)
    try {
      const runs = clientFor(studio, runsContract)
      const run = await runs.get({ id: 1 })
      expect(run).toMatchObject({ status: 'stopped', backend: 'wasm', bestEpoch: 1 })
      expect(run.endedAt).not.toBeNull()
      const checkpoints = await runs.checkpoints({ runId: 1 })
      const last = checkpoints.find((c) => c.kind === 'last')!
      expect(last.step).toBe(summary.steps)
      expect(checkpoints.some((c) => c.kind === 'best' && c.epoch >= 1)).toBe(true)
      const steps = (await runs.metrics({ runId: 1, names: ['train/loss'] }))['train/loss']!.step
      expect(steps.at(-1)).toBe(summary.steps)
    } finally {
      studio.close()
    }
  })
})
