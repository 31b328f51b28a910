import { describe, expect, it } from 'vitest'
import { runCli, nodeIO, type CliIO } from '../../main/cli/index'
import { createStep } from '@shared/augment/spec-only'
import { GraphBuilder, serializeGraphDocument } from '@shared/graph'
import { optimizerChoices } from '../../shared/train/optimizer-kinds'

/** Captures output; `files` are served by readFile (no disk needed). */
function capture(files: Record<string, string> = {}): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
    readFile: (p: string) => files[p] ?? nodeIO.readFile(p),
  }
  return io
}

/** A small digits CNN with a small-scale head (initial loss ~ ln 10). */
function cnnJson(): string {
  const b = new GraphBuilder()
  b.add('Input', { shape: [28, 28, 1] }, { id: 'input' })
  b.add('Conv2D', { filters: 8, kernelSize: 3, padding: 'same' }, { id: 'conv1' })
  b.add('ReLU', {}, { id: 'relu1' })
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool1' })
  b.add('Flatten', {}, { id: 'flatten' })
  b.add('Output', { units: 10, kernelInitializer: 'normal', stddev: 0.01 }, { id: 'output' })
  return serializeGraphDocument(b.build())
}

/** Six 256-wide Dense + ReLU layers on a 256-d input. */
function mlpJson(): string {
  const b = new GraphBuilder()
  b.add('Input', { shape: [256] }, { id: 'input' })
  for (let i = 1; i <= 6; i++) {
    b.add('Dense', { units: 256 }, { id: `fc${i}` })
    b.add('ReLU', {}, { id: `relu${i}` })
  }
  b.add('Output', { units: 10 }, { id: 'output' })
  return serializeGraphDocument(b.build())
}

/** A pipeline that normalizes with a far-off mean and a tiny std: inputs of about ±50 instead of [0, 1]. */
const shiftingPipeline = JSON.stringify({ format: 1, steps: [createStep('normalize', 'n', { params: { mean: [0.5], std: [0.01] } })] })

const files = { 'cnn.json': cnnJson(), 'mlp.json': mlpJson(), 'norm.json': shiftingPipeline, 'bad-pipeline.json': JSON.stringify({ format: 1, steps: [{ id: 'x', kind: 'swirl', enabled: true, p: 1, params: {} }] }) }

describe('studio check / lr-sweep / init-lab (in-process, WASM)', () => {
  it('check initial-loss --json: ln(10) on random data, regularization raises the loss', async () => {
    const io = capture(files)
    expect(await runCli(['check', 'initial-loss', '--graph', 'cnn.json', '--json'], io)).toBe(0)
    const r = JSON.parse(io.out) as { check: string; loss: number; expected: number; plausible: boolean; verdict: string; regularization: { rises: boolean } }
    expect(r.check).toBe('initial-loss')
    expect(Math.abs(r.loss - Math.log(10))).toBeLessThan(0.1)
    expect(r.expected).toBeCloseTo(Math.log(10), 6)
    expect(r).toMatchObject({ plausible: true, verdict: 'ok' })
    expect(r.regularization.rises).toBe(true)
    // Seeded weights and data: the same command gives the same loss; another seed, another draw.
    const again = capture(files)
    expect(await runCli(['check', 'initial-loss', '--graph', 'cnn.json', '--json'], again)).toBe(0)
    expect((JSON.parse(again.out) as { loss: number }).loss).toBe(r.loss)
    const other = capture(files)
    expect(await runCli(['check', 'initial-loss', '--graph', 'cnn.json', '--seed', '7', '--json'], other)).toBe(0)
    expect((JSON.parse(other.out) as { loss: number }).loss).not.toBe(r.loss)
    const text = capture(files)
    expect(await runCli(['check', 'initial-loss', '--graph', 'cnn.json', '--data', 'mnist', '--batches', '1'], text)).toBe(0)
    expect(text.out).toMatch(/expected ln\(10\) = 2\.3026/)
  })

  it('check initial-loss --pipeline: the check sees the inputs the pipeline of the run gives (its normalize steps)', async () => {
    const plain = capture(files)
    expect(await runCli(['check', 'initial-loss', '--graph', 'cnn.json', '--batches', '1', '--json'], plain)).toBe(0)
    const withPipeline = capture(files)
    await runCli(['check', 'initial-loss', '--graph', 'cnn.json', '--batches', '1', '--pipeline', 'norm.json', '--json'], withPipeline)
    const a = JSON.parse(plain.out) as { loss: number; pipeline: string | null }
    const b = JSON.parse(withPipeline.out) as { loss: number; pipeline: string | null }
    expect(a.pipeline).toBeNull()
    expect(b.pipeline).toMatch(/norm\.json$/)
    // Inputs 100x larger reach the logits: the loss is far from the raw-pixel one.
    expect(Math.abs(b.loss - a.loss)).toBeGreaterThan(0.5)
  })

  it('check overfit-tiny --json reaches a training loss < 0.05 on 20 MNIST digits', async () => {
    const io = capture(files)
    expect(await runCli(['check', 'overfit-tiny', '--graph', 'cnn.json', '--examples', '20', '--lr', '0.01', '--json'], io)).toBe(0)
    const r = JSON.parse(io.out) as { success: boolean; finalLoss: number; examples: number; steps: number; curve: { loss: number }[] }
    expect(r.success).toBe(true)
    expect(r.examples).toBe(20)
    expect(r.finalLoss).toBeLessThan(0.05)
    expect(r.curve).toHaveLength(r.steps)
  })

  it('check overfit-tiny takes every registered optimizer choice (the registry is its list, help and default learning rates)', async () => {
    const choices = optimizerChoices()
    expect(choices.map((c) => c.choice.value)).toContain('lion')
    for (const { def, choice } of choices) {
      const io = capture(files)
      const code = await runCli(['check', 'overfit-tiny', '--graph', 'cnn.json', '--examples', '10', '--max-steps', '2', '--optimizer', choice.value, '--json'], io)
      expect(code, `${choice.value}: ${io.err}`).not.toBe(2)
      const r = JSON.parse(io.out) as { optimizer: string; lr: number; steps: number }
      expect(r.optimizer).toBe(choice.value)
      expect(r.lr).toBe(def.defaultLearningRate)
      expect(r.steps).toBeGreaterThan(0)
    }
    const help = capture(files)
    expect(await runCli(['help', 'check'], help)).toBe(0)
    for (const { choice } of choices) expect(help.out).toContain(choice.value)
  })

  it('lr-sweep --json classifies every rate and recommends one', async () => {
    const io = capture(files)
    const code = await runCli(['lr-sweep', '--graph', 'cnn.json', '--iterations', '15', '--examples', '256', '--optimizer', 'adam', '--json'], io)
    const r = JSON.parse(io.out) as { recommended: number | null; runs: { lr: number; kind: string; verdict: string; losses: (number | null)[] }[]; explanation: string }
    expect(code).toBe(r.recommended === null ? 1 : 0)
    expect(r.runs.map((x) => x.lr)).toEqual([0.1, 0.01, 0.001, 0.0001, 0.00001])
    for (const x of r.runs) expect(['exploded', 'flat', 'decreasing']).toContain(x.kind)
    expect(r.runs.find((x) => x.lr === 1e-5)!.kind).toBe('flat')
    expect(r.recommended).not.toBeNull()
    expect(r.explanation.length).toBeGreaterThan(20)
  })

  it('init-lab prints per-layer mean and std; --json for several schemes', async () => {
    const io = capture(files)
    expect(await runCli(['init-lab', '--graph', 'mlp.json', '--init', 'normal:0.01,kaiming', '--json'], io)).toBe(0)
    const r = JSON.parse(io.out) as { results: { init: string; layers: { layer: string; className: string; mean: number; std: number }[] }[] }
    expect(r.results.map((x) => x.init)).toEqual(['normal 0.01', 'Kaiming sqrt(2/Din)'])
    const relu = (i: number) => r.results[i]!.layers.filter((l) => l.className === 'ReLU').map((l) => l.std)
    // 0.01 * sqrt(256 / 2) = 0.11 per layer: collapse; Kaiming: stable.
    expect(relu(0)[5]! / relu(0)[0]!).toBeLessThan(1e-3)
    expect(relu(1)[5]! / relu(1)[0]!).toBeGreaterThan(0.5)
    expect(relu(1)[5]! / relu(1)[0]!).toBeLessThan(2)
    const text = capture(files)
    expect(await runCli(['init-lab', '--graph', 'mlp.json', '--init', 'xavier'], text)).toBe(0)
    expect(text.out).toMatch(/Xavier sqrt\(1\/Din\): input mean/)
    expect(text.out).toMatch(/relu6\s+ReLU\s+\S+\s+\S+\s+\d+\.\d%/)
  })

  it('bad usage exits 2 with a message', async () => {
    const cases: [string[], RegExp][] = [
      [['check', 'nope'], /initial-loss or overfit-tiny/],
      [['check', 'initial-loss'], /exactly one of --graph/],
      [['init-lab', '--graph', 'mlp.json'], /needs --init/],
      [['init-lab', '--graph', 'mlp.json', '--init', 'uniform'], /Unknown initializer/],
      [['lr-sweep', '--template', 'nope'], /Unknown template/],
      [['lr-sweep', '--graph', 'cnn.json', '--iterations', '0'], /--iterations must be a whole number >= 1/],
      [['check', 'overfit-tiny', '--template', 'toy-convnet', '--input', '32x32x3'], /MNIST digits are 28x28x1/],
      [['check', 'overfit-tiny', '--graph', 'cnn.json', '--optimizer', 'rmsprop'], /--optimizer must be one of sgd, momentum, nesterov, adam, adamw, lion, received "rmsprop"/],
      [['lr-sweep', '--graph', 'cnn.json', '--optimizer', 'rmsprop'], /--optimizer must be one of sgd, momentum, nesterov, adam, adamw, lion, received "rmsprop"/],
      [['check', 'initial-loss', '--graph', 'cnn.json', '--pipeline', 'bad-pipeline.json'], /bad-pipeline\.json: .*swirl/],
      [['check', 'initial-loss', '--graph', 'cnn.json', '--pipeline', 'missing.json'], /Cannot read --pipeline missing\.json/],
    ]
    for (const [argv, message] of cases) {
      const io = capture(files)
      expect(await runCli(argv, io)).toBe(2)
      expect(io.err).toMatch(message)
    }
  })
})
