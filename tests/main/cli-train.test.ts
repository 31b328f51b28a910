/**
 * `studio train` and `studio runs list` in-process through runCli: a tiny network on 500 MNIST digits, one epoch
 * on the WASM backend, recorded in the data folder's database the way the app records runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectsContract, runsContract } from '@shared/api'
import { runCli } from '../../main/cli/index'
import type { RunListEntry } from '../../main/cli/runs'
import { clientFor, openStudio } from './helpers'
import { capture, mnistDataDir } from './cli-train-fixtures'

let dataDir = ''
let graphFile = ''
let cleanup = () => {}
beforeAll(async () => {
  ;({ dir: dataDir, graphFile, cleanup } = await mnistDataDir())
})
afterAll(() => cleanup())

type Line = Record<string, unknown> & { type: string }

describe('studio train (in-process)', () => {
  it('trains a graph file for one epoch on WASM and records the run, its metrics and checkpoints', async () => {
    const io = capture()
    const code = await runCli(['train', '--graph', graphFile, '--dataset', 'MNIST (500 digits)', '--epochs', '1', '--batch', '50', '--lr', '0.003', '--seed', '7', '--json', '--data-dir', dataDir], io)
    expect(code, io.err).toBe(0)
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l) as Line)
    expect(lines.map((l) => l.type)).toEqual(['start', 'epoch', 'summary'])
    const [start, epoch, summary] = lines as [Line, Line, Line]
    expect(start).toMatchObject({ runId: 1, backend: 'wasm', project: { name: 'Command line' }, dataset: { id: 1, train: 400, val: 50 }, epochs: 1, stepsPerEpoch: 8 })
    // The untrained network (small head) predicts about uniformly: loss ~ ln(10).
    expect(Math.abs((start.initialLoss as number) - Math.log(10))).toBeLessThan(0.1)
    expect(epoch).toMatchObject({ epoch: 1, step: 8 })
    // It learns: 8 steps reach about 50% (chance is 10%) and a validation loss well below ln(10) = 2.30.
    expect(epoch.valAcc).toBeGreaterThan(0.35)
    expect(epoch.valLoss).toBeLessThan(Math.log(10) - 0.4)
    expect(summary).toMatchObject({ status: 'completed', epochs: 1, steps: 8, bestEpoch: 1, backend: 'wasm', finalValAcc: epoch.valAcc, bestValAcc: epoch.valAcc })
    expect(summary.imagesPerSec).toBeGreaterThan(0)

    const studio = openStudio(dataDir)
    try {
      const runs = clientFor(studio, runsContract)
      const run = await runs.get({ id: 1 })
      expect(run).toMatchObject({ status: 'completed', backend: 'wasm', datasetId: 1, bestEpoch: 1, name: 'tiny-graph.json on MNIST (500 digits)' })
      expect(run.bestValAccuracy).toBeCloseTo(epoch.valAcc as number, 4)
      expect(run.finalLoss).toBeCloseTo(epoch.trainLoss as number, 4)
      expect(run.durationMs).toBeGreaterThan(0)
      expect(run.startedAt).not.toBeNull()
      expect(run.endedAt).not.toBeNull()
      const projects = await clientFor(studio, projectsContract).list({})
      expect(projects.map((p) => [p.id, p.name])).toEqual([[run.projectId, 'Command line']])
      const config = run.config as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
      // The one run snapshot shape (shared/train/run-snapshot.ts).
      expect(config).toMatchObject({ kind: 'cnn-studio/train', format: 1, architecture: { id: null, name: 'tiny-graph.json', file: graphFile, template: null } })
      expect(config.architecture.document.nodes.map((n: { id: string }) => n.id)).toContain('conv1')
      expect(config.dataset).toMatchObject({ id: 1, name: 'MNIST (500 digits)', shape: [28, 28, 1], trainSplit: 'train', valSplit: 'val', counts: { train: 400, val: 50, test: 50 }, split: { seed: 3 } })
      expect(config.dataset.mean).toHaveLength(1)
      expect(config.training).toMatchObject({ epochs: 1, batchSize: 50, learningRate: 0.003, optimizer: { type: 'adam' }, seed: 7 })
      expect(config).toMatchObject({ seed: 7, backendRequested: 'wasm', pipeline: null, appVersion: studio.info.version, origin: 'cli' })
      expect(run.summary).toMatchObject({ status: 'completed', message: 'Finished 1 epoch (8 steps)', steps: 8, totalSteps: 8, epochsDone: 1, bestEpoch: 1, backend: 'wasm', initialLoss: { expected: Math.log(10) }, trainCount: 400, valCount: 50 })
      expect(run.summary!.imagesPerSec as number).toBeGreaterThan(0)
      expect((run.summary!.initialLoss as { loss: number }).loss).toBeCloseTo(start.initialLoss as number, 4)

      const metrics = await runs.metrics({ runId: 1 })
      expect(Object.keys(metrics).sort()).toEqual(['epoch/seconds', 'epoch/train_acc', 'epoch/train_loss', 'images_per_sec', 'lr', 'train/acc', 'train/loss', 'val/acc', 'val/loss'])
      expect(metrics['train/loss']!.step).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      expect(metrics['train/loss']!.epoch).toEqual([1, 1, 1, 1, 1, 1, 1, 1])
      expect(metrics['lr']!.value.every((v) => v === 0.003)).toBe(true)
      expect(metrics['val/acc']).toMatchObject({ step: [8], epoch: [1] })
      expect(metrics['val/acc']!.value[0]).toBeCloseTo(epoch.valAcc as number, 4)

      const checkpoints = await runs.checkpoints({ runId: 1 })
      expect(checkpoints.map((c) => [c.kind, c.epoch, c.step]).sort()).toEqual([['best', 1, 8], ['last', 1, 8]])
      expect(checkpoints[0]!.metrics).toMatchObject({ val_acc: expect.closeTo(epoch.valAcc as number, 4) })
      const last = await runs.loadCheckpoint({ id: checkpoints.find((c) => c.kind === 'last')!.id })
      expect(last.meta).toMatchObject({ format: 1, step: 8, epoch: 1, stepInEpoch: 0, seed: 7 })
      expect(last.weights.byteLength).toBe(4 * ((3 * 3 * 1 * 8 + 8) + (3 * 3 * 8 * 16 + 16) + (7 * 7 * 16 * 10 + 10)))
    } finally {
      studio.close()
    }

    // A second run (template, readable output) reuses the "Command line" project; runs list shows both.
    const io2 = capture()
    expect(await runCli(['train', '--template', 'toy-convnet', '--dataset', '1', '--epochs', '1', '--batch', '100', '--name', 'toy', '--data-dir', dataDir], io2), io2.err).toBe(0)
    expect(io2.out).toMatch(/^Run 2 "toy" in project 1 "Command line"/m)
    expect(io2.out).toMatch(/^Initial loss \d\.\d{4} \(ln\(10\) = 2\.3026, over \d+ training images\)$/m)
    expect(io2.out).toMatch(/^epoch 1\/1 {2}train loss \d\.\d{4} acc [\d.]+% {2}val loss \d\.\d{4} acc [\d.]+%/m)
    expect(io2.out).toMatch(/^Run 2 completed: Finished 1 epoch \(4 steps\)$/m)
    expect(io2.out).toMatch(/^ {2}Best val accuracy {3}[\d.]+% \(epoch 1\)$/m)

    const list = capture()
    expect(await runCli(['runs', 'list', '--json', '--data-dir', dataDir], list)).toBe(0)
    const entries = JSON.parse(list.out) as RunListEntry[]
    expect(entries.map((e) => [e.id, e.name, e.status, e.project.name, e.dataset?.name, e.backend])).toEqual([
      [2, 'toy', 'completed', 'Command line', 'MNIST (500 digits)', 'wasm'],
      [1, 'tiny-graph.json on MNIST (500 digits)', 'completed', 'Command line', 'MNIST (500 digits)', 'wasm'],
    ])
    expect(entries[1]!.bestValAccuracy).toBeCloseTo(epoch.valAcc as number, 4)
    expect(entries[1]!.bestEpoch).toBe(1)
    const table = capture()
    expect(await runCli(['runs', 'list', '--project', 'Command line', '--data-dir', dataDir], table)).toBe(0)
    expect(table.out).toMatch(/^Id\s+Name\s+Status\s+Project\s+Dataset\s+Best val acc\s+Backend\s+Duration$/m)
    expect(table.out).toMatch(/^\s*1\s+tiny-graph\.json on MNIST \(500 digits\)\s+completed\s+Command line\s+MNIST \(500 digits\)\s+[\d.]+% @ 1\s+wasm\s+[\d.]+ s$/m)
  })

  it('explains bad arguments with exit code 2 and records nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--dataset', '1'], /needs exactly one of --graph <file> or --template <name>/],
      [['train', '--template', 'toy-convnet', '--graph', graphFile, '--dataset', '1'], /needs exactly one of --graph/],
      [['train', '--template', 'toy-convnet'], /needs --dataset <name\|id>/],
      [['train', '--template', 'lenet7', '--dataset', '1'], /Unknown template "lenet7"\. Available: lenet5, toy-convnet/],
      [['train', '--template', 'toy-convnet', '--dataset', 'CIFAR'], /Unknown dataset "CIFAR"\. Datasets here: 1 "MNIST \(500 digits\)"/],
      [['train', '--template', 'toy-convnet', '--dataset', '9'], /Unknown dataset "9"/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--epochs', '0'], /--epochs must be a whole number >= 1, received "0"/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--batch', '1.5'], /--batch must be a whole number, received "1\.5"/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--lr', 'fast'], /--lr must be a number, received "fast"/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--lr', '0'], /--lr must be greater than 0, received "0"/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--weight-decay=-1'], /--weight-decay must be a number >= 0/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--optimizer', 'rmsprop'], /--optimizer must be one of sgd, momentum, nesterov, adam, adamw, lion, received "rmsprop"/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--optimizer', 'adam', '--momentum', '0.5'], /--momentum does not apply to --optimizer adam \(it takes --beta1, --beta2\)/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--optimizer', 'lion', '--beta2', '1'], /beta2 must be in \[0, 1\), received 1/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--schedule', 'linear'], /--schedule must be one of constant, step, exp, cosine, inv, sqrt/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--backend', 'webgpu'], /--backend must be one of wasm, cpu/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--project', 'Nope'], /Unknown project "Nope"/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--epochs', '1.5'], /--epochs must be a whole number, received "1\.5"/],
      [['train', '--graph', '/nonexistent/g.json', '--dataset', '1'], /Cannot read --graph \/nonexistent\/g\.json/],
      [['train', '--template', 'toy-convnet', '--dataset', '1', '--frobnicate'], /Unknown option '--frobnicate'/],
      [['runs'], /runs needs an action: list/],
      [['runs', 'list', '--project', '42'], /Unknown project "42"/],
    ]
    for (const [args, message] of cases) {
      const io = capture()
      expect(await runCli([...args, '--data-dir', dataDir], io), args.join(' ')).toBe(2)
      expect(io.err, args.join(' ')).toMatch(message)
    }
    const studio = openStudio(dataDir)
    try {
      const projects = await clientFor(studio, projectsContract).list({})
      const runs = await Promise.all(projects.map((p) => clientFor(studio, runsContract).list({ projectId: p.id })))
      expect(runs.flat().map((r) => r.status)).not.toContain('queued')
      expect(runs.flat().map((r) => r.status)).not.toContain('failed')
    } finally {
      studio.close()
    }
  })

  it('trains with Lion (a registered optimizer kind): its defaults, its flags, its checkpoint state', async () => {
    const io = capture()
    const code = await runCli(['train', '--template', 'toy-convnet', '--dataset', '1', '--epochs', '1', '--batch', '100', '--optimizer', 'lion', '--beta1', '0.95', '--json', '--data-dir', dataDir], io)
    expect(code, io.err).toBe(0)
    const start = JSON.parse(io.out.trim().split('\n')[0]!) as { runId: number }
    const studio = openStudio(dataDir)
    try {
      const runs = clientFor(studio, runsContract)
      const run = await runs.get({ id: start.runId })
      expect(run.status).toBe('completed')
      const config = run.config as { training: Record<string, unknown> }
      // --lr not given: Lion's own 1e-4; beta2 its default 0.99.
      expect(config.training).toMatchObject({ learningRate: 1e-4, optimizer: { type: 'lion', beta1: 0.95, beta2: 0.99 } })
      const last = await runs.loadCheckpoint({ id: (await runs.checkpoints({ runId: start.runId })).find((c) => c.kind === 'last')!.id })
      const opt = (last.meta as { optimizer: { type: string; slots: { slot: string }[] } }).optimizer
      expect(opt.type).toBe('lion')
      expect(new Set(opt.slots.map((s) => s.slot))).toEqual(new Set(['m']))
    } finally {
      studio.close()
    }
  })
})
