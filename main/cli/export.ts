/**
 * `studio export pytorch`: writes a run (or a design from files) as a self-contained PyTorch project: the files
 * of shared/export/pytorch (model.py, convert.py, run.json, split.json, README.md, requirements.txt and every
 * other part registered there).
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ApiError, datasetsContract, runsContract, type DatasetSplit } from '@shared/api'
import type { GraphDocument } from '../../shared/graph/types'
import type { PytorchExportInput, SplitIndices } from '../../shared/export/pytorch/index'
import { defaultDataDir } from '../host/paths'
import { pipelineArg } from './check'
import { parseNumberArg, withStudio } from './train'
import { UsageError, type CliIO, type Subcommand } from './types'

const usage = `Usage: studio export pytorch <run id> --out <dir> [--data-dir <dir>] [--force]
       studio export pytorch --graph <file> [--pipeline <file>] [--config <file>] --out <dir> [--force]

Writes a self-contained PyTorch project: model.py (the design as an nn.Module), convert.py (studio checkpoint <->
state_dict), run.json (the run's snapshot), split.json (its train/val/test images), README.md (every command),
requirements.txt, and the training and data files.
  <run id>           a run of the data folder (\`studio runs list\`): its snapshot and its dataset's split
  --graph <file>     a graph document (.json, as exported by the app) instead of a run (no split.json)
  --pipeline <file>  with --graph: an augmentation pipeline document (.json)
  --config <file>    with --graph: a training configuration (.json, the "training" part of a run snapshot)
  --out <dir>        the folder to write (created; must be empty unless --force)
  --force            write into a folder that is not empty (files of the same names are replaced)
  --data-dir <dir>   the studio data folder (default: the app's, ${defaultDataDir()})`

function readJson(io: CliIO, flag: string, file: string): unknown {
  let text: string
  try {
    text = io.readFile(file)
  } catch (err) {
    throw new UsageError(`Cannot read ${flag} ${file}: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new UsageError(`${flag} ${file} is not JSON: ${(err as Error).message}`)
  }
}

async function parseGraph(value: unknown, what: string): Promise<GraphDocument> {
  const { GraphDocumentError, parseGraphDocument } = await import('../../shared/graph/index')
  try {
    return parseGraphDocument(value)
  } catch (err) {
    if (err instanceof GraphDocumentError) throw new UsageError(`${what}: ${err.message}`)
    throw err
  }
}

/** The export from files: a snapshot shaped like a run's (architecture, pipeline, training; no dataset). */
async function fromFiles(v: { graph: string; pipeline?: string; config?: string }, io: CliIO): Promise<PytorchExportInput> {
  const graph = await parseGraph(readJson(io, '--graph', v.graph), v.graph)
  const { analyzeGraph } = await import('../../shared/graph/index')
  const analysis = analyzeGraph(graph)
  const input = analysis.inputIds[0] ? analysis.nodes[analysis.inputIds[0]]?.outputShape : undefined
  const pipeline = await pipelineArg(v.pipeline, input ?? [], io)
  let training: unknown = null
  if (v.config !== undefined) {
    const { parseTrainingConfig } = await import('../../shared/train/config')
    const cfg = parseTrainingConfig(readJson(io, '--config', v.config))
    if (!cfg.ok) throw new UsageError(`${v.config}: ${cfg.errors.join('; ')}`)
    training = cfg.config
  }
  const seed = (training as { seed?: unknown } | null)?.seed ?? null
  const snapshot = {
    kind: 'cnn-studio/train',
    format: 1,
    architecture: { id: null, name: basename(v.graph), versionId: null, version: null, file: resolve(v.graph), document: graph },
    dataset: null,
    pipeline: pipeline ? { id: null, name: basename(pipeline.file), versionId: null, version: null, file: pipeline.file, document: pipeline.document } : null,
    training,
    seed,
  }
  return { snapshot, graph, split: null, run: null }
}

/** Every index of one split (pages of 10,000, indices only). */
async function splitIndices(datasets: ReturnType<typeof import('../rpc/direct-client').clientFor<typeof datasetsContract>>, id: number, split: DatasetSplit): Promise<number[]> {
  const out: number[] = []
  for (let offset = 0; ; ) {
    const page = await datasets.readSplit({ id, split, offset, limit: 10_000, allowTest: split === 'test', withImages: false })
    out.push(...page.indices)
    offset += page.indices.length
    if (page.indices.length === 0 || offset >= page.total) return out
  }
}

function checkOut(out: string, force: boolean): void {
  if (!existsSync(out)) return
  if (!statSync(out).isDirectory()) throw new UsageError(`--out ${out} exists and is not a folder`)
  if (!force && readdirSync(out).length > 0) throw new UsageError(`--out ${out} is not empty: choose a new folder, or pass --force to replace the files there`)
}

export const exportCommand: Subcommand = {
  name: 'export',
  summary: 'Export a run or a design as a PyTorch project (studio export pytorch ...)',
  usage,
  async run(args, io) {
    const [target, ...rest] = args
    if (target !== 'pytorch') throw new UsageError(`export needs a target: \`studio export pytorch ...\`, received ${JSON.stringify(target ?? '')}\n${usage}`)
    const parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        graph: { type: 'string' },
        pipeline: { type: 'string' },
        config: { type: 'string' },
        out: { type: 'string' },
        force: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
      },
    })
    const v = parsed.values
    const positionals = parsed.positionals
    if (positionals.length > 1) throw new UsageError(`export pytorch takes one run id, received ${positionals.map((p) => JSON.stringify(p)).join(', ')}`)
    const runRef = positionals[0]
    if ((runRef === undefined) === (v.graph === undefined)) throw new UsageError('export pytorch needs exactly one of <run id> or --graph <file>')
    if (runRef !== undefined && (v.pipeline !== undefined || v.config !== undefined)) {
      throw new UsageError('--pipeline and --config go with --graph; a run brings its own pipeline and configuration')
    }
    if (v.out === undefined) throw new UsageError('export pytorch needs --out <dir>, the folder to write')
    const out = resolve(v.out)
    checkOut(out, v.force ?? false)

    let input: PytorchExportInput
    if (v.graph !== undefined) {
      input = await fromFiles({ graph: v.graph, ...(v.pipeline !== undefined ? { pipeline: v.pipeline } : {}), ...(v.config !== undefined ? { config: v.config } : {}) }, io)
    } else {
      const runId = parseNumberArg('<run id>', runRef!, { int: true, min: 1 })
      const dataDir = resolve(v['data-dir'] ?? defaultDataDir())
      input = await withStudio(dataDir, async (studio) => {
        const { clientFor } = await import('../rpc/direct-client')
        const runs = clientFor(studio, runsContract)
        const datasets = clientFor(studio, datasetsContract)
        let run
        try {
          run = await runs.get({ id: runId })
        } catch (err) {
          if (err instanceof ApiError && err.code === 'not_found') throw new UsageError(err.message)
          throw err
        }
        const snapshot = (run.config ?? {}) as Record<string, unknown>
        const { snapshotGraph } = await import('../services/export-model')
        let graph: GraphDocument
        try {
          graph = snapshotGraph({ runId: run.id, config: run.config, fallbackDocument: undefined }, 'as a PyTorch model')
        } catch (err) {
          if (err instanceof ApiError) throw new UsageError(err.message)
          throw err
        }
        let split: SplitIndices | null = null
        if (run.datasetId === null) {
          io.stderr(`studio export: run ${run.id}'s dataset no longer exists, so split.json is not written\n`)
        } else {
          split = { train: await splitIndices(datasets, run.datasetId, 'train'), val: await splitIndices(datasets, run.datasetId, 'val'), test: await splitIndices(datasets, run.datasetId, 'test') }
        }
        return { snapshot: { ...snapshot, run: { id: run.id, name: run.name } }, graph, split, run: { id: run.id, name: run.name } }
      })
    }
    const { exportPytorchProject, PytorchExportError } = await import('../../shared/export/pytorch/index')
    let files
    try {
      files = exportPytorchProject(input)
    } catch (err) {
      if (err instanceof PytorchExportError) throw new UsageError(err.message)
      throw err
    }
    // All files or none: a crash mid-export leaves no half-written project (main/store/files.ts).
    const { writeFolderAtomic } = await import('../store/files')
    writeFolderAtomic(
      out,
      files.map((f) => ({ path: f.path, data: f.text })),
    )
    io.stdout(`Wrote ${files.length} files to ${out}: ${files.map((f) => f.path).join(', ')}\n`)
    return 0
  },
}
