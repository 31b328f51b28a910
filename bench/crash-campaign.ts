/**
 * The crash campaign: SIGKILLs the real `studio` command (main/cli/index.ts under tsx, as a user runs it) at
 * seeded moments and checks what is left. Moments: mid-step (a seeded delay after a seeded epoch), mid-checkpoint
 * write, mid-metric batch (inside its transaction), mid-import (a dataset's cache being written), mid-migration
 * (an old fixture database being upgraded, tests/fixtures/db) and mid-export (a PyTorch project being written).
 * All but mid-step are found by bench/crash-hook.mjs, which holds the process at the n-th occurrence (n seeded)
 * so the kill lands inside that work; the kill itself is a SIGKILL from here.
 *
 * After each kill: `PRAGMA integrity_check` is ok; the work is redone (the run with `studio train --resume`, the
 * import, the migration, the export) and succeeds; then no temporary or staging file, no checkpoint file without
 * its row (and no row without its file), no dataset folder without its dataset; a resumed run restarted at its
 * last checkpoint, lost no epoch that had a checkpoint, and its metric history has every step once (no gap, no
 * duplicate). Used by `npm run bench:crash` (50 kills) and tests/main/crash-campaign.test.ts (a few).
 */
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { decodeChunk, STRIDE } from '../main/services/metric-chunks'
import { createRng } from '../shared/random/index'
import { GraphBuilder, serializeGraphDocument } from '../shared/graph/index'
import { migrations } from '../main/store/migrations'
import type { Api } from '../renderer/src/api/client'
import { pageApi } from './web-page'

export const MOMENTS = ['step', 'checkpoint', 'metrics', 'import', 'migration', 'export'] as const
export type Moment = (typeof MOMENTS)[number]
/** What is killed: the `studio` command, or the browser host while a page's calls are in flight. */
export const KILLED = ['cli', 'host'] as const
export type Killed = (typeof KILLED)[number]

export interface CrashCounts {
  kills: number
  /** Kills per process killed and moment. */
  byMoment: Record<Killed, Record<Moment, number>>
  /** The work redone after the kill and finished (a run resumed to completion, an import, a migration, an export). */
  resumed: number
  /** Killed runs that had a checkpoint past step 0 (their resume loaded it), per process killed. */
  fromCheckpoint: Record<Killed, number>
  /** Training kills planned after the run's first checkpoint (planTrainingKill) that landed, per process killed. */
  plannedLate: Record<Killed, number>
  /** Epochs that had a checkpoint before the kill and are missing or doubled in the finished run's history. */
  lostEpochs: number
  integrityFailures: number
  /** Temporary/staging files, checkpoint files without rows, rows without files, dataset folders without rows. */
  orphanFiles: number
  /** Gaps or duplicates in a finished run's step history. */
  historyErrors: number
  /** Host kills mid-run after which the page did not show that its writes failed (what failed, what to do). */
  silentFailures: number
  /** Kills where the process had already finished before the planned moment (not counted as kills). */
  missed: number
  failures: string[]
}

const repo = resolve(import.meta.dirname, '..')
const TSX = join(repo, 'node_modules/.bin/tsx')
const HOOK = join(repo, 'bench/crash-hook.mjs')
const EPOCHS = 3
const BATCH = 16
const DATASET = 'MNIST (150 digits)'
/** A page asks for a mid-epoch checkpoint after this much training (the app's default is 30 s; the runs here are short). */
const PAGE_CHECKPOINT_MS = 500
/** The share of training kills planned after the run's first checkpoint (planTrainingKill). */
const LATE_SHARE = 0.8

interface Child {
  code: number | null
  signal: NodeJS.Signals | null
  out: string
  err: string
  killed: boolean
}

interface Proc {
  readonly r: Child
  readonly done: Promise<Child>
  /** SIGKILL to the process group (tsx runs the script in a child node process: both go). */
  kill(): void
  /** SIGTERM (a clean close), SIGKILL after 15 s. */
  stop(): Promise<Child>
  /** Writes a line to its stdin (with `stdin: true`). */
  send(line: string): void
}

interface LaunchOptions {
  crashAt?: string
  killWhen?: (out: string, err: string) => boolean | number
  timeoutMs?: number
  /** Keep its stdin open for `send`. */
  stdin?: boolean
}

/** Runs `tsx <argv>` in the repository; `killWhen` sees the output so far and says when to SIGKILL it. */
function launch(argv: string[], o: LaunchOptions = {}): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  if (o.crashAt) {
    env.CRASH_AT = o.crashAt
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${HOOK}`.trim()
  } else delete env.CRASH_AT
  const child = spawn(TSX, argv, { cwd: repo, env, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true })
  child.stdin?.on('error', () => {})
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // already gone
    }
  }
  const r: Child = { code: null, signal: null, out: '', err: '', killed: false }
  let timer: NodeJS.Timeout | null = null
  let closed = false
  const kill = () => {
    if (r.killed || closed) return
    r.killed = true
    signalGroup('SIGKILL')
  }
  const check = () => {
    if (!o.killWhen || r.killed || timer) return
    const when = o.killWhen(r.out, r.err)
    if (when === true) kill()
    else if (typeof when === 'number') timer = setTimeout(kill, when)
  }
  child.stdout!.on('data', (d: Buffer) => ((r.out += d.toString()), check()))
  child.stderr!.on('data', (d: Buffer) => ((r.err += d.toString()), check()))
  const limit = setTimeout(() => signalGroup('SIGKILL'), o.timeoutMs ?? 240_000)
  const done = new Promise<Child>((resolve) => {
    child.on('close', (code, signal) => {
      closed = true
      clearTimeout(limit)
      if (timer) clearTimeout(timer)
      r.code = code
      r.signal = signal
      resolve(r)
    })
  })
  const stop = () => {
    if (!closed) signalGroup('SIGTERM')
    const hard = setTimeout(() => signalGroup('SIGKILL'), 15_000)
    return done.finally(() => clearTimeout(hard))
  }
  return { r, done, kill, stop, send: (line) => child.stdin?.write(`${line}\n`) }
}

/** Runs `studio <args>`; `killWhen` sees the output so far and says when to SIGKILL it. */
function studio(args: string[], o: LaunchOptions = {}): Promise<Child> {
  return launch(['--tsconfig', 'tsconfig.main.json', 'main/cli/index.ts', ...args], o).done
}

/** Resolves true once `cond` holds (checked every 20 ms), false after `ms`. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return true
}

/**
 * The browser host (`npm run start:web`: main/web/index.ts, the studio services serving the renderer over HTTP) on
 * a data folder; `url` is its address once it prints it (null when it ended first).
 */
function launchHost(data: string, rendererDir: string, crashAt?: string): Proc & { url: Promise<string | null> } {
  const p = launch(['--tsconfig', 'tsconfig.main.json', 'main/web/index.ts', '--data-dir', data, '--renderer-dir', rendererDir], crashAt ? { crashAt, timeoutMs: 300_000 } : { timeoutMs: 300_000 })
  const address = () => /is running at (http:\S+)/.exec(p.r.out)?.[1] ?? null
  let ended = false
  void p.done.then(() => (ended = true))
  const url = until(() => ended || address() !== null || p.r.err.includes('CRASH-POINT'), 120_000).then(() => address())
  return { ...p, url }
}

/**
 * A studio page (bench/crash-page.ts), started before its host has an address (it loads meanwhile): `open` gives
 * it the address; a page never opened is killed with `kill`.
 */
function launchPage(args: string[]): Proc & { open(url: string): void } {
  const p = launch(['--tsconfig', 'tsconfig.tests.json', 'bench/crash-page.ts', '-', ...args], { stdin: true })
  return { ...p, open: (url) => p.send(url) }
}

const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

function tinyGraph(): string {
  const b = new GraphBuilder()
  b.add('Input', { shape: [28, 28, 1] }, { id: 'in' })
  b.add('Conv2D', { filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: 'heNormal' }, { id: 'conv' })
  b.add('ReLU', {}, { id: 'relu' })
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool' })
  b.add('Flatten', {}, { id: 'flat' })
  b.add('Output', { units: 10, kernelInitializer: 'normal', stddev: 0.01 }, { id: 'out' })
  return serializeGraphDocument(b.build())
}

/** Every file under `dir` (relative, '/'-separated). */
function walk(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p, base))
    else out.push(relative(base, p).split('\\').join('/'))
  }
  return out
}

function integrityOk(dataDir: string): boolean {
  const db = new Database(join(dataDir, 'studio.db'))
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) === 'ok'
  } finally {
    db.close()
  }
}

/** Orphans in a data folder: temporary files, checkpoint files and rows that do not match, dataset folders without rows. */
function orphans(dataDir: string): string[] {
  const files = walk(dataDir)
  const found = files.filter((f) => /(^|\/)\.[^/]*\.(tmp|partial)$/.test(f) || f.includes('.partial/'))
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true })
  try {
    const rows = new Set((db.prepare('SELECT path FROM checkpoints').all() as { path: string }[]).map((r) => r.path))
    for (const f of files) if (/^projects\/\d+\/runs\/\d+\/[^/]+\.ckpt$/.test(f) && !rows.has(f)) found.push(`${f} (no row)`)
    for (const r of rows) if (!files.includes(r)) found.push(`${r} (row without file)`)
    const datasets = new Set((db.prepare('SELECT id FROM datasets').all() as { id: number }[]).map((r) => String(r.id)))
    if (existsSync(join(dataDir, 'datasets'))) for (const d of readdirSync(join(dataDir, 'datasets'))) if (!datasets.has(d)) found.push(`datasets/${d} (no dataset)`)
  } finally {
    db.close()
  }
  return found
}

function runStatus(dataDir: string, runId: number): string | null {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true })
  try {
    return (db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string } | undefined)?.status ?? null
  } finally {
    db.close()
  }
}

interface RunState {
  checkpointSteps: number[]
  checkpointEpochs: number[]
}
function runState(dataDir: string, runId: number): RunState {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true })
  try {
    const rows = db.prepare('SELECT step, epoch FROM checkpoints WHERE run_id = ?').all(runId) as { step: number; epoch: number }[]
    return { checkpointSteps: rows.map((r) => r.step), checkpointEpochs: rows.map((r) => r.epoch) }
  } finally {
    db.close()
  }
}

/** Steps of a metric, in order, with their epochs. */
function metricSteps(dataDir: string, runId: number, name: string): { step: number; epoch: number }[] {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true })
  try {
    // The stored chunks (main/services/metric-chunks.ts), read as they are on disk.
    const blobs = db
      .prepare('SELECT c.data FROM metric_chunks c JOIN metric_names n ON n.id = c.name_id WHERE c.run_id = ? AND n.name = ? ORDER BY c.first_step')
      .pluck()
      .all(runId, name) as Buffer[]
    return blobs.flatMap((b) => {
      const p = decodeChunk(b)
      const out: { step: number; epoch: number }[] = []
      for (let i = 0; i < p.length; i += STRIDE) out.push({ step: p[i] as number, epoch: p[i + 1] as number })
      return out
    })
  } finally {
    db.close()
  }
}

export interface CampaignOptions {
  /** Kills of the `studio` command. */
  readonly kills: number
  /** Kills of the browser host (default 0). */
  readonly hostKills?: number
  /** The moments host kills go through in turn (default all). */
  readonly hostMoments?: readonly Moment[]
  readonly seed: number
  readonly log?: (line: string) => void
}

/** What one planned kill did: the killed process's end, and how to redo and check the work after it. */
interface Planned {
  killed: Child
  redo: () => Promise<boolean>
  afterRedo: () => void
  /** What the folder held before the kill is not the kill's doing (an old fixture's rows have no files). */
  baseline: Set<string>
}

const newestRun = (dataDir: string) => {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true })
  try {
    return (db.prepare('SELECT MAX(id) AS id FROM runs').get() as { id: number | null }).id ?? 0
  } finally {
    db.close()
  }
}
const schemaVersion = (dataDir: string) => {
  const db = new Database(join(dataDir, 'studio.db'))
  try {
    return (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v
  } finally {
    db.close()
  }
}
const projectCount = (dataDir: string) => {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true })
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM projects').get() as { n: number }).n
  } finally {
    db.close()
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs the campaign; a scratch folder is made and removed here. */
export async function crashCampaign(o: CampaignOptions): Promise<CrashCounts> {
  const log = o.log ?? (() => {})
  const rng = createRng(`crash-campaign-${o.seed}`)
  const scratch = mkdtempSync(join(tmpdir(), 'cnn-studio-crash-'))
  const perMoment = () => Object.fromEntries(MOMENTS.map((m) => [m, 0])) as Record<Moment, number>
  const counts: CrashCounts = {
    kills: 0,
    byMoment: { cli: perMoment(), host: perMoment() },
    resumed: 0,
    fromCheckpoint: { cli: 0, host: 0 },
    plannedLate: { cli: 0, host: 0 },
    lostEpochs: 0,
    integrityFailures: 0,
    orphanFiles: 0,
    historyErrors: 0,
    silentFailures: 0,
    missed: 0,
    failures: [],
  }
  const fail = (what: string) => {
    counts.failures.push(what)
    log(`FAIL ${what}`)
  }
  try {
    // The template: a data folder with a small dataset, a graph file, and one finished run to export.
    const template = join(scratch, 'template')
    const graph = join(scratch, 'graph.json')
    writeFileSync(graph, tinyGraph())
    // The browser host serves a page; the campaign's pages need only its index.html (where the token is written).
    const rendererDir = join(scratch, 'renderer')
    mkdirSync(rendererDir)
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><html><head></head><body>studio</body></html>')
    const setup = await studio(['dataset', 'mnist', '--count', '150', '--seed', '3', '--data-dir', template])
    if (setup.code !== 0) throw new Error(`dataset mnist failed: ${setup.err}`)
    const done = await studio(['train', '--graph', graph, '--dataset', DATASET, '--epochs', '1', '--batch', String(BATCH), '--json', '--data-dir', template])
    if (done.code !== 0) throw new Error(`the template run failed: ${done.err}`)
    const first = jsonLines(done.out)[0]!
    const stepsPerEpoch = first.stepsPerEpoch as number
    const epochSeconds = jsonLines(done.out).find((l) => l.type === 'epoch')!.seconds as number
    // The template's one dataset.
    const datasetId = 1
    const referenceExport: Partial<Record<Killed, string[]>> = {}
    const fixtures = join(repo, 'tests/fixtures/db')
    const oldSchemas = readdirSync(fixtures).filter((f) => /^schema-v\d+\.sql$/.test(f))

    /** The finished run's history: every step once, every epoch once, the epochs saved before the kill still there. */
    const checkHistory = (label: string, data: string, runId: number, savedEpochs: number[]) => {
      const total = EPOCHS * stepsPerEpoch
      const steps = metricSteps(data, runId, 'train/loss').map((x) => x.step)
      const expected = Array.from({ length: total }, (_, k) => k + 1)
      if (steps.join() !== expected.join()) {
        counts.historyErrors += 1
        fail(`${label}: train/loss steps are ${steps.length} (${steps.slice(0, 5).join()}...), expected 1..${total} once each`)
      }
      const epochs = metricSteps(data, runId, 'val/acc')
      for (const e of savedEpochs) {
        const at = epochs.filter((x) => x.epoch === e)
        if (at.length !== 1 || at[0]!.step !== e * stepsPerEpoch) {
          counts.lostEpochs += 1
          fail(`${label}: epoch ${e} had a checkpoint before the kill and is ${at.length === 0 ? 'missing' : `recorded ${at.length} times`}`)
        }
      }
      if (epochs.map((x) => x.epoch).join() !== Array.from({ length: EPOCHS }, (_, k) => k + 1).join()) {
        counts.historyErrors += 1
        fail(`${label}: val/acc has epochs ${epochs.map((x) => x.epoch).join()}`)
      }
    }
    /** Where a killed run stands: its last checkpoint's step and the epochs its checkpoints saved. */
    const savedBefore = (label: string, who: Killed, data: string, runId: number) => {
      const before = runState(data, runId)
      const lastStep = Math.max(0, ...before.checkpointSteps)
      if (lastStep > 0) counts.fromCheckpoint[who] += 1
      log(`${label}: the run's last checkpoint before the kill is at step ${lastStep}`)
      return { lastStep, savedEpochs: [...new Set(before.checkpointEpochs)].filter((e) => e > 0) }
    }
    /**
     * Where a training kill lands (mid-step, mid-checkpoint write, mid-metric batch), the same for the command and
     * the host: most (LATE_SHARE) after the run's first checkpoint, so its resume loads a checkpoint; the rest in
     * the first epoch, before any. Mid-step: a seeded fraction of an epoch after the start line (early) or after
     * epoch k's line (late, k >= 1). Hooked moments: the n-th checkpoint-file write (three per file; the first
     * checkpoint is two files, last and best: six writes) or metric row insert, counted from the start (early:
     * inside the first checkpoint or the first metric batch) or from the first checkpoint row (late:
     * `after-checkpoint`, bench/crash-hook.mjs; at least two more files and two metric batches follow it).
     */
    const planTrainingKill = (moment: Moment) => {
      const late = rng.float() < LATE_SHARE
      const afterEpoch = late ? rng.int(1, EPOCHS - 1) : 0
      const fraction = rng.float() * 0.8
      const n = moment === 'checkpoint' ? rng.int(1, 6) : rng.int(1, EPOCHS)
      const crashAt = moment === 'step' ? undefined : `${moment}:${n}${late ? ':after-checkpoint' : ''}`
      return { late, afterEpoch, fraction, crashAt }
    }
    /** A hooked kill planned after the first checkpoint found none: the plan (or the hook) is wrong, say so. */
    const checkLate = (label: string, who: Killed, plan: ReturnType<typeof planTrainingKill>, lastStep: number) => {
      if (plan.late) counts.plannedLate[who] += 1
      log(`${label}: planned ${plan.late ? 'after' : 'before'} the run's first checkpoint${plan.crashAt ? ` (held at ${plan.crashAt})` : ''}`)
      if (plan.late && plan.crashAt !== undefined && lastStep === 0) fail(`${label}: held at ${plan.crashAt}, yet the run had no checkpoint before the kill`)
    }
    /** An old fixture database (tests/fixtures/db) in `data`, and a kill planned inside one of its migrations. */
    const oldDatabase = (data: string) => {
      const fixture = oldSchemas[rng.int(0, oldSchemas.length - 1)]!
      rmSync(data, { recursive: true, force: true })
      mkdirSync(data, { recursive: true })
      const old = new Database(join(data, 'studio.db'))
      old.exec(readFileSync(join(fixtures, fixture), 'utf8'))
      old.close()
      const version = schemaVersion(data)
      // One exec per migration with SQL after the fixture's version (a code-only step execs nothing): stop inside one.
      const n = rng.int(1, Math.max(1, migrations.filter((m) => m.version > version && m.sql !== undefined).length))
      return { fixture, version, projects: projectCount(data), n, baseline: new Set(orphans(data)) }
    }
    const checkExport = (label: string, who: Killed, dir: string, out: string) => {
      const files = walk(out).sort()
      referenceExport[who] ??= files
      if (files.join() !== referenceExport[who].join()) fail(`${label}: the export holds ${files.join(', ')}`)
      const left = readdirSync(dir).filter((f) => f.endsWith('.partial'))
      if (left.length) {
        counts.orphanFiles += left.length
        fail(`${label}: staging folders left: ${left.join(', ')}`)
      }
    }
    const checkDatasets = (label: string, data: string) => {
      const db = new Database(join(data, 'studio.db'), { readonly: true })
      const rows = db.prepare(`SELECT status, COUNT(*) AS n FROM datasets GROUP BY status`).all() as { status: string; n: number }[]
      db.close()
      if (rows.length !== 1 || rows[0]!.status !== 'ready' || rows[0]!.n !== 2) fail(`${label}: datasets after the import again: ${JSON.stringify(rows)}`)
    }

    /** A kill of the `studio` command at `moment`; null when it finished before the moment. */
    const cliKill = async (moment: Moment, label: string, dir: string, data: string): Promise<Planned | null> => {
      let killed: Child
      let redo: () => Promise<boolean>
      let afterRedo: () => void = () => {}
      let baseline = new Set<string>()
      if (moment === 'step' || moment === 'checkpoint' || moment === 'metrics') {
        const runId = 2
        const train = ['train', '--graph', graph, '--dataset', DATASET, '--epochs', String(EPOCHS), '--batch', String(BATCH), '--json', '--data-dir', data]
        const plan = planTrainingKill(moment)
        if (moment === 'step') {
          // A seeded point inside epoch k + 1: after the start line or epoch k's line, a seeded fraction of an
          // epoch's time (the last epoch's, as printed).
          const { afterEpoch, fraction } = plan
          killed = await studio(train, {
            killWhen: (out) => {
              const lines = jsonLines(out)
              const epochs = lines.filter((l) => l.type === 'epoch')
              if (afterEpoch === 0 ? !lines.some((l) => l.type === 'start') : epochs.length < afterEpoch) return false
              const seconds = afterEpoch === 0 ? epochSeconds : (epochs[afterEpoch - 1]!.seconds as number)
              return Math.round(fraction * seconds * 1000)
            },
          })
          if (killed.killed && runStatus(data, runId) === 'completed') killed.killed = false
        } else {
          killed = await studio(train, { crashAt: plan.crashAt, killWhen: (_out, err) => err.includes('CRASH-POINT') })
        }
        if (!killed.killed) {
          log(`${label}: finished before the moment (exit ${killed.code})`)
          return null
        }
        const { lastStep, savedEpochs } = savedBefore(label, 'cli', data, runId)
        checkLate(label, 'cli', plan, lastStep)
        redo = async () => {
          const r = await studio(['train', '--resume', String(runId), '--json', '--data-dir', data])
          const lines = jsonLines(r.out)
          const start = lines.find((l) => l.type === 'start')
          const summary = lines.find((l) => l.type === 'summary')
          if (r.code !== 0 || summary?.status !== 'completed') {
            fail(`${label}: resume exited ${r.code}: ${r.err.slice(-400)}`)
            return false
          }
          if (start?.resumedFromStep !== lastStep) {
            fail(`${label}: resumed from step ${String(start?.resumedFromStep)}, its last checkpoint is at step ${lastStep}`)
            return false
          }
          return true
        }
        afterRedo = () => checkHistory(label, data, runId, savedEpochs)
      } else if (moment === 'import') {
        const n = rng.int(1, 4)
        killed = await studio(['dataset', 'mnist', '--count', '300', '--seed', '9', '--data-dir', data], { crashAt: `import:${n}`, killWhen: (_o, err) => err.includes('CRASH-POINT') })
        redo = async () => {
          const r = await studio(['dataset', 'mnist', '--count', '300', '--seed', '9', '--json', '--data-dir', data])
          if (r.code !== 0) fail(`${label}: the import again exited ${r.code}: ${r.err.slice(-400)}`)
          return r.code === 0
        }
        afterRedo = () => checkDatasets(label, data)
      } else if (moment === 'migration') {
        const old = oldDatabase(data)
        baseline = old.baseline
        killed = await studio(['runs', 'list', '--json', '--data-dir', data], { crashAt: `migration:${old.n}`, killWhen: (_o, err) => err.includes('CRASH-POINT') })
        const still = schemaVersion(data)
        if (killed.killed && still !== old.version) fail(`${label}: ${old.fixture} was at version ${old.version}, after the kill at ${still} (a migration half-applied)`)
        redo = async () => {
          const r = await studio(['runs', 'list', '--json', '--data-dir', data])
          if (r.code !== 0) fail(`${label}: opening ${old.fixture} again exited ${r.code}: ${r.err.slice(-400)}`)
          return r.code === 0
        }
        afterRedo = () => {
          const n2 = projectCount(data)
          if (n2 !== old.projects) fail(`${label}: ${old.fixture} had ${old.projects} projects, ${n2} after the upgrade`)
        }
      } else {
        const out = join(dir, 'export')
        const n = rng.int(1, 6)
        killed = await studio(['export', 'pytorch', '1', '--out', out, '--data-dir', data], { crashAt: `export:${n}`, killWhen: (_o, err) => err.includes('CRASH-POINT') })
        if (killed.killed && existsSync(out)) {
          counts.orphanFiles += 1
          fail(`${label}: the killed export left ${out} with ${walk(out).length} files`)
        }
        redo = async () => {
          const r = await studio(['export', 'pytorch', '1', '--out', out, '--data-dir', data])
          if (r.code !== 0) fail(`${label}: the export again exited ${r.code}: ${r.err.slice(-400)}`)
          return r.code === 0
        }
        afterRedo = () => checkExport(label, 'cli', dir, out)
      }
      if (!killed.killed) {
        log(`${label}: finished before the moment (exit ${killed.code})`)
        return null
      }
      return { killed, redo, afterRedo, baseline }
    }

    /**
     * The browser host started on `data`, its page's API client, `work` run against it, and the host stopped
     * cleanly (SIGTERM) whatever happened; false (and a failure) when it did not start.
     */
    const withHost = async (label: string, data: string, work: (url: string, api: Api) => Promise<boolean>): Promise<boolean> => {
      const host = launchHost(data, rendererDir)
      try {
        const url = await host.url
        if (!url) {
          fail(`${label}: the host did not start again (exit ${host.r.code}): ${host.r.err.slice(-400)}`)
          return false
        }
        return await work(url, (await pageApi(url)).api)
      } catch (error) {
        fail(`${label}: ${error instanceof Error ? error.message : String(error)}`)
        return false
      } finally {
        await host.stop()
      }
    }

    /**
     * A kill of the browser host at `moment` while it serves a page's calls (bench/crash-page.ts trains, the
     * campaign calls the import and the export as the page does); null when the work finished first. The page
     * is closed after the host's kill (a restarted host has a new token: the old tab cannot talk to it).
     */
    const hostKill = async (moment: Moment, label: string, dir: string, data: string): Promise<Planned | null> => {
      let baseline = new Set<string>()
      const held = (host: { r: Child }) => host.r.err.includes('CRASH-POINT')
      /** The host with the hook, its address, the page's API client (null when the host never got to serve). */
      const start = async (crashAt: string | undefined) => {
        const host = launchHost(data, rendererDir, crashAt)
        const url = await host.url
        return { host, url, api: url ? (await pageApi(url)).api : null }
      }
      const missed = async (host: Proc, why: string) => {
        if (!host.r.killed) await host.stop()
        log(`${label}: ${why}`)
        return null
      }
      if (moment === 'step' || moment === 'checkpoint' || moment === 'metrics') {
        const plan = planTrainingKill(moment)
        const { afterEpoch, fraction } = plan
        const page = launchPage(['train', graph, String(datasetId), String(EPOCHS), String(BATCH), String(PAGE_CHECKPOINT_MS)])
        const { host, url } = await start(plan.crashAt)
        if (!url) {
          page.kill()
          return missed(host, `the host did not start (exit ${host.r.code}): ${host.r.err.slice(-300)}`)
        }
        page.open(url)
        let pageEnded = false
        void page.done.then(() => (pageEnded = true))
        if (moment === 'step') {
          const lines = () => jsonLines(page.r.out)
          await until(() => pageEnded || (afterEpoch === 0 ? lines().some((l) => l.type === 'start') : lines().filter((l) => l.type === 'epoch').length >= afterEpoch), 180_000)
          await sleep(Math.round(fraction * epochSeconds * 1000))
          if (!pageEnded) host.kill()
        } else {
          await until(() => pageEnded || held(host), 180_000)
          if (held(host)) host.kill()
        }
        // The page's next write fails: the Train section must say so, with what to do (the host is not running).
        if (host.r.killed) {
          const said = () => jsonLines(page.r.out).find((l) => l.type === 'persist-error')?.text as string | undefined
          await until(() => pageEnded || said() !== undefined, 15_000)
          const text = said()
          if (!text || !text.startsWith('Could not save to the studio database: ') || !text.includes('Is `npm run start:web` still running?')) {
            counts.silentFailures += 1
            fail(`${label}: after the host's kill the page ${text ? `said only "${text}"` : 'did not say that its writes failed'}`)
          }
        }
        page.kill()
        await page.done
        await host.done
        const runId = newestRun(data)
        if (!host.r.killed || runId < 2 || runStatus(data, runId) === 'completed') {
          return missed(host, `the page's run finished before the moment (page exit ${page.r.code}${page.r.err ? `: ${page.r.err.slice(-300)}` : ''})`)
        }
        const { lastStep, savedEpochs } = savedBefore(label, 'host', data, runId)
        checkLate(label, 'host', plan, lastStep)
        return {
          killed: host.r,
          baseline,
          // A new host on the same folder, a new page: Resume (the run is 'running' with no live worker).
          redo: () => {
            const page2 = launchPage(['resume', String(runId), String(PAGE_CHECKPOINT_MS)])
            return withHost(label, data, async (url2) => {
              page2.open(url2)
              const r = await page2.done
              const end = jsonLines(r.out).find((l) => l.type === 'end')
              if (r.code !== 0 || end?.outcome !== 'completed') {
                fail(`${label}: Resume in a new page ended ${String(end?.outcome)} (exit ${r.code}): ${String(end?.message ?? '')} ${r.err.slice(-400)}`)
                return false
              }
              if (((end.resumedFromStep as number | null) ?? 0) !== lastStep) {
                fail(`${label}: resumed from step ${String(end.resumedFromStep)}, its last checkpoint is at step ${lastStep}`)
                return false
              }
              return true
            }).finally(() => page2.kill())
          },
          afterRedo: () => checkHistory(label, data, runId, savedEpochs),
        }
      }
      if (moment === 'import') {
        const { host, api } = await start(`import:${rng.int(1, 4)}`)
        if (!api) return missed(host, `the host did not start (exit ${host.r.code})`)
        // The page starts the import (it answers at once) and waits for it; the host is held inside its cache write.
        await api.datasets.importMnist({ count: 300, seed: 9 })
        await until(() => held(host) || host.r.code !== null, 120_000)
        if (!held(host)) return missed(host, 'the import finished before the moment')
        host.kill()
        await host.done
        return {
          killed: host.r,
          baseline,
          redo: () =>
            withHost(label, data, async (_url, api2) => {
              const { datasetId: id } = await api2.datasets.importMnist({ count: 300, seed: 9 })
              let result = 'importing'
              for (const end = Date.now() + 120_000; result === 'importing' && Date.now() < end; await sleep(100)) {
                result = await api2.datasets.get({ id }).then(
                  (d) => (d.status === 'ready' ? 'ready' : 'importing'),
                  (e: { code?: string; message?: string }) => (e.code === 'conflict' ? 'importing' : `failed: ${e.message}`),
                )
              }
              if (result !== 'ready') fail(`${label}: the import again ended ${result}`)
              return result === 'ready'
            }),
          afterRedo: () => checkDatasets(label, data),
        }
      }
      if (moment === 'migration') {
        const old = oldDatabase(data)
        baseline = old.baseline
        // The host upgrades the database as it starts, before it serves anything.
        const host = launchHost(data, rendererDir, `migration:${old.n}`)
        await until(() => held(host) || host.r.code !== null, 120_000)
        if (!held(host)) return missed(host, `the host started without reaching migration ${old.n}`)
        host.kill()
        await host.done
        const still = schemaVersion(data)
        if (still !== old.version) fail(`${label}: ${old.fixture} was at version ${old.version}, after the kill at ${still} (a migration half-applied)`)
        return {
          killed: host.r,
          baseline,
          redo: () =>
            withHost(label, data, async (_url, api2) => {
              const listed = (await api2.projects.list({})).length
              if (listed !== old.projects) fail(`${label}: ${old.fixture} had ${old.projects} projects, the upgraded host lists ${listed}`)
              return true
            }),
          afterRedo: () => {
            const n2 = projectCount(data)
            if (n2 !== old.projects) fail(`${label}: ${old.fixture} had ${old.projects} projects, ${n2} after the upgrade`)
          },
        }
      }
      const out = join(dir, 'export')
      const { host, api } = await start(`export:${rng.int(1, 6)}`)
      if (!api) return missed(host, `the host did not start (exit ${host.r.code})`)
      // The page's "Export as PyTorch project...", in flight while the host is held inside it.
      const call = api.exports.pytorchRun({ runId: 1, folder: out }).then(
        () => 'answered',
        () => 'failed',
      )
      await until(() => held(host) || host.r.code !== null, 120_000)
      if (!held(host)) {
        await call
        return missed(host, 'the export finished before the moment')
      }
      host.kill()
      await host.done
      await call
      if (existsSync(out)) {
        counts.orphanFiles += 1
        fail(`${label}: the killed export left ${out} with ${walk(out).length} files`)
      }
      return {
        killed: host.r,
        baseline,
        redo: () =>
          withHost(label, data, async (_url, api2) => {
            await api2.exports.pytorchRun({ runId: 1, folder: out })
            return true
          }),
        afterRedo: () => checkExport(label, 'host', dir, out),
      }
    }

    // Planned moments in turn until the kills landed (a kill planned too late is retried, bounded), the CLI's first.
    let i = 0
    for (const who of KILLED) {
      const want = who === 'cli' ? o.kills : (o.hostKills ?? 0)
      let landed = 0
      for (let k = 0; landed < want && k < want * 2; k++, i++) {
        const moments = who === 'cli' ? MOMENTS : (o.hostMoments ?? MOMENTS)
        const moment = moments[k % moments.length]!
        const dir = join(scratch, `kill-${i}`)
        const data = join(dir, 'data')
        const label = `kill ${i} (${who}, ${moment})`
        cpSync(template, data, { recursive: true })
        const planned = await (who === 'cli' ? cliKill : hostKill)(moment, label, dir, data)
        if (!planned) {
          counts.missed += 1
          rmSync(dir, { recursive: true, force: true })
          continue
        }
        landed += 1
        counts.kills += 1
        counts.byMoment[who][moment] += 1
        if (!integrityOk(data)) {
          counts.integrityFailures += 1
          fail(`${label}: integrity_check failed right after the kill`)
        }
        if (await planned.redo()) {
          counts.resumed += 1
          planned.afterRedo()
        }
        if (!integrityOk(data)) {
          counts.integrityFailures += 1
          fail(`${label}: integrity_check failed after the work was redone`)
        }
        const left = orphans(data).filter((f) => !planned.baseline.has(f))
        if (left.length) {
          counts.orphanFiles += left.length
          fail(`${label}: orphan files ${left.join(', ')}`)
        }
        log(`${label}: killed, ${counts.failures.length} failures so far`)
        rmSync(dir, { recursive: true, force: true })
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return counts
}
