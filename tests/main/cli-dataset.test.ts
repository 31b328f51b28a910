import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { datasetsContract, type DatasetDetail, type DatasetSummary } from '@shared/api'
import { runCli, nodeIO, type CliIO } from '../../main/cli/index'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'
import sharp from 'sharp'
import { encode, randomPixels, writeClass, writeFile } from './datasets-fixtures'

const run = promisify(execFile)
const repo = resolve(import.meta.dirname, '../..')

const temps = cleanups()
function dirs() {
  const data = tempDataDir('cnn-studio-cli-data-')
  const src = tempDataDir('cnn-studio-cli-src-')
  temps.push(data.cleanup, src.cleanup)
  return { dataDir: data.dir, src: src.dir }
}

function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t), readFile: nodeIO.readFile }
  return io
}

/**
 * `npx tsx main/cli/index.ts ...` as a subprocess. main/studio.ts imports `@shared/...`, which tsx resolves
 * only with a tsconfig that has the paths (the root tsconfig.json is a solution file without them).
 */
function studioCli(args: string[]) {
  return run('npx', ['tsx', '--tsconfig', 'tsconfig.main.json', 'main/cli/index.ts', ...args], { cwd: repo, env: { ...process.env, NO_COLOR: '1' } })
}

describe('studio dataset (subprocess)', () => {
  it('imports a folder, lists it as JSON, and the service sees the same dataset', async () => {
    const { dataDir, src } = dirs()
    await writeClass(src, 'cats', 4, 'png')
    await writeClass(src, 'dogs', 6, 'jpeg')
    const jpg = await encode(randomPixels(16, 16, 'x'), 16, 16, 'jpeg')
    writeFile(join(src, 'dogs', 'broken.jpg'), jpg.subarray(0, 100))
    writeFile(join(src, 'dogs', 'readme.txt'), 'hello')

    const imported = await studioCli(['dataset', 'import', src, '--name', 'Pets', '--size', '6x5', '--channels', '3', '--aspect', 'pad', '--split', '0.5,0.5,0', '--data-dir', dataDir])
    const out = imported.stdout
    expect(out).toContain('Dataset 1 "Pets": 10 images, 2 classes, 6x5x3 (pad)')
    expect(out).toMatch(/^Class\s+Train\s+Val\s+Test\s+Total$/m)
    expect(out).toMatch(/^cats\s+2\s+2\s+0\s+4$/m)
    expect(out).toMatch(/^dogs\s+3\s+3\s+0\s+6$/m)
    expect(out).toMatch(/^Total\s+5\s+5\s+0\s+10$/m)
    expect(out).toContain('Skipped 1 file:\n  dogs/broken.jpg: not a valid JPEG (premature end of data)')
    expect(out).not.toContain('readme')
    const mean = /^Training mean \(per channel, 0-1\): ([\d.]+) ([\d.]+) ([\d.]+)$/m.exec(out)
    const std = /^Training std {2}\(per channel, 0-1\): ([\d.]+) ([\d.]+) ([\d.]+)$/m.exec(out)
    expect(mean).not.toBeNull()
    expect(std).not.toBeNull()

    const listed = await studioCli(['dataset', 'list', '--json', '--data-dir', dataDir])
    const list = JSON.parse(listed.stdout) as DatasetSummary[]
    expect(list.map((d) => [d.id, d.name, d.itemCount, d.classes])).toEqual([[1, 'Pets', 10, ['cats', 'dogs']]])

    // The app's service on the same data folder sees the same dataset and statistics.
    const studio = openStudio(dataDir)
    temps.unshift(() => studio.close())
    const datasets = clientFor(studio, datasetsContract)
    const detail: DatasetDetail = await datasets.get({ id: 1 })
    expect(detail).toMatchObject({ name: 'Pets', itemCount: 10, aspect: 'pad', size: { height: 6, width: 5 }, sourcePath: src })
    expect(detail.stats!.mean.map((m) => m.toFixed(4))).toEqual(mean!.slice(1))
    expect(detail.stats!.std.map((s) => s.toFixed(4))).toEqual(std!.slice(1))
    const train = await datasets.readSplit({ id: 1, split: 'train' })
    expect(train.total).toBe(5)
  })
})

describe('studio dataset (in-process)', () => {
  it('imports MNIST digits with --json and lists them as a table', async () => {
    const { dataDir } = dirs()
    const io = capture()
    expect(await runCli(['dataset', 'mnist', '--count', '30', '--seed', '2', '--json', '--data-dir', dataDir], io)).toBe(0)
    const detail = JSON.parse(io.out) as DatasetDetail
    expect(detail).toMatchObject({ name: 'MNIST (30 digits)', itemCount: 30, channels: 1, source: 'mnist' })
    expect(detail.classes).toHaveLength(10)
    const list = capture()
    expect(await runCli(['dataset', 'list', '--data-dir', dataDir], list)).toBe(0)
    expect(list.out).toMatch(/^Id\s+Name\s+Classes\s+Images\s+Size\s+Source\s+Created$/m)
    expect(list.out).toMatch(/^\s*1\s+MNIST \(30 digits\)\s+10\s+30\s+28x28x1\s+mnist\s/m)
  })

  it('--background fills transparent pixels with black, white or a colour, and the output says transparency was found', async () => {
    const { dataDir, src } = dirs()
    // Fully transparent 8x8 icons (RGBA, alpha 0) in two classes: every cached pixel is the background.
    const clear = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0 } } }).png().toBuffer()
    for (const c of ['a', 'b']) for (let i = 0; i < 3; i++) writeFile(join(src, c, `${i}.png`), clear)
    const importWith = async (name: string, background?: string) => {
      const io = capture()
      const code = await runCli(['dataset', 'import', src, '--name', name, '--size', '4x4', '--split', '0.67,0.33,0', ...(background ? ['--background', background] : []), '--data-dir', dataDir, '--json'], io)
      expect(code, io.err).toBe(0)
      return JSON.parse(io.out) as DatasetDetail
    }
    const black = await importWith('default')
    expect(black.stats!.transparency).toEqual({ images: 6, background: '#000000' })
    expect(black.stats!.mean).toEqual([0, 0, 0])
    const white = await importWith('white', 'white')
    expect(white.stats!.transparency).toEqual({ images: 6, background: '#ffffff' })
    expect(white.stats!.mean).toEqual([1, 1, 1])
    const grey = await importWith('grey', '#808080')
    expect(grey.stats!.transparency!.background).toBe('#808080')
    for (const m of grey.stats!.mean) expect(m).toBeCloseTo(128 / 255, 5)
    // The text output names it in words.
    const text = capture()
    expect(await runCli(['dataset', 'import', src, '--name', 'words', '--size', '4x4', '--split', '0.67,0.33,0', '--background', 'WHITE', '--data-dir', dataDir], text)).toBe(0)
    expect(text.out).toContain('Transparency: 6 images had transparent pixels, filled with white (--background to choose)')
  })

  it('explains bad usage and bad folders with exit code 2', async () => {
    const { dataDir, src } = dirs()
    const cases: [string[], RegExp][] = [
      [['dataset'], /dataset needs an action: import, mnist or list/],
      [['dataset', 'frobnicate'], /unknown dataset action "frobnicate"/],
      [['dataset', 'import'], /dataset import needs a folder/],
      [['dataset', 'import', src, '--size', '32', '--data-dir', dataDir], /--size must look like HxW/],
      [['dataset', 'import', src, '--split', '0.8,0.2', '--data-dir', dataDir], /--split must be three ratios/],
      [['dataset', 'import', join(src, 'missing'), '--data-dir', dataDir], /does not exist: check the path and try again/],
      [['dataset', 'import', src, '--data-dir', dataDir], /has no class subfolders: put each class's images in its own subfolder/],
      [['dataset', 'import', src, '--channels', '2', '--data-dir', dataDir], /channels: Channels must be 1 \(grayscale\) or 3 \(RGB\)/],
      [['dataset', 'import', src, '--aspect', 'squash', '--data-dir', dataDir], /aspect: Aspect policy must be/],
      [['dataset', 'import', src, '--background', 'grey', '--data-dir', dataDir], /--background must be black, white or a colour #rrggbb \(e\.g\. #808080\), received "grey"/],
      [['dataset', 'import', src, '--background', '#fff', '--data-dir', dataDir], /--background must be black, white or a colour #rrggbb/],
    ]
    for (const [args, message] of cases) {
      const io = capture()
      expect(await runCli(args, io), args.join(' ')).toBe(2)
      expect(io.err, args.join(' ')).toMatch(message)
    }
  })
})
