import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ApiError, projectsContract, runsContract, unpackRunsTable, type RunsTableQuery } from '@shared/api'
import { analyzeGraph, getTemplate } from '@shared/graph'
import { settingsKey } from '@shared/runs'
import { decodeChunk } from '../../main/services/metric-chunks'
import { RUNS_TABLE_SQL } from '../../main/services/runs-table'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()
async function setup() {
  const t = tempDataDir()
  let studio = openStudio(t.dir)
  temps.push(() => studio.close(), t.cleanup)
  const project = await clientFor(studio, projectsContract).create({ name: 'p' })
  return {
    get studio() {
      return studio
    },
    dir: t.dir,
    project,
    /** The runs service, its table unpacked as the renderer unpacks it. */
    runs: () => {
      const client = clientFor(studio, runsContract)
      return { ...client, table: async (q: RunsTableQuery) => unpackRunsTable(await client.table(q)) }
    },
    reopen() {
      studio.close()
      studio = openStudio(t.dir)
    },
  }
}

const lenet = getTemplate('lenet5')!.build([28, 28, 1], 10)
const trainSnapshot = (over: { lr?: number; optimizer?: string; batchSize?: number; dataset?: string; version?: number; momentum?: number } = {}) => ({
  kind: 'cnn-studio/train',
  format: 1,
  architecture: { id: 1, name: 'LeNet', versionId: 1, version: over.version ?? 1, document: lenet },
  dataset: { id: 1, name: over.dataset ?? 'MNIST', classes: ['0', '1'] },
  training: {
    epochs: 3,
    batchSize: over.batchSize ?? 64,
    learningRate: over.lr ?? 0.01,
    optimizer: over.optimizer === 'sgd' ? { type: 'sgd', momentum: over.momentum ?? 0.9, nesterov: false } : { type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    schedule: { type: 'cosine', warmupEpochs: 0 },
    weightDecay: 5e-4,
  },
  seed: 1,
})

const curve = (name: string, steps: number, f: (step: number) => number, perEpoch = 10) =>
  Array.from({ length: steps }, (_, i) => ({ name, step: i + 1, epoch: (i + 1) / perEpoch, value: f(i + 1), time: i }))

describe('runs table', () => {
  it('returns the table columns; the parameter count comes from the snapshot or from the graph', async () => {
    const { project, runs } = await setup()
    const r1 = await runs().create({ projectId: project.id, name: 'lenet adam', config: trainSnapshot(), backend: 'webgpu' })
    const r2 = await runs().create({ projectId: project.id, config: { graph: { template: 'lenet5', document: lenet }, dataset: { name: 'CIFAR' }, training: { learningRate: 0.1, optimizer: { type: 'sgd' }, batchSize: 32, epochs: 2 }, params: 1234 } })
    const r3 = await runs().create({ projectId: project.id, config: { optimizer: { kind: 'adam', lr: 1e-3 } } })
    const params = analyzeGraph(lenet).totals.params
    expect(params).toBeGreaterThan(0)
    expect((await runs().get({ id: r1.id })).summary).toEqual({ params })
    expect(r2.summary).toEqual({ params: 1234 })
    expect(r3.summary).toBeNull()
    // An update's summary keeps the parameter count unless it brings its own.
    expect((await runs().update({ id: r1.id, summary: { initialLoss: 2.3 } })).summary).toEqual({ initialLoss: 2.3, params })
    await runs().update({ id: r1.id, status: 'completed', bestValAccuracy: 0.97, bestEpoch: 2, finalLoss: 0.08, durationMs: 5000, startedAt: '2024-01-01T00:00:00.000Z' })

    const table = await runs().table({ projectId: project.id })
    expect(table.total).toBe(3)
    expect(table.matched).toBe(3)
    expect(table.rows.map((r) => r.id)).toEqual([r3.id, r2.id, r1.id]) // newest first
    expect(table.rows[2]).toEqual({
      id: r1.id,
      projectId: project.id,
      groupId: null,
      name: 'lenet adam',
      status: 'completed',
      createdAt: r1.createdAt,
      startedAt: '2024-01-01T00:00:00.000Z',
      endedAt: null,
      durationMs: 5000,
      datasetId: null,
      datasetName: 'MNIST',
      architectureVersionId: null,
      architectureName: 'LeNet',
      architectureVersion: 1,
      optimizer: 'adam',
      learningRate: 0.01,
      batchSize: 64,
      epochs: 3,
      weightDecay: 5e-4,
      schedule: 'cosine',
      bestValAccuracy: 0.97,
      bestEpoch: 2,
      finalLoss: 0.08,
      paramCount: params,
      settingsKey: settingsKey(trainSnapshot()),
      backend: 'webgpu',
      engine: 'tfjs',
      tags: [],
      starred: false,
      notes: null,
      extra: {},
    })
    expect(table.rows[1]).toMatchObject({ architectureName: 'lenet5', datasetName: 'CIFAR', optimizer: 'sgd', learningRate: 0.1, paramCount: 1234 })
    expect(table.rows[0]).toMatchObject({ optimizer: 'adam', learningRate: 1e-3, paramCount: null, datasetName: null })
  })

  it('sorts text case-insensitively (then by case), numbers by value, missing values last, ties newest first', async () => {
    const { project, runs } = await setup()
    const made: number[] = []
    for (const name of ['b', 'B', 'a', 'C', 'b']) made.push((await runs().create({ projectId: project.id, name, config: trainSnapshot() })).id)
    await runs().update({ id: made[0]!, bestValAccuracy: 0.5 })
    await runs().update({ id: made[1]!, bestValAccuracy: 0.05 })
    await runs().update({ id: made[2]!, bestValAccuracy: 9 })
    const sorted = async (column: string, dir: 'asc' | 'desc') => (await runs().table({ projectId: project.id, sort: { column, dir } })).rows.map((r) => r.id)
    // The two runs named "b": the newer first, in both directions.
    expect(await sorted('name', 'asc')).toEqual([made[2], made[1], made[4], made[0], made[3]])
    expect(await sorted('name', 'desc')).toEqual([made[3], made[4], made[0], made[1], made[2]])
    expect(await sorted('bestValAccuracy', 'asc')).toEqual([made[1], made[0], made[2], made[4], made[3]])
    // By value, where text would put "10" before "9".
    await runs().update({ id: made[3]!, bestValAccuracy: 10 })
    expect(await sorted('bestValAccuracy', 'desc')).toEqual([made[3], made[2], made[0], made[1], made[4]])
  })

  it('shows config columns of runs created since the last read, and of a new run that was given a deleted run\'s id', async () => {
    const { project, runs, dir } = await setup()
    const withSeed = (seed: number) => ({ ...trainSnapshot(), seed, training: { ...trainSnapshot().training, seed } })
    const seeds = async () => Object.fromEntries((await runs().table({ projectId: project.id, extraColumns: ['training.seed'] })).rows.map((r) => [r.id, r.extra['training.seed']]))
    const a = await runs().create({ projectId: project.id, config: withSeed(1) })
    const b = await runs().create({ projectId: project.id, config: withSeed(2) })
    expect(await seeds()).toEqual({ [a.id]: 1, [b.id]: 2 })
    const c = await runs().create({ projectId: project.id, config: withSeed(3) })
    expect(await seeds()).toEqual({ [a.id]: 1, [b.id]: 2, [c.id]: 3 })
    // SQLite gives the highest deleted id again: the new run's own seed is shown, not the deleted one's.
    await runs().delete({ id: c.id })
    const d = await runs().create({ projectId: project.id, config: withSeed(4) })
    expect(d.id).toBe(c.id)
    expect(await seeds()).toEqual({ [a.id]: 1, [b.id]: 2, [d.id]: 4 })
    // The same made by another process (the CLI): the run's creation time tells it apart.
    const other = openStudio(dir)
    try {
      await clientFor(other, runsContract).delete({ id: d.id })
      await new Promise((r) => setTimeout(r, 5))
      expect((await clientFor(other, runsContract).create({ projectId: project.id, config: withSeed(5) })).id).toBe(d.id)
    } finally {
      other.close()
    }
    expect(await seeds()).toEqual({ [a.id]: 1, [b.id]: 2, [d.id]: 5 })
  })

  it('shows a metric at a step after its points were rewritten, here and by another process', async () => {
    const { project, runs, dir } = await setup()
    const run = await runs().create({ projectId: project.id, config: trainSnapshot() })
    // Values 1..10 at steps 1..10; the column shows step 5's.
    await runs().appendMetrics({ runId: run.id, points: curve('train/loss', 10, (step) => step) })
    const at5 = async () => (await runs().table({ projectId: project.id, extraColumns: ['metric:train/loss:step=5'] })).rows[0]!.extra['metric:train/loss:step=5']
    expect(await at5()).toBe(5)
    // Steps 5..9 again with other values, count, last, min and max as before: the value is read again.
    await runs().truncateMetrics({ runId: run.id, afterStep: 4 })
    await runs().appendMetrics({ runId: run.id, points: curve('train/loss', 10, (step) => (step === 10 ? 10 : step + 0.5)).slice(4) })
    expect(await at5()).toBe(5.5)
    // Another process (the CLI) rewriting them: the run's statistics changed, so the value is read again.
    const other = openStudio(dir)
    try {
      await clientFor(other, runsContract).truncateMetrics({ runId: run.id, afterStep: 4 })
      await clientFor(other, runsContract).appendMetrics({ runId: run.id, points: curve('train/loss', 11, (step) => step * 2).slice(4) })
    } finally {
      other.close()
    }
    expect(await at5()).toBe(10)
    // Again, with the same count and last step (only the last value and the max tell): read again.
    const third = openStudio(dir)
    try {
      await clientFor(third, runsContract).truncateMetrics({ runId: run.id, afterStep: 4 })
      await clientFor(third, runsContract).appendMetrics({ runId: run.id, points: curve('train/loss', 11, (step) => step * 3).slice(4) })
    } finally {
      third.close()
    }
    expect(await at5()).toBe(15)
  })

  it('reads the table from its covering index (migration 10), not through the rows and their config snapshots', async () => {
    const { studio } = await setup()
    const plan = (studio.db.prepare(`EXPLAIN QUERY PLAN ${RUNS_TABLE_SQL}`).all(1) as { detail: string }[]).map((r) => r.detail)
    expect(plan).toEqual(['SEARCH runs USING COVERING INDEX runs_table (project_id=?)'])
  })

  it('sorts, filters (status, tags, starred, text, thresholds) and adds extra columns', async () => {
    const { project, runs } = await setup()
    const ids: number[] = []
    const accs = [0.91, 0.85, 0.95, null]
    for (let i = 0; i < 4; i++) {
      const run = await runs().create({ projectId: project.id, name: `run ${i}`, config: trainSnapshot({ lr: [0.1, 0.01, 0.001, 0.03][i], optimizer: i % 2 ? 'sgd' : 'adam', momentum: 0.8 + i / 100 }) })
      ids.push(run.id)
      if (accs[i] !== null) await runs().update({ id: run.id, status: 'completed', bestValAccuracy: accs[i]!, bestEpoch: i + 1 })
      await runs().appendMetrics({ runId: run.id, points: [...curve('val/loss', 30, (s) => 1 / s + i), ...curve('val/acc', 30, (s) => 0.5 + i / 10 - Math.abs(s - 20) / 100)] })
    }
    const table = (q: Omit<Parameters<ReturnType<typeof runs>['table']>[0], 'projectId'>) => runs().table({ projectId: project.id, ...q })

    expect((await table({ sort: { column: 'bestValAccuracy', dir: 'desc' } })).rows.map((r) => r.name)).toEqual(['run 2', 'run 0', 'run 1', 'run 3'])
    // Nulls last in both directions.
    expect((await table({ sort: { column: 'bestValAccuracy', dir: 'asc' } })).rows.map((r) => r.name)).toEqual(['run 1', 'run 0', 'run 2', 'run 3'])
    expect((await table({ sort: { column: 'learningRate', dir: 'asc' } })).rows.map((r) => r.learningRate)).toEqual([0.001, 0.01, 0.03, 0.1])
    expect((await table({ filter: { metrics: [{ name: 'bestValAccuracy', op: '>=', value: 0.9 }] } })).rows.map((r) => r.name).sort()).toEqual(['run 0', 'run 2'])
    expect((await table({ filter: { status: 'queued' } })).rows.map((r) => r.name)).toEqual(['run 3'])
    expect((await table({ filter: { status: ['queued', 'completed'] } })).matched).toBe(4)
    expect((await table({ filter: { text: 'SGD' } })).rows.map((r) => r.name).sort()).toEqual(['run 1', 'run 3'])

    await runs().tag({ runIds: [ids[0]!, ids[1]!], tags: ['baseline', 'lr'] })
    await runs().tag({ runIds: [ids[1]!], tags: ['lr', 'keep'] })
    await runs().star({ runIds: [ids[2]!], starred: true })
    await runs().setNotes({ id: ids[3]!, notes: 'Diverged after warm-up' })
    expect((await table({ filter: { tags: ['baseline', 'keep'] } })).rows.map((r) => r.name)).toEqual(['run 1'])
    expect((await table({ filter: { starred: true } })).rows.map((r) => r.name)).toEqual(['run 2'])
    expect((await table({ filter: { text: 'diverged' } })).rows.map((r) => r.name)).toEqual(['run 3'])
    expect((await table({ filter: { text: 'keep' } })).rows.map((r) => r.name)).toEqual(['run 1'])

    // Extra columns: config paths (root, then under training; config: prefix) and metric statistics.
    const extra = await table({
      sort: { column: 'metric:val/acc:best', dir: 'desc' },
      extraColumns: ['optimizer.momentum', 'config:training.optimizer.type', 'training.schedule', 'metric:val/loss', 'metric:val/loss:best', 'metric:val/acc:best', 'metric:val/acc:lastStep', 'metric:nope'],
      limit: 2,
    })
    expect(extra.matched).toBe(4)
    expect(extra.rows).toHaveLength(2)
    expect(extra.rows[0]!.name).toBe('run 3')
    expect(extra.rows[0]!.extra).toEqual({
      'optimizer.momentum': 0.8 + 3 / 100,
      'config:training.optimizer.type': 'sgd',
      'training.schedule': '{"type":"cosine","warmupEpochs":0}',
      'metric:val/loss': 1 / 30 + 3,
      'metric:val/loss:best': 1 / 30 + 3,
      'metric:val/acc:best': 0.8,
      'metric:val/acc:lastStep': 30,
      'metric:nope': null,
    })
    const adam = (await table({ extraColumns: ['optimizer.momentum'], filter: { text: 'adam' } })).rows
    expect(adam.map((r) => r.extra['optimizer.momentum'])).toEqual([null, null])
    // A threshold on an extra column that was not asked for as a column.
    expect((await table({ filter: { metrics: [{ name: 'metric:val/loss:min', op: '<', value: 1.5 }] } })).rows.map((r) => r.name).sort()).toEqual(['run 0', 'run 1'])
    expect((await table({ offset: 3 })).rows.map((r) => r.name)).toEqual(['run 0'])

    const bad = await table({ extraColumns: ['a..b'] }).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(ApiError)
    expect((bad as ApiError).code).toBe('invalid_payload')
  })

  it('tags, untags, stars, renames and notes; lists tags and metric names', async () => {
    const { project, runs, studio } = await setup()
    const a = await runs().create({ projectId: project.id, config: {} })
    const b = await runs().create({ projectId: project.id, config: {} })
    const events: number[] = []
    studio.services.onEvent((channel, payload) => {
      if (channel === 'studio:runs.onDidChange') events.push((payload as { runId: number }).runId)
    })
    expect(await runs().tag({ runIds: [a.id, b.id], tags: ['x', 'y', 'x'] })).toEqual({ updated: 2 })
    expect(await runs().tag({ runIds: [a.id], tags: ['y'] })).toEqual({ updated: 0 })
    expect((await runs().get({ id: a.id })).tags).toEqual(['x', 'y'])
    expect(await runs().untag({ runIds: [a.id], tags: ['x'] })).toEqual({ updated: 1 })
    expect((await runs().get({ id: a.id })).tags).toEqual(['y'])
    expect(await runs().tagsInUse({ projectId: project.id })).toEqual([
      { tag: 'x', runs: 1 },
      { tag: 'y', runs: 2 },
    ])
    expect(await runs().star({ runIds: [a.id, b.id], starred: true })).toEqual({ updated: 2 })
    expect((await runs().rename({ id: a.id, name: 'Baseline' })).name).toBe('Baseline')
    expect((await runs().setNotes({ id: a.id, notes: 'first try' })).notes).toBe('first try')
    expect(events.length).toBeGreaterThan(4)
    const missing = await runs().tag({ runIds: [a.id, 9999], tags: ['z'] }).catch((e: unknown) => e)
    expect((missing as ApiError).code).toBe('not_found')
    expect((await runs().get({ id: a.id })).tags).toEqual(['y']) // nothing written
    expect(((await runs().rename({ id: a.id, name: '  ' }).catch((e: unknown) => e)) as ApiError).issues[0]?.path).toBe('name')

    await runs().appendMetrics({ runId: a.id, points: curve('val/acc', 3, () => 0.5) })
    await runs().appendMetrics({ runId: b.id, points: [...curve('val/acc', 3, () => 0.5), ...curve('train/loss', 3, () => 1)] })
    expect(await runs().metricNames({ projectId: project.id })).toEqual([
      { name: 'train/loss', runs: 1, goal: 'min' },
      { name: 'val/acc', runs: 2, goal: 'max' },
    ])
  })

  it('keeps metric statistics right through appends, rewrites and truncation', async () => {
    const { project, runs } = await setup()
    const run = await runs().create({ projectId: project.id, config: {} })
    const col = async (agg: string) => (await runs().table({ projectId: project.id, extraColumns: [`metric:train/loss:${agg}`] })).rows[0]!.extra[`metric:train/loss:${agg}`]
    await runs().appendMetrics({ runId: run.id, points: curve('train/loss', 50, (s) => 10 - s / 10) })
    await runs().appendMetrics({ runId: run.id, points: curve('train/loss', 100, (s) => 10 - s / 10).slice(50) })
    expect([await col('count'), await col('last'), await col('min'), await col('max'), await col('lastStep')]).toEqual([100, 0, 0, 9.9, 100])
    // A resumed run re-sends steps 81..90 with other values (replacing, not duplicating).
    await runs().truncateMetrics({ runId: run.id, afterStep: 80 })
    expect([await col('count'), await col('last'), await col('min')]).toEqual([80, 2, 2])
    await runs().appendMetrics({ runId: run.id, points: curve('train/loss', 90, () => 5).slice(80) })
    expect([await col('count'), await col('last'), await col('min'), await col('lastStep')]).toEqual([90, 5, 2, 90])
    // A batch rewriting earlier steps (no truncation) is recomputed.
    await runs().appendMetrics({ runId: run.id, points: [{ name: 'train/loss', step: 3, epoch: 0.3, value: -1, time: 3 }] })
    expect([await col('count'), await col('min'), await col('max')]).toEqual([90, -1, 9.9])
    await runs().appendMetrics({ runId: run.id, points: [{ name: 'train/loss', step: 1, epoch: 0.1, value: 0, time: 1 }] })
    expect(await col('max')).toBeCloseTo(9.8)
  })

  it('writes large batches in chunks: every point once, a step repeated within a batch keeps its last value', async () => {
    const { project, runs } = await setup()
    const run = await runs().create({ projectId: project.id, config: {} })
    const points = [...curve('a', 130, (s) => s), ...curve('b', 70, (s) => -s)]
    points[100] = { ...points[100]!, step: 5, value: 500 } // 'a' step 5 again, inside the second chunk
    await runs().appendMetrics({ runId: run.id, points })
    const series = await runs().metrics({ runId: run.id })
    expect(series.a!.step).toHaveLength(129)
    expect(series.a!.value[4]).toBe(500)
    expect(series.b!.value).toEqual(Array.from({ length: 70 }, (_, i) => -(i + 1)))
    const row = (await runs().table({ projectId: project.id, extraColumns: ['metric:a:count', 'metric:a:max', 'metric:b:min'] })).rows[0]!
    expect(row.extra).toEqual({ 'metric:a:count': 129, 'metric:a:max': 500, 'metric:b:min': -70 })
  })

  it('derives the table columns and statistics of runs recorded before migration 3, by migration 6 when such a database opens', async () => {
    const s = await setup()
    const run = await s.runs().create({ projectId: s.project.id, config: trainSnapshot({ lr: 0.2 }) })
    await s.runs().appendMetrics({ runId: run.id, points: curve('val/acc', 5, (x) => x / 10) })
    s.studio.db.prepare('UPDATE runs SET derived = 0, learning_rate = NULL, param_count = NULL, dataset_name = NULL WHERE id = ?').run(run.id)
    s.studio.db.prepare('DELETE FROM run_metric_stats').run()
    const pytorch = await s.runs().create({ projectId: s.project.id, config: { ...trainSnapshot({ lr: 0.3 }), engine: { name: 'pytorch', worldSize: 2 } } })
    const created = (await s.runs().table({ projectId: s.project.id, sort: { column: 'id', dir: 'asc' } })).rows[0]!.settingsKey
    expect(created).toBe(settingsKey(trainSnapshot({ lr: 0.2 })))
    // A database at schema 5 (before the backfill was a migration, before the engine column of migration 7, the
    // settings fingerprint of migration 8 and the metric chunks of migration 9): reopening it runs migrations 6 to 9.
    const db = s.studio.db
    const packed = db.prepare('SELECT run_id, name_id, data FROM metric_chunks ORDER BY run_id, name_id, first_step').raw().all() as [number, number, Buffer][]
    db.exec('CREATE TABLE metrics (run_id INTEGER NOT NULL, name_id INTEGER NOT NULL, step INTEGER NOT NULL, epoch REAL NOT NULL, value REAL NOT NULL, time REAL NOT NULL, PRIMARY KEY (run_id, name_id, step)) STRICT, WITHOUT ROWID')
    const insertRow = db.prepare('INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)')
    for (const [runId, nameId, data] of packed) {
      const p = decodeChunk(data)
      for (let i = 0; i < p.length; i += 4) insertRow.run(runId, nameId, p[i], p[i + 1], p[i + 2], p[i + 3])
    }
    expect(packed.length).toBeGreaterThan(0)
    db.exec('DROP INDEX runs_table; DROP TABLE metric_chunks; ALTER TABLE runs DROP COLUMN settings_key')
    s.studio.db.prepare('DELETE FROM schema_migrations WHERE version >= 6').run()
    s.studio.db.exec('ALTER TABLE runs DROP COLUMN engine')
    s.reopen()
    const rows = (await s.runs().table({ projectId: s.project.id, extraColumns: ['metric:val/acc:best'] })).rows
    const row = rows.find((r) => r.id === run.id)
    expect(row).toMatchObject({ learningRate: 0.2, datasetName: 'MNIST', paramCount: analyzeGraph(lenet).totals.params, engine: 'tfjs', settingsKey: created, extra: { 'metric:val/acc:best': 0.5 } })
    expect(rows.find((r) => r.id === pytorch.id)).toMatchObject({ learningRate: 0.3, engine: 'pytorch' })
    const sorted = await s.runs().table({ projectId: s.project.id, sort: { column: 'engine', dir: 'asc' } })
    expect(sorted.rows.map((r) => r.engine)).toEqual(['pytorch', 'tfjs'])
  })
})

describe('overlay queries', () => {
  it('loads several runs as columnar series, downsampled on request', async () => {
    const { project, runs } = await setup()
    const a = await runs().create({ projectId: project.id, config: {} })
    const b = await runs().create({ projectId: project.id, config: {} })
    await runs().appendMetrics({ runId: a.id, points: [...curve('train/loss', 5000, (s) => (s === 2500 ? 99 : 1 / s)), ...curve('val/acc', 50, (s) => s / 100, 1)] })
    await runs().appendMetrics({ runId: b.id, points: curve('train/loss', 10, (s) => 2 / s) })
    const full = await runs().metricsMany({ runIds: [b.id, a.id], names: ['train/loss', 'val/acc', 'missing'] })
    expect(full.map((r) => r.runId)).toEqual([b.id, a.id])
    expect(Object.keys(full[0]!.series)).toEqual(['train/loss'])
    expect(full[0]!.series['train/loss']).toEqual({ ...(await runs().metrics({ runId: b.id }))['train/loss']!, count: 10, downsampled: false })
    expect(full[1]!.series['train/loss']!.step).toHaveLength(5000)
    const down = await runs().metricsMany({ runIds: [a.id, b.id], names: ['train/loss', 'val/acc'], downsample: { maxPoints: 200 } })
    const s = down[0]!.series['train/loss']!
    expect(s).toMatchObject({ count: 5000, downsampled: true })
    expect(s.step.length).toBeLessThanOrEqual(200)
    expect(s.value).toContain(99) // the spike survives
    expect([s.step[0], s.step.at(-1)]).toEqual([1, 5000])
    expect(down[0]!.series['val/acc']).toMatchObject({ count: 50, downsampled: false })
    expect(((await runs().metricsMany({ runIds: [a.id, 4242], names: ['x'] }).catch((e: unknown) => e)) as ApiError).code).toBe('not_found')
    const tooMany = await runs().metricsMany({ runIds: Array.from({ length: 51 }, (_, i) => i + 1), names: ['x'] }).catch((e: unknown) => e)
    expect((tooMany as ApiError).issues[0]?.path).toBe('runIds')
  })

  it('reads values at a step, at an epoch and at each run best epoch', async () => {
    const { project, runs } = await setup()
    const a = await runs().create({ projectId: project.id, config: {} })
    const b = await runs().create({ projectId: project.id, config: {} })
    // 10 steps per epoch; epoch metrics at the epoch's last step with the epoch number.
    for (const [run, shift] of [[a, 0], [b, 0.1]] as const) {
      await runs().appendMetrics({
        runId: run.id,
        points: [
          ...curve('train/loss', 40, (s) => 4 - s / 10 + shift),
          ...[1, 2, 3, 4].map((e) => ({ name: 'val/loss', step: e * 10, epoch: e, value: [1, 0.5, 0.7, 0.9][e - 1]! + shift, time: e })),
        ],
      })
    }
    await runs().update({ id: a.id, bestValAccuracy: 0.9, bestEpoch: 2 })
    expect(await runs().valueAt({ runIds: [a.id, b.id], name: 'train/loss', at: { step: 25 } })).toEqual([
      { runId: a.id, step: 25, epoch: 2.5, value: 1.5, at: { step: 25 } },
      { runId: b.id, step: 25, epoch: 2.5, value: 1.6, at: { step: 25 } },
    ])
    expect((await runs().valueAt({ runIds: [a.id], name: 'train/loss', at: { epoch: 3 } }))[0]).toMatchObject({ step: 30, epoch: 3, value: 1 })
    expect((await runs().valueAt({ runIds: [a.id], name: 'val/loss', at: { epoch: 2.5 } }))[0]).toMatchObject({ step: 20, value: 0.5 })
    // 'best': a at its best epoch (2); b has no best epoch recorded -> the metric's own best point.
    const best = await runs().valueAt({ runIds: [a.id, b.id], name: 'val/loss', at: 'best' })
    expect(best[0]).toEqual({ runId: a.id, step: 20, epoch: 2, value: 0.5, at: { epoch: 2, best: true } })
    expect(best[1]).toMatchObject({ runId: b.id, step: 20, value: 0.6, at: { step: 20, best: true } })
    expect((await runs().valueAt({ runIds: [a.id], name: 'val/loss', at: { step: 5 } }))[0]).toEqual({ runId: a.id, step: null, epoch: null, value: null, at: { step: 5 } })
    expect((await runs().valueAt({ runIds: [a.id], name: 'nope', at: 'best' }))[0]!.value).toBeNull()
  })

  it('deleting a run removes its checkpoint files, metrics and statistics', async () => {
    const { project, runs, dir, studio } = await setup()
    const run = await runs().create({ projectId: project.id, config: {} })
    await runs().appendMetrics({ runId: run.id, points: curve('train/loss', 10, () => 1) })
    await runs().saveCheckpoint({ runId: run.id, kinds: ['best'], epoch: 1, step: 10, meta: {}, weights: new Uint8Array(0), optimizer: new Uint8Array(0) })
    const runDir = join(dir, 'projects', String(project.id), 'runs', String(run.id))
    expect(existsSync(join(runDir, 'checkpoint-best.ckpt'))).toBe(true)
    await runs().delete({ id: run.id })
    expect(existsSync(runDir)).toBe(false)
    const count = (table: string) => (studio.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    expect([count('metric_chunks'), count('run_metric_stats'), count('checkpoints')]).toEqual([0, 0, 0])
  })
})

describe('runs table: per-column values and groups', () => {
  it('shows a metric at a chosen step or epoch (the last point at or before it; none for a run that stopped earlier), sortable and filterable', async () => {
    const { project, runs } = await setup()
    const long = await runs().create({ projectId: project.id, name: 'long', config: trainSnapshot() })
    const short = await runs().create({ projectId: project.id, name: 'short', config: trainSnapshot() })
    // Recorded every 10 steps; 10 steps an epoch.
    const every10 = (n: number, f: (s: number) => number) => curve('val/loss', n, f).filter((p) => p.step % 10 === 0)
    await runs().appendMetrics({ runId: long.id, points: every10(100, (s) => 1000 - s) })
    await runs().appendMetrics({ runId: short.id, points: every10(40, (s) => 500 - s) })
    const t = await runs().table({
      projectId: project.id,
      extraColumns: ['metric:val/loss:step=55', 'metric:val/loss:epoch=3', 'metric:val/loss:step=80', 'metric:val/loss:min', 'metric:nothing:step=3'],
      sort: { column: 'metric:val/loss:step=55', dir: 'asc' },
    })
    const byName = Object.fromEntries(t.rows.map((r) => [r.name, r.extra]))
    expect(byName.long).toEqual({ 'metric:val/loss:step=55': 950, 'metric:val/loss:epoch=3': 970, 'metric:val/loss:step=80': 920, 'metric:val/loss:min': 900, 'metric:nothing:step=3': null })
    expect(byName.short).toEqual({ 'metric:val/loss:step=55': null, 'metric:val/loss:epoch=3': 470, 'metric:val/loss:step=80': null, 'metric:val/loss:min': 460, 'metric:nothing:step=3': null })
    // Nulls sort last: the short run, which never reached step 55, comes after.
    expect(t.rows.map((r) => r.name)).toEqual(['long', 'short'])
    const f = await runs().table({ projectId: project.id, filter: { metrics: [{ name: 'metric:val/loss:epoch=3', op: '<', value: 500 }] } })
    expect(f.rows.map((r) => r.name)).toEqual(['short'])
    await expect(runs().table({ projectId: project.id, extraColumns: ['metric::step=3'] })).rejects.toThrow(/names no metric/)
  })

  it('groups by everything except the seed: two learning rates, three seeds each, mean ± sample std of each metric', async () => {
    const { project, runs } = await setup()
    const accs: Record<number, number[]> = { 0.01: [0.8, 0.82, 0.84], 0.1: [0.6, 0.7, 0.65] }
    for (const lr of [0.01, 0.1])
      for (const [i, seed] of [1, 2, 3].entries()) {
        const run = await runs().create({ projectId: project.id, name: `lr ${lr} seed ${seed}`, config: { ...trainSnapshot({ lr }), seed, training: { ...trainSnapshot({ lr }).training, seed } } })
        await runs().appendMetrics({ runId: run.id, points: curve('val/acc', 10, (s) => (accs[lr]![i]! * s) / 10) })
      }
    // Another run alike but with momentum set differently (only the settings fingerprint tells it apart).
    const odd = await runs().create({ projectId: project.id, name: 'odd', config: { ...trainSnapshot({ lr: 0.01 }), seed: 9, training: { ...trainSnapshot().training, seed: 9, gradientClip: 1 } } })
    const t = await runs().table({ projectId: project.id, extraColumns: ['metric:val/acc:max', 'training.seed'], group: { kind: 'exceptSeed' } })
    const groups = t.groups!
    expect(groups).toHaveLength(3)
    const named = groups.filter((g) => g.count === 3)
    expect(named.map((g) => g.label.split(',')[0])).toEqual(['learning rate 0.01', 'learning rate 0.1'])
    expect(groups.find((g) => g.count === 1)!.runIds).toEqual([odd.id])
    for (const [g, lr] of named.map((g, i) => [g, [0.01, 0.1][i]!] as const)) {
      const xs = accs[lr]!
      const mean = xs.reduce((a, b) => a + b, 0) / 3
      const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2)
      const s = g.stats['metric:val/acc:max']!
      expect(s.n).toBe(3)
      expect(s.mean).toBeCloseTo(mean, 12)
      expect(s.std).toBeCloseTo(std, 12)
      expect(g.runIds.map((id) => t.rows.find((r) => r.id === id)!.extra['training.seed']).sort()).toEqual([1, 2, 3])
    }
    // A config column shown in the table is one of the settings compared, named where it tells groups apart.
    const withClip = await runs().table({ projectId: project.id, extraColumns: ['training.gradientClip'], group: { kind: 'exceptSeed' } })
    expect(withClip.groups!.find((g) => g.count === 1)!.values).toMatchObject({ 'training.gradientClip': 1 })
    expect(withClip.groups!.find((g) => g.count === 1)!.label).not.toMatch(/settings [0-9a-f]{6}/)
    // By the seed itself: three groups of two, and the odd run alone.
    const bySeed = await runs().table({ projectId: project.id, group: { kind: 'columns', columns: ['training.seed'] } })
    expect(bySeed.groups!.map((g) => [g.label, g.count])).toEqual([['seed 1', 2], ['seed 2', 2], ['seed 3', 2], ['seed 9', 1]])
    // The filter applies before grouping; limit does not cut groups.
    const filtered = await runs().table({ projectId: project.id, filter: { text: 'lr 0.1 ' }, group: { kind: 'exceptSeed' }, limit: 1 })
    expect(filtered.rows).toHaveLength(1)
    expect(filtered.groups!.map((g) => [g.label, g.count])).toEqual([['all settings alike', 3]])
  })
})
