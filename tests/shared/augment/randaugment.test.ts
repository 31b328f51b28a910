/**
 * RandAugment, the composition kind: it draws its ops from the registry (nothing in it names another kind), is
 * seeded like every kind, records the chosen ops, and is in the editor's add list.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUGMENT_KINDS, augmentBatch, composableKinds, createStep, getKindSpec, isAugmentKind, listAugmentKinds, samplePipeline, validatePipeline } from '../../../shared/augment'
import type { AugmentKindSpec, RandAugmentSample, SampleRecord } from '../../../shared/augment'
import { augmentSpecRegistry } from '../../../shared/augment/spec-registry'
import { describeSample, formatValue } from '../../../renderer/src/data/preview-display'
import { oneHot, pipelineOf, ramp, useCpuBackend } from './helpers'

beforeAll(useCpuBackend)

const ctx = { batchSize: 6, height: 10, width: 10, channels: 3 }
const step = createStep('randAugment', 'ra')

function run(seed: number, batchStep = 0) {
  const images = ramp(ctx.batchSize, ctx.height, ctx.width, ctx.channels)
  const labels = oneHot([0, 1, 2, 0, 1, 2], 3)
  const out = augmentBatch({ images, labels, pipeline: pipelineOf(step), seed, step: batchStep })
  const result = { images: out.images.dataSync().slice(), params: out.params }
  tf.dispose([images, labels, out.images, out.labels])
  return result
}

const opsOf = (record: ReturnType<typeof run>['params']) =>
  (record.steps[0]!.samples as SampleRecord<RandAugmentSample>[]).map((s) => (s.applied ? s.ops : []))

describe('RandAugment', () => {
  it('same seed: same ops and the same pixels; another seed or step: other ops or pixels', () => {
    const a = run(11)
    const b = run(11)
    expect(b.params).toEqual(a.params)
    expect(Buffer.from(b.images.buffer).equals(Buffer.from(a.images.buffer))).toBe(true)
    for (const other of [run(12), run(11, 1)]) {
      expect(other.params).not.toEqual(a.params)
      expect(Buffer.from(other.images.buffer).equals(Buffer.from(a.images.buffer))).toBe(false)
    }
  })

  it('samples N ops per image, each a registered kind from its list, and records what each drew', () => {
    const { params } = run(5)
    const defaults = step.params as { ops: string[]; n: number }
    for (const ops of opsOf(params)) {
      expect(ops).toHaveLength(defaults.n)
      for (const op of ops) {
        expect(isAugmentKind(op.kind)).toBe(true)
        expect(defaults.ops).toContain(op.kind)
        expect(getKindSpec(op.kind as never).role).toBe('augment')
        expect(JSON.parse(JSON.stringify(op.sample))).toEqual(op.sample)
      }
    }
    // Over a bigger batch every listed op turns up (drawn uniformly, not a fixed order).
    const big = samplePipeline(3, pipelineOf(step), { ...ctx, batchSize: 64 })
    const seen = new Set((big.steps[0]!.samples as SampleRecord<RandAugmentSample>[]).flatMap((s) => (s.applied ? s.ops.map((o) => o.kind) : [])))
    expect([...seen].sort()).toEqual([...defaults.ops].sort())
  })

  it('its op list is derived from the registry: every kind with a magnitude scale that keeps labels, never itself', () => {
    const eligible = composableKinds(augmentSpecRegistry as unknown as Record<string, AugmentKindSpec>)
    expect((step.params as { ops: string[] }).ops).toEqual(eligible)
    expect(eligible.length).toBeGreaterThan(2)
    for (const kind of AUGMENT_KINDS) {
      const spec = getKindSpec(kind)
      expect(eligible.includes(kind)).toBe(spec.atMagnitude !== undefined && spec.role === 'augment' && !spec.mixesLabels)
    }
    expect(eligible).not.toContain('randAugment')
    expect(eligible).not.toContain('normalize')
    expect(eligible).not.toContain('mixup')
  })

  it('refuses ops it cannot draw, repeated ops and N or M out of range, in words', () => {
    const bad = (params: Record<string, unknown>) => {
      const v = validatePipeline(pipelineOf(createStep('randAugment', 'ra', { params: params as never })))
      return v.ok ? [] : v.errors.map((e) => e.message)
    }
    expect(bad({ ops: ['mixup'] })[0]).toMatch(/^RandAugment: ops: "mixup" cannot be drawn by RandAugment \(choose from .*Rotation/)
    expect(bad({ ops: ['rotation', 'rotation'] })).toEqual(['RandAugment: ops lists Rotation twice'])
    expect(bad({ ops: [] })).toEqual(['RandAugment: ops must list at least one kind, received []'])
    expect(bad({ n: 0 })).toEqual(['RandAugment: ops per image must be an integer in [1, 10], received 0'])
    expect(bad({ magnitude: 11 })).toEqual(['RandAugment: magnitude must be in [0, 10], received 11'])
  })

  it('is in the editor add list with its label and description', () => {
    const entry = listAugmentKinds().find((k) => k.kind === 'randAugment')
    expect(entry?.label).toBe('RandAugment')
    expect(entry?.description).toMatch(/N ops per image/)
    expect(entry?.paramDocs.find((d) => d.name === 'ops')?.type).toBe('kindList')
  })
})

describe('RandAugment in the preview', () => {
  it('a tile names the ops its image drew, by label, with what each drew', () => {
    const record = samplePipeline(9, pipelineOf(createStep('randAugment', 'ra', { params: { ops: ['rotation', 'grayscale'], n: 2, magnitude: 5 } })), { ...ctx, batchSize: 1 })
    const ops = opsOf(record as never)[0]!
    const [line] = describeSample(record, 0, new Map([['ra', 'RandAugment']]))
    const expected = ops.map((op) => (op.kind === 'rotation' ? `Rotation angle ${formatValue((op.sample as { angle: number }).angle)}` : 'Grayscale')).join('; ')
    expect(line).toBe(`RandAugment: ops ${expected}`)
  })
})

