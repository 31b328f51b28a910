/**
 * Export as a PyTorch project (shared/api/services/exports.ts): assembles the export's input from a run (its
 * snapshot and its dataset's split) or from a snapshot the Train view would record, and writes the files of
 * shared/export/pytorch into a folder. A run's input and the writing are main/engines/export-run.ts's (the CLI and
 * the PyTorch runner use them too); the folder check is here, shared with `studio export pytorch`.
 *
 * The export code (shared/export/pytorch, and tfjs through the snapshot's graph) is loaded on first use.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ApiError, datasetsContract, exportsContract, type PytorchProjectExport, type ServiceImpl } from '@shared/api'
import { parseGraphDocument, type GraphDocument } from '@shared/graph'
import type { PytorchExportInput, SplitIndices } from '../../shared/export/pytorch/index'
import { clientFor } from '../rpc/direct-client'
import type { ServiceHost } from '../rpc/service-host'
import type { DataPaths } from '../store/files'
import { checkPathArgument, isSymlink } from '../store/path-guard'

/** An export's input with what it had to leave out, in words. */
export interface ExportInput {
  readonly input: PytorchExportInput
  readonly notes: string[]
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
  const { datasetSplitIndices } = await import('../engines/export-run')
  if (typeof datasetId === 'number') split = await datasetSplitIndices(host, datasetId)
  else notes.push('No dataset is chosen, so split.json is not written')
  return { input: { snapshot, graph, split, run: null }, notes }
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
  }
  const { writeExportFiles } = await import('../engines/export-run')
  writeExportFiles(files, folder)
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
  const dataFolderOf = async (snapshot: Record<string, unknown>): Promise<string | null> => {
    const datasetId = (snapshot.dataset as { id?: unknown } | null | undefined)?.id
    if (typeof datasetId !== 'number') return null
    const d = await datasets.get({ id: datasetId }).catch(() => null)
    return d?.cachePath ? dirname(paths.resolve(d.cachePath)) : null
  }
  const write = async (e: ExportInput, folder: string, overwrite: boolean): Promise<PytorchProjectExport> => {
    const path = checkExportFolder(folder, overwrite)
    const files = await writePytorchProject(e.input, path)
    const dataFolder = await dataFolderOf(e.input.snapshot)
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
      // export-run loads tfjs (the snapshot's graph): kept out of the studio's start-up.
      const { runExportInput } = await import('../engines/export-run')
      return write(await runExportInput(host, runId), folder, overwrite ?? false)
    },
    async pytorchDesign({ snapshot, folder, overwrite }) {
      checkExportFolder(folder, overwrite ?? false)
      return write(await designExportInput(host, snapshot), folder, overwrite ?? false)
    },
  }
}
