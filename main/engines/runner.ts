/**
 * The PyTorch engine's runner: a run created from the Train view's snapshot (plus `engine`), exported into its own
 * folder (`projects/<project>/runs/<run>/pytorch/`, deleted with the run) with the export code of `studio export
 * pytorch`, trained by `python train.py` (or `python torchrun_compat.py --standalone --nproc_per_node N train.py`:
 * torchrun itself, with torch 1.13's broken parser fixed where it is broken) as a child process in its own process
 * group. metrics.jsonl is tailed into the run (./results.ts PytorchRecording: the shared recorder and runs sink)
 * every `pollMs`; when the child ends, the folder is imported once more (./import.ts: the last lines, best.pt /
 * last.pt as checkpoints, the end). Stop sends SIGTERM to the group: train.py finishes its step, writes last.pt and
 * reports "stopped". A child that exits otherwise marks the run failed with the tail of its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError, runsContract, type ActiveEngineRun, type enginesContract, type MethodInput, type PythonProbe, type Run, type StartedEngineRun } from '@shared/api'
import { PytorchExportError } from '../../shared/export/pytorch/index'
import type { RecordedOutcome } from '../../shared/train/recorder'
import { clientFor } from '../rpc/direct-client'
import type { Emitter } from '../rpc/service-host'
import { processAlive, writeFileAtomic, type DataPaths } from '../store/files'
import { exportRun } from './export-run'
import { importPytorchFolder, openRecording, pytorchBackend, pytorchFolder, type StudioHandle } from './import'
import { pytorchRunState, readRunJson, type PytorchRecording } from './results'

export type StartInput = Omit<MethodInput<(typeof enginesContract)['methods']['startPytorch']>, 'processes' | 'device' | 'amp'> & {
  readonly processes: number
  readonly device: 'auto' | 'cpu' | 'cuda'
  readonly amp: boolean
}

const STDERR_KEEP = 16_384
/** The folder's note of the processes training it: `{ hostPid, childPid }` (the studio's and train.py's / torchrun's). */
export const RUNNER_JSON = 'runner.json'
const TAIL_LINES = 20

/** The last lines of a child's stderr for a run's failure reason. */
export function stderrTail(text: string): string {
  const lines = text.replace(/\s+$/, '').split('\n')
  return lines.slice(-TAIL_LINES).join('\n').slice(-2000)
}

interface Child {
  readonly runId: number
  readonly projectId: number
  readonly folder: string
  readonly processes: number
  readonly process: ChildProcess
  readonly recording: PytorchRecording
  readonly startedAt: string
  readonly done: Promise<Run>
  stopping: boolean
  stderr: string
}

export interface RunnerOptions {
  readonly host: StudioHandle
  readonly paths: DataPaths
  readonly emit: Emitter<typeof enginesContract>
  /** How often metrics.jsonl is read while the child trains (default 500 ms). */
  readonly pollMs?: number
  /** How long Stop waits for the clean stop before it kills the child (default 120 s). */
  readonly stopGraceMs?: number
}

export class PytorchRunner {
  readonly #o: RunnerOptions
  readonly #children = new Map<number, Child>()

  constructor(o: RunnerOptions) {
    this.#o = o
  }

  active(): ActiveEngineRun[] {
    return [...this.#children.values()].map((c) => ({ runId: c.runId, projectId: c.projectId, folder: c.folder, processes: c.processes, pid: c.process.pid ?? null, stopping: c.stopping, startedAt: c.startedAt }))
  }

  isActive(runId: number): boolean {
    return this.#children.has(runId)
  }

  /** The run's end, once its child ended and the folder was imported (for callers that wait: the CLI, tests). */
  finished(runId: number): Promise<Run> | null {
    return this.#children.get(runId)?.done ?? null
  }

  async start(input: StartInput, python: PythonProbe): Promise<StartedEngineRun> {
    const { host, paths } = this.#o
    const runs = clientFor(host, runsContract)
    if (input.amp && input.device === 'cpu') throw new ApiError('invalid_payload', 'Mixed precision (amp) needs CUDA: choose the device cuda or auto, or turn amp off', [{ path: 'amp', message: 'needs CUDA' }])
    if ((input.device === 'cuda' || input.amp) && python.device !== 'cuda') {
      throw new ApiError('invalid_payload', `${input.amp ? 'Mixed precision' : 'The device cuda'} needs CUDA, and PyTorch ${python.torch ?? ''} at ${python.interpreter} sees no CUDA device`, [{ path: input.amp ? 'amp' : 'device', message: 'no CUDA device' }])
    }
    const cuda = input.device !== 'cpu' && python.device === 'cuda'
    const names = cuda ? Array.from({ length: input.processes }, (_, i) => python.deviceNames[i % Math.max(1, python.deviceNames.length)] ?? 'CUDA device') : Array.from({ length: input.processes }, () => `CPU (${python.cpuName ?? 'unknown'})`)
    const engine = {
      name: 'pytorch',
      torchVersion: python.torch,
      pythonVersion: python.python,
      device: cuda ? 'cuda' : 'cpu',
      deviceNames: names,
      worldSize: input.processes,
      amp: input.amp,
      interpreter: python.interpreter,
    }
    const run = await runs.create({
      projectId: input.projectId,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.groupId !== undefined ? { groupId: input.groupId } : {}),
      config: { ...input.config, engine },
      datasetId: input.datasetId,
      ...(input.architectureVersionId !== undefined ? { architectureVersionId: input.architectureVersionId } : {}),
      ...(input.pipelineVersionId !== undefined ? { pipelineVersionId: input.pipelineVersionId } : {}),
      backend: pytorchBackend(engine),
    })
    const folder = pytorchFolder(paths, run.projectId, run.id)
    try {
      await exportRun(host, run, folder)
    } catch (err) {
      await runs.delete({ id: run.id })
      if (err instanceof PytorchExportError) throw new ApiError('invalid_payload', `This run cannot train on PyTorch: ${err.message}`)
      throw err
    }
    const trainArgs = ['train.py', '--out', folder, '--data', paths.datasetDir(input.datasetId), '--device', cuda ? 'cuda' : 'cpu', ...(input.amp ? ['--amp'] : [])]
    const args = input.processes > 1 ? ['torchrun_compat.py', '--standalone', '--nproc_per_node', String(input.processes), ...trainArgs] : trainArgs
    const command = [python.interpreter, ...args]
    const child = spawn(python.interpreter, args, {
      cwd: folder,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    })
    // Who trains this folder: a studio opened later settles the run when both processes are gone (settleOrphans).
    if (child.pid !== undefined) writeFileAtomic(join(folder, RUNNER_JSON), JSON.stringify({ hostPid: process.pid, childPid: child.pid }))
    const recording = openRecording(host, run.id)
    let resolveDone!: (run: Run) => void
    const done = new Promise<Run>((r) => (resolveDone = r))
    const entry: Child = { runId: run.id, projectId: run.projectId, folder, processes: input.processes, process: child, recording, startedAt: new Date().toISOString(), done, stopping: false, stderr: '' }
    this.#children.set(run.id, entry)
    this.#o.emit('onDidChangeActive', { runId: run.id, active: true })
    child.stdout?.setEncoding('utf8')
    child.stderr?.setEncoding('utf8')
    child.stdout?.on('data', (text: string) => this.#o.emit('onDidOutput', { runId: run.id, stream: 'stdout', text }))
    child.stderr?.on('data', (text: string) => {
      entry.stderr = (entry.stderr + text).slice(-STDERR_KEEP)
      this.#o.emit('onDidOutput', { runId: run.id, stream: 'stderr', text })
    })
    const poll = setInterval(() => this.#poll(entry), this.#o.pollMs ?? 500)
    let spawnError: Error | null = null
    let ending = false
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ending) return
      ending = true
      clearInterval(poll)
      void this.#ended(entry, code, signal, spawnError, python.interpreter).then(resolveDone, (error: unknown) => {
        console.error(`Recording the end of PyTorch run ${run.id} failed`, error)
        resolveDone(run)
      })
    }
    child.on('error', (e) => {
      spawnError = e
      if (child.pid === undefined) end(null, null) // it never started: no 'close' to wait for
    })
    child.on('close', end)
    return { run, folder, command }
  }

  #poll(c: Child): void {
    try {
      if (!c.recording.started) {
        const state = existsSync(join(c.folder, 'run.json')) ? pytorchRunState(readRunJson(c.folder)) : null
        if (state === null) return
        c.recording.start(state, readRunJson(c.folder).engine, pytorchBackend(readRunJson(c.folder).engine))
      }
      c.recording.catchUp(c.folder)
    } catch {
      // run.json is being replaced or a line is half written: the next poll reads it
    }
  }

  async #ended(c: Child, code: number | null, signal: NodeJS.Signals | null, spawnError: Error | null, python: string): Promise<Run> {
    try {
      let reported: ReturnType<typeof pytorchRunState> = null
      try {
        reported = pytorchRunState(readRunJson(c.folder))
      } catch {
        reported = null
      }
      const step = reported?.step ?? 0
      const epoch = reported?.epoch ?? 0
      let outcome: RecordedOutcome | undefined
      const how = spawnError ? `could not start (${spawnError.message})` : signal ? `was ended by ${signal}` : `exited with code ${String(code)}`
      const tail = stderrTail(c.stderr)
      if (c.stopping && reported?.status === 'stopped') outcome = undefined // run.json's: "Stopped by SIGTERM at step N ..."
      else if (code === 0 && (reported?.status === 'completed' || reported?.status === 'stopped')) outcome = undefined
      else if (c.stopping) outcome = { status: 'failed', reason: `Stop was asked, but train.py ${how} without a clean stop${tail ? `: ${tail}` : ''}`, step, epoch, cause: 'error' }
      else outcome = { status: 'failed', reason: `train.py ${how}${tail ? `: ${tail}` : ''}`, step, epoch, cause: 'error' }
      await importPytorchFolder(this.#o.host, { folder: c.folder, python, recording: c.recording, ...(outcome ? { outcome } : {}) })
    } finally {
      this.#children.delete(c.runId)
      this.#o.emit('onDidChangeActive', { runId: c.runId, active: false })
    }
    return clientFor(this.#o.host, runsContract).get({ id: c.runId })
  }

  #signal(c: Child, sig: NodeJS.Signals): void {
    const pid = c.process.pid
    if (pid === undefined) return
    try {
      process.kill(-pid, sig) // the whole group: torchrun and its workers
    } catch {
      try {
        c.process.kill(sig)
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM, then the run once it ended (SIGKILL after the grace time). */
  async stop(runId: number): Promise<Run> {
    const c = this.#children.get(runId)
    if (!c) {
      const run = await clientFor(this.#o.host, runsContract).get({ id: runId })
      throw new ApiError('conflict', `Run ${run.id} “${run.name}” is not training on the PyTorch engine (its status is ${run.status})`)
    }
    if (!c.stopping) {
      c.stopping = true
      this.#signal(c, 'SIGTERM')
    }
    const grace = this.#o.stopGraceMs ?? 120_000
    let timer: NodeJS.Timeout | undefined
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        this.#signal(c, 'SIGKILL')
        r()
      }, grace)
    })
    await Promise.race([c.done, killed])
    clearTimeout(timer)
    return c.done
  }

  /**
   * Runs the database says train on PyTorch (running or paused) that no process trains any more: the studio that
   * ran them closed or was killed, and train.py ended with it (or was killed). Each is imported from its folder once
   * (its points, last.pt / best.pt, run.json's outcome); one whose train.py never reported an end is marked failed,
   * saying so. A run whose studio or child is still alive (the CLI training it, a child that outlived its studio) is
   * left alone. Returns the runs settled.
   */
  async settleOrphans(python: string | null): Promise<number[]> {
    const { host } = this.#o
    const rows = host.db
      .prepare("SELECT id, project_id AS projectId FROM runs WHERE status IN ('running', 'paused') AND json_extract(config, '$.engine.name') = 'pytorch'")
      .all() as { id: number; projectId: number }[]
    const settled: number[] = []
    for (const r of rows) {
      if (this.#children.has(r.id)) continue
      const folder = pytorchFolder(this.#o.paths, r.projectId, r.id)
      let owners: { hostPid?: unknown; childPid?: unknown } = {}
      try {
        owners = JSON.parse(readFileSync(join(folder, RUNNER_JSON), 'utf8')) as typeof owners
      } catch {
        owners = {} // never started (or no note): nothing trains it
      }
      const alive = (pid: unknown) => typeof pid === 'number' && pid > 0 && pid !== process.pid && processAlive(pid)
      if (alive(owners.hostPid) || alive(owners.childPid)) continue
      let reported: ReturnType<typeof pytorchRunState> = null
      try {
        reported = pytorchRunState(readRunJson(folder))
      } catch {
        reported = null
      }
      const outcome: RecordedOutcome | undefined =
        reported !== null && reported.status !== 'running'
          ? undefined
          : {
              status: 'failed',
              reason: `The studio closed while PyTorch trained this run and train.py ended without a word: its points${reported ? ` up to step ${reported.step}` : ''} and last checkpoint are kept`,
              step: reported?.step ?? 0,
              epoch: reported?.epoch ?? 0,
              cause: 'error',
            }
      try {
        await importPytorchFolder(host, { folder, python, ...(outcome ? { outcome } : {}) })
        settled.push(r.id)
      } catch (error) {
        // Its folder cannot be read back: the run still ends, saying why, rather than "running" for ever.
        const runs = clientFor(host, runsContract)
        const run = await runs.get({ id: r.id })
        const why = error instanceof Error ? error.message : String(error)
        await runs.update({
          id: r.id,
          status: 'failed',
          endedAt: new Date().toISOString(),
          summary: { ...(run.summary ?? {}), message: `The studio closed while PyTorch trained this run, and its folder could not be read back: ${why}. Import results... can try again.` },
        })
        settled.push(r.id)
      }
    }
    return settled
  }

  /** Stops every child (the studio closes): SIGTERM now, no waiting. */
  dispose(): void {
    for (const c of this.#children.values()) {
      c.stopping = true
      this.#signal(c, 'SIGTERM')
    }
  }
}
