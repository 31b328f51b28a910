/**
 * Export as a PyTorch project (shared/api/services/exports.ts): assembles the export's input from a run (its
 * snapshot and its dataset's split) or from a snapshot the Train view would record, and writes the files of
 * shared/export/pytorch into a folder. `studio export pytorch` uses the same functions (main/cli/export.ts).
 *
 * The export code (shared/export/pytorch) is loaded on first use.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  ApiError,
  datasetsContract,
  exportsContract,
  runsContract,
  type DatasetSplit,
  type PytorchProjectExport,
  type ServiceClient,
  type ServiceImpl,
} from '@shared/api'
import { parseGraphDocument, type GraphDocument } from '@shared/graph'
import type { PytorchExportInput, SplitIndices } from '../../shared/export/pytorch/index'
import { clientFor } from '../rpc/direct-client'
import type { ServiceHost } from '../rpc/service-host'
import type { DataPaths } from '../store/files'
import { checkPathArgument, isSymlink } from '../store/path-guard'

/** An export's input with what it had to leave out, in words. */
export interface ExportInput {
  readonly input: PytorchExportInput
  readonly datasetId: number | null
  readonly notes: string[]
}

type Datasets = ServiceClient<typeof datasetsContract>

/** Every index of one split (pages of 10,000, indices only). */
async function splitIndices(datasets: Datasets, id: number, split: DatasetSplit): Promise<number[]> {
  const out: number[] = []
  for (let offset = 0; ; ) {
    const page = await datasets.readSplit({ id, split, offset, limit: 10_000, allowTest: split === 'test', withImages: false })
    out.push(...page.indices)
    offset += page.indices.length
    if (page.indices.length === 0 || offset >= page.total) return out
  }
}

async function datasetSplit(datasets: Datasets, id: number): Promise<SplitIndices> {
  return { train: await splitIndices(datasets, id, 'train'), val: await splitIndices(datasets, id, 'val'), test: await splitIndices(datasets, id, 'test') }
}

/** A run's export: its snapshot (with the run's id and name), its graph and its dataset's split. */
export async function runExportInput(host: { readonly services: ServiceHost }, runId: number): Promise<ExportInput> {
  const run = await clientFor(host, runsContract).get({ id: runId })
  // export-model loads tfjs: kept out of the studio's start-up.
  const { snapshotGraph } = await import('./export-model')
  const graph = snapshotGraph({ runId: run.id, config: run.config, fallbackDocument: undefined }, 'as a PyTorch model')
  const notes: string[] = []
  let split: SplitIndices | null = null
  if (run.datasetId === null) notes.push(`Run ${run.id}'s dataset no longer exists, so split.json is not written (train.py recomputes the studio's split from run.json)`)
  else split = await datasetSplit(clientFor(host, datasetsContract), run.datasetId)
  const snapshot = (run.config ?? {}) as Record<string, unknown>
  const ref = { id: run.id, name: run.name }
  return { input: { snapshot: { ...snapshot, run: ref }, graph, split, run: ref }, datasetId: run.datasetId, notes }
}

/** The export of a run not created yet: the snapshot the Train view would record, and its dataset's split. */
export async function designExportInput(host: { readonly services: ServiceHost }, snapshot: Record<string, unknown>): Promise<ExportInput> {
  const architecture = snapshot.architecture as { document?: unknown } | undefined
  if (architecture?.document === undefined || architecture.document === null) {
    throw new ApiError('invalid_payload', 'The snapshot holds no design (architecture.document): choose a design to export', [{ path: 'snapshot.architecture.document', message: 'Required' }])
  }
  let graph: GraphDocument
  try {
    graph = parseGraphDocument(architecture.document)
  } catch (e) {
    throw new ApiError('invalid_payload', `The design cannot be read: ${(e as Error).message}`, [{ path: 'snapshot.architecture.document', message: (e as Error).message }])
  }
  const datasetId = (snapshot.dataset as { id?: unknown } | null | undefined)?.id
  const notes: string[] = []
  let split: SplitIndices | null = null
  if (typeof datasetId === 'number') split = await datasetSplit(clientFor(host, datasetsContract), datasetId)
  else notes.push('No dataset is chosen, so split.json is not written')
  return { input: { snapshot, graph, split, run: null }, datasetId: typeof datasetId === 'number' ? datasetId : null, notes }
}

/** A folder the export may write: absolute, no `..`, not a symbolic link, a folder, empty unless `overwrite`. */
export function checkExportFolder(folder: string, overwrite: boolean, overwriteHint = 'tick “Replace files already there”'): string {
  const path = checkPathArgument(folder, 'The export folder', 'folder')
  if (isSymlink(path)) {
    throw new ApiError('invalid_payload', `${path} is a symbolic link: the export writes only into a real folder; choose the folder it points to, or another one`, [{ path: 'folder', message: 'Must not be a symbolic link' }])
  }
  if (!existsSync(path)) return path
  if (!statSync(path).isDirectory()) throw new ApiError('invalid_payload', `${path} exists and is not a folder: choose a folder`, [{ path: 'folder', message: 'Not a folder' }])
  if (!overwrite && readdirSync(path).length > 0) throw new ApiError('conflict', `${path} is not empty: choose a new folder, or ${overwriteHint}`)
  return path
}

/** Writes the project into `folder` (checked by checkExportFolder first); returns the files written. */
export async function writePytorchProject(input: PytorchExportInput, folder: string): Promise<string[]> {
  const { exportPytorchProject, PytorchExportError } = await import('../../shared/export/pytorch/index')
  let files
  try {
    files = exportPytorchProject(input)
  } catch (err) {
    if (err instanceof PytorchExportError) throw new ApiError('invalid_payload', err.message)
    throw err
  }
  for (const f of files) {
    const path = join(folder, ...f.path.split('/'))
    if (isSymlink(path)) throw new ApiError('invalid_payload', `${path} is a symbolic link: the export does not write through links; remove it or choose another folder`)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, f.text)
  }
  return files.map((f) => f.path)
}

/** A file or folder name from a run or design name (letters, digits, `-`, `_`, `.`; at most 80 characters). */
export function folderName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 80)
  return slug || 'export'
}

export function createExportsService(host: { readonly services: ServiceHost }, paths: DataPaths): ServiceImpl<typeof exportsContract> {
  const datasets = clientFor(host, datasetsContract)
  const dataFolderOf = async (datasetId: number | null): Promise<string | null> => {
    if (datasetId === null) return null
    const d = await datasets.get({ id: datasetId }).catch(() => null)
    return d?.cachePath ? dirname(paths.resolve(d.cachePath)) : null
  }
  const write = async (e: ExportInput, folder: string, overwrite: boolean): Promise<PytorchProjectExport> => {
    const path = checkExportFolder(folder, overwrite)
    const files = await writePytorchProject(e.input, path)
    const dataFolder = await dataFolderOf(e.datasetId)
    return { folder: path, files, dataFolder, trainCommand: dataFolder ? `python train.py --data ${JSON.stringify(dataFolder)}` : 'python train.py', notes: e.notes }
  }
  return {
    suggestFolder({ name }) {
      const base = join(paths.root, 'exports', folderName(name))
      for (let i = 1; ; i++) {
        const candidate = i === 1 ? base : `${base}-${i}`
        if (!existsSync(candidate) || (statSync(candidate).isDirectory() && readdirSync(candidate).length === 0)) return candidate
      }
    },
    async pytorchRun({ runId, folder, overwrite }) {
      checkExportFolder(folder, overwrite ?? false)
      return write(await runExportInput(host, runId), folder, overwrite ?? false)
    },
    async pytorchDesign({ snapshot, folder, overwrite }) {
      checkExportFolder(folder, overwrite ?? false)
      return write(await designExportInput(host, snapshot), folder, overwrite ?? false)
    },
  }
}
