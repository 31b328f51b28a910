/**
 * "Import results...": a PyTorch project folder into a run, idempotently (`studio runs import`, engines.importResults,
 * and the runner's last read when its child ended). The run is found by its folder (the snapshot's
 * `engine.folder`: the runner's own run, or an earlier import of the same folder), else created in the project
 * given, or in the project of the run run.json was exported from.
 */
import { join, relative, resolve, sep } from 'node:path'
import { ApiError, runsContract, type ImportedResults, type Run, type RunStatus } from '@shared/api'
import type { RecordedOutcome } from '../../shared/train/recorder'
import { clientFor } from '../rpc/direct-client'
import type { ServiceHost } from '../rpc/service-host'
import { runFolder } from '../store/checkpoint-files'
import type { Db } from '../store/db'
import type { DataPaths } from '../store/files'
import { convertTorchCheckpoints, PytorchRecording, pytorchRunState, readRunJson, storedLastSteps, studioEngine, type PytorchRunState } from './results'

export interface StudioHandle {
  readonly services: ServiceHost
  readonly db: Db
  readonly paths: DataPaths
}

/** The folder of a run's PyTorch project. */
export const pytorchFolder = (paths: DataPaths, projectId: number, runId: number): string => join(runFolder(paths, projectId, runId), 'pytorch')

/** The run a folder under the data folder's `projects/<p>/runs/<r>/pytorch` belongs to (null elsewhere). */
export function runOfPytorchFolder(paths: DataPaths, folder: string): number | null {
  const rel = relative(resolve(paths.root), resolve(folder)).split(sep)
  return rel.length === 5 && rel[0] === 'projects' && rel[2] === 'runs' && rel[4] === 'pytorch' && /^\d+$/.test(rel[3]!) ? Number(rel[3]) : null
}


const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The backend column of a PyTorch run: `pytorch-cpu` / `pytorch-cuda`. */
export const pytorchBackend = (engine: unknown): string => `pytorch-${isObject(engine) && engine.device === 'cuda' ? 'cuda' : 'cpu'}`

/** The run recorded for this folder, if any: the runner's (the folder is its run's) or an import's (engine.folder). */
export function runForFolder(host: StudioHandle, folder: string): number | null {
  const own = runOfPytorchFolder(host.paths, folder)
  if (own !== null && exists(host.db, 'runs', own) !== null) return own
  const row = host.db.prepare("SELECT id FROM runs WHERE json_extract(config, '$.engine.folder') = ? ORDER BY id LIMIT 1").get(folder) as { id: number } | undefined
  return row?.id ?? null
}

const exists = (db: Db, table: 'datasets' | 'architecture_versions' | 'pipeline_versions' | 'runs', id: unknown): number | null =>
  typeof id === 'number' && db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id) ? id : null

/** A new run for a folder no run records yet: run.json's snapshot with the studio's `engine` (folder included). */
async function createImportedRun(host: StudioHandle, folder: string, snapshot: Record<string, unknown>, projectId: number | undefined): Promise<Run> {
  const from = isObject(snapshot.run) ? snapshot.run : null
  const sourceId = exists(host.db, 'runs', from?.id)
  let project = projectId
  if (project === undefined && sourceId !== null) project = (host.db.prepare('SELECT project_id AS p FROM runs WHERE id = ?').get(sourceId) as { p: number }).p
  if (project === undefined) {
    throw new ApiError('invalid_payload', `Choose the project to import ${folder} into: its run.json names no run of this data folder`, [{ path: 'projectId', message: 'required for this folder' }])
  }
  const { pytorchRun: _progress, run: _run, engine, ...rest } = snapshot
  void _progress
  void _run
  const config = { ...rest, engine: studioEngine(engine, { folder }), origin: 'pytorch-import', ...(from ? { exportedFrom: { id: from.id ?? null, name: from.name ?? null } } : {}) }
  const arch = isObject(snapshot.architecture) ? snapshot.architecture : {}
  const pipeline = isObject(snapshot.pipeline) ? snapshot.pipeline : {}
  const dataset = isObject(snapshot.dataset) ? snapshot.dataset : {}
  const name = `${typeof from?.name === 'string' ? from.name : typeof arch.name === 'string' ? arch.name : 'run'} (PyTorch)`
  const datasetId = exists(host.db, 'datasets', dataset.id)
  const architectureVersionId = exists(host.db, 'architecture_versions', arch.versionId)
  const pipelineVersionId = exists(host.db, 'pipeline_versions', pipeline.versionId)
  return clientFor(host, runsContract).create({
    projectId: project,
    name: name.slice(0, 200),
    config,
    backend: pytorchBackend(engine),
    ...(datasetId !== null ? { datasetId } : {}),
    ...(architectureVersionId !== null ? { architectureVersionId } : {}),
    ...(pipelineVersionId !== null ? { pipelineVersionId } : {}),
  })
}

/** A new recording of a run from its folder (every import and the runner start here). */
export function openRecording(host: StudioHandle, runId: number): PytorchRecording {
  return new PytorchRecording(clientFor(host, runsContract), runId, storedLastSteps(host.db, runId))
}

/** The outcome run.json's pytorchRun reports (null while it says running). */
export function reportedOutcome(state: PytorchRunState | null): RecordedOutcome | null {
  if (state === null || state.status === 'running') return null
  return { status: state.status, reason: state.reason ?? `train.py ended: ${state.status}`, step: state.step, epoch: state.epoch, ...(state.status === 'failed' ? { cause: 'error' } : {}) }
}

export interface ImportOptions {
  readonly folder: string
  readonly projectId?: number
  /** The interpreter that converts best.pt / last.pt (null: none found; the import says so in its notes). */
  readonly python: string | null
  /** The runner's open recording of this run (live tailing), continued instead of replayed. */
  readonly recording?: PytorchRecording
  /** Replaces run.json's outcome (the runner's: a crash, a stop). */
  readonly outcome?: RecordedOutcome
}

/** Imports (or finishes recording) a PyTorch folder; see the module comment. */
export async function importPytorchFolder(host: StudioHandle, o: ImportOptions): Promise<ImportedResults> {
  const folder = resolve(o.folder)
  const snapshot = readRunJson(folder)
  const runs = clientFor(host, runsContract)
  let created = false
  let runId = o.recording?.runId ?? runForFolder(host, folder)
  if (runId === null) {
    runId = (await createImportedRun(host, folder, snapshot, o.projectId)).id
    created = true
  }
  const recording = o.recording ?? openRecording(host, runId)
  const state = pytorchRunState(snapshot)
  const notes: string[] = []
  if (state !== null) recording.start(state, snapshot.engine, pytorchBackend(snapshot.engine))
  recording.catchUp(folder, true)
  if (recording.badLines > 0) notes.push(`${recording.badLines} line${recording.badLines === 1 ? '' : 's'} of metrics.jsonl ${recording.badLines === 1 ? 'is' : 'are'} not metric points and ${recording.badLines === 1 ? 'was' : 'were'} left out`)
  if (o.python !== null) {
    await recording.checkpoints(await convertTorchCheckpoints(o.python, folder))
  } else {
    notes.push('best.pt / last.pt were not converted: no Python with PyTorch was found (install python3-torch or pip install torch, or set the interpreter)')
  }
  const outcome = o.outcome ?? reportedOutcome(state)
  const endedAt = state?.endedAt && Number.isFinite(Date.parse(state.endedAt)) ? Date.parse(state.endedAt) : undefined
  await recording.end(recording.started || outcome !== null ? outcome : null, endedAt)
  const run = await runs.get({ id: runId })
  return { run, created, points: recording.written, checkpoints: [...recording.saved], status: run.status as RunStatus, folder, notes }
}
