/**
 * One import job: decode every item of a source in order (a few at a time), stream the pixels into the cache
 * file, split, compute statistics, and record everything in one transaction that also flips the dataset to
 * `ready`. Cancellation is checked between steps; a cancelled or failed job removes its row (with its items)
 * and its folder, so nothing half-imported remains.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DatasetSplit, ImportPhase, SkippedFile, SplitRatios } from '@shared/api'
import type { Db } from '../store/db'
import type { DataPaths } from '../store/files'
import { CacheWriter, DatasetCache, IMAGES_FILE } from './cache'
import { decodeImage, ImageDecodeError, type DecodedImage, type TargetFormat } from './decode'
import { cannotRead } from './scan'
import { stratifiedSplit } from './split'
import { buildStats, countSplits, summarizeSizes, trainingChannelStats } from './stats'

export interface ImportItem {
  readonly classIndex: number
  /** Shown in reports and stored as the item's source (relative path), or null for built-in data. */
  readonly source: string | null
  load(): Promise<DecodedImage>
}

export interface ImportSource {
  /** Where the items come from; run once at the start of the job ("scanning"). */
  prepare(isCancelled: () => boolean): Promise<{ classes: string[]; items: ImportItem[]; notFollowed: SkippedFile[]; emptyMessage: string }>
}

export interface ImportJobOptions {
  readonly db: Db
  readonly paths: DataPaths
  readonly datasetId: number
  readonly target: TargetFormat
  readonly split: SplitRatios
  readonly seed: number
  readonly progress: (phase: ImportPhase, done: number, total: number) => void
}

export class ImportCancelled extends Error {
  constructor() {
    super('The import was cancelled')
    this.name = 'ImportCancelled'
  }
}

/** Images decoded at once (sharp decodes on libuv's thread pool). */
const CONCURRENCY = 4
/** A cache above this is refused before decoding: the reader holds it in memory. */
export const MAX_CACHE_BYTES = 3 * 1024 ** 3
/** Files above this are skipped without reading. */
const MAX_FILE_BYTES = 256 * 1024 ** 2

/** Reads and decodes one file of a folder import. */
export function fileItem(classIndex: number, path: string, relativePath: string, target: TargetFormat): ImportItem {
  return {
    classIndex,
    source: relativePath,
    async load() {
      let bytes: Buffer
      try {
        bytes = await readFile(path)
      } catch (error) {
        throw new ImageDecodeError(cannotRead(error))
      }
      if (bytes.length > MAX_FILE_BYTES) throw new ImageDecodeError(`file is too large (${Math.round(bytes.length / 1024 ** 2)} MB)`)
      return decodeImage(bytes, relativePath, target)
    },
  }
}

export interface ImportResult {
  readonly itemCount: number
  readonly skipped: SkippedFile[]
  readonly notFollowed: SkippedFile[]
}

export async function runImport(options: ImportJobOptions, source: ImportSource, isCancelled: () => boolean): Promise<ImportResult> {
  const { db, paths, datasetId, target } = options
  const checkpoint = () => {
    if (isCancelled()) throw new ImportCancelled()
  }
  options.progress('scanning', 0, 0)
  const { classes, items, notFollowed, emptyMessage } = await source.prepare(isCancelled)
  checkpoint()
  const per = target.height * target.width * target.channels
  if (items.length * per > MAX_CACHE_BYTES) {
    throw new Error(
      `${items.length} images at ${target.height}x${target.width}x${target.channels} would need a ${(items.length * per / 1024 ** 3).toFixed(1)} GB cache (the limit is ${MAX_CACHE_BYTES / 1024 ** 3} GB): choose a smaller size or fewer images.`,
    )
  }
  if (items.length === 0) throw new Error(emptyMessage)

  const dir = paths.datasetDir(datasetId)
  mkdirSync(dir, { recursive: true })
  const imagesFile = join(dir, IMAGES_FILE)
  const writer = new CacheWriter(imagesFile)
  const labels: number[] = []
  const sources: (string | null)[] = []
  const widths: number[] = []
  const heights: number[] = []
  const skipped: SkippedFile[] = []
  let withAlpha = 0
  try {
    let last = 0
    for (let start = 0; start < items.length; start += CONCURRENCY) {
      checkpoint()
      const chunk = items.slice(start, start + CONCURRENCY)
      const results = await Promise.allSettled(chunk.map((item) => item.load()))
      checkpoint()
      results.forEach((result, k) => {
        const item = chunk[k] as ImportItem
        if (result.status === 'fulfilled') {
          writer.append(result.value.pixels)
          labels.push(item.classIndex)
          sources.push(item.source)
          widths.push(result.value.originalWidth)
          heights.push(result.value.originalHeight)
          if (result.value.hadAlpha) withAlpha++
        } else if (result.reason instanceof ImageDecodeError) {
          skipped.push({ path: item.source ?? `item ${start + k}`, reason: result.reason.reason })
        } else {
          throw result.reason
        }
      })
      const done = Math.min(items.length, start + CONCURRENCY)
      const now = Date.now()
      if (now - last > 100 || done === items.length) {
        last = now
        options.progress('decoding', done, items.length)
      }
    }
    if (labels.length === 0) {
      const first = skipped[0]
      throw new Error(`No image could be read: all ${skipped.length} were skipped${first ? ` (e.g. ${first.path}: ${first.reason})` : ''}.`)
    }
    checkpoint()
    writer.commit(Int32Array.from(labels))
  } catch (error) {
    writer.abort()
    throw error
  }

  const splits: DatasetSplit[] = stratifiedSplit(labels, classes.length, options.split, options.seed)
  const trainIdx: number[] = []
  splits.forEach((s, i) => {
    if (s === 'train') trainIdx.push(i)
  })
  options.progress('statistics', 0, trainIdx.length)
  const cache = DatasetCache.open(imagesFile, { count: labels.length, height: target.height, width: target.width, channels: target.channels })
  const channel = trainingChannelStats(cache, trainIdx)
  options.progress('statistics', trainIdx.length, trainIdx.length)
  const bg = target.background ?? { r: 0, g: 0, b: 0 }
  const hex = `#${[bg.r, bg.g, bg.b].map((v) => v.toString(16).padStart(2, '0')).join('')}`
  const stats = {
    ...buildStats(countSplits(labels, splits, classes.length), summarizeSizes(widths, heights), channel),
    ...(withAlpha > 0 ? { transparency: { images: withAlpha, background: hex } } : {}),
  }
  checkpoint()

  options.progress('writing', 0, 1)
  const finalize = db.transaction(() => {
    const row = db.prepare(`SELECT status FROM datasets WHERE id = ?`).get(datasetId) as { status: string } | undefined
    if (!row || row.status !== 'importing') throw new Error('The dataset was deleted while it was being imported')
    const insert = db.prepare('INSERT INTO dataset_items (dataset_id, idx, class, split, source) VALUES (?, ?, ?, ?, ?)')
    for (let i = 0; i < labels.length; i++) insert.run(datasetId, i, labels[i], splits[i], sources[i])
    db.prepare(
      `UPDATE datasets SET status = 'ready', classes = ?, stats = ?, cache_path = ?, item_count = ?, report = ?, import_pid = NULL WHERE id = ?`,
    ).run(JSON.stringify(classes), JSON.stringify(stats), paths.toRelative(imagesFile), labels.length, JSON.stringify({ skipped, notFollowed }), datasetId)
  })
  finalize.immediate()
  options.progress('writing', 1, 1)
  return { itemCount: labels.length, skipped, notFollowed }
}

/** Removes whatever an unfinished import left: its row (items cascade) and its folder. */
export function discardImport(db: Db | null, paths: DataPaths, datasetId: number): void {
  if (db) db.prepare(`DELETE FROM datasets WHERE id = ? AND status != 'ready'`).run(datasetId)
  rmSync(paths.datasetDir(datasetId), { recursive: true, force: true })
}
