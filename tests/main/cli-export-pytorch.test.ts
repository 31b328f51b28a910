/**
 * `studio export pytorch` in-process: a run of a data folder with 500 MNIST digits (its snapshot and its split),
 * and a design from files. Checks the files written, that split.json is the dataset's split, that run.json is the
 * snapshot, the errors said in words, and (with PyTorch) that model.py builds with the studio's parameter count.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datasetsContract, projectsContract, runsContract, type DatasetSplit } from '@shared/api'
import { analyzeGraph, parseGraphDocument } from '@shared/graph'
import { runCli } from '../../main/cli/index'
import { clientFor, openStudio } from './helpers'
import { capture, mnistDataDir, tinyGraphJson } from './cli-train-fixtures'

let dataDir = ''
let graphFile = ''
let cleanup = () => {}
let runId = 0
const config = { kind: 'cnn-studio/train', architecture: { name: 'tiny', document: JSON.parse(tinyGraphJson()) as unknown }, seed: 5, training: { epochs: 2, batchSize: 16, seed: 5, learningRate: 0.001, optimizer: { type: 'adam' } } }
const splits: Record<DatasetSplit, number[]> = { train: [], val: [], test: [] }

beforeAll(async () => {
  ;({ dir: dataDir, graphFile, cleanup } = await mnistDataDir())
  const studio = openStudio(dataDir)
  try {
    const project = await clientFor(studio, projectsContract).create({ name: 'export' })
    runId = (await clientFor(studio, runsContract).create({ projectId: project.id, name: 'tiny on mnist', config, datasetId: 1 })).id
    const datasets = clientFor(studio, datasetsContract)
    for (const split of ['train', 'val', 'test'] as const) {
      splits[split] = (await datasets.readSplit({ id: 1, split, limit: 10_000, allowTest: true, withImages: false })).indices
    }
  } finally {
    studio.close()
  }
}, 120_000)
afterAll(() => cleanup())

const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3']
const python = candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0)
if (python === undefined) console.warn(`SKIPPED: building the exported model.py needs PyTorch; none of ${candidates.join(', ')} can import torch`)

describe('studio export pytorch', () => {
  it('writes a run as a project: model, conversion, snapshot, split, README, requirements', async () => {
    const out = join(dataDir, 'export-run')
    const io = capture()
    expect(await runCli(['export', 'pytorch', String(runId), '--out', out, '--data-dir', dataDir], io)).toBe(0)
    for (const f of ['model.py', 'convert.py', 'run.json', 'split.json', 'README.md', 'requirements.txt']) expect(existsSync(join(out, f)), f).toBe(true)
    expect(io.out).toContain('model.py')
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as Record<DatasetSplit, number[]>
    expect(split).toEqual(splits)
    expect(split.train.length + split.val.length + split.test.length).toBe(500)
    expect(new Set([...split.train, ...split.val, ...split.test]).size).toBe(500)
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as Record<string, unknown>
    expect(run).toMatchObject({ ...config, run: { id: runId, name: 'tiny on mnist' } })
    const readme = readFileSync(join(out, 'README.md'), 'utf8')
    expect(readme).toContain(`Run ${runId} "tiny on mnist"`)
    expect(readme).toContain('python convert.py to-torch')
    expect(readFileSync(join(out, 'requirements.txt'), 'utf8')).toMatch(/^torch/m)
  })

  it.skipIf(python === undefined)('model.py builds with the studio\'s parameter count (needs PyTorch)', async () => {
    const out = join(dataDir, 'export-run-py')
    expect(await runCli(['export', 'pytorch', String(runId), '--out', out, '--data-dir', dataDir], capture())).toBe(0)
    const r = spawnSync(python!, ['model.py'], { cwd: out, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    const totals = analyzeGraph(parseGraphDocument(tinyGraphJson())).totals
    expect(r.stdout).toContain(`parameters: ${totals.trainableParams} trainable, ${totals.nonTrainableParams} non-trainable`)
  })

  it('writes a design from files with its pipeline and config, without a split', async () => {
    const out = join(dataDir, 'export-files')
    const pipeline = join(dataDir, 'pipeline.json')
    writeFileSync(pipeline, JSON.stringify({ format: 1, steps: [] }))
    const cfg = join(dataDir, 'config.json')
    writeFileSync(cfg, JSON.stringify({ epochs: 3, batchSize: 32, seed: 11, learningRate: 0.01, optimizer: { type: 'sgd', momentum: 0.9 } }))
    const io = capture()
    const code = await runCli(['export', 'pytorch', '--graph', graphFile, '--pipeline', pipeline, '--config', cfg, '--out', out], io)
    expect(io.err).toBe('')
    expect(code).toBe(0)
    expect(existsSync(join(out, 'split.json'))).toBe(false)
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { architecture: { document: unknown }; pipeline: { document: unknown }; training: { epochs: number; seed: number }; seed: number }
    expect(run.architecture.document).toEqual(parseGraphDocument(tinyGraphJson()))
    expect(run.pipeline.document).toMatchObject({ steps: [] })
    expect(run.training).toMatchObject({ epochs: 3, batchSize: 32, seed: 11 })
    expect(run.seed).toBe(11)
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('there is no split.json')
  })

  it('says what is wrong: a non-empty folder, an unknown run, a broken graph, bad usage', async () => {
    const busy = join(dataDir, 'busy')
    mkdirSync(busy, { recursive: true })
    writeFileSync(join(busy, 'notes.txt'), 'keep')
    let io = capture()
    expect(await runCli(['export', 'pytorch', String(runId), '--out', busy, '--data-dir', dataDir], io)).toBe(2)
    expect(io.err).toContain('is not empty')
    expect(readFileSync(join(busy, 'notes.txt'), 'utf8')).toBe('keep')
    io = capture()
    expect(await runCli(['export', 'pytorch', String(runId), '--out', busy, '--force', '--data-dir', dataDir], io)).toBe(0)
    expect(existsSync(join(busy, 'model.py'))).toBe(true)

    io = capture()
    expect(await runCli(['export', 'pytorch', '999', '--out', join(dataDir, 'x1'), '--data-dir', dataDir], io)).toBe(2)
    expect(io.err).toContain('Run 999 does not exist')

    const broken = join(dataDir, 'broken.json')
    const doc = JSON.parse(tinyGraphJson()) as { nodes: { id: string; params: Record<string, unknown> }[] }
    Object.assign(doc.nodes.find((n) => n.id === 'conv1')!.params, { kernelSize: 99, padding: 'valid' })
    writeFileSync(broken, JSON.stringify(doc))
    io = capture()
    expect(await runCli(['export', 'pytorch', '--graph', broken, '--out', join(dataDir, 'x2')], io)).toBe(2)
    expect(io.err).toContain('cannot be exported')
    expect(io.err).toContain('conv1')

    io = capture()
    expect(await runCli(['export', 'pytorch', '--graph', graphFile], io)).toBe(2)
    expect(io.err).toContain('--out')
    io = capture()
    expect(await runCli(['export', 'onnx', '--graph', graphFile, '--out', join(dataDir, 'x3')], io)).toBe(2)
    expect(io.err).toContain('studio export pytorch')
    io = capture()
    expect(await runCli(['export', 'pytorch', String(runId), '--pipeline', graphFile, '--out', join(dataDir, 'x4')], io)).toBe(2)
    expect(io.err).toContain('--pipeline and --config go with --graph')
  })
})
