/**
 * `studio evaluate <run id>`: evaluates a checkpoint of a run (its best, else its last) on the validation split
 * (or, asked for, the test split) with the app's engine under Node: the run's pipeline normalize steps, and its
 * test-time augmentation when it has one (shared/train evaluate: accuracy with and without TTA). The result is
 * stored as the run's evaluation, so the app's run detail shows it too.
 *
 * `studio evaluate --model <folder> --dataset <name|id>` evaluates an exported model folder (Export in the run
 * detail) the same way: the preprocessing and test-time augmentation carried in its metadata, both accuracies.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { arrayBufferOf, datasetsContract, runsContract, type CheckpointInfo } from '@shared/api'
import { defaultDataDir } from '../host/paths'
import { findDataset, parseNumberArg, withStudio } from './train'
import { UsageError, type Subcommand } from './types'

const usage = `Usage: studio evaluate <run id> [--split val|test] [--checkpoint best|last|<id>] [--json]
       studio evaluate --model <exported folder> --dataset <name|id> [--split val|test] [--json]

Evaluates a checkpoint of a run on its dataset with the run's pipeline (its normalize steps), and once more with
its test-time augmentation (the probabilities of the views averaged) when the pipeline has one: both accuracies
are printed and stored as the run's evaluation (shown in the app's run detail).
  --split val|test       the validation split (default) or the locked test split (report it once, at the end)
  --checkpoint C         best (default, else the last), last, or a checkpoint id
  --model <folder>       an exported model folder (model.json + weights.bin) instead of a run: evaluated with the
                         preprocessing and test-time augmentation in its metadata (printed, not stored)
  --dataset <name|id>    with --model: the dataset to evaluate it on
  --backend wasm|cpu     TF.js backend (default wasm)
  --data-dir <dir>       the studio data folder (default: the app's, ${defaultDataDir()})
  --json                 machine-readable output`

export interface EvaluateOutput {
  readonly runId: number
  readonly evaluationId: number
  readonly checkpoint: { readonly id: number; readonly kind: string; readonly epoch: number; readonly step: number }
  readonly split: 'val' | 'test'
  readonly count: number
  readonly loss: number
  readonly accuracy: number
  /** With test-time augmentation; null when the run's pipeline has none. */
  readonly tta: { readonly description: string; readonly views: number; readonly loss: number; readonly accuracy: number } | null
  readonly backend: string
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '-')
const num4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '-')
const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null)

function pickCheckpoint(list: readonly CheckpointInfo[], ref: string, runId: number): CheckpointInfo {
  if (list.length === 0) throw new UsageError(`Run ${runId} has no checkpoint yet: runs save one at the end of each epoch`)
  const newest = (kind: string) => list.filter((c) => c.kind === kind).sort((a, b) => b.step - a.step || b.id - a.id)[0]
  if (ref === 'best') return newest('best') ?? newest('last') ?? list[0]!
  if (ref === 'last') {
    const last = newest('last')
    if (!last) throw new UsageError(`Run ${runId} has no "last" checkpoint; its checkpoints: ${list.map((c) => `${c.id} (${c.kind})`).join(', ')}`)
    return last
  }
  const id = parseNumberArg('--checkpoint', ref, { int: true, min: 1 })
  const found = list.find((c) => c.id === id)
  if (!found) throw new UsageError(`Checkpoint ${id} is not one of run ${runId}'s: ${list.map((c) => `${c.id} (${c.kind})`).join(', ')}`)
  return found
}

export function renderEvaluation(o: EvaluateOutput, runName: string): string {
  const split = o.split === 'test' ? 'TEST split' : 'validation split'
  return [`Run ${o.runId} "${runName}", checkpoint ${o.checkpoint.kind} (epoch ${o.checkpoint.epoch}, step ${o.checkpoint.step}), ${split}: ${o.count} images (${o.backend})`, ...resultLines(o)].join('\n') + '\n'
}

type Values = { split?: string; backend?: string; checkpoint?: string; dataset?: string; 'data-dir'?: string; json?: boolean }

function commonOptions(values: Values): { split: 'val' | 'test'; backendChoice: 'wasm' | 'cpu' } {
  const split = values.split ?? 'val'
  if (split !== 'val' && split !== 'test') throw new UsageError(`--split must be val or test, received ${JSON.stringify(split)}`)
  const backendChoice = values.backend ?? 'wasm'
  if (backendChoice !== 'wasm' && backendChoice !== 'cpu') throw new UsageError(`--backend must be wasm or cpu, received ${JSON.stringify(backendChoice)}`)
  return { split, backendChoice }
}

export interface ExportedEvaluateOutput {
  readonly model: string
  /** The run and checkpoint it was exported from (its metadata). */
  readonly exportedFrom: { readonly runId: number; readonly checkpointId: number; readonly kind: string; readonly epoch: number }
  readonly dataset: { readonly id: number; readonly name: string }
  readonly split: 'val' | 'test'
  readonly count: number
  readonly loss: number
  readonly accuracy: number
  readonly tta: { readonly description: string; readonly views: number; readonly loss: number; readonly accuracy: number } | null
  readonly backend: string
}

/** `--model <folder>`: an exported model on a dataset, with the preprocessing and TTA of its metadata. */
async function evaluateExported(folder: string, values: Values, positionals: string[], io: Parameters<Subcommand['run']>[1]): Promise<number> {
  if (positionals.length) throw new UsageError(`--model evaluates an exported folder, not a run: remove ${positionals.join(' ')}`)
  if (values.checkpoint !== undefined) throw new UsageError('--checkpoint goes with a run id; an exported model is one checkpoint already')
  if (values.dataset === undefined) throw new UsageError('--model needs --dataset <name|id> (see `studio dataset list`)')
  const { split, backendChoice } = commonOptions(values)
  const dir = resolve(folder)
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  return withStudio(dataDir, async (studio) => {
    const { ApiError } = await import('@shared/api')
    const { clientFor } = await import('../rpc/direct-client')
    const datasets = clientFor(studio, datasetsContract)
    const dataset = await datasets.get({ id: (await findDataset(datasets, values.dataset!)).id })
    const { selectBackend } = await import('../train/backend')
    const { openDatasetSource } = await import('../train/dataset-source')
    const { readExportedModel } = await import('../services/export-model')
    const { evaluate } = await import('../../shared/train/index')
    const backend = await selectBackend(backendChoice)
    if (backend.fallback) io.stderr(`warning: ${backend.fallback}\n`)
    const { model, metadata } = await readExportedModel(dir).catch((e: unknown) => {
      throw e instanceof ApiError ? new UsageError(e.message) : e
    })
    try {
      const outputs = model.outputs[0]?.shape.at(-1)
      if (outputs !== dataset.classes.length) throw new UsageError(`The exported model outputs ${String(outputs)} values per image, dataset "${dataset.name}" has ${dataset.classes.length} classes`)
      const [h, w, c] = (model.inputs[0]?.shape ?? []).slice(1)
      if (h !== dataset.size.height || w !== dataset.size.width || c !== dataset.channels) {
        throw new UsageError(`The exported model takes ${h}x${w}x${c} images, dataset "${dataset.name}" holds ${dataset.size.height}x${dataset.size.width}x${dataset.channels}`)
      }
      const data = openDatasetSource(studio.db, studio.paths, dataset, { test: split === 'test' })
      const r = await evaluate(model, data, split, { allowTest: split === 'test', pipeline: metadata.preprocess, tta: metadata.tta?.spec ?? null, batchSize: 128, predictions: false })
      const out: ExportedEvaluateOutput = {
        model: dir,
        exportedFrom: { runId: metadata.runId, checkpointId: metadata.checkpointId, kind: metadata.checkpoint.kind, epoch: metadata.checkpoint.epoch },
        dataset: { id: dataset.id, name: dataset.name },
        split,
        count: r.count,
        loss: r.loss,
        accuracy: r.accuracy,
        tta: r.tta && metadata.tta ? { description: metadata.tta.description, views: r.tta.views, loss: r.tta.loss, accuracy: r.tta.accuracy } : null,
        backend: backend.backend,
      }
      if (values.json) io.stdout(JSON.stringify(out, null, 2) + '\n')
      else {
        const head = `Exported model ${dir} (run ${metadata.runId}, ${metadata.checkpoint.kind} checkpoint of epoch ${metadata.checkpoint.epoch}) on the ${split === 'test' ? 'TEST' : 'validation'} split of dataset ${dataset.id} "${dataset.name}": ${r.count} images (${backend.backend})`
        io.stdout([head, ...resultLines(out, "this model's metadata")].join('\n') + '\n')
      }
      return 0
    } finally {
      model.dispose()
    }
  })
}

function resultLines(o: { split: 'val' | 'test'; loss: number; accuracy: number; tta: EvaluateOutput['tta'] }, what = "this run's pipeline"): string[] {
  return [
    `  Accuracy            ${pct(o.accuracy)}  (loss ${num4(o.loss)})`,
    o.tta
      ? `  Accuracy with TTA   ${pct(o.tta.accuracy)}  (loss ${num4(o.tta.loss)}; ${o.tta.description}, probabilities averaged)`
      : `  With TTA            - (no test-time augmentation in ${what})`,
    ...(o.split === 'test' ? ['  Evaluated on the locked test split: report this score once; do not choose hyperparameters with it.'] : []),
  ]
}

export const evaluateCommand: Subcommand = {
  name: 'evaluate',
  summary: "Evaluate a run's checkpoint, with and without its test-time augmentation, and store the result",
  usage,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        split: { type: 'string' },
        checkpoint: { type: 'string' },
        model: { type: 'string' },
        dataset: { type: 'string' },
        backend: { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    })
    if (values.model !== undefined) return evaluateExported(values.model, values, positionals, io)
    if (values.dataset !== undefined) throw new UsageError('--dataset goes with --model <exported folder>; a run is evaluated on its own dataset')
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'evaluate needs a run id (see `studio runs list`)' : `evaluate takes one run id, received ${positionals.join(' ')}`)
    const runId = parseNumberArg('run id', positionals[0]!, { int: true, min: 1 })
    const { split, backendChoice } = commonOptions(values)
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
    return withStudio(dataDir, async (studio) => {
      const { ApiError } = await import('@shared/api')
      const { clientFor } = await import('../rpc/direct-client')
      const runs = clientFor(studio, runsContract)
      const run = await runs.get({ id: runId }).catch((e: unknown) => {
        throw e instanceof ApiError && e.code === 'not_found' ? new UsageError(`Unknown run ${runId} (see \`studio runs list\`)`) : e
      })
      const checkpoint = pickCheckpoint(await runs.checkpoints({ runId }), values.checkpoint ?? 'best', runId)
      if (run.datasetId === null) throw new UsageError(`Run ${runId}'s dataset no longer exists: it cannot be evaluated`)
      const dataset = await clientFor(studio, datasetsContract).get({ id: run.datasetId })

      const { selectBackend } = await import('../train/backend')
      const { openDatasetSource } = await import('../train/dataset-source')
      const { snapshotGraph } = await import('../services/export-model')
      const { compileGraph } = await import('../../shared/tfjs/compile')
      const { evaluate, restoreCheckpoint } = await import('../../shared/train/index')
      const { pipelineTta } = await import('../../shared/augment/index')
      type Pipeline = import('../../shared/augment/index').AugmentPipeline
      type Meta = import('../../shared/train/index').CheckpointMeta

      const backend = await selectBackend(backendChoice)
      if (backend.fallback) io.stderr(`warning: ${backend.fallback}\n`)
      const config = run.config as { pipeline?: { document?: Pipeline } | null; dataset?: { classes?: string[] } }
      const pipeline = config.pipeline?.document ?? null
      const classes = config.dataset?.classes ?? dataset.classes
      if (classes.length !== dataset.classes.length) {
        throw new UsageError(`Run ${runId} was trained on ${classes.length} classes, its dataset now has ${dataset.classes.length}: it cannot be evaluated on it`)
      }
      const loaded = await runs.loadCheckpoint({ id: checkpoint.id })
      const { model } = compileGraph(snapshotGraph({ runId, config: run.config, fallbackDocument: undefined }, 'for evaluation'))
      try {
        const weights = arrayBufferOf(loaded.weights)
        restoreCheckpoint(model, null, { meta: loaded.meta as Meta, weights, optimizerState: new ArrayBuffer(0) })
        const data = openDatasetSource(studio.db, studio.paths, dataset, { test: split === 'test' })
        const r = await evaluate(model, data, split, { allowTest: split === 'test', pipeline, tta: pipelineTta(pipeline), batchSize: 128 })
        const saved = await runs.saveEvaluation({
          runId,
          checkpointId: checkpoint.id,
          split,
          count: r.count,
          loss: finiteOrNull(r.loss),
          accuracy: finiteOrNull(r.accuracy),
          classes: [...classes],
          confusion: r.confusion,
          predictions: r.predictions.map((p) => ({ ...p, confidence: Math.min(1, p.confidence) })),
          tta: r.tta ? { views: r.tta.views, loss: finiteOrNull(r.tta.loss), accuracy: finiteOrNull(r.tta.accuracy) } : null,
        })
        const out: EvaluateOutput = {
          runId,
          evaluationId: saved.id,
          checkpoint: { id: checkpoint.id, kind: checkpoint.kind, epoch: checkpoint.epoch, step: checkpoint.step },
          split,
          count: r.count,
          loss: r.loss,
          accuracy: r.accuracy,
          tta: r.tta && saved.tta.status === 'applied' ? { description: saved.tta.description, views: r.tta.views, loss: r.tta.loss, accuracy: r.tta.accuracy } : null,
          backend: backend.backend,
        }
        io.stdout(values.json ? JSON.stringify(out, null, 2) + '\n' : renderEvaluation(out, run.name))
        return 0
      } finally {
        model.dispose()
      }
    })
  },
}
