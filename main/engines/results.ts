/**
 * A PyTorch project folder's results into a run: metrics.jsonl, run.json (`engine`, `pytorchRun`) and
 * best.pt / last.pt (converted to studio checkpoints by the folder's own convert.py). One recording serves the
 * three callers: `studio runs import`, `engines.importResults` and the runner's live tailing.
 *
 * The points become the engine's messages (step, epoch, end: shared/train/messages.ts) and go through the shared
 * RunRecorder and runs sink, so an imported or live PyTorch run is recorded exactly like an in-app one (summary,
 * best epoch, images/s, duration from the points' own clock). Idempotent: every import replays the whole file
 * into a fresh recorder (so the summary is the file's), and the sink writes only points past the last step the run
 * already holds for each name; a checkpoint is saved only when its step differs from the stored one of its kind.
 */
import { execFile } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiError, runsContract, type CheckpointInfo, type ServiceClient } from '@shared/api'
import { RunRecorder, type RecordedOutcome } from '../../shared/train/recorder'
import type { CheckpointMeta, TrainMessage } from '../../shared/train/messages'
import { METRIC, type MetricPoint } from '../../shared/train/metrics'
import { runsSink } from '../../shared/train/runs-sink'
import { decodeCheckpoint } from '../store/checkpoint-files'
import type { Db } from '../store/db'

export const METRICS_FILE = 'metrics.jsonl'
export const RUN_JSON = 'run.json'

type RunsClient = ServiceClient<typeof runsContract>
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** run.json of a PyTorch project folder (ApiError in words when missing or not a snapshot). */
export function readRunJson(folder: string): Record<string, unknown> {
  const file = join(folder, RUN_JSON)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new ApiError('not_found', `${folder} has no run.json: it is not a PyTorch project exported by CNN Studio (studio export pytorch)`)
  }
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    throw new ApiError('invalid_payload', `${file} is not valid JSON (${(e as Error).message})`)
  }
  if (!isObject(v) || !isObject(v.architecture)) throw new ApiError('invalid_payload', `${file} is not a CNN Studio run snapshot (it has no architecture)`)
  return v
}

/** run.json's `pytorchRun` (what train.py reports about its progress), or null before it started. */
export interface PytorchRunState {
  readonly status: 'running' | 'completed' | 'stopped' | 'failed'
  readonly reason: string | null
  readonly startedAt: string | null
  readonly endedAt: string | null
  readonly step: number
  readonly epoch: number
  readonly stepsPerEpoch: number
  readonly totalSteps: number
  readonly epochs: number
  /** A resumed session (train.py --resume): when it started, the step of last.pt it went on from, and the training
   * time of the sessions before (ms, up to that step). Null / 0 for a first session. */
  readonly resumedAt: string | null
  readonly resumedFromStep: number | null
  readonly priorMs: number
}

export function pytorchRunState(snapshot: Record<string, unknown>): PytorchRunState | null {
  const r = snapshot.pytorchRun
  if (!isObject(r)) return null
  const status = r.status === 'completed' || r.status === 'stopped' || r.status === 'failed' ? r.status : 'running'
  return {
    status,
    reason: typeof r.reason === 'string' ? r.reason : null,
    startedAt: typeof r.startedAt === 'string' ? r.startedAt : null,
    endedAt: typeof r.endedAt === 'string' ? r.endedAt : null,
    step: num(r.step) ?? 0,
    epoch: num(r.epoch) ?? 0,
    stepsPerEpoch: num(r.stepsPerEpoch) ?? 0,
    totalSteps: num(r.totalSteps) ?? 0,
    epochs: num(r.epochs) ?? 0,
    resumedAt: typeof r.resumedAt === 'string' ? r.resumedAt : null,
    resumedFromStep: num(r.resumedFromStep),
    priorMs: num(r.priorMs) ?? 0,
  }
}

/** The snapshot's `engine` as the studio records it (run.json's from train.py, renamed where the studio's differs). */
export function studioEngine(reported: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const e = isObject(reported) ? reported : {}
  const names = Array.isArray(e.deviceNames) ? e.deviceNames.filter((n): n is string => typeof n === 'string') : []
  return {
    name: 'pytorch',
    ...(typeof e.torch === 'string' ? { torchVersion: e.torch } : {}),
    ...(typeof e.python === 'string' ? { pythonVersion: e.python } : {}),
    ...(typeof e.device === 'string' ? { device: e.device } : {}),
    ...(names.length ? { deviceNames: names } : {}),
    ...(num(e.worldSize) !== null ? { worldSize: num(e.worldSize) } : {}),
    ...(e.distributedBackend !== undefined ? { distributedBackend: e.distributedBackend } : {}),
    ...(typeof e.amp === 'boolean' ? { amp: e.amp } : {}),
    ...extra,
  }
}

/** Reads the complete lines of metrics.jsonl from a byte offset (a line still being written waits for its newline). */
export function readMetricsFrom(folder: string, offset: number): { points: MetricPoint[]; offset: number; bad: number } {
  const file = join(folder, METRICS_FILE)
  if (!existsSync(file)) return { points: [], offset, bad: 0 }
  const size = statSync(file).size
  if (size < offset) offset = 0 // the file was started again
  if (size === offset) return { points: [], offset, bad: 0 }
  const buf = Buffer.alloc(size - offset)
  const fd = openSync(file, 'r')
  try {
    let got = 0
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got)
      if (n === 0) break
      got += n
    }
  } finally {
    closeSync(fd)
  }
  const end = buf.lastIndexOf(0x0a)
  if (end < 0) return { points: [], offset, bad: 0 }
  const points: MetricPoint[] = []
  let bad = 0
  for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
    if (!line.trim()) continue
    try {
      const p = JSON.parse(line) as Record<string, unknown>
      const step = num(p.step)
      const epoch = num(p.epoch)
      const value = num(p.value)
      const time = num(p.time)
      if (typeof p.name !== 'string' || !p.name || step === null || !Number.isInteger(step) || step < 0 || epoch === null || value === null || time === null) {
        bad += 1
        continue
      }
      points.push({ name: p.name, step, epoch, value, time })
    } catch {
      bad += 1
    }
  }
  return { points, offset: offset + end + 1, bad }
}

const STEP_NAMES = new Set<string>([METRIC.loss, METRIC.acc, METRIC.lr, METRIC.ips, METRIC.gradNorm])
const EPOCH_NAMES = new Set<string>([METRIC.epochTrainLoss, METRIC.epochTrainAcc, METRIC.valLoss, METRIC.valAcc, METRIC.epochSeconds])

/**
 * metrics.jsonl points -> the engine's messages. A step's points are complete when a point of another step (or an
 * epoch point) follows, an epoch's when its `epoch/seconds` (train.py writes it last) arrives; `end()` gives what is
 * left. Points of other names (test/loss, ...) and an incomplete step's come back as plain points.
 */
export class MetricsToMessages {
  #step: { step: number; epoch: number; time: number; values: Map<string, number> } | null = null
  #epoch: { step: number; epoch: number; time: number; values: Map<string, number> } | null = null
  #lr = 0

  push(p: MetricPoint): { messages: TrainMessage[]; points: MetricPoint[] } {
    const messages: TrainMessage[] = []
    const points: MetricPoint[] = []
    const flushStep = () => this.#flushStep(messages, points)
    if (STEP_NAMES.has(p.name)) {
      if (this.#step && this.#step.step !== p.step) flushStep()
      this.#step ??= { step: p.step, epoch: p.epoch, time: p.time, values: new Map() }
      this.#step.values.set(p.name, p.value)
      this.#step.time = Math.max(this.#step.time, p.time)
    } else if (EPOCH_NAMES.has(p.name)) {
      flushStep()
      if (this.#epoch && this.#epoch.epoch !== p.epoch) this.#flushEpoch(messages, points)
      this.#epoch ??= { step: p.step, epoch: p.epoch, time: p.time, values: new Map() }
      this.#epoch.values.set(p.name, p.value)
      this.#epoch.time = Math.max(this.#epoch.time, p.time)
      if (p.name === METRIC.epochSeconds) this.#flushEpoch(messages, points)
    } else {
      flushStep()
      points.push(p)
    }
    return { messages, points }
  }

  end(): { messages: TrainMessage[]; points: MetricPoint[] } {
    const messages: TrainMessage[] = []
    const points: MetricPoint[] = []
    this.#flushStep(messages, points)
    this.#flushEpoch(messages, points)
    return { messages, points }
  }

  #flushStep(messages: TrainMessage[], points: MetricPoint[]): void {
    const s = this.#step
    if (!s) return
    this.#step = null
    const v = s.values
    const loss = v.get(METRIC.loss)
    const acc = v.get(METRIC.acc)
    const lr = v.get(METRIC.lr)
    const ips = v.get(METRIC.ips)
    if (loss === undefined || acc === undefined || lr === undefined || ips === undefined) {
      for (const [name, value] of v) points.push({ name, value, step: s.step, epoch: s.epoch, time: s.time })
      return
    }
    this.#lr = lr
    const gradNorm = v.get(METRIC.gradNorm)
    messages.push({ type: 'step', step: s.step, epoch: s.epoch, loss, dataLoss: loss, acc, lr, imagesPerSec: ips, ...(gradNorm !== undefined ? { gradNorm } : {}), time: s.time })
  }

  #flushEpoch(messages: TrainMessage[], points: MetricPoint[]): void {
    const e = this.#epoch
    if (!e) return
    this.#epoch = null
    const v = e.values
    const trainLoss = v.get(METRIC.epochTrainLoss)
    const trainAcc = v.get(METRIC.epochTrainAcc)
    if (trainLoss === undefined || trainAcc === undefined) {
      for (const [name, value] of v) points.push({ name, value, step: e.step, epoch: e.epoch, time: e.time })
      return
    }
    messages.push({
      type: 'epoch',
      epoch: e.epoch,
      step: e.step,
      trainLoss,
      trainAcc,
      valLoss: v.get(METRIC.valLoss) ?? null,
      valAcc: v.get(METRIC.valAcc) ?? null,
      lr: this.#lr,
      seconds: v.get(METRIC.epochSeconds) ?? 0,
      time: e.time,
    })
  }
}

/** The last stored step per metric name of a run (what an import does not write again). */
export function storedLastSteps(db: Db, runId: number): Map<string, number> {
  const rows = db
    .prepare('SELECT n.name AS name, MAX(c.last_step) AS step FROM metric_chunks c JOIN metric_names n ON n.id = c.name_id WHERE c.run_id = ? GROUP BY n.name')
    .all(runId) as { name: string; step: number }[]
  return new Map(rows.map((r) => [r.name, r.step]))
}

/** A studio checkpoint converted from best.pt / last.pt (the bytes of a .ckpt file written by convert.py). */
export interface ConvertedCheckpoint {
  readonly kind: 'best' | 'last'
  readonly step: number
  readonly epoch: number
  readonly meta: CheckpointMeta
  readonly weights: Uint8Array
}

/** Python run in the folder: convert.py's checkpoint_bytes over best.pt / last.pt, with their progress in the meta. */
const CONVERT_SCRIPT = String.raw`
import json, os, sys
import torch
sys.path.insert(0, os.getcwd())
import convert
out = {}
for kind in ("best", "last"):
    path = kind + ".pt"
    if not os.path.isfile(path):
        continue
    ck = convert.torch_load(path)
    progress = {k: ck[k] for k in ("step", "epoch", "stepsPerEpoch", "totalSteps", "seed", "metrics", "best") if isinstance(ck, dict) and ck.get(k) is not None}
    target = os.path.join(sys.argv[1], kind + ".ckpt")
    with open(target, "wb") as f:
        f.write(convert.checkpoint_bytes(ck, None, progress))
    out[kind] = {"step": int(progress.get("step", 0)), "epoch": int(progress.get("epoch", 0)), "file": target}
print(json.dumps(out))
`

/** Converts best.pt / last.pt of a folder (none when neither exists); rejects with convert.py's words. */
export async function convertTorchCheckpoints(python: string, folder: string): Promise<ConvertedCheckpoint[]> {
  if (!existsSync(join(folder, 'best.pt')) && !existsSync(join(folder, 'last.pt'))) return []
  const tmp = mkdtempSync(join(tmpdir(), 'studio-convert-'))
  try {
    const stdout = await new Promise<string>((resolveRun, reject) => {
      execFile(python, ['-c', CONVERT_SCRIPT, tmp], { cwd: folder, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) => {
        if (error) reject(new ApiError('internal', `Converting best.pt / last.pt with convert.py failed: ${(err.trim().split('\n').slice(-3).join(' ') || error.message).slice(0, 1000)}`))
        else resolveRun(out)
      })
    })
    const listed = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, { step: number; epoch: number; file: string }>
    const out: ConvertedCheckpoint[] = []
    for (const kind of ['best', 'last'] as const) {
      const c = listed[kind]
      if (!c) continue
      const content = decodeCheckpoint(readFileSync(c.file), `${kind}.pt (converted)`)
      out.push({ kind, step: c.step, epoch: c.epoch, meta: content.meta as CheckpointMeta, weights: content.weights })
    }
    return out
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/**
 * One run's recording of a PyTorch folder: a RunRecorder over the runs sink, with the clock of the points (so the
 * duration is the child's training time) and a sink that skips points the run already holds.
 */
export class PytorchRecording {
  readonly runId: number
  readonly #runs: RunsClient
  #made: RunRecorder | null = null
  readonly #toMessages = new MetricsToMessages()
  readonly #have: Map<string, number>
  #clock = Date.now()
  #offset = 0
  #started = false
  #written = 0
  #bad = 0
  #lastTime: number | null = null
  /** Writes of points the recorder has no message for (test/loss, ...), in order. */
  #extra: Promise<void> = Promise.resolve()
  readonly saved: CheckpointInfo[] = []

  constructor(runs: RunsClient, runId: number, have: Map<string, number>) {
    this.runId = runId
    this.#runs = runs
    this.#have = have
  }

  /**
   * The recorder, made on first use: by start() with the training time of the sessions before a resumed one (so
   * the run's duration is its training time, not the time it lay stopped), else with none.
   */
  get #recorder(): RunRecorder {
    this.#made ??= this.#makeRecorder(0)
    return this.#made
  }

  #makeRecorder(priorMs: number): RunRecorder {
    const { runId } = this
    const runs = this.#runs
    const have = this.#have
    const sink = runsSink(runs, runId)
    const recording = this
    return new RunRecorder({
      sink: {
        update: sink.update,
        async appendMetrics(points) {
          const fresh = points.filter((p) => p.step > (have.get(p.name) ?? -1))
          if (fresh.length === 0) return
          await sink.appendMetrics(fresh)
          for (const p of fresh) have.set(p.name, Math.max(p.step, have.get(p.name) ?? -1))
          recording.#written += fresh.length
        },
        async saveCheckpoint(c) {
          const rows = await runs.saveCheckpoint({
            runId,
            kinds: [...c.kinds],
            epoch: c.epoch,
            step: c.step,
            meta: c.meta,
            ...(c.metrics ? { metrics: c.metrics } : {}),
            weights: new Uint8Array(c.weights),
            optimizer: new Uint8Array(c.optimizerState),
          })
          recording.saved.push(...rows)
        },
      },
      keepEvery: 0,
      now: () => this.#clock,
      // Writes are paced by the caller (catchUp flushes once per read), not by the points' clock.
      flushEverySteps: 1_000_000,
      flushEveryMs: Number.MAX_SAFE_INTEGER,
      ...(priorMs > 0 ? { resume: { durationMs: priorMs, started: false, summary: null, lastEpoch: null, best: { valAcc: null, epoch: null }, step: 0, lastCheckpoint: null } } : {}),
    })
  }

  /** Metric points this recording wrote. */
  get written(): number {
    return this.#written
  }

  /** Lines of metrics.jsonl that were not metric points. */
  get badLines(): number {
    return this.#bad
  }

  get outcome(): RecordedOutcome | null {
    return this.#recorder.outcome
  }

  #post(m: TrainMessage): void {
    this.#clock = m.time
    this.#lastTime = m.time
    this.#recorder.post(m)
  }

  /**
   * The run started (run.json's pytorchRun): status running, its start time, the engine it reported. A resumed
   * session's clock starts at its resumedAt, on top of the earlier sessions' training time (priorMs).
   */
  start(state: PytorchRunState, engine: unknown, backend: string): void {
    if (this.#started) return
    this.#started = true
    const at = (iso: string | null) => (iso !== null && Number.isFinite(Date.parse(iso)) ? Date.parse(iso) : null)
    const time = at(state.startedAt) ?? Date.now()
    const session = at(state.resumedAt) ?? time
    this.#made ??= this.#makeRecorder(state.resumedAt !== null ? state.priorMs : 0)
    this.#clock = session
    this.#lastTime = session
    this.#recorder.post({ type: 'started', startStep: 0, startEpoch: 0, totalSteps: state.totalSteps, stepsPerEpoch: state.stepsPerEpoch, epochs: state.epochs, updatedVariables: 0, frozenVariables: 0, time })
    this.#recorder.noteBackend({ backend, backendReason: 'the PyTorch engine', engine: studioEngine(engine) })
  }

  get started(): boolean {
    return this.#started
  }

  /** Reads the new complete lines of the folder's metrics.jsonl and records them; `final`: the file is done. */
  catchUp(folder: string, final = false): void {
    const r = readMetricsFrom(folder, this.#offset)
    this.#offset = r.offset
    this.#bad += r.bad
    const extra: MetricPoint[] = []
    const take = (out: { messages: TrainMessage[]; points: MetricPoint[] }) => {
      for (const m of out.messages) this.#post(m)
      extra.push(...out.points)
    }
    for (const p of r.points) take(this.#toMessages.push(p))
    if (final) take(this.#toMessages.end())
    this.#recorder.flushMetrics()
    const fresh = extra.filter((p) => p.step > (this.#have.get(p.name) ?? -1))
    if (fresh.length) {
      for (const p of fresh) this.#lastTime = Math.max(this.#lastTime ?? p.time, p.time)
      this.#extra = this.#extra.then(async () => {
        await this.#runs.appendMetrics({ runId: this.runId, points: fresh })
        for (const p of fresh) this.#have.set(p.name, Math.max(p.step, this.#have.get(p.name) ?? -1))
        this.#written += fresh.length
      })
    }
  }

  /** Saves converted checkpoints whose step differs from the run's stored one of that kind (best first, then last). */
  async checkpoints(converted: readonly ConvertedCheckpoint[]): Promise<void> {
    const stored = await this.#runs.checkpoints({ runId: this.runId })
    const storedStep = (kind: 'best' | 'last') => stored.find((c) => c.kind === kind)?.step ?? null
    const best = converted.find((c) => c.kind === 'best')
    const last = converted.find((c) => c.kind === 'last')
    const post = (c: ConvertedCheckpoint, isBest: boolean) => {
      const w = c.weights
      this.#clock = Math.max(this.#clock, this.#lastTime ?? this.#clock)
      this.#recorder.post({
        type: 'checkpoint',
        epoch: c.epoch,
        step: c.step,
        best: isBest,
        keep: false,
        meta: c.meta,
        weights: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
        optimizerState: new ArrayBuffer(0),
        time: this.#clock,
      })
    }
    const bestNew = best !== undefined && best.step !== storedStep('best')
    const lastNew = last !== undefined && last.step !== storedStep('last')
    if (best !== undefined && last !== undefined && best.step === last.step) {
      if (bestNew || lastNew) post(last, true)
    } else {
      // A checkpoint message is always saved as 'last' too: best first, then last.pt takes 'last' back.
      if (bestNew) post(best, true)
      if (last !== undefined && (lastNew || bestNew)) post(last, false)
    }
    await this.#recorder.settled()
  }

  /** Ends the recording: with an outcome, the run's end (status, endedAt, summary); without, only what is queued. */
  async end(outcome: RecordedOutcome | null, endedAt?: number): Promise<void> {
    await this.#extra
    if (outcome === null) {
      await this.#recorder.settled()
      if (this.#recorder.error !== null) throw this.#recorder.error
      return
    }
    this.#clock = endedAt ?? Math.max(this.#clock, this.#lastTime ?? this.#clock)
    const type = outcome.status === 'completed' ? 'done' : outcome.status
    if (type === 'failed') this.#recorder.post({ type, reason: outcome.reason, step: outcome.step, epoch: outcome.epoch, time: this.#clock, cause: 'error', lastCheckpointEpoch: null })
    else this.#recorder.post({ type, reason: outcome.reason, step: outcome.step, epoch: outcome.epoch, time: this.#clock })
    await this.#recorder.finish(outcome)
    if (this.#recorder.error !== null) throw this.#recorder.error
  }
}
