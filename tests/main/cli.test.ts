import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, nodeIO, type CliIO, type Subcommand } from '../../main/cli/index'
import { GraphBuilder, serializeGraphDocument } from '@shared/graph'

function capture(): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
    readFile: nodeIO.readFile,
  }
  return io
}

const dir = mkdtempSync(join(tmpdir(), 'studio-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('studio inspect (in-process)', () => {
  it('prints the layer table and human totals for vgg16', async () => {
    const io = capture()
    expect(await runCli(['inspect', 'vgg16', '--input', '224x224x3', '--classes', '1000'], io)).toBe(0)
    expect(io.out).toMatch(/Layer\s+Kind\s+Output shape\s+Params\s+FLOPs/)
    expect(io.out).toMatch(/block1\/0\/conv1\s+Conv2D\s+224x224x64\s+1,792/)
    expect(io.out).toContain('Total params:       138,357,544 (138.4 M)')
    expect(io.out).toMatch(/FLOPs per image:\s+31\.0 GFLOPs/)
    expect(io.err).toBe('')
  })

  it('--json reports ResNet-18 trainable and non-trainable counts and honours --classes / --input', async () => {
    const io = capture()
    expect(await runCli(['inspect', 'resnet18', '--json'], io)).toBe(0)
    const report = JSON.parse(io.out) as { totals: { trainableParams: number; nonTrainableParams: number }; layers: { name: string; outputShape: number[] }[] }
    expect(report.totals.trainableParams).toBe(11_689_512)
    expect(report.totals.nonTrainableParams).toBe(9_600)
    const io2 = capture()
    await runCli(['inspect', 'resnet18', '--json', '--classes', '10', '--input', '64x64x3'], io2)
    const small = JSON.parse(io2.out) as typeof report
    expect(small.layers.at(-1)!.outputShape).toEqual([10])
    expect(small.totals.trainableParams).toBe(11_689_512 - 990 * 513)
  })

  it('inspects a graph .json file, applying --input to its Input node', async () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [28, 28, 1] }, { id: 'in' })
    b.add('Conv2D', { filters: 8, kernelSize: 3 }, { id: 'conv' })
    b.add('Flatten', {}, { id: 'flat' })
    b.add('Output', { units: 10 }, { id: 'out' })
    const file = join(dir, 'g.json')
    writeFileSync(file, serializeGraphDocument(b.build()))
    const io = capture()
    expect(await runCli(['inspect', file, '--input', '14x14x1', '--json'], io)).toBe(0)
    const report = JSON.parse(io.out) as { layers: { id: string; outputShape: number[]; params: number }[] }
    expect(report.layers.find((l) => l.id === 'conv')!.outputShape).toEqual([14, 14, 8])
    expect(report.layers.find((l) => l.id === 'out')!.params).toBe(14 * 14 * 8 * 10 + 10)
  })

  it('exits 1 and names the problem when the graph has errors', async () => {
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 3] }, { id: 'in' })
    b.add('Dense', { units: 4 }, { id: 'fc' })
    const file = join(dir, 'bad-graph.json')
    writeFileSync(file, serializeGraphDocument(b.build()))
    const io = capture()
    expect(await runCli(['inspect', file], io)).toBe(1)
    expect(io.err).toContain('Dense "fc": needs a flat [D] input but receives [8, 8, 3]; add a Flatten or GlobalAveragePool before the Dense')
  })

  it.each([
    [['inspect', 'vgg17'], /Unknown template "vgg17"\. Available: lenet5, toy-convnet/],
    [['inspect', 'vgg16', '--input', '224x224'], /--input must look like HxWxC .* received "224x224"/],
    [['inspect', 'vgg16', '--input', '0x4x3'], /received "0x4x3"/],
    [['inspect', 'vgg16', '--classes', 'ten'], /--classes must be a positive integer, received "ten"/],
    [['inspect', 'vgg16', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['inspect'], /needs a template name or a graph \.json file/],
    [['inspect', join(dir, 'missing.json')], /Cannot read .*missing\.json/],
    [['nonsense'], /unknown command "nonsense"\. Commands: inspect/],
  ])('bad input %j -> exit 2 with a clear message on stderr', async (argv, message) => {
    const io = capture()
    expect(await runCli(argv, io)).toBe(2)
    expect(io.err).toMatch(message)
    expect(io.out).toBe('')
  })

  it('rejects malformed and newer-format graph files with exit 2', async () => {
    const broken = join(dir, 'broken.json')
    writeFileSync(broken, '{"format": 1, "nodes": [')
    const io = capture()
    expect(await runCli(['inspect', broken], io)).toBe(2)
    expect(io.err).toMatch(/broken\.json: This file is not valid JSON/)
    const newer = join(dir, 'newer.json')
    writeFileSync(newer, JSON.stringify({ format: 3, nodes: [], edges: [], blocks: [] }))
    const io2 = capture()
    expect(await runCli(['inspect', newer], io2)).toBe(2)
    expect(io2.err).toContain('This graph was saved by a newer CNN Studio (format 3); this version reads format 2')
  })

  it('dispatches to any subcommand in the list (how other commands plug in)', async () => {
    const seen: string[][] = []
    const fake: Subcommand = { name: 'dataset', summary: 'Manage datasets', usage: 'studio dataset ...', run: (args) => (seen.push(args), 0) }
    const io = capture()
    expect(await runCli(['dataset', 'import', 'x'], io, [fake])).toBe(0)
    expect(seen).toEqual([['import', 'x']])
    expect(await runCli(['help'], io, [fake])).toBe(0)
    expect(io.out).toContain('dataset  Manage datasets')
  })
})

describe('studio as a subprocess', () => {
  it('npx tsx main/cli/index.ts inspect vgg16 --input 224x224x3 --classes 1000 --json reports 138357544', async () => {
    const root = resolve(__dirname, '../..')
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'main/cli/index.ts', 'inspect', 'vgg16', '--input', '224x224x3', '--classes', '1000', '--json'], { cwd: root })
    const report = JSON.parse(stdout) as { totals: { params: number } }
    expect(report.totals.params).toBe(138_357_544)
  })

  it('exits with code 2 for an unknown template', async () => {
    const root = resolve(__dirname, '../..')
    const err = await promisify(execFile)('npx', ['tsx', 'main/cli/index.ts', 'inspect', 'nope'], { cwd: root }).catch((e: { code: number; stderr: string }) => e)
    expect((err as { code: number }).code).toBe(2)
    expect((err as { stderr: string }).stderr).toContain('Unknown template "nope"')
  })
})
