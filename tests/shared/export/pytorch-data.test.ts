/**
 * data.py against the studio's data code, with real files and real PyTorch: it reads a cache written by the
 * studio's CacheWriter image for image, recomputes the studio's stratified split for the same seed, rebuilds the
 * built-in MNIST exactly as the studio imports it, and refuses the test split unless asked.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { CacheWriter } from '../../../main/datasets/cache'
import { MNIST_SIDE, mnistImage, mnistPerClass, readMnistDigit } from '../../../main/datasets/mnist'
import { stratifiedSplit } from '../../../main/datasets/split'
import { augmentPart } from '../../../shared/export/pytorch/augment'
import { dataPart } from '../../../shared/export/pytorch/data'
import { createRng } from '../../../shared/random'
import { findTorchPython, writeExport } from './torch-python'

const torch = findTorchPython()
const SHAPE = [5, 4, 3] as const
const COUNT = 57
const CLASSES = ['a', 'b', 'c']
const RATIOS = { train: 0.7, val: 0.2, test: 0.1 }
const SPLIT_SEED = 99
const MNIST_COUNT = 203

const SCRIPT = String.raw`
import json, sys
sys.path.insert(0, sys.argv[1])
import data
out = {}
d = data.StudioData(sys.argv[1])
out["split"] = {k: d.indices(k, allow_test=True) for k in ("train", "val", "test")}
ds = data.StudioDataset(d, "val")
x, y = ds.batch(list(range(len(ds))))
out["valImages"] = (x * 255).round().to(dtype=__import__("torch").uint8).permute(0, 2, 3, 1).reshape(-1).tolist()
out["valLabels"] = y.tolist()
img, lab = ds[1]
out["item1"] = {"shape": list(img.shape), "label": lab}
try:
    data.StudioDataset(d, "test")
    out["testLocked"] = None
except data.DataError as e:
    out["testLocked"] = str(e)
images, labels = data.read_mnist(sys.argv[2], int(sys.argv[3]), (28, 28, 1))
out["mnistImages"] = images.reshape(-1).tolist()
out["mnistLabels"] = labels.tolist()
json.dump(out, open(sys.argv[4], "w"))
`

describe.skipIf(torch.python === null)(`data.py reads the studio's data (${torch.reason ?? torch.python})`, () => {
  const per = SHAPE[0] * SHAPE[1] * SHAPE[2]
  const rng = createRng('pytorch-data')
  const labels = Int32Array.from({ length: COUNT }, () => rng.int(0, CLASSES.length - 1))
  const images = Uint8Array.from({ length: COUNT * per }, () => rng.int(0, 255))
  let out: {
    split: Record<'train' | 'val' | 'test', number[]>
    valImages: number[]
    valLabels: number[]
    item1: { shape: number[]; label: number }
    testLocked: string | null
    mnistImages: number[]
    mnistLabels: number[]
  }

  beforeAll(() => {
    const dir = writeExport([...augmentPart.files({} as never), ...dataPart.files({} as never)], 'pt-data-')
    const snapshot = { kind: 'cnn-studio/train', dataset: { shape: [...SHAPE], classes: CLASSES, counts: { train: 0, val: 0, test: 0 }, split: { ratios: RATIOS, seed: SPLIT_SEED } } }
    writeFileSync(join(dir, 'run.json'), JSON.stringify(snapshot))
    execFileSync('mkdir', ['-p', join(dir, 'data')])
    const writer = new CacheWriter(join(dir, 'data', 'images.u8'))
    for (let i = 0; i < COUNT; i++) writer.append(images.subarray(i * per, (i + 1) * per))
    writer.commit(labels)
    const digits = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits')
    execFileSync(torch.python as string, ['-c', SCRIPT, dir, digits, String(MNIST_COUNT), join(dir, 'out.json')], { stdio: 'pipe', timeout: 120_000 })
    out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as typeof out
  }, 180_000)

  it('recomputes the studio\'s stratified split for the same seed (no split.json)', () => {
    const names = stratifiedSplit(labels, CLASSES.length, RATIOS, SPLIT_SEED)
    for (const k of ['train', 'val', 'test'] as const) {
      expect(out.split[k]).toEqual(names.flatMap((s, i) => (s === k ? [i] : [])))
    }
    expect(out.split.val.length).toBeGreaterThan(0)
  })

  it('serves the cache\'s images and labels at the split\'s positions', () => {
    const val = out.split.val
    const expected = val.flatMap((i) => Array.from(images.subarray(i * per, (i + 1) * per)))
    expect(out.valImages).toEqual(expected)
    expect(out.valLabels).toEqual(val.map((i) => labels[i]))
    expect(out.item1).toEqual({ shape: [SHAPE[2], SHAPE[0], SHAPE[1]], label: labels[val[1] as number] })
  })

  it('refuses the test split unless asked', () => {
    expect(out.testLocked).toMatch(/test split is locked/)
  })

  it('rebuilds the built-in MNIST as the studio imports it', () => {
    const take = mnistPerClass(MNIST_COUNT, Array.from({ length: 10 }, (_, d) => Math.floor(readMnistDigit(d).length / (MNIST_SIDE * MNIST_SIDE))))
    const expected: number[] = []
    const expectedLabels: number[] = []
    for (let d = 0; d < 10; d++) {
      const data = readMnistDigit(d)
      for (let i = 0; i < (take[d] as number); i++) {
        expected.push(...mnistImage(data, i))
        expectedLabels.push(d)
      }
    }
    expect(out.mnistLabels).toEqual(expectedLabels)
    expect(out.mnistImages.length).toBe(expected.length)
    expect(out.mnistImages).toEqual(expected)
  })
})
