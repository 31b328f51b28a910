/**
 * Checkpoint files: their format, where they live and how they are read and written. The runs service (save,
 * load), the model export and every exporter read checkpoints through `readCheckpointFile`; nothing else knows
 * the layout.
 *
 * Format (one file, little-endian): a 20-byte header (magic "CSKP", version 1, JSON meta length, weights length,
 * optimizer length), the JSON meta, the weights bytes (float32 in variable order), the optimizer state bytes.
 * Place: `projects/<project>/runs/<run>/checkpoint-last.ckpt`, `checkpoint-best.ckpt`,
 * `checkpoint-epoch-<N>.ckpt` (periodic), under the data folder.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError, type CheckpointKind } from '@shared/api'
import { stageFileAtomic, storageProblem, type DataPaths, type StagedFile } from './files'

export interface CheckpointContent {
  readonly meta: unknown
  readonly weights: Uint8Array
  readonly optimizer: Uint8Array
}

const MAGIC = 0x43534b50 // "CSKP"
const VERSION = 1
const HEADER = 20
const MAX_SECTION = 0xffffffff

/** The folder of a run's files (its checkpoints). */
export const runFolder = (paths: DataPaths, projectId: number, runId: number): string => join(paths.projectDir(projectId), 'runs', String(runId))

export const checkpointFileName = (kind: CheckpointKind, epoch: number): string =>
  kind === 'periodic' ? `checkpoint-epoch-${epoch}.ckpt` : `checkpoint-${kind}.ckpt`

/** The file's parts (header and meta, weights, optimizer), for writing without joining them. */
export function encodeCheckpoint(content: CheckpointContent): Uint8Array[] {
  const meta = Buffer.from(JSON.stringify(content.meta ?? null))
  for (const [name, n] of [['meta', meta.length], ['weights', content.weights.byteLength], ['optimizer state', content.optimizer.byteLength]] as const) {
    if (n > MAX_SECTION) throw new ApiError('invalid_payload', `The checkpoint's ${name} is ${n} bytes; a checkpoint file holds at most ${MAX_SECTION} bytes per part`)
  }
  const head = Buffer.alloc(HEADER + meta.length)
  head.writeUInt32LE(MAGIC, 0)
  head.writeUInt32LE(VERSION, 4)
  head.writeUInt32LE(meta.length, 8)
  head.writeUInt32LE(content.weights.byteLength, 12)
  head.writeUInt32LE(content.optimizer.byteLength, 16)
  meta.copy(head, HEADER)
  return [head, content.weights, content.optimizer]
}

/** The content of a checkpoint file (weights and optimizer as views into `file`); `name` is shown in errors. */
export function decodeCheckpoint(file: Buffer, name: string): CheckpointContent {
  if (file.length < HEADER || file.readUInt32LE(0) !== MAGIC) throw new ApiError('internal', `Checkpoint file ${name} is damaged (bad header)`)
  if (file.readUInt32LE(4) !== VERSION) throw new ApiError('internal', `Checkpoint file ${name} has format version ${file.readUInt32LE(4)}, which this CNN Studio cannot read`)
  const metaLength = file.readUInt32LE(8)
  const weightsLength = file.readUInt32LE(12)
  const optimizerLength = file.readUInt32LE(16)
  if (file.length !== HEADER + metaLength + weightsLength + optimizerLength) throw new ApiError('internal', `Checkpoint file ${name} is damaged (truncated)`)
  const metaEnd = HEADER + metaLength
  let meta: unknown
  try {
    meta = JSON.parse(file.subarray(HEADER, metaEnd).toString('utf8'))
  } catch {
    throw new ApiError('internal', `Checkpoint file ${name} is damaged (its meta is not JSON)`)
  }
  // Plain Uint8Array views (not Buffers), as every transport delivers them.
  const view = (from: number, length: number) => new Uint8Array(file.buffer, file.byteOffset + from, length)
  return { meta, weights: view(metaEnd, weightsLength), optimizer: view(metaEnd + weightsLength, optimizerLength) }
}

/** Reads a checkpoint by the path stored in its row (relative to the data folder); `label` names it in errors. */
export function readCheckpointFile(paths: DataPaths, relativePath: string, label: string): CheckpointContent {
  let file: Buffer
  try {
    file = readFileSync(paths.resolve(relativePath))
  } catch {
    throw new ApiError('not_found', `The file of ${label} (${relativePath}) is missing from the data folder`)
  }
  return decodeCheckpoint(file, relativePath)
}

export interface WrittenCheckpoint {
  readonly kind: CheckpointKind
  /** Relative to the data folder (what the row stores). */
  readonly path: string
  readonly bytes: number
}

/**
 * Writes one checkpoint as each of `kinds` (each kind its own file). Every file is staged (written and fsynced
 * under a temporary name) before any replaces its predecessor, so a failure leaves all of them as they were.
 */
export function writeCheckpointFiles(
  paths: DataPaths,
  run: { readonly projectId: number; readonly runId: number },
  kinds: readonly CheckpointKind[],
  epoch: number,
  content: CheckpointContent,
): WrittenCheckpoint[] {
  const parts = encodeCheckpoint(content)
  const bytes = parts.reduce((n, p) => n + p.byteLength, 0)
  const folder = runFolder(paths, run.projectId, run.runId)
  const staged: StagedFile[] = []
  try {
    for (const kind of kinds) staged.push(stageFileAtomic(join(folder, checkpointFileName(kind, epoch)), parts))
    // What would make a rename fail (a folder where the file goes) is found before any file is replaced.
    for (const s of staged) if (existsSync(s.file) && !lstatSync(s.file).isFile()) throw new Error(`${s.file} is not a file`)
  } catch (error) {
    for (const s of staged) s.discard()
    const reason = error instanceof Error ? error.message : String(error)
    const problem = storageProblem(error, paths.root)
    throw new ApiError(problem ? 'storage' : 'internal', `The checkpoint (epoch ${epoch}) could not be written to the data folder, nothing was replaced: ${problem ?? reason}`)
  }
  staged.forEach((s) => s.commit())
  return kinds.map((kind, i) => ({ kind, path: paths.toRelative(staged[i]!.file), bytes }))
}
