/**
 * Benchmark: the runs store at scale, through the real services (ServiceHost.call: payload validation included,
 * the path both hosts use, minus the transport).
 *
 * Fills a temporary data folder with R runs (default 1,000) of P metric points each (default 5,000), laid out
 * as the recorder writes them: 4 step metrics (train/loss, train/acc, lr, images_per_sec) and 4 epoch metrics
 * (epoch/train_loss, epoch/train_acc, val/loss, val/acc), appended with runs.appendMetrics in batches of one
 * epoch (the recorder flushes at least at every epoch end). Each run's config is a Train-view snapshot with a
 * ResNet-20 graph document (the table must not parse it). Then it times:
 *   - ingest: metric points per second over all appendMetrics calls;
 *   - runs table: runs.table for the project (default sort), and again with a config extra column, a metric
 *     extra column, a text filter and a threshold (median of 7 after one warm-up);
 *   - overlay: runs.metricsMany for 20 runs with the names a Compare overlay shows (train/loss, val/loss,
 *     val/acc, train/acc), full resolution and downsampled to 1,000 points (median of 7).
 * Prints one JSON object with the numbers, the targets and pass/fail per target; exits 1 when a target fails.
 *
 *   npx tsx bench/runs.ts [--runs 1000] [--points 5000] [--keep]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { methodChannel, type CallResult, type RunsTable, type RunSeries } from '../shared/api/index'
import { getTemplate } from '../shared/graph/index'
import { startStudio } from '../main/studio'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN
  return Number.isFinite(v) ? v : def
}

const RUNS = arg('runs', 1000)
const POINTS = arg('points', 5000)
const KEEP = process.argv.includes('--keep')
const TARGETS = { runsTableMs: 300, overlay20Ms: 150, ingestPointsPerSec: 100_000 }
const STEP_METRICS = ['train/loss', 'train/acc', 'lr', 'images_per_sec'] as const
const EPOCH_METRICS = ['epoch/train_loss', 'epoch/train_acc', 'val/loss', 'val/acc'] as const
const OVERLAY_NAMES = ['train/loss', 'val/loss', 'val/acc', 'train/acc']

const dir = mkdtempSync(join(tmpdir(), 'cnn-studio-bench-runs-'))
const studio = startStudio({ dataDir: dir, host: 'browser' })

async function call<T>(method: string, payload: unknown): Promise<T> {
  const r: CallResult = await studio.services.call(methodChannel('runs', method), payload)
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`)
  return r.value as T
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
async function timeIt(fn: () => Promise<unknown>, reps = 7): Promise<number> {
  await fn()
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}

// Seeded LCG: deterministic data without Math.random.
let seed = 12345
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32)

async function main() {
  const project = (await studio.services.call(methodChannel('projects', 'create'), { name: 'bench' })) as CallResult
  if (!project.ok) throw new Error(project.error.message)
  const projectId = (project.value as { id: number }).id
  const document = getTemplate('resnet20')!.build([32, 32, 3], 10)

  // Points per run: epochs * (stepsPerEpoch * 4 + 4) = POINTS.
  const epochs = 25
  const stepsPerEpoch = Math.max(1, Math.round((POINTS / epochs - EPOCH_METRICS.length) / STEP_METRICS.length))
  const pointsPerRun = epochs * (stepsPerEpoch * STEP_METRICS.length + EPOCH_METRICS.length)

  const runIds: number[] = []
  let ingestMs = 0
  let points = 0
  let calls = 0
  const tCreate0 = performance.now()
  let createMs = 0
  for (let r = 0; r < RUNS; r++) {
    const lr = [0.1, 0.03, 0.01, 0.003, 0.001][r % 5] as number
    const tc = performance.now()
    const run = await call<{ id: number }>('create', {
      projectId,
      name: `run ${r}`,
      backend: 'webgpu',
      config: {
        kind: 'cnn-studio/train',
        format: 1,
        architecture: { id: 1, name: 'ResNet-20', versionId: 1, version: 1 + (r % 3), document },
        dataset: { id: 1, name: r % 2 ? 'CIFAR-10' : 'MNIST', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], shape: [32, 32, 3] },
        pipeline: null,
        training: {
          epochs,
          batchSize: [32, 64, 128][r % 3],
          seed: r,
          learningRate: lr,
          optimizer: r % 2 ? { type: 'sgd', momentum: 0.9, nesterov: false } : { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
          schedule: { type: r % 4 ? 'cosine' : 'constant', warmupEpochs: 0 },
          weightDecay: r % 2 ? 5e-4 : 0,
          decayBiasAndNorm: false,
          clipGradNorm: null,
          groups: [],
          dropLast: false,
          checkpoint: { keepEvery: 0 },
        },
        seed: r,
        backendRequested: 'webgpu',
        appVersion: '0.1.0',
      },
    })
    createMs += performance.now() - tc
    runIds.push(run.id)
    let step = 0
    let best = 0
    let bestEpoch = 1
    for (let e = 1; e <= epochs; e++) {
      const batch: { name: string; step: number; epoch: number; value: number; time: number }[] = []
      for (let s = 0; s < stepsPerEpoch; s++) {
        step++
        const progress = step / (epochs * stepsPerEpoch)
        const epoch = step / stepsPerEpoch
        const loss = 2.3 * Math.exp(-3 * progress) + 0.05 * rand()
        batch.push({ name: 'train/loss', step, epoch, value: loss, time: step * 0.05 })
        batch.push({ name: 'train/acc', step, epoch, value: 1 - loss / 2.5, time: step * 0.05 })
        batch.push({ name: 'lr', step, epoch, value: lr * (1 - progress), time: step * 0.05 })
        batch.push({ name: 'images_per_sec', step, epoch, value: 2000 + 100 * rand(), time: step * 0.05 })
      }
      const valAcc = Math.min(0.999, 0.5 + 0.45 * (e / epochs) + 0.02 * rand())
      if (valAcc > best) {
        best = valAcc
        bestEpoch = e
      }
      for (const [name, value] of [
        ['epoch/train_loss', 2.3 * Math.exp(-3 * (e / epochs))],
        ['epoch/train_acc', 1 - Math.exp(-3 * (e / epochs))],
        ['val/loss', 2.3 * Math.exp(-2.5 * (e / epochs)) + 0.05 * rand()],
        ['val/acc', valAcc],
      ] as const) {
        batch.push({ name, step, epoch: e, value, time: step * 0.05 })
      }
      const t0 = performance.now()
      await call('appendMetrics', { runId: run.id, points: batch })
      ingestMs += performance.now() - t0
      points += batch.length
      calls++
    }
    await call('update', { id: run.id, status: 'completed', bestValAccuracy: best, bestEpoch, finalLoss: 0.1 + 0.1 * rand(), durationMs: 60_000 })
    if (r % 7 === 0) await call('tag', { runIds: [run.id], tags: ['baseline'] })
  }
  const fillMs = performance.now() - tCreate0

  const tableMs = await timeIt(() => call<RunsTable>('table', { projectId }))
  const tableRows = (await call<RunsTable>('table', { projectId })).rows.length
  const tableQuery = {
    projectId,
    sort: { column: 'metric:val/loss:best', dir: 'asc' },
    filter: { text: 'run', metrics: [{ name: 'bestValAccuracy', op: '>=', value: 0.5 }] },
    extraColumns: ['training.optimizer.momentum', 'metric:val/loss:best', 'metric:train/loss'],
  }
  const tableExtrasMs = await timeIt(() => call<RunsTable>('table', tableQuery))
  const overlayIds = runIds.filter((_, i) => i % Math.floor(RUNS / 20 || 1) === 0).slice(0, 20)
  const overlayMs = await timeIt(() => call<RunSeries[]>('metricsMany', { runIds: overlayIds, names: OVERLAY_NAMES }))
  const overlay = await call<RunSeries[]>('metricsMany', { runIds: overlayIds, names: OVERLAY_NAMES })
  const overlayPoints = overlay.reduce((a, r) => a + Object.values(r.series).reduce((b, s) => b + s.step.length, 0), 0)
  const overlayDownMs = await timeIt(() => call<RunSeries[]>('metricsMany', { runIds: overlayIds, names: OVERLAY_NAMES, downsample: { maxPoints: 1000 } }))

  const ingest = points / (ingestMs / 1000)
  const result = {
    bench: 'runs',
    node: process.version,
    runs: RUNS,
    pointsPerRun,
    totalPoints: points,
    appendCalls: calls,
    pointsPerCall: Math.round(points / calls),
    fillSeconds: +(fillMs / 1000).toFixed(1),
    createMsPerRun: +(createMs / RUNS).toFixed(2),
    ingestPointsPerSec: Math.round(ingest),
    runsTableMs: +tableMs.toFixed(1),
    runsTableRows: tableRows,
    runsTableWithExtrasMs: +tableExtrasMs.toFixed(1),
    overlay20Ms: +overlayMs.toFixed(1),
    overlay20Points: overlayPoints,
    overlay20DownsampledMs: +overlayDownMs.toFixed(1),
    targets: { runsTableMs: `< ${TARGETS.runsTableMs}`, overlay20Ms: `< ${TARGETS.overlay20Ms}`, ingestPointsPerSec: `> ${TARGETS.ingestPointsPerSec}` },
    pass: {
      runsTable: tableMs < TARGETS.runsTableMs && tableExtrasMs < TARGETS.runsTableMs,
      overlay20: overlayMs < TARGETS.overlay20Ms,
      ingest: ingest > TARGETS.ingestPointsPerSec,
    },
    dataDir: KEEP ? dir : undefined,
  }
  console.log(JSON.stringify(result, null, 2))
  return Object.values(result.pass).every(Boolean)
}

main()
  .then((ok) => {
    studio.close()
    if (!KEEP) rmSync(dir, { recursive: true, force: true })
    process.exit(ok ? 0 : 1)
  })
  .catch((e: unknown) => {
    console.error(e)
    studio.close()
    if (!KEEP) rmSync(dir, { recursive: true, force: true })
    process.exit(2)
  })
