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
import { createRng } from '../shared/random/index'
import { GraphBuilder, serializeGraphDocument } from '../shared/graph/index'
import { migrations } from '../main/store/migrations'

export const MOMENTS = ['step', 'checkpoint', 'metrics', 'import', 'migration', 'export'] as const
export type Moment = (typeof MOMENTS)[number]

export interface CrashCounts {
  kills: number
  byMoment: Record<Moment, number>
  /** The work redone after the kill and finished (a run resumed to completion, an import, a migration, an export). */
  resumed: number
  /** Epochs that had a checkpoint before the kill and are missing or doubled in the finished run's history. */
  lostEpochs: number
  integrityFailures: number
  /** Temporary/staging files, checkpoint files without rows, rows without files, dataset folders without rows. */
  orphanFiles: number
  /** Gaps or duplicates in a finished run's step history. */
  historyErrors: number
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

interface Child {
  code: number | null
  signal: NodeJS.Signals | null
  out: string
  err: string
  killed: boolean
}

/** Runs `studio <args>`; `killWhen` sees the output so far and says when to SIGKILL it. */
function studio(args: string[], o: { crashAt?: string; killWhen?: (out: string, err: string) => boolean | number; timeoutMs?: number } = {}): Promise<Child> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
    if (o.crashAt) {
      env.CRASH_AT = o.crashAt
      env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${HOOK}`.trim()
    } else delete env.CRASH_AT
    const child = spawn(TSX, ['--tsconfig', 'tsconfig.main.json', 'main/cli/index.ts', ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    // tsx runs the command in a child node process: the SIGKILL goes to the whole process group, both of them.
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    const r: Child = { code: null, signal: null, out: '', err: '', killed: false }
    let timer: NodeJS.Timeout | null = null
    const kill = () => {
      if (r.killed || r.code !== null) return
      r.killed = true
      killGroup()
    }
    const check = () => {
      if (!o.killWhen || r.killed || timer) return
      const when = o.killWhen(r.out, r.err)
      if (when === true) kill()
      else if (typeof when === 'number') timer = setTimeout(kill, when)
    }
    child.stdout.on('data', (d: Buffer) => ((r.out += d.toString()), check()))
    child.stderr.on('data', (d: Buffer) => ((r.err += d.toString()), check()))
    const limit = setTimeout(killGroup, o.timeoutMs ?? 240_000)
    child.on('close', (code, signal) => {
      clearTimeout(limit)
      if (timer) clearTimeout(timer)
      r.code = code
      r.signal = signal
      done(r)
    })
  })
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
    return db
      .prepare('SELECT m.step AS step, m.epoch AS epoch FROM metrics m JOIN metric_names n ON n.id = m.name_id WHERE m.run_id = ? AND n.name = ? ORDER BY m.step')
      .all(runId, name) as { step: number; epoch: number }[]
  } finally {
    db.close()
  }
}

export interface CampaignOptions {
  readonly kills: number
  readonly seed: number
  readonly log?: (line: string) => void
}

/** Runs the campaign; a scratch folder is made and removed here. */
export async function crashCampaign(o: CampaignOptions): Promise<CrashCounts> {
  const log = o.log ?? (() => {})
  const rng = createRng(`crash-campaign-${o.seed}`)
  const scratch = mkdtempSync(join(tmpdir(), 'cnn-studio-crash-'))
  const counts: CrashCounts = {
    kills: 0,
    byMoment: Object.fromEntries(MOMENTS.map((m) => [m, 0])) as Record<Moment, number>,
    resumed: 0,
    lostEpochs: 0,
    integrityFailures: 0,
    orphanFiles: 0,
    historyErrors: 0,
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
    const setup = await studio(['dataset', 'mnist', '--count', '150', '--seed', '3', '--data-dir', template])
    if (setup.code !== 0) throw new Error(`dataset mnist failed: ${setup.err}`)
    const done = await studio(['train', '--graph', graph, '--dataset', DATASET, '--epochs', '1', '--batch', String(BATCH), '--json', '--data-dir', template])
    if (done.code !== 0) throw new Error(`the template run failed: ${done.err}`)
    const first = jsonLines(done.out)[0]!
    const stepsPerEpoch = first.stepsPerEpoch as number
    const epochSeconds = jsonLines(done.out).find((l) => l.type === 'epoch')!.seconds as number
    let referenceExport: string[] | null = null
    const fixtures = join(repo, 'tests/fixtures/db')
    const oldSchemas = readdirSync(fixtures).filter((f) => /^schema-v\d+\.sql$/.test(f))

    // Planned moments in turn until `kills` kills landed (a mid-step kill planned too late is retried, bounded).
    for (let i = 0; counts.kills < o.kills && i < o.kills * 2; i++) {
      const moment = MOMENTS[i % MOMENTS.length]!
      const dir = join(scratch, `kill-${i}`)
      const data = join(dir, 'data')
      const label = `kill ${i} (${moment})`
      cpSync(template, data, { recursive: true })
      let killed: Child
      let redo: () => Promise<boolean>
      let afterRedo: () => void = () => {}
      // What the folder held before the kill is not the kill's doing (an old fixture's rows have no files).
      let baseline = new Set<string>()

      if (moment === 'step' || moment === 'checkpoint' || moment === 'metrics') {
        const runId = 2
        const train = ['train', '--graph', graph, '--dataset', DATASET, '--epochs', String(EPOCHS), '--batch', String(BATCH), '--json', '--data-dir', data]
        if (moment === 'step') {
          // A seeded point inside epoch k + 1 (k in 0..EPOCHS-1): after the start line or epoch k's line, a seeded
          // fraction of an epoch's time (the last epoch's, as printed).
          const afterEpoch = rng.int(0, EPOCHS - 1)
          const fraction = rng.float() * 0.8
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
          // A checkpoint is one or two files (last, best when it is) of three writes each; a metric batch at least one per epoch.
          const n = moment === 'checkpoint' ? rng.int(1, 3 * EPOCHS) : rng.int(1, EPOCHS)
          killed = await studio(train, { crashAt: `${moment}:${n}`, killWhen: (_out, err) => err.includes('CRASH-POINT') })
        }
        if (!killed.killed) {
          counts.missed += 1
          log(`${label}: finished before the moment (exit ${killed.code})`)
          rmSync(dir, { recursive: true, force: true })
          continue
        }
        const before = runState(data, runId)
        const lastStep = Math.max(0, ...before.checkpointSteps)
        const savedEpochs = [...new Set(before.checkpointEpochs)].filter((e) => e > 0)
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
        afterRedo = () => {
          const total = EPOCHS * stepsPerEpoch
          const steps = metricSteps(data, runId, 'train/loss').map((s) => s.step)
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
      } else if (moment === 'import') {
        const n = rng.int(1, 4)
        killed = await studio(['dataset', 'mnist', '--count', '300', '--seed', '9', '--data-dir', data], { crashAt: `import:${n}`, killWhen: (_o, err) => err.includes('CRASH-POINT') })
        redo = async () => {
          const r = await studio(['dataset', 'mnist', '--count', '300', '--seed', '9', '--json', '--data-dir', data])
          if (r.code !== 0) fail(`${label}: the import again exited ${r.code}: ${r.err.slice(-400)}`)
          return r.code === 0
        }
        afterRedo = () => {
          const db = new Database(join(data, 'studio.db'), { readonly: true })
          const rows = db.prepare(`SELECT status, COUNT(*) AS n FROM datasets GROUP BY status`).all() as { status: string; n: number }[]
          db.close()
          if (rows.length !== 1 || rows[0]!.status !== 'ready' || rows[0]!.n !== 2) fail(`${label}: datasets after the import again: ${JSON.stringify(rows)}`)
        }
      } else if (moment === 'migration') {
        const fixture = oldSchemas[rng.int(0, oldSchemas.length - 1)]!
        rmSync(data, { recursive: true, force: true })
        mkdirSync(data, { recursive: true })
        const old = new Database(join(data, 'studio.db'))
        old.exec(readFileSync(join(fixtures, fixture), 'utf8'))
        const version = (old.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v
        const projects = (old.prepare('SELECT COUNT(*) AS n FROM projects').get() as { n: number }).n
        old.close()
        baseline = new Set(orphans(data))
        // One exec per migration with SQL after the fixture's version (a code-only step execs nothing): stop inside one.
        const n = rng.int(1, Math.max(1, migrations.filter((m) => m.version > version && m.sql !== undefined).length))
        killed = await studio(['runs', 'list', '--json', '--data-dir', data], { crashAt: `migration:${n}`, killWhen: (_o, err) => err.includes('CRASH-POINT') })
        const after = new Database(join(data, 'studio.db'))
        const still = (after.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v
        after.close()
        if (killed.killed && still !== version) fail(`${label}: ${fixture} was at version ${version}, after the kill at ${still} (a migration half-applied)`)
        redo = async () => {
          const r = await studio(['runs', 'list', '--json', '--data-dir', data])
          if (r.code !== 0) fail(`${label}: opening ${fixture} again exited ${r.code}: ${r.err.slice(-400)}`)
          return r.code === 0
        }
        afterRedo = () => {
          const db = new Database(join(data, 'studio.db'), { readonly: true })
          const n2 = (db.prepare('SELECT COUNT(*) AS n FROM projects').get() as { n: number }).n
          db.close()
          if (n2 !== projects) fail(`${label}: ${fixture} had ${projects} projects, ${n2} after the upgrade`)
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
        afterRedo = () => {
          const files = walk(out).sort()
          referenceExport ??= files
          if (files.join() !== referenceExport.join()) fail(`${label}: the export holds ${files.join(', ')}`)
          const left = readdirSync(dir).filter((f) => f.endsWith('.partial'))
          if (left.length) {
            counts.orphanFiles += left.length
            fail(`${label}: staging folders left: ${left.join(', ')}`)
          }
        }
      }
      if (!killed.killed) {
        counts.missed += 1
        log(`${label}: finished before the moment (exit ${killed.code})`)
        rmSync(dir, { recursive: true, force: true })
        continue
      }
      counts.kills += 1
      counts.byMoment[moment] += 1
      if (!integrityOk(data)) {
        counts.integrityFailures += 1
        fail(`${label}: integrity_check failed right after the kill`)
      }
      if (await redo()) {
        counts.resumed += 1
        afterRedo()
      }
      if (!integrityOk(data)) {
        counts.integrityFailures += 1
        fail(`${label}: integrity_check failed after the work was redone`)
      }
      const left = orphans(data).filter((f) => !baseline.has(f))
      if (left.length) {
        counts.orphanFiles += left.length
        fail(`${label}: orphan files ${left.join(', ')}`)
      }
      log(`${label}: killed, ${counts.failures.length} failures so far`)
      rmSync(dir, { recursive: true, force: true })
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return counts
}
