/**
 * Benchmark: the runs store at scale, through the real services (ServiceHost.call: payload validation included,
 * the path both hosts use, minus the transport).
 *
 * Fills a temporary data folder with R runs (default 10,000) of P metric points each (default 5,000), laid out
 * as the recorder writes them: 4 step metrics (train/loss, train/acc, lr, images_per_sec) and 4 epoch metrics
 * (epoch/train_loss, epoch/train_acc, val/loss, val/acc), appended with runs.appendMetrics in batches of one
 * epoch (the recorder flushes at least at every epoch end). Each run's config is a Train-view snapshot with a
 * ResNet-20 graph document (the table must not parse it); runs come in threes that differ only in their seed
 * (seeds 0, 1, 2). Then it times (median of 7 after one warm-up):
 *   - ingest: metric points per second over all appendMetrics calls; the database size per million points;
 *   - runs table (services): runs.table for the project (default sort), and with a config extra column, metric
 *     extra columns, a text filter and a threshold;
 *   - overlay (services): runs.metricsMany for 20 runs with the names a Compare overlay shows (train/loss,
 *     val/loss, val/acc, train/acc), full resolution and downsampled to 1,000 points;
 *   - through the browser host's HTTP API (POST /api/studio:runs.<method>, the token in its header, as the page
 *     calls it; runs.curves answers in the binary envelope as float32 curves, runs.table as packed columns, both
 *     unpacked here as the renderer unpacks them): the runs table
 *     with chosen per-column values (best, last, at a step, at an epoch), sorted by one of them (its first call
 *     too, which reads every run's value at the step and epoch); grouped by the seed; grouped by everything except the seed; and a grouped
 *     overlay of 200 runs (runs.curves as Compare asks: 4 metrics on 1,000 pixel columns, a band per group;
 *     and again with each run's own curve).
 * Prints one JSON object with the numbers, the targets and pass/fail per target; exits 1 when a target fails.
 *
 *   npx tsx bench/runs.ts [--runs 10000] [--points 5000] [--keep]
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { request } from 'node:http'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { decodeEnvelope, ENVELOPE_CONTENT_TYPE, methodChannel, unpackRunsTable, type CallResult, type CurvesResult, type PackedRunsTable, type RunSeries } from '../shared/api/index'
import { unpackCurves } from '../shared/compare/index'
import { getTemplate } from '../shared/graph/index'
import { startStudio } from '../main/studio'
import { startWebHost } from '../main/web/server'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN
  return Number.isFinite(v) ? v : def
}

const RUNS = arg('runs', 10_000)
const POINTS = arg('points', 5000)
const KEEP = process.argv.includes('--keep')
const TARGETS = { runsTableMs: 300, overlay20Ms: 150, groupedOverlay200Ms: 300, ingestPointsPerSec: 100_000 }
const STEP_METRICS = ['train/loss', 'train/acc', 'lr', 'images_per_sec'] as const
const EPOCH_METRICS = ['epoch/train_loss', 'epoch/train_acc', 'val/loss', 'val/acc'] as const
const OVERLAY_NAMES = ['train/loss', 'val/loss', 'val/acc', 'train/acc']

const dir = mkdtempSync(join(tmpdir(), 'cnn-studio-bench-runs-'))
const dataDir = join(dir, 'data')
const studio = startStudio({ dataDir, host: 'browser' })

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
    // Runs in threes that differ only in the seed: settings from r / 3, the seed r % 3.
    const k = Math.floor(r / 3)
    const lr = [0.1, 0.03, 0.01, 0.003, 0.001][k % 5] as number
    const tc = performance.now()
    const run = await call<{ id: number }>('create', {
      projectId,
      name: `run ${r}`,
      backend: 'webgpu',
      config: {
        kind: 'cnn-studio/train',
        format: 1,
        architecture: { id: 1, name: 'ResNet-20', versionId: 1, version: 1 + (k % 3), document },
        dataset: { id: 1, name: k % 2 ? 'CIFAR-10' : 'MNIST', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], shape: [32, 32, 3] },
        pipeline: null,
        training: {
          epochs,
          batchSize: [32, 64, 128][k % 3],
          seed: r % 3,
          learningRate: lr,
          optimizer: k % 2 ? { type: 'sgd', momentum: 0.9, nesterov: false } : { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
          schedule: { type: k % 4 ? 'cosine' : 'constant', warmupEpochs: k % 7 },
          weightDecay: k % 2 ? 5e-4 : 0,
          decayBiasAndNorm: false,
          clipGradNorm: null,
          groups: [],
          dropLast: false,
          checkpoint: { keepEvery: 0 },
        },
        seed: r % 3,
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

  // The table as the renderer takes it: packed as columns by the service, unpacked into rows (shared/api/columns).
  const table = async (q: unknown) => unpackRunsTable(await call<PackedRunsTable>('table', q))
  const tableMs = await timeIt(() => table({ projectId }))
  const tableRows = (await table({ projectId })).rows.length
  const tableQuery = {
    projectId,
    sort: { column: 'metric:val/loss:best', dir: 'asc' },
    filter: { text: 'run', metrics: [{ name: 'bestValAccuracy', op: '>=', value: 0.5 }] },
    extraColumns: ['training.optimizer.momentum', 'metric:val/loss:best', 'metric:train/loss'],
  }
  const tableExtrasMs = await timeIt(() => table(tableQuery))
  const overlayIds = runIds.filter((_, i) => i % Math.max(1, Math.floor(RUNS / 20)) === 0).slice(0, 20)
  const overlayMs = await timeIt(() => call<RunSeries[]>('metricsMany', { runIds: overlayIds, names: OVERLAY_NAMES }))
  const overlay = await call<RunSeries[]>('metricsMany', { runIds: overlayIds, names: OVERLAY_NAMES })
  const overlayPoints = overlay.reduce((a, r) => a + Object.values(r.series).reduce((b, s) => b + s.step.length, 0), 0)
  const overlayDownMs = await timeIt(() => call<RunSeries[]>('metricsMany', { runIds: overlayIds, names: OVERLAY_NAMES, downsample: { maxPoints: 1000 } }))

  // The database on disk (WAL folded in) per million points.
  studio.db.pragma('wal_checkpoint(TRUNCATE)')
  const dbBytes = statSync(join(dataDir, 'studio.db')).size
  const dbMBPerMillionPoints = dbBytes / 2 ** 20 / (points / 1e6)

  // Through the browser host's HTTP API.
  const rendererDir = join(dir, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<html><head></head><body>bench</body></html>')
  const web = await startWebHost({ services: studio.services, rendererDir, dataDir })
  let responseBytes = 0
  // One connection per call (no keep-alive): a reused socket that the server closed while the bench parsed a large
  // answer would reset the next call.
  const http = async <T>(method: string, payload: unknown): Promise<T> => {
    const body = JSON.stringify(payload)
    const answer = await new Promise<{ bytes: Buffer; binary: boolean }>((resolve, reject) => {
      const req = request(
        new URL(`/api/${encodeURIComponent(methodChannel('runs', method))}`, web.url),
        { method: 'POST', agent: false, headers: { 'X-Studio-Token': web.token, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ bytes: Buffer.concat(chunks), binary: res.headers['content-type'] === ENVELOPE_CONTENT_TYPE }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
    responseBytes = answer.bytes.length
    // As the renderer's transport reads it: JSON, or the binary envelope when the answer carries bytes (runs.curves).
    const r = (answer.binary ? decodeEnvelope(new Uint8Array(answer.bytes.buffer, answer.bytes.byteOffset, answer.bytes.length)) : JSON.parse(answer.bytes.toString('utf8'))) as CallResult
    if (!r.ok) throw new Error(`${method} over HTTP: ${r.error.message}`)
    return r.value as T
  }
  const httpTable = async (q: unknown) => unpackRunsTable(await http<PackedRunsTable>('table', q))
  const chosen = ['metric:val/acc:best', 'metric:val/loss:last', 'metric:train/loss:step=1000', 'metric:val/acc:epoch=10']
  const httpTableQuery = { projectId, sort: { column: 'metric:train/loss:step=1000', dir: 'asc' }, extraColumns: chosen }
  // The first call reads every run's values at the step and epoch (later ones reuse what is kept per run).
  const httpTableFirst0 = performance.now()
  await httpTable(httpTableQuery)
  const httpTableFirstMs = performance.now() - httpTableFirst0
  const httpTableMs = await timeIt(() => httpTable(httpTableQuery))
  const httpTableBytes = responseBytes
  const bySeedMs = await timeIt(() => httpTable({ ...httpTableQuery, extraColumns: [...chosen, 'training.seed'], group: { kind: 'columns', columns: ['training.seed'] } }))
  const bySeed = await httpTable({ ...httpTableQuery, extraColumns: [...chosen, 'training.seed'], group: { kind: 'columns', columns: ['training.seed'] } })
  const exceptSeedMs = await timeIt(() => httpTable({ ...httpTableQuery, group: { kind: 'exceptSeed' } }))
  const exceptSeed = await httpTable({ ...httpTableQuery, group: { kind: 'exceptSeed' } })
  // A grouped overlay: the 200 runs of the first groups of "everything except the seed", as Compare asks for them
  // (runs.curves: aligned by step on 1,000 pixel columns, each group's mean/std/min/max band; and with every run's
  // own min/max curve too).
  const groups200: { key: string; runIds: number[] }[] = []
  let taken = 0
  for (const g of exceptSeed.groups ?? []) {
    if (taken >= 200) break
    const ids = g.runIds.slice(0, 200 - taken)
    groups200.push({ key: g.key, runIds: ids })
    taken += ids.length
  }
  const overlay200Ids = groups200.flatMap((g) => g.runIds)
  const overlay200Query = { runIds: overlay200Ids, names: OVERLAY_NAMES, axis: 'step', columns: 1000, groups: groups200, runs: false }
  const overlay200Ms = await timeIt(async () => unpackCurves(await http<CurvesResult>('curves', overlay200Query))) // and unpacked, as Compare does
  const overlay200Bytes = responseBytes
  const overlay200RunsMs = await timeIt(async () => unpackCurves(await http<CurvesResult>('curves', { ...overlay200Query, runs: true })))
  const overlay200RunsBytes = responseBytes
  await web.close()

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
    dbBytes,
    dbMBPerMillionPoints: +dbMBPerMillionPoints.toFixed(1),
    http: {
      runsTableChosenColumnsFirstCallMs: +httpTableFirstMs.toFixed(1),
      runsTableChosenColumnsMs: +httpTableMs.toFixed(1),
      runsTableChosenColumns: chosen,
      runsTableResponseMB: +(httpTableBytes / 2 ** 20).toFixed(2),
      groupedBySeedMs: +bySeedMs.toFixed(1),
      groupedBySeedGroups: bySeed.groups?.length ?? 0,
      groupedExceptSeedMs: +exceptSeedMs.toFixed(1),
      groupedExceptSeedGroups: exceptSeed.groups?.length ?? 0,
      groupedOverlay200Ms: +overlay200Ms.toFixed(1),
      groupedOverlay200Runs: overlay200Ids.length,
      groupedOverlay200Groups: groups200.length,
      groupedOverlay200ResponseMB: +(overlay200Bytes / 2 ** 20).toFixed(2),
      groupedOverlay200WithRunCurvesMs: +overlay200RunsMs.toFixed(1),
      groupedOverlay200WithRunCurvesResponseMB: +(overlay200RunsBytes / 2 ** 20).toFixed(2),
    },
    targets: {
      runsTableMs: `< ${TARGETS.runsTableMs}`,
      overlay20Ms: `< ${TARGETS.overlay20Ms}`,
      groupedOverlay200Ms: `< ${TARGETS.groupedOverlay200Ms}`,
      ingestPointsPerSec: `> ${TARGETS.ingestPointsPerSec}`,
    },
    pass: {
      runsTable: [tableMs, tableExtrasMs, httpTableMs, bySeedMs, exceptSeedMs].every((ms) => ms < TARGETS.runsTableMs),
      overlay20: overlayMs < TARGETS.overlay20Ms,
      groupedOverlay200: overlay200Ms < TARGETS.groupedOverlay200Ms,
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
