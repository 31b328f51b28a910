/**
 * The PyTorch engine's runner: a run created from the Train view's snapshot (plus `engine`), exported into its own
 * folder (`projects/<project>/runs/<run>/pytorch/`, deleted with the run) with the export code of `studio export
 * pytorch`, trained by `python train.py` (or `python torchrun_compat.py --standalone --nproc_per_node N train.py`:
 * torchrun itself, with torch 1.13's broken parser fixed where it is broken) as a child process in its own process
 * group. metrics.jsonl is tailed into the run (./results.ts PytorchRecording: the shared recorder and runs sink)
 * every `pollMs`; each time train.py replaces last.pt / best.pt (an epoch's end), they are converted into the run's
 * studio checkpoints in the background (convertTorchCheckpoints, one conversion at a time, the tailing goes on), so
 * the run detail works while it trains and a crash keeps the last epoch. When the child ends, the folder is
 * imported once more (./import.ts: the last lines, best.pt / last.pt as checkpoints, the end). Stop sends SIGTERM
 * to the group: train.py finishes its step, writes last.pt and reports "stopped". A child that exits otherwise
 * marks the run failed with the tail of its stderr. Resume runs the same folder's train.py with --resume: it goes
 * on from last.pt, and once it reports the step it went on from, the run's points after that step are dropped and
 * the recording replays metrics.jsonl (which train.py cut at that step), so the history has no gap or duplicate.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError, runsContract, type ActiveEngineRun, type enginesContract, type MethodInput, type PythonProbe, type Run, type StartedEngineRun } from '@shared/api'
import { PytorchExportError } from '../../shared/export/pytorch/index'
import type { RecordedOutcome } from '../../shared/train/recorder'
import { clientFor } from '../rpc/direct-client'
import type { Emitter } from '../rpc/service-host'
import { processAlive, writeFileAtomic, type DataPaths } from '../store/files'
import { exportRun } from './export-run'
import { importPytorchFolder, openRecording, pytorchBackend, pytorchFolder, type StudioHandle } from './import'
import { convertTorchCheckpoints, pytorchRunState, readRunJson, RUN_JSON, type PytorchRecording } from './results'

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
  readonly python: string
  /** Opened once train.py reported its start (run.json's pytorchRun); a resumed run's after its points were cut. */
  recording: PytorchRecording | null
  /** A resumed session: its points after the step train.py went on from are dropped before recording. */
  readonly resumed: boolean
  readonly startedAt: string
  readonly done: Promise<Run>
  stopping: boolean
  stderr: string
  /** A poll in progress (the next one waits its turn). */
  polling: boolean
  /** The conversion of best.pt / last.pt in progress, and the files' state it converts (size and mtime of each). */
  converting: Promise<void> | null
  converted: string
}

/** best.pt / last.pt as they are now (inode, size and mtime; '' when neither exists): a change means train.py replaced one. */
function torchCheckpointsState(folder: string): string {
  return ['best.pt', 'last.pt']
    .map((f) => {
      try {
        const s = statSync(join(folder, f))
        return `${f}:${s.ino}:${s.size}:${s.mtimeMs}`
      } catch {
        return ''
      }
    })
    .join('|')
    .replace(/^\|$/, '')
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
    return this.#launch({ run, folder, datasetId: input.datasetId, processes: input.processes, cuda, amp: input.amp, resume: false, resuming: false }, python)
  }

  /**
   * Resume: a stopped or failed PyTorch run goes on from its folder's last.pt (from the start when it has none),
   * with its own project folder, dataset, process count, device and mixed precision. Refused in words when the run
   * trains now, is completed, is not a PyTorch run, or its folder or dataset is gone.
   */
  async resume(runId: number, python: PythonProbe): Promise<StartedEngineRun> {
    const runs = clientFor(this.#o.host, runsContract)
    const run = await runs.get({ id: runId })
    const named = `Run ${run.id} “${run.name}”`
    const engine = ((run.config ?? {}) as { engine?: { name?: unknown; worldSize?: unknown; device?: unknown; amp?: unknown } }).engine
    if (engine?.name !== 'pytorch') throw new ApiError('invalid_payload', `${named} trained on TF.js: resume it in the Train view (or studio train --resume ${run.id})`)
    if (this.#children.has(runId)) throw new ApiError('conflict', `${named} is training on PyTorch right now`)
    if (run.status === 'completed') throw new ApiError('conflict', `${named} is completed: there is nothing to resume`)
    if (run.status !== 'stopped' && run.status !== 'failed') throw new ApiError('conflict', `${named} is ${run.status}: only a stopped or failed run can resume (a run another studio or studio train trains ends there first)`)
    const folder = pytorchFolder(this.#o.paths, run.projectId, run.id)
    if (!existsSync(join(folder, 'train.py')) || !existsSync(join(folder, RUN_JSON))) throw new ApiError('not_found', `${named} cannot resume: its PyTorch project folder ${folder} is gone`)
    if (!readFileSync(join(folder, 'train.py'), 'utf8').includes('"--resume"')) {
      throw new ApiError('invalid_payload', `${named} cannot resume: its train.py was exported by an earlier CNN Studio that has no --resume; start a new run with the same settings`)
    }
    if (run.datasetId === null) throw new ApiError('not_found', `${named} cannot resume: its dataset no longer exists`)
    const processes = typeof engine.worldSize === 'number' && engine.worldSize >= 1 ? engine.worldSize : 1
    const cuda = engine.device === 'cuda'
    const amp = engine.amp === true
    if (cuda && python.device !== 'cuda') throw new ApiError('invalid_payload', `${named} trained on CUDA, and PyTorch ${python.torch ?? ''} at ${python.interpreter} sees no CUDA device`)
    // train.py writes its own pytorchRun when it starts: until then the folder's old one (stopped, failed) is no start to record.
    const { pytorchRun: _old, ...snapshot } = readRunJson(folder)
    void _old
    writeFileAtomic(join(folder, RUN_JSON), JSON.stringify(snapshot, null, 2))
    const resume = existsSync(join(folder, 'last.pt'))
    const started = await this.#launch({ run, folder, datasetId: run.datasetId, processes, cuda, amp, resume, resuming: true }, python)
    await runs.update({ id: run.id, status: 'running' })
    return started
  }

  #launch(o: { run: Run; folder: string; datasetId: number; processes: number; cuda: boolean; amp: boolean; resume: boolean; resuming: boolean }, python: PythonProbe): StartedEngineRun {
    const { paths } = this.#o
    const { run, folder } = o
    const trainArgs = ['train.py', '--out', folder, '--data', paths.datasetDir(o.datasetId), '--device', o.cuda ? 'cuda' : 'cpu', ...(o.amp ? ['--amp'] : []), ...(o.resume ? ['--resume'] : [])]
    const args = o.processes > 1 ? ['torchrun_compat.py', '--standalone', '--nproc_per_node', String(o.processes), ...trainArgs] : trainArgs
    const command = [python.interpreter, ...args]
    const child = spawn(python.interpreter, args, {
      cwd: folder,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    })
    // Who trains this folder: a studio opened later settles the run when both processes are gone (settleOrphans).
    if (child.pid !== undefined) writeFileAtomic(join(folder, RUNNER_JSON), JSON.stringify({ hostPid: process.pid, childPid: child.pid }))
    let resolveDone!: (run: Run) => void
    const done = new Promise<Run>((r) => (resolveDone = r))
    const entry: Child = {
      runId: run.id,
      projectId: run.projectId,
      folder,
      processes: o.processes,
      process: child,
      python: python.interpreter,
      recording: null,
      resumed: o.resuming,
      startedAt: new Date().toISOString(),
      done,
      stopping: false,
      stderr: '',
      polling: false,
      converting: null,
      // A resumed run's checkpoints are the run's already: converted again only once train.py replaces them.
      converted: torchCheckpointsState(folder),
    }
    this.#children.set(run.id, entry)
    this.#o.emit('onDidChangeActive', { runId: run.id, active: true })
    child.stdout?.setEncoding('utf8')
    child.stderr?.setEncoding('utf8')
    child.stdout?.on('data', (text: string) => this.#o.emit('onDidOutput', { runId: run.id, stream: 'stdout', text }))
    child.stderr?.on('data', (text: string) => {
      entry.stderr = (entry.stderr + text).slice(-STDERR_KEEP)
      this.#o.emit('onDidOutput', { runId: run.id, stream: 'stderr', text })
    })
    const poll = setInterval(() => void this.#poll(entry), this.#o.pollMs ?? 500)
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

  async #poll(c: Child): Promise<void> {
    if (c.polling) return
    c.polling = true
    try {
      if (c.recording === null) {
        const snapshot = existsSync(join(c.folder, RUN_JSON)) ? readRunJson(c.folder) : null
        const state = snapshot ? pytorchRunState(snapshot) : null
        if (state === null) return
        if (c.resumed) {
          // train.py cut metrics.jsonl at the step it went on from; the run's points after it go too, so the
          // replay below writes that step's successors again instead of skipping them as already there.
          await clientFor(this.#o.host, runsContract).truncateMetrics({ runId: c.runId, afterStep: state.resumedFromStep ?? 0 })
        }
        const recording = openRecording(this.#o.host, c.runId)
        recording.start(state, snapshot!.engine, pytorchBackend(snapshot!.engine))
        c.recording = recording
      }
      c.recording.catchUp(c.folder)
      this.#convertIfChanged(c)
    } catch {
      // run.json is being replaced or a line is half written: the next poll reads it
    } finally {
      c.polling = false
    }
  }

  /**
   * Starts converting best.pt / last.pt when train.py replaced one since the last conversion (and none is in
   * progress): in the background, so metrics keep streaming; saved through the recording (after the points it
   * implies, each checkpoint file staged then renamed by runs.saveCheckpoint). A failure is said in the run's
   * output and tried again at the next change and when the child ends.
   */
  #convertIfChanged(c: Child): void {
    const recording = c.recording
    if (c.converting !== null || recording === null) return
    const now = torchCheckpointsState(c.folder)
    if (now === c.converted || now === '') return
    c.converted = now
    c.converting = convertTorchCheckpoints(c.python, c.folder)
      .then((converted) => recording.checkpoints(converted))
      .catch((error: unknown) => {
        const why = error instanceof Error ? error.message : String(error)
        this.#o.emit('onDidOutput', { runId: c.runId, stream: 'stderr', text: `CNN Studio: the checkpoint of this epoch could not be recorded yet (${why}); it is tried again\n` })
        c.converted = '' // the next poll tries again
      })
      .finally(() => {
        c.converting = null
      })
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
      await c.converting // one conversion at a time: the import converts what is there now
      await importPytorchFolder(this.#o.host, { folder: c.folder, python, ...(c.recording ? { recording: c.recording } : {}), ...(outcome ? { outcome } : {}) })
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
