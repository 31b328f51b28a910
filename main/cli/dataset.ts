/**
 * `studio dataset import|mnist|list`: the datasets service (the same code the app runs) on the studio database
 * of a data folder, through `startStudio`. The studio (SQLite, sharp) is loaded only when this command runs.
 */
import { basename, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { ApiErrorData, CallResult, DatasetDetail, DatasetSummary, ServiceEvents, datasetsContract } from '@shared/api'
import { defaultDataDir } from '../host/paths'
import { UsageError, type CliIO, type Subcommand } from './types'

const usage = `Usage:
  studio dataset import <folder> [--name <name>] [--size HxW] [--channels 1|3] [--aspect resize|center-crop|pad]
                        [--background black|white|#rrggbb] [--split train,val,test] [--seed N] [--data-dir <dir>] [--json]
  studio dataset mnist [--count N] [--size HxW] [--channels 1|3] [--split train,val,test] [--seed N] [--data-dir <dir>] [--json]
  studio dataset list [--data-dir <dir>] [--json]

import   decodes a folder with one subfolder per class (PNG, JPEG, WebP, BMP, GIF) into a dataset cache and
         prints the images per class and split, the skipped files with reasons, and the training mean/std.
  --name      dataset name (default: the folder's name)
  --size      training resolution HxW, e.g. 32x32 (default 32x32; mnist: 28x28)
  --channels  1 (grayscale) or 3 (RGB) (default 3; mnist: 1)
  --aspect    resize (stretch), center-crop, or pad (black bars) (default resize)
  --background  what transparent pixels (PNG, WebP, GIF with alpha) are filled with: black, white or a colour
              #rrggbb (default black); the output says how many images had transparency
  --split     train,val,test ratios adding up to 1 (default 0.8,0.1,0.1); stratified by class
  --seed      seed of the split (default 0)
mnist    imports the built-in MNIST digits (10,000, or --count N of them).
list     lists the datasets of the data folder.
  --data-dir  the studio data folder (default: the app's, ${defaultDataDir()})
  --json      machine-readable output`

type Finish = ServiceEvents<typeof datasetsContract>['onDidFinish']

function parseSize(text: string): { height: number; width: number } {
  const m = /^(\d+)x(\d+)$/i.exec(text.trim())
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`--size must look like HxW with positive integers (e.g. 32x32), received ${JSON.stringify(text)}`)
  return { height: Number(m[1]), width: Number(m[2]) }
}

function parseSplit(text: string): { train: number; val: number; test: number } {
  const parts = text.split(',').map((p) => Number(p.trim()))
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) {
    throw new UsageError(`--split must be three ratios train,val,test (e.g. 0.8,0.1,0.1), received ${JSON.stringify(text)}`)
  }
  return { train: parts[0]!, val: parts[1]!, test: parts[2]! }
}

/** `--background`: black, white or #rrggbb, as "#rrggbb" (the import's `background`). */
export function parseBackground(text: string): string {
  const t = text.trim().toLowerCase()
  if (t === 'black') return '#000000'
  if (t === 'white') return '#ffffff'
  if (/^#[0-9a-f]{6}$/.test(t)) return t
  throw new UsageError(`--background must be black, white or a colour #rrggbb (e.g. #808080), received ${JSON.stringify(text)}`)
}

function parseIntArg(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} must be a whole number, received ${JSON.stringify(text)}`)
  return Number(text)
}

const fmt = (x: number) => x.toFixed(4)

function table(header: string[], rows: string[][], right: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}

export function renderDataset(d: DatasetDetail): string {
  const lines = [`Dataset ${d.id} "${d.name}": ${d.itemCount} images, ${d.classes.length} classes, ${d.size.height}x${d.size.width}x${d.channels} (${d.aspect})`]
  const counts = d.stats?.counts
  if (counts) {
    const rows = d.classes.map((name, c) => {
      const [tr, va, te] = [counts.train[c] ?? 0, counts.val[c] ?? 0, counts.test[c] ?? 0]
      return [name, String(tr), String(va), String(te), String(tr + va + te)]
    })
    const t = d.splitTotals
    rows.push(['Total', String(t.train), String(t.val), String(t.test), String(t.train + t.val + t.test)])
    lines.push('', ...table(['Class', 'Train', 'Val', 'Test', 'Total'], rows, [false, true, true, true, true]))
  }
  if (d.split) lines.push('', `Split: train ${d.split.ratios.train}, val ${d.split.ratios.val}, test ${d.split.ratios.test} (stratified by class, seed ${d.split.seed}); the test split is locked`)
  if (d.stats) {
    const s = d.stats.originalSizes
    lines.push(`Original sizes: ${s.minWidth}-${s.maxWidth} wide, ${s.minHeight}-${s.maxHeight} high (mean ${s.meanWidth.toFixed(1)}x${s.meanHeight.toFixed(1)})`)
    lines.push(`Training mean (per channel, 0-1): ${d.stats.mean.map(fmt).join(' ')}`)
    lines.push(`Training std  (per channel, 0-1): ${d.stats.std.map(fmt).join(' ')}`)
    const t = d.stats.transparency
    if (t && t.images > 0) {
      const name = t.background === '#000000' ? 'black' : t.background === '#ffffff' ? 'white' : t.background
      lines.push(`Transparency: ${t.images} image${t.images === 1 ? '' : 's'} had transparent pixels, filled with ${name} (--background to choose)`)
    }
  }
  if (d.skipped.length) {
    lines.push('', `Skipped ${d.skipped.length} file${d.skipped.length === 1 ? '' : 's'}:`, ...d.skipped.map((s) => `  ${s.path}: ${s.reason}`))
  }
  if (d.notFollowed.length) {
    // Symbolic links not followed, and folders inside that cannot be read.
    lines.push('', `Left out ${d.notFollowed.length} link${d.notFollowed.length === 1 ? '' : 's'} or folder${d.notFollowed.length === 1 ? '' : 's'}:`, ...d.notFollowed.map((s) => `  ${s.path}: ${s.reason}`))
  }
  return lines.join('\n') + '\n'
}

export function renderList(list: readonly DatasetSummary[]): string {
  if (list.length === 0) return 'No datasets yet: import one with `studio dataset import <folder>`.\n'
  const rows = list.map((d) => [String(d.id), d.name, String(d.classes.length), String(d.itemCount), `${d.size.height}x${d.size.width}x${d.channels}`, d.source, d.createdAt.slice(0, 19).replace('T', ' ')])
  return table(['Id', 'Name', 'Classes', 'Images', 'Size', 'Source', 'Created'], rows, [true, false, true, true, false, false, false]).join('\n') + '\n'
}

class CallFailed extends Error {
  constructor(readonly error: ApiErrorData) {
    super(error.message)
  }
}

async function withStudio<T>(dataDir: string, fn: (call: (method: string, payload: unknown) => Promise<unknown>, studio: import('../studio').Studio) => Promise<T>): Promise<T> {
  const { startStudio } = await import('../studio')
  const studio = startStudio({ dataDir, host: 'browser' })
  try {
    const call = async (method: string, payload: unknown) => {
      const result: CallResult = await studio.services.call(`studio:datasets.${method}`, payload)
      if (!result.ok) throw new CallFailed(result.error)
      return result.value
    }
    return await fn(call, studio)
  } finally {
    studio.close()
  }
}

async function runImport(method: 'import' | 'importMnist', payload: Record<string, unknown>, dataDir: string, json: boolean, io: CliIO): Promise<number> {
  return withStudio(dataDir, async (call, studio) => {
    const finished = new Map<string, Finish>()
    let wake: (() => void) | null = null
    const off = studio.services.onEvent((channel, p) => {
      if (channel === 'studio:datasets.onDidFinish') {
        const f = p as Finish
        finished.set(f.jobId, f)
        wake?.()
      }
    })
    let jobId: string | null = null
    const onSignal = () => {
      if (jobId) void call('cancel', { jobId })
    }
    process.once('SIGINT', onSignal)
    try {
      const started = (await call(method, payload)) as { jobId: string; datasetId: number }
      jobId = started.jobId
      if (!json) io.stderr(`Importing into ${dataDir} (dataset ${started.datasetId})...\n`)
      while (!finished.has(started.jobId)) await new Promise<void>((r) => (wake = r))
      const end = finished.get(started.jobId)!
      if (end.status !== 'ready') {
        if (json) io.stdout(JSON.stringify({ status: end.status, message: end.message ?? null }, null, 2) + '\n')
        io.stderr(`Import ${end.status}: ${end.message ?? ''}\n`)
        return 1
      }
      const detail = (await call('get', { id: started.datasetId })) as DatasetDetail
      io.stdout(json ? JSON.stringify(detail, null, 2) + '\n' : renderDataset(detail))
      return 0
    } catch (error) {
      if (error instanceof CallFailed) {
        io.stderr(`${error.error.message}\n`)
        return error.error.code === 'invalid_payload' ? 2 : 1
      }
      throw error
    } finally {
      process.removeListener('SIGINT', onSignal)
      off()
    }
  })
}

export const datasetCommand: Subcommand = {
  name: 'dataset',
  summary: 'Import image folders or MNIST into the dataset library, or list it',
  usage,
  async run(args, io) {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        size: { type: 'string' },
        channels: { type: 'string' },
        aspect: { type: 'string' },
        background: { type: 'string' },
        split: { type: 'string' },
        seed: { type: 'string' },
        count: { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    })
    const { values, positionals } = parsed
    const [action, ...rest] = positionals
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
    const json = values.json ?? false
    const common = () => ({
      ...(values.size !== undefined ? { size: parseSize(values.size) } : {}),
      ...(values.channels !== undefined ? { channels: values.channels === '1' ? 1 : values.channels === '3' ? 3 : Number(values.channels) } : {}),
      ...(values.split !== undefined ? { split: parseSplit(values.split) } : {}),
      ...(values.seed !== undefined ? { seed: parseIntArg('--seed', values.seed) } : {}),
    })
    switch (action) {
      case 'import': {
        if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'dataset import needs a folder: studio dataset import <folder> --name <name>' : `dataset import takes one folder, received ${rest.length}: ${rest.join(' ')}`)
        const folder = resolve(rest[0]!)
        const payload = {
          path: folder,
          name: values.name ?? basename(folder),
          size: { height: 32, width: 32 },
          channels: 3,
          aspect: values.aspect ?? 'resize',
          ...(values.background !== undefined ? { background: parseBackground(values.background) } : {}),
          ...common(),
        }
        return runImport('import', payload, dataDir, json, io)
      }
      case 'mnist': {
        if (rest.length) throw new UsageError(`dataset mnist takes no folder, received ${rest.join(' ')}`)
        const payload = { ...(values.name !== undefined ? { name: values.name } : {}), ...(values.count !== undefined ? { count: parseIntArg('--count', values.count) } : {}), ...common() }
        return runImport('importMnist', payload, dataDir, json, io)
      }
      case 'list': {
        if (rest.length) throw new UsageError(`dataset list takes no arguments, received ${rest.join(' ')}`)
        return withStudio(dataDir, async (call) => {
          const list = (await call('list', {})) as DatasetSummary[]
          io.stdout(json ? JSON.stringify(list, null, 2) + '\n' : renderList(list))
          return 0
        })
      }
      default:
        throw new UsageError(action === undefined ? 'dataset needs an action: import, mnist or list' : `unknown dataset action ${JSON.stringify(action)}: use import, mnist or list`)
    }
  },
}
