/**
 * A run as a PyTorch project (shared/export/pytorch): the export's input read from the data folder (the run's
 * snapshot, its graph, its dataset's split) and the files written into a folder. `studio export pytorch <run>` and
 * the PyTorch engine's runner (which exports into the run's own folder) and the app's "Export as PyTorch project..."
 * (main/services/exports.ts) go through here.
 */
import { writeFolderAtomic } from '../store/files'
import { datasetsContract, runsContract, type DatasetSplit, type Run, type ServiceClient } from '@shared/api'
import type { ExportFile, PytorchExportInput, SplitIndices } from '../../shared/export/pytorch/index'
import { exportPytorchProject } from '../../shared/export/pytorch/index'
import type { GraphDocument } from '../../shared/graph/types'
import { clientFor } from '../rpc/direct-client'
import type { ServiceHost } from '../rpc/service-host'
import { snapshotGraph } from '../services/export-model'

/** Every index of one split (pages of 10,000, indices only). */
async function splitIndices(datasets: ServiceClient<typeof datasetsContract>, id: number, split: DatasetSplit): Promise<number[]> {
  const out: number[] = []
  for (let offset = 0; ; ) {
    const page = await datasets.readSplit({ id, split, offset, limit: 10_000, allowTest: split === 'test', withImages: false })
    out.push(...page.indices)
    offset += page.indices.length
    if (page.indices.length === 0 || offset >= page.total) return out
  }
}

/** A dataset's train/val/test positions (split.json). */
export async function datasetSplitIndices(host: { readonly services: ServiceHost }, datasetId: number): Promise<SplitIndices> {
  const datasets = clientFor(host, datasetsContract)
  return { train: await splitIndices(datasets, datasetId, 'train'), val: await splitIndices(datasets, datasetId, 'val'), test: await splitIndices(datasets, datasetId, 'test') }
}

/**
 * The export input of a run: its snapshot (with `run: { id, name }` added), its graph, and its dataset's split
 * (null when the dataset no longer exists: `notes` says so). Throws the runs service's ApiError for an unknown run.
 */
export async function runExportInput(host: { readonly services: ServiceHost }, runOrId: number | Run): Promise<{ input: PytorchExportInput; notes: string[] }> {
  const run = typeof runOrId === 'number' ? await clientFor(host, runsContract).get({ id: runOrId }) : runOrId
  const snapshot = (run.config ?? {}) as Record<string, unknown>
  const graph: GraphDocument = snapshotGraph({ runId: run.id, config: run.config, fallbackDocument: undefined }, 'as a PyTorch model')
  const notes: string[] = []
  let split: SplitIndices | null = null
  if (run.datasetId === null) {
    notes.push(`run ${run.id}'s dataset no longer exists, so split.json is not written`)
  } else {
    split = await datasetSplitIndices(host, run.datasetId)
  }
  return { input: { snapshot: { ...snapshot, run: { id: run.id, name: run.name } }, graph, split, run: { id: run.id, name: run.name } }, notes }
}

/** Writes the export's files under `out` (created); files of the same names are replaced. */
export function writeExportFiles(files: readonly ExportFile[], out: string): void {
  // All files or none: a crash mid-export leaves no half-written project (main/store/files.ts).
  writeFolderAtomic(
    out,
    files.map((f) => ({ path: f.path, data: f.text })),
  )
}

/** Exports a run into `out` (the runner's step); PytorchExportError and ApiError propagate. */
export async function exportRun(host: { readonly services: ServiceHost }, run: number | Run, out: string): Promise<ExportFile[]> {
  const { input } = await runExportInput(host, run)
  const files = exportPytorchProject(input)
  writeExportFiles(files, out)
  return files
}
