/**
 * A data folder on a small tmpfs made by the test (root here and in CI; `mount -t tmpfs`): the disk fills up in
 * the middle of a run, then the folder becomes read-only. Each time the user is told which folder and what to do
 * (the CLI prints it; the service answers a `storage` error), nothing is corrupted (integrity ok, the last good
 * checkpoint still loads), and once space is back the run goes on (`studio train --resume`).
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { ApiError, runsContract } from '@shared/api'
import { runCli } from '../../main/cli/index'
import { capture, tinyGraphJson } from './cli-train-fixtures'
import { clientFor, openStudio } from './helpers'

const mountPoint = mkdtempSync(join(tmpdir(), 'cnn-studio-diskfull-'))
let mountProblem: string | null = null
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mountPoint], { stdio: 'pipe' })
} catch (error) {
  mountProblem = `mount -t tmpfs is not permitted here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()}); run as root to check a full disk`
}
afterAll(() => {
  if (!mountProblem) execFileSync('umount', ['-l', mountPoint])
  rmSync(mountPoint, { recursive: true, force: true })
})

/** Fills the disk: one file written until ENOSPC. */
function fill(file: string): void {
  const fd = openSync(file, 'w')
  const chunk = Buffer.alloc(64 * 1024, 1)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    closeSync(fd)
  }
}

describe.skipIf(mountProblem !== null)(`a full disk and a read-only data folder (tmpfs)${mountProblem ? ` — skipped: ${mountProblem}` : ''}`, () => {
  const data = join(mountPoint, 'data')
  const filler = join(mountPoint, 'filler.bin')

  it('disk full mid-run: a clear message, nothing corrupted, the run resumes once space is back; read-only: a clear refusal', { timeout: 120_000 }, async () => {
    mkdirSync(data)
    const setup = capture()
    expect(await runCli(['dataset', 'mnist', '--count', '150', '--seed', '3', '--data-dir', data], setup), setup.err).toBe(0)
    const graph = join(mountPoint, 'graph.json')
    execFileSync('sh', ['-c', `cat > ${graph}`], { input: tinyGraphJson() })

    // The disk fills up after the first epoch (its checkpoint is saved by then).
    const io = capture()
    const stdout = io.stdout
    let filled = false
    io.stdout = (t: string) => {
      stdout(t)
      if (!filled && /"type":"epoch","runId":1,"epoch":2,/.test(t)) {
        filled = true
        fill(filler)
      }
    }
    const code = await runCli(['train', '--graph', graph, '--dataset', 'MNIST (150 digits)', '--epochs', '6', '--batch', '16', '--json', '--data-dir', data], io)
    expect(filled).toBe(true)
    expect(code).toBe(1)
    const said = io.out + io.err
    expect(said).toContain(`The disk holding the data folder ${data} is full: free some space on it`)
    expect(said).toContain('studio train --resume')
    expect(said).not.toMatch(/\n\s+at /) // no stack trace

    // The service says the same to the app (a checkpoint save on the full disk).
    const studio = openStudio(data)
    try {
      const runs = clientFor(studio, runsContract)
      const bytes = new Uint8Array(2 * 1024 * 1024)
      const err = await runs.saveCheckpoint({ runId: 1, kinds: ['last'], epoch: 9, step: 9, meta: {}, weights: bytes, optimizer: bytes }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ApiError)
      expect((err as ApiError).code).toBe('storage')
      expect((err as ApiError).message).toContain(`The disk holding the data folder ${data} is full`)
      // Nothing corrupted: the last good checkpoint loads.
      const checkpoints = await runs.checkpoints({ runId: 1 })
      const last = checkpoints.filter((c) => c.kind === 'last')[0]!
      expect(last.epoch).toBeGreaterThanOrEqual(1)
      const loaded = await runs.loadCheckpoint({ id: last.id })
      expect(loaded.weights.byteLength).toBeGreaterThan(0)
    } finally {
      studio.close()
    }
    const db = new Database(join(data, 'studio.db'), { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()

    // Space back: the run goes on from its last checkpoint to the end.
    rmSync(filler)
    const resumed = capture()
    expect(await runCli(['train', '--resume', '1', '--json', '--data-dir', data], resumed), resumed.err).toBe(0)
    const summary = JSON.parse(resumed.out.trim().split('\n').at(-1)!) as { status: string; epochs: number }
    expect(summary).toMatchObject({ status: 'completed', epochs: 6 })

    // Read-only: the folder is named with what to do, nothing is changed.
    execFileSync('mount', ['-o', 'remount,ro', mountPoint])
    try {
      const ro = capture()
      expect(await runCli(['runs', 'list', '--data-dir', data], ro)).toBe(1)
      expect(ro.err).toContain(`The data folder ${data} is read-only or not writable by you`)
      expect(ro.err).not.toMatch(/\n\s+at /)
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint])
    }
  })
})
