/**
 * `studio train`: trains a template or a graph file on a dataset of the data folder with the app's own engine
 * (shared/train) under Node, on the WASM backend (or CPU), and records the run in the studio database exactly
 * as the app does (config snapshot, metrics, checkpoints, status, summary), so it shows in the app's run list.
 * The studio, TF.js and the engine are loaded only when this command runs.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ApiError, datasetsContract, enginesContract, projectsContract, runsContract, type DatasetSummary, type Project, type ServiceClient, type StartedEngineRun } from '@shared/api'
import { TEMPLATES, getTemplate } from '../../shared/graph/templates'
import { optimizerChoices } from '../../shared/train/optimizer-kinds'
import { listSchedules, scheduleByCliName } from '../../shared/train/schedules'
import { defaultDataDir } from '../host/paths'
import type { Studio } from '../studio'
import { pipelineArg } from './check'
import { optimizerArg, optimizerFlagHelp, optimizerTable, orList as or } from './optimizer-arg'
import { UsageError, type Subcommand } from './types'

export const CLI_PROJECT_NAME = 'Command line'
const SCHEDULES = listSchedules().map((d) => d.cliName ?? d.type)
/** One flag per optimizer hyperparameter a choice lets people type (`--momentum`, `--beta1`), with its choices. */
const HYPER_FLAGS = (() => {
  const flags = new Map<string, { label: string; uses: string[] }>()
  for (const { choice } of optimizerChoices()) {
    for (const f of choice.fields) {
      const flag = flags.get(f.param) ?? { label: f.label, uses: [] }
      flag.uses.push(`${choice.value} ${f.default}`)
      flags.set(f.param, flag)
    }
  }
  return [...flags]
})()

const usage = `Usage: studio train (--graph <file> | --template <name>) --dataset <name|id> [options]
       studio train --resume <run id> [--backend wasm|cpu] [--data-dir <dir>] [--json]

Trains with the app's engine under Node (or with PyTorch: --engine pytorch) and records the run in the data
folder's database (it appears in the app's run list). Training uses the dataset's train split, validation its val split; the test split is never read.
  --graph <file>         a graph document (.json, as exported by the app); its input and classes adapt to the dataset
  --template <name>      a built-in architecture, built for the dataset's image size and classes
                         (${TEMPLATES.map((t) => t.name).join(', ')})
  --dataset <name|id>    a dataset of the data folder (\`studio dataset list\`)
  --epochs N             (default 10)
  --batch B              batch size (default 64)
  --lr X                 base learning rate (default: the optimizer's, listed below)
  --optimizer O          ${optimizerFlagHelp('adam')}
${HYPER_FLAGS.map(([param, f]) => `  ${`--${param} X`.padEnd(22)} ${f.label} (default ${f.uses.join(', ')})`).join('\n')}
  --weight-decay W       L2 or decoupled weight decay, as the optimizer's convention says (default 0)
  --schedule S           ${or(SCHEDULES)} (default constant)
  --warmup-epochs E      linear warm-up over E epochs (may be fractional; default 0)
  --seed S               run seed: data order, augmentation (default 0)
  --pipeline <file>      an augmentation pipeline document (.json); default none
  --backend wasm|cpu     TF.js backend (default wasm: XNNPACK, the fast CPU path)
  --engine tfjs|pytorch  tfjs (default): the app's engine under Node; pytorch: the run exported as a PyTorch project
                         into its folder and trained by \`python train.py\` (the Python with PyTorch the app finds, or
                         the one set in the app), its metrics and checkpoints recorded into the run as it trains
  --processes N          pytorch: N processes under torchrun (--standalone --nproc_per_node N; default 1)
  --device auto|cpu|cuda pytorch: where it trains (default auto: CUDA when PyTorch sees it)
  --amp                  pytorch: mixed precision (CUDA only)
  --project <name|id>    the run's project (default: the "${CLI_PROJECT_NAME}" project, created when missing)
  --name <run name>      (default: "<template or file> on <dataset>")
  --data-dir <dir>       the studio data folder (default: the app's, ${defaultDataDir()})
  --json                 one JSON line per epoch and a final summary line
  --resume <run id>      continue a stopped or interrupted run (one killed, or whose computer went off) from its
                         latest checkpoint, with its own design, dataset and settings; the metrics after that
                         checkpoint are dropped and trained again, so its history has no gap and no duplicate.
                         A PyTorch run resumes on PyTorch: train.py --resume in its folder, from its last.pt
Ctrl-C stops the run cleanly between steps: status "stopped", its checkpoints kept (exit code 130); with
--engine pytorch, train.py finishes its step and writes last.pt, which becomes the run's last checkpoint.
Optimizers (--optimizer):
${optimizerTable()}`

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

export function parseNumberArg(flag: string, text: string, rule: { int?: boolean; min?: number; positive?: boolean } = {}): number {
  const t = text.trim()
  const v = NUMBER.test(t) ? Number(t) : NaN
  const what = rule.int ? 'a whole number' : 'a number'
  if (!Number.isFinite(v) || (rule.int && !Number.isInteger(v))) throw new UsageError(`${flag} must be ${what}, received ${JSON.stringify(text)}`)
  if (rule.positive && !(v > 0)) throw new UsageError(`${flag} must be greater than 0, received ${JSON.stringify(text)}`)
  if (rule.min !== undefined && v < rule.min) throw new UsageError(`${flag} must be ${what} >= ${rule.min}, received ${JSON.stringify(text)}`)
  return v
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, received ${JSON.stringify(text)}`)
  return text as T
}

/** Runs `fn` on a studio over `dataDir` (the studio and its SQLite are loaded only here). */
export async function withStudio<T>(dataDir: string, fn: (studio: Studio) => Promise<T>): Promise<T> {
  const { startStudio } = await import('../studio')
  const studio = startStudio({ dataDir, host: 'browser' })
  try {
    return await fn(studio)
  } finally {
    studio.close()
  }
}

const listOf = (items: readonly { id: number; name: string }[]) => (items.length ? items.map((d) => `${d.id} "${d.name}"`).join(', ') : 'none')

/** A dataset by id (digits) or by name (exact, then case-insensitive). */
export async function findDataset(datasets: ServiceClient<typeof datasetsContract>, ref: string): Promise<DatasetSummary> {
  const list = await datasets.list({})
  const byId = /^\d+$/.test(ref.trim()) ? list.find((d) => d.id === Number(ref)) : undefined
  const named = byId ? [byId] : list.filter((d) => d.name === ref).length ? list.filter((d) => d.name === ref) : list.filter((d) => d.name.toLowerCase() === ref.toLowerCase())
  if (named.length === 0) throw new UsageError(`Unknown dataset ${JSON.stringify(ref)}. Datasets here: ${listOf(list)} (import one with \`studio dataset import\` or \`studio dataset mnist\`)`)
  if (named.length > 1) throw new UsageError(`Dataset name ${JSON.stringify(ref)} is ambiguous: ${listOf(named)}; use its id`)
  return named[0]!
}

/** A project by id or name; `null` ref = the "Command line" project, created when missing. */
export async function findProject(projects: ServiceClient<typeof projectsContract>, ref: string | null, create: boolean): Promise<Project | null> {
  const list = await projects.list({})
  if (ref === null) {
    const cli = list.filter((p) => p.name === CLI_PROJECT_NAME).sort((a, b) => a.id - b.id)[0]
    if (cli) return cli
    return create ? projects.create({ name: CLI_PROJECT_NAME }) : null
  }
  const byId = /^\d+$/.test(ref.trim()) ? list.find((p) => p.id === Number(ref)) : undefined
  const named = byId ? [byId] : list.filter((p) => p.name === ref).length ? list.filter((p) => p.name === ref) : list.filter((p) => p.name.toLowerCase() === ref.toLowerCase())
  if (named.length === 0) throw new UsageError(`Unknown project ${JSON.stringify(ref)}. Projects here: ${listOf(list)}`)
  if (named.length > 1) throw new UsageError(`Project name ${JSON.stringify(ref)} is ambiguous: ${listOf(named)}; use its id`)
  return named[0]!
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(2)}%`)
const num4 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4))
const round = (x: number | null | undefined, digits = 4) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits)))

interface PytorchTrainArgs {
  readonly studio: Studio
  readonly io: import('./types').CliIO
  readonly json: boolean
  readonly projectId: number
  readonly name: string
  readonly dataset: import('@shared/api').DatasetDetail
  readonly training: import('../../shared/train/config').TrainingConfig
  readonly processes: number
  readonly device: 'auto' | 'cpu' | 'cuda'
  readonly amp: boolean
  readonly graph: { readonly document: import('../../shared/graph/index').GraphDocument; readonly template: string | null; readonly file: string | null }
  readonly pipeline: { readonly document: import('../../shared/augment/index').AugmentPipeline; readonly file: string | null } | null
}

/** `--engine pytorch`: the run through the engines service (as the Train view starts it), waited for here. */
async function trainOnPytorch(a: PytorchTrainArgs): Promise<number> {
  const { io, json, studio } = a
  const { clientFor } = await import('../rpc/direct-client')
  const { buildRunSnapshot } = await import('../../shared/train/run-snapshot')
  const engines = clientFor(studio, enginesContract)
  const fileName = (p: string) => p.split(/[\\/]/).pop() ?? p
  const config = buildRunSnapshot({
    architecture: { id: null, name: a.graph.template ?? fileName(a.graph.file ?? 'graph'), versionId: null, version: null, template: a.graph.template, file: a.graph.file, document: a.graph.document },
    dataset: a.dataset,
    pipeline: a.pipeline ? { id: null, name: fileName(a.pipeline.file ?? 'pipeline'), versionId: null, version: null, file: a.pipeline.file, document: a.pipeline.document } : null,
    training: a.training,
    backendRequested: `pytorch-${a.device}`,
    appVersion: studio.info.version,
    origin: 'cli',
  })
  let started
  try {
    started = await engines.startPytorch({ projectId: a.projectId, name: a.name, config: config as unknown as Record<string, unknown>, datasetId: a.dataset.id, processes: a.processes, device: a.device, amp: a.amp })
  } catch (error) {
    if (error instanceof ApiError && error.code !== 'internal') throw new UsageError(error.message)
    throw error
  }
  return followPytorchRun(studio, io, json, started, null)
}

/** `studio train --resume <id>` of a PyTorch run: train.py --resume in its folder, followed as a new run is. */
async function resumeOnPytorch(studio: Studio, io: PytorchTrainArgs['io'], json: boolean, runId: number): Promise<number> {
  const { clientFor } = await import('../rpc/direct-client')
  const runs = clientFor(studio, runsContract)
  const last = (await runs.checkpoints({ runId })).find((c) => c.kind === 'last')
  let started
  try {
    started = await clientFor(studio, enginesContract).resumePytorch({ runId })
  } catch (error) {
    if (error instanceof ApiError && error.code !== 'internal') throw new UsageError(error.message)
    throw error
  }
  return followPytorchRun(studio, io, json, started, started.command.includes('--resume') ? (last?.step ?? 0) : 0)
}

/** Prints a PyTorch run's start, its child's output and its end, as `studio train` does; Ctrl-C stops it cleanly. */
async function followPytorchRun(studio: Studio, io: PytorchTrainArgs['io'], json: boolean, started: StartedEngineRun, resumedFromStep: number | null): Promise<number> {
  const { clientFor } = await import('../rpc/direct-client')
  const engines = clientFor(studio, enginesContract)
  const { run } = started
  const engine = (run.config as { engine?: { torchVersion?: string; pythonVersion?: string; deviceNames?: string[]; worldSize?: number } }).engine
  const processes = engine?.worldSize ?? 1
  if (json) io.stdout(JSON.stringify({ type: 'start', runId: run.id, name: run.name, engine: 'pytorch', folder: started.folder, command: started.command, worldSize: processes, ...(resumedFromStep !== null ? { resumedFromStep } : {}) }) + '\n')
  else {
    io.stdout(
      [
        `Run ${run.id} "${run.name}" on PyTorch (python ${engine?.pythonVersion ?? '?'}, torch ${engine?.torchVersion ?? '?'}, ${[...new Set(engine?.deviceNames ?? [])].join(', ')}${processes > 1 ? `, ${processes} processes` : ''})${resumedFromStep !== null ? `, resumed from step ${resumedFromStep}` : ''}`,
        `Project folder ${started.folder}`,
        `$ ${started.command.join(' ')}`,
      ].join('\n') + '\n',
    )
  }
  const off = studio.services.onEvent((channel, payload) => {
    if (channel !== 'studio:engines.onDidOutput') return
    const p = payload as { runId: number; stream: 'stdout' | 'stderr'; text: string }
    if (p.runId !== run.id) return
    if (p.stream === 'stderr') io.stderr(p.text)
    else if (!json) io.stdout(p.text)
  })
  let stopping = false
  const onSigint = () => {
    if (stopping) return
    stopping = true
    if (!json) io.stderr('\nStopping after the current step (train.py writes last.pt)...\n')
    void engines.stop({ runId: run.id }).catch(() => undefined)
  }
  process.on('SIGINT', onSigint)
  try {
    const ended = await studio.engines.runner.finished(run.id)!
    const s = (ended.summary ?? {}) as { message?: string; imagesPerSec?: number | null; steps?: number; epochsDone?: number }
    if (json) {
      io.stdout(JSON.stringify({ type: 'summary', runId: ended.id, status: ended.status, reason: s.message ?? null, epochs: s.epochsDone ?? null, steps: s.steps ?? null, bestValAcc: round(ended.bestValAccuracy), bestEpoch: ended.bestEpoch, imagesPerSec: round(s.imagesPerSec, 1), engine: 'pytorch', durationMs: ended.durationMs }) + '\n')
    } else {
      io.stdout(
        [
          `Run ${ended.id} ${ended.status}: ${s.message ?? ''}`,
          `  Best val accuracy   ${pct(ended.bestValAccuracy)}${ended.bestEpoch !== null ? ` (epoch ${ended.bestEpoch})` : ''}`,
          `  Images/s            ${typeof s.imagesPerSec === 'number' ? s.imagesPerSec.toFixed(0) : '-'} (training steps, PyTorch)`,
          `  Duration            ${(ended.durationMs / 1000).toFixed(1)} s`,
        ].join('\n') + '\n',
      )
    }
    return ended.status === 'completed' ? 0 : ended.status === 'stopped' ? 130 : 1
  } finally {
    off()
    process.removeListener('SIGINT', onSigint)
  }
}

export const trainCommand: Subcommand = {
  name: 'train',
  summary: "Train a template or graph file on a dataset with the app's engine (WASM) or PyTorch and record the run",
  usage,
  async run(args, io) {
    const parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        graph: { type: 'string' },
        template: { type: 'string' },
        dataset: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
        ...Object.fromEntries(HYPER_FLAGS.map(([param]) => [param, { type: 'string' as const }])),
        'weight-decay': { type: 'string' },
        schedule: { type: 'string' },
        'warmup-epochs': { type: 'string' },
        seed: { type: 'string' },
        pipeline: { type: 'string' },
        backend: { type: 'string' },
        engine: { type: 'string' },
        processes: { type: 'string' },
        device: { type: 'string' },
        amp: { type: 'boolean' },
        project: { type: 'string' },
        name: { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        resume: { type: 'string' },
      },
    })
    const v = parsed.values
    if (v.resume !== undefined) {
      const other = Object.keys(v).filter((k) => !['resume', 'backend', 'data-dir', 'json'].includes(k) && v[k as keyof typeof v] !== undefined)
      if (other.length) throw new UsageError(`--resume continues a run with its own settings: ${other.map((k) => `--${k}`).join(', ')} cannot be given with it`)
      const runId = parseNumberArg('--resume', v.resume, { int: true, min: 1 })
      const backendChoice = oneOf('--backend', v.backend ?? 'wasm', ['wasm', 'cpu'] as const)
      const dataDir = resolve(v['data-dir'] ?? defaultDataDir())
      return withStudio(dataDir, async (studio) => {
        const { clientFor } = await import('../rpc/direct-client')
        const run = await clientFor(studio, runsContract)
          .get({ id: runId })
          .catch((error: unknown) => {
            throw error instanceof ApiError && error.code === 'not_found' ? new UsageError(error.message) : error
          })
        if ((run.config as { engine?: { name?: unknown } } | null)?.engine?.name === 'pytorch') {
          if (v.backend !== undefined) throw new UsageError(`Run ${run.id} trained on PyTorch: --backend chooses a TF.js backend; it resumes on its own device`)
          return resumeOnPytorch(studio, io, v.json ?? false, runId)
        }
        const { prepareResume } = await import('../train/session')
        let plan: Awaited<ReturnType<typeof prepareResume>>
        try {
          plan = await prepareResume(studio, runId)
        } catch (error) {
          throw new UsageError(error instanceof Error ? error.message : String(error))
        }
        return trainSession(studio, { ...plan, backend: backendChoice, dataDir, json: v.json ?? false, io, labels: null })
      })
    }
    if ((v.graph === undefined) === (v.template === undefined)) throw new UsageError('train needs exactly one of --graph <file> or --template <name>')
    if (v.dataset === undefined) throw new UsageError('train needs --dataset <name|id> (see `studio dataset list`)')
    const template = v.template !== undefined ? getTemplate(v.template) : undefined
    if (v.template !== undefined && !template) throw new UsageError(`Unknown template ${JSON.stringify(v.template)}. Available: ${TEMPLATES.map((t) => t.name).join(', ')}`)
    const epochs = v.epochs !== undefined ? parseNumberArg('--epochs', v.epochs, { int: true, min: 1 }) : 10
    const batchSize = v.batch !== undefined ? parseNumberArg('--batch', v.batch, { int: true, min: 1 }) : 64
    const given = v as Record<string, string | boolean | undefined>
    const chosen = optimizerArg(v.optimizer, 'adam', (param, fallback) => {
      const text = given[param]
      return typeof text === 'string' ? parseNumberArg(`--${param}`, text) : Number(fallback)
    })
    const optimizerName = chosen.name
    const learningRate = v.lr !== undefined ? parseNumberArg('--lr', v.lr, { positive: true }) : chosen.defaultLearningRate
    for (const [param] of HYPER_FLAGS) {
      if (given[param] !== undefined && !chosen.choice.fields.some((f) => f.param === param)) {
        throw new UsageError(`--${param} does not apply to --optimizer ${optimizerName} (it takes ${chosen.choice.fields.map((f) => `--${f.param}`).join(', ') || 'no hyperparameter flags'})`)
      }
    }
    const optimizer = chosen.spec
    const weightDecay = v['weight-decay'] !== undefined ? parseNumberArg('--weight-decay', v['weight-decay'], { min: 0 }) : 0
    const scheduleName = oneOf('--schedule', v.schedule ?? 'constant', SCHEDULES)
    const warmupEpochs = v['warmup-epochs'] !== undefined ? parseNumberArg('--warmup-epochs', v['warmup-epochs'], { min: 0 }) : 0
    const seed: number | string = v.seed === undefined ? 0 : NUMBER.test(v.seed.trim()) && Number.isFinite(Number(v.seed)) ? Number(v.seed) : v.seed
    const backendChoice = oneOf('--backend', v.backend ?? 'wasm', ['wasm', 'cpu'] as const)
    const engine = oneOf('--engine', v.engine ?? 'tfjs', ['tfjs', 'pytorch'] as const)
    if (engine === 'pytorch' && v.backend !== undefined) throw new UsageError('--backend chooses the TF.js backend; with --engine pytorch use --device auto|cpu|cuda')
    if (engine === 'tfjs') {
      const extra = (['processes', 'device'] as const).filter((f) => v[f] !== undefined).map((f) => `--${f}`).concat(v.amp ? ['--amp'] : [])
      if (extra.length) throw new UsageError(`${extra.join(', ')} go${extra.length === 1 ? 'es' : ''} with --engine pytorch`)
    }
    const processes = v.processes !== undefined ? parseNumberArg('--processes', v.processes, { int: true, min: 1 }) : 1
    const device = oneOf('--device', v.device ?? 'auto', ['auto', 'cpu', 'cuda'] as const)
    const scheduleDef = scheduleByCliName(scheduleName)!
    const schedule = {
      type: scheduleDef.type,
      ...Object.fromEntries(scheduleDef.fields.map((f) => [f.param, Number(f.default)])),
      ...scheduleDef.cliDefaults?.(epochs),
      warmupEpochs,
    }
    const { parseTrainingConfig } = await import('../../shared/train/config')
    const cfg = parseTrainingConfig({ epochs, batchSize, seed, learningRate, optimizer, schedule, weightDecay })
    if (!cfg.ok) throw new UsageError(cfg.errors.join('; '))
    const training = cfg.config

    // Files given on the command line are read before the studio opens.
    let graphFile: { path: string; doc: import('../../shared/graph/index').GraphDocument } | null = null
    if (v.graph !== undefined) {
      const { GraphDocumentError, parseGraphDocument } = await import('../../shared/graph/index')
      let text: string
      try {
        text = io.readFile(v.graph)
      } catch (err) {
        throw new UsageError(`Cannot read --graph ${v.graph}: ${(err as Error).message}`)
      }
      try {
        graphFile = { path: resolve(v.graph), doc: parseGraphDocument(text) }
      } catch (err) {
        if (err instanceof GraphDocumentError) throw new UsageError(`${v.graph}: ${err.message}`)
        throw err
      }
    }
    const dataDir = resolve(v['data-dir'] ?? defaultDataDir())
    const json = v.json ?? false
    return withStudio(dataDir, async (studio) => {
      const { clientFor } = await import('../rpc/direct-client')
      const datasets = clientFor(studio, datasetsContract)
      const summary = await findDataset(datasets, v.dataset!)
      const dataset = await datasets.get({ id: summary.id })
      const shape = [dataset.size.height, dataset.size.width, dataset.channels]
      const C = dataset.classes.length
      if (dataset.splitTotals.train === 0) throw new UsageError(`Dataset ${dataset.id} "${dataset.name}" has no training images`)
      if (C < 2) throw new UsageError(`Dataset ${dataset.id} "${dataset.name}" has ${C} class: training needs at least 2`)

      const { analyzeGraph } = await import('../../shared/graph/index')
      const { adaptGraph, runTrainingSession } = await import('../train/session')
      const document = template ? template.build(shape, C) : adaptGraph(graphFile!.doc, shape, C)
      const errors = analyzeGraph(document).issues.filter((i) => i.severity === 'error')
      if (errors.length) {
        throw new UsageError(`The network does not fit ${shape.join('x')} images with ${C} classes:\n  ${errors.map((e) => e.message).join('\n  ')}`)
      }
      const pipeline = await pipelineArg(v.pipeline, shape, io)
      const project = (await findProject(clientFor(studio, projectsContract), v.project ?? null, true))!
      const source = template ? template.name : graphFile!.path.split(/[\\/]/).pop()!
      const name = v.name ?? `${source} on ${dataset.name}`

      if (engine === 'pytorch') {
        return trainOnPytorch({ studio, io, json, projectId: project.id, name, dataset, training, processes, device, amp: v.amp ?? false, graph: { document, template: template?.name ?? null, file: graphFile?.path ?? null }, pipeline })
      }

      return trainSession(studio, {
        projectId: project.id,
        dataset,
        graph: { document, template: template?.name ?? null, file: graphFile?.path ?? null },
        pipeline,
        training,
        name,
        backend: backendChoice,
        dataDir,
        json,
        io,
        labels: { optimizerName, learningRate, scheduleName },
      })
    })
  },
}

interface SessionArgs {
  readonly projectId: number
  readonly dataset: import('@shared/api').DatasetDetail
  readonly graph: import('../train/session').GraphSource
  readonly pipeline: import('../train/session').TrainSessionOptions['pipeline']
  readonly training: import('../../shared/train/config').TrainingConfig
  readonly name?: string | undefined
  readonly backend: 'wasm' | 'cpu'
  readonly resume?: import('../train/session').SessionResume
  readonly dataDir: string
  readonly json: boolean
  readonly io: import('./types').CliIO
  /** How the settings are named in the start lines (null: read from the resumed run's settings). */
  readonly labels: { optimizerName: string; learningRate: number; scheduleName: string } | null
}

/** Trains one session (a new run or a resumed one) with Ctrl-C handling, printing as `studio train` does. */
async function trainSession(studio: Studio, o: SessionArgs): Promise<number> {
  const { dataset, training, dataDir, json, io } = o
  const shape = [dataset.size.height, dataset.size.width, dataset.channels]
  const C = dataset.classes.length
  const labels = o.labels ?? { optimizerName: training.optimizer.type, learningRate: training.learningRate, scheduleName: training.schedule.type }
  const { clientFor } = await import('../rpc/direct-client')
  const { runTrainingSession } = await import('../train/session')
  const project = (await clientFor(studio, projectsContract).get({ id: o.projectId }))
    const stop = new AbortController()
    let sigints = 0
    let firstAt = 0
    const onSigint = () => {
      sigints += 1
      if (sigints === 1) {
        firstAt = Date.now()
        if (!json) io.stderr('\nStopping after the current step (Ctrl-C again to quit at once)...\n')
        stop.abort()
      } else if (Date.now() - firstAt > 500) {
        // A second, deliberate Ctrl-C (not the same one delivered twice): quit without waiting.
        process.exit(130)
      }
    }
    process.on('SIGINT', onSigint)
    try {
      const result = await runTrainingSession({
        studio,
        projectId: o.projectId,
        dataset,
        graph: o.graph,
        pipeline: o.pipeline,
        training,
        backend: o.backend,
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.resume ? { resume: o.resume } : {}),
        origin: 'cli',
        signal: stop.signal,
        onStart: (s) => {
          if (s.backend.fallback) io.stderr(`warning: ${s.backend.fallback}\n`)
          const init = s.initialLoss
          if (json) {
            io.stdout(
              JSON.stringify({
                type: 'start',
                runId: s.run.id,
                name: s.run.name,
                project: { id: project.id, name: project.name },
                ...(o.resume ? { resumedFromStep: o.resume.recorder.step } : {}),
                dataset: { id: dataset.id, name: dataset.name, train: s.trainCount, val: s.valCount },
                backend: s.backend.backend,
                params: s.params,
                epochs: training.epochs,
                stepsPerEpoch: s.stepsPerEpoch,
                initialLoss: round(init.loss),
                expectedInitialLoss: round(init.expected),
              }) + '\n',
            )
          } else {
            io.stdout(
              [
                `Run ${s.run.id} "${s.run.name}" in project ${project.id} "${project.name}" (${dataDir})${o.resume ? `, resumed from step ${o.resume.recorder.step}` : ''}`,
                `Dataset ${dataset.id} "${dataset.name}": ${s.trainCount} train / ${s.valCount} val images, ${shape.join('x')}, ${C} classes; ${s.params.toLocaleString('en-US')} parameters`,
                `Backend ${s.backend.backend}; ${training.epochs} epoch${training.epochs === 1 ? '' : 's'} of ${s.stepsPerEpoch} steps, batch ${training.batchSize}, ${labels.optimizerName} lr ${labels.learningRate}, ${labels.scheduleName} schedule`,
                `Initial loss ${num4(init.loss)} (ln(${C}) = ${num4(init.expected)}, over ${init.samples} training images)`,
              ].join('\n') + '\n',
            )
          }
        },
        onEpoch: (e, s) => {
          const ips = e.seconds > 0 ? s.trainCount / e.seconds : null
          if (json) {
            io.stdout(
              JSON.stringify({
                type: 'epoch',
                runId: s.run.id,
                epoch: e.epoch,
                epochs: training.epochs,
                step: e.step,
                trainLoss: round(e.trainLoss),
                trainAcc: round(e.trainAcc),
                valLoss: round(e.valLoss),
                valAcc: round(e.valAcc),
                lr: e.lr,
                seconds: round(e.seconds, 2),
                imagesPerSec: round(ips, 1),
              }) + '\n',
            )
          } else {
            const w = String(training.epochs).length
            io.stdout(
              `epoch ${String(e.epoch).padStart(w)}/${training.epochs}  train loss ${num4(e.trainLoss)} acc ${pct(e.trainAcc)}  val loss ${num4(e.valLoss)} acc ${pct(e.valAcc)}  lr ${Number(e.lr.toPrecision(3))}  ${e.seconds.toFixed(1)} s\n`,
            )
          }
        },
      })
      const r = result
      const last = r.epochs.at(-1)
      const out = {
        type: 'summary',
        runId: r.run.id,
        status: r.run.status,
        reason: r.outcome.reason,
        epochs: r.outcome.epoch,
        steps: r.outcome.step,
        bestValAcc: round(r.bestValAcc),
        bestEpoch: r.bestEpoch,
        finalValAcc: round(last?.valAcc),
        finalValLoss: round(last?.valLoss),
        finalTrainLoss: round(last?.trainLoss),
        initialLoss: round(r.initialLoss.loss),
        expectedInitialLoss: round(r.initialLoss.expected),
        imagesPerSec: round(r.imagesPerSec, 1),
        backend: r.backend.backend,
        durationMs: r.durationMs,
      }
      if (json) io.stdout(JSON.stringify(out) + '\n')
      else {
        io.stdout(
          [
            `Run ${r.run.id} ${r.run.status}: ${r.outcome.reason}`,
            `  Best val accuracy   ${pct(r.bestValAcc)}${r.bestEpoch !== null ? ` (epoch ${r.bestEpoch})` : ''}`,
            `  Final val accuracy  ${pct(last?.valAcc)}${last ? ` (epoch ${last.epoch}, val loss ${num4(last.valLoss)})` : ''}`,
            `  Initial loss        ${num4(r.initialLoss.loss)} (ln(${C}) = ${num4(r.initialLoss.expected)})`,
            `  Images/s            ${r.imagesPerSec === null ? '-' : r.imagesPerSec.toFixed(0)} (training steps, ${r.backend.backend})`,
            `  Duration            ${(r.durationMs / 1000).toFixed(1)} s`,
          ].join('\n') + '\n',
        )
      }
      return r.run.status === 'completed' ? 0 : r.run.status === 'stopped' ? 130 : 1
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_payload') throw new UsageError(error.message)
      throw error
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
}
