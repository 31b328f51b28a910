/**
 * augment.py against the studio's augmentation, kind by kind, with real PyTorch: (1) for a fixed seed, the
 * parameters augment.py samples equal the studio's sampler's record; (2) the studio's record applied by augment.py
 * gives the studio's pixels and labels within the kind's stated tolerance (AUGMENT_TOLERANCES).
 */
import * as tf from '@tensorflow/tfjs'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { applyPipeline, createStep, samplePipeline } from '../../../shared/augment'
import type { AugmentKind, AugmentKindSpec, AugmentStep, BatchParams, RandAugmentSample, SampleRecord } from '../../../shared/augment'
import { AUGMENT_KINDS, augmentSpecRegistry, composableKinds, getKindSpec, MAX_MAGNITUDE } from '../../../shared/augment/spec-only'
import { opParams } from '../../../shared/augment/kinds/randAugment'
import { AUGMENT_TOLERANCES, augmentPart } from '../../../shared/export/pytorch/augment'
import { createRng } from '../../../shared/random'
import { useCpuBackend } from '../augment/helpers'
import { findTorchPython, writeExport } from './torch-python'

const torch = findTorchPython()

interface Case {
  readonly name: string
  readonly kind: AugmentKind
  readonly step: AugmentStep
  readonly shape: [number, number, number, number]
}

/** Every kind, with settings that exercise its branches (bilinear and nearest, reflect, fills, p < 1). */
const CASES: Case[] = [
  { name: 'horizontalFlip', kind: 'horizontalFlip', step: createStep('horizontalFlip', 'a'), shape: [6, 9, 11, 3] },
  { name: 'verticalFlip', kind: 'verticalFlip', step: createStep('verticalFlip', 'a'), shape: [6, 9, 11, 1] },
  { name: 'randomResizedCrop bilinear', kind: 'randomResizedCrop', step: createStep('randomResizedCrop', 'a'), shape: [6, 12, 10, 3] },
  { name: 'randomResizedCrop nearest', kind: 'randomResizedCrop', step: createStep('randomResizedCrop', 'a', { params: { interpolation: 'nearest', scale: [0.2, 0.9] } }), shape: [6, 12, 12, 1] },
  { name: 'randomCrop constant', kind: 'randomCrop', step: createStep('randomCrop', 'a', { p: 0.7, params: { padding: 3, fill: 0.25 } }), shape: [6, 10, 10, 3] },
  { name: 'randomCrop reflect', kind: 'randomCrop', step: createStep('randomCrop', 'a', { params: { padding: 4, paddingMode: 'reflect' } }), shape: [6, 10, 9, 1] },
  { name: 'rotation bilinear', kind: 'rotation', step: createStep('rotation', 'a', { p: 0.8, params: { degrees: [-40, 40], fill: 0.5 } }), shape: [6, 11, 13, 3] },
  { name: 'rotation nearest', kind: 'rotation', step: createStep('rotation', 'a', { p: 1, params: { degrees: [-90, 90], interpolation: 'nearest' } }), shape: [6, 12, 12, 1] },
  { name: 'translation', kind: 'translation', step: createStep('translation', 'a', { p: 0.8, params: { x: [-0.3, 0.3], y: [-0.2, 0.4], fill: 0.1 } }), shape: [6, 10, 12, 3] },
  { name: 'colorJitter rgb', kind: 'colorJitter', step: createStep('colorJitter', 'a', { p: 0.9, params: { brightness: [0.5, 1.5], contrast: [0.5, 1.5], saturation: [0, 2], hue: [-0.5, 0.5] } }), shape: [6, 8, 8, 3] },
  { name: 'colorJitter grey', kind: 'colorJitter', step: createStep('colorJitter', 'a', { p: 1, params: { brightness: [0.5, 1.5], contrast: [0.5, 1.5] } }), shape: [6, 8, 8, 1] },
  { name: 'grayscale', kind: 'grayscale', step: createStep('grayscale', 'a', { p: 0.6 }), shape: [6, 8, 8, 3] },
  { name: 'cutout anywhere', kind: 'cutout', step: createStep('cutout', 'a', { p: 0.9, params: { count: 3, fill: 0.7 } }), shape: [6, 10, 12, 3] },
  { name: 'cutout inside', kind: 'cutout', step: createStep('cutout', 'a', { p: 1, params: { placement: 'inside', size: [0.1, 0.6] } }), shape: [6, 10, 12, 1] },
  { name: 'mixup', kind: 'mixup', step: createStep('mixup', 'a', { p: 0.8, params: { alpha: 0.4 } }), shape: [6, 8, 8, 3] },
  { name: 'cutmix', kind: 'cutmix', step: createStep('cutmix', 'a', { p: 0.8 }), shape: [6, 9, 11, 3] },
  { name: 'normalize', kind: 'normalize', step: createStep('normalize', 'a', { params: { mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] } }), shape: [6, 8, 8, 3] },
  { name: 'randAugment every op', kind: 'randAugment', step: createStep('randAugment', 'a', { params: { n: 3, magnitude: 9 } }), shape: [8, 10, 12, 3] },
  { name: 'randAugment grey p < 1', kind: 'randAugment', step: createStep('randAugment', 'a', { p: 0.8, params: { ops: ['cutout', 'rotation', 'translation'], n: 2, magnitude: 4 } }), shape: [8, 11, 9, 1] },
]

const SEED = 20261201
const BATCH_INDEX = 7
const CLASSES = 4

interface CaseOut {
  readonly name: string
  readonly record: BatchParams
  readonly images: number[]
  readonly labels: number[]
}

const SCRIPT = String.raw`
import json, sys
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
import augment
cases = json.load(open(sys.argv[2]))
out = []
for c in cases:
    n, h, w, ch = c["shape"]
    x = torch.tensor(np.array(c["images"], dtype=np.float32).reshape(n, h, w, ch)).permute(0, 3, 1, 2).contiguous()
    y = torch.tensor(np.array(c["labels"], dtype=np.float32).reshape(n, -1))
    pipeline = {"format": 1, "steps": [c["step"]]}
    ctx = {"height": h, "width": w, "channels": ch, "batchSize": n}
    own = augment.sample_pipeline(c["seed"], pipeline, ctx, c["batchIndex"])
    xo, yo = augment.apply_pipeline(x, y, pipeline, c["record"])
    out.append({"name": c["name"], "record": own, "images": xo.permute(0, 2, 3, 1).reshape(-1).tolist(), "labels": yo.reshape(-1).tolist()})
at = {k: [augment.op_params(k, m) for m in range(augment.MAX_MAGNITUDE + 1)] for k in augment.AT_MAGNITUDE}
json.dump({"cases": out, "atMagnitude": at}, open(sys.argv[3], "w"))
`

/** Every number in a record, flattened in a stable order, with the non-numbers kept for exact comparison. */
function flatten(v: unknown, path = '', out: [string, unknown][] = []): [string, unknown][] {
  if (Array.isArray(v)) v.forEach((x, i) => flatten(x, `${path}[${i}]`, out))
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v).sort()) flatten((v as Record<string, unknown>)[k], `${path}.${k}`, out)
  else out.push([path, v])
  return out
}

describe.skipIf(torch.python === null)(`augment.py matches the studio's augmentation (${torch.reason ?? torch.python})`, () => {
  const studio = new Map<string, { images: Float32Array; labels: Float32Array; record: BatchParams }>()
  let python: Map<string, CaseOut>
  let pythonAtMagnitude: Record<string, unknown[]>

  beforeAll(async () => {
    await useCpuBackend()
    const inputs = CASES.map((c) => {
      const [n, h, w, ch] = c.shape
      const rng = createRng(`images:${c.name}`)
      const images = Float32Array.from({ length: n * h * w * ch }, () => rng.float())
      const labels = new Float32Array(n * CLASSES)
      for (let i = 0; i < n; i++) labels[i * CLASSES + (i % CLASSES)] = 1
      const pipeline = { format: 1 as const, steps: [c.step] }
      const record = samplePipeline(SEED, pipeline, { batchSize: n, height: h, width: w, channels: ch }, BATCH_INDEX)
      const out = applyPipeline(tf.tensor4d(images, c.shape), tf.tensor2d(labels, [n, CLASSES]), pipeline, record)
      studio.set(c.name, { images: out.images.dataSync() as Float32Array, labels: out.labels.dataSync() as Float32Array, record })
      return { name: c.name, shape: c.shape, step: c.step, seed: SEED, batchIndex: BATCH_INDEX, record, images: Array.from(images), labels: Array.from(labels) }
    })
    const dir = writeExport(augmentPart.files({} as never), 'pt-augment-')
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(inputs))
    writeFileSync(join(dir, 'check.py'), SCRIPT)
    execFileSync(torch.python as string, [join(dir, 'check.py'), dir, join(dir, 'cases.json'), join(dir, 'out.json')], { stdio: 'pipe', timeout: 120_000 })
    const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { cases: CaseOut[]; atMagnitude: Record<string, unknown[]> }
    python = new Map(out.cases.map((o) => [o.name, o]))
    pythonAtMagnitude = out.atMagnitude
  }, 180_000)

  it('covers every augmentation kind', () => {
    expect(new Set(CASES.map((c) => c.kind))).toEqual(new Set(AUGMENT_KINDS))
  })

  it('RandAugment: augment.py draws from the same kinds, with each kind\'s params at every magnitude (atMagnitude)', () => {
    const kinds = composableKinds(augmentSpecRegistry as unknown as Record<string, AugmentKindSpec>)
    expect(Object.keys(pythonAtMagnitude).sort()).toEqual([...kinds].sort())
    for (const kind of kinds) {
      const spec = getKindSpec(kind as AugmentKind) as AugmentKindSpec
      const studioParams = Array.from({ length: MAX_MAGNITUDE + 1 }, (_, m) => opParams(spec, m))
      expect(pythonAtMagnitude[kind], kind).toEqual(studioParams)
    }
  })

  it('RandAugment cases draw several kinds in several orders (the op order is exercised)', () => {
    for (const c of CASES.filter((x) => x.kind === 'randAugment')) {
      const samples = studio.get(c.name)?.record.steps[0]?.samples as SampleRecord<RandAugmentSample>[]
      const orders = samples.filter((s) => s.applied).map((s) => s.ops.map((o) => o.kind).join('>'))
      expect(new Set(orders.flatMap((o) => o.split('>'))).size, c.name).toBeGreaterThanOrEqual(3)
      expect(orders.some((o) => new Set(o.split('>')).size > 1), c.name).toBe(true)
    }
  })

  it.each(CASES.map((c) => [c.name, c] as const))('%s: augment.py samples the studio\'s parameters for the same seed', (name) => {
    const ts = flatten(studio.get(name)?.record)
    const py = flatten(python.get(name)?.record)
    expect(py.map((e) => e[0])).toEqual(ts.map((e) => e[0]))
    ts.forEach(([path, v], i) => {
      const p = py[i]?.[1]
      if (typeof v === 'number' && !Number.isInteger(v)) expect(Math.abs((p as number) - v), path).toBeLessThanOrEqual(1e-12)
      else expect(p, path).toEqual(v)
    })
    // The record is not trivial: at least one sample applied.
    expect(studio.get(name)?.record.steps[0]?.samples.some((s) => s.applied)).toBe(true)
  })

  it.each(CASES.map((c) => [c.name, c] as const))('%s: same record, same pixels and labels within the stated tolerance', (name, c) => {
    const tol = AUGMENT_TOLERANCES[c.kind].tolerance
    const s = studio.get(name)
    const p = python.get(name)
    if (!s || !p) throw new Error(`case ${name} missing`)
    expect(p.images.length).toBe(s.images.length)
    let worst = 0
    s.images.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (p.images[i] as number)))))
    s.labels.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (p.labels[i] as number)))))
    console.log(`${name}: max abs difference ${worst.toExponential(2)} (tolerance ${tol})`)
    expect(worst).toBeLessThanOrEqual(tol)
  })
})
