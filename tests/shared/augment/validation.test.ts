import { describe, expect, it } from 'vitest'
import {
  AugmentValidationError,
  assertValidPipeline,
  augmentPipelineSchema,
  createStep,
  emptyPipeline,
  parsePipelineDocument,
  serializePipeline,
  validatePipeline,
} from '../../../shared/augment'
import type { PipelineValidation } from '../../../shared/augment'
import { pipelineOf } from './helpers'

function messages(r: PipelineValidation): string[] {
  return r.ok ? [] : r.errors.map((e) => e.message)
}

function stepWith(kind: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { format: 1, steps: [{ id: 'a', kind, enabled: true, p: 1, params, ...extra }] }
}

describe('validatePipeline: parameter messages quote the received value', () => {
  it.each([
    ['randomResizedCrop', { scale: [1.2, 1] }, 'Random resized crop: scale min must be in (0, 1], received 1.2'],
    ['randomResizedCrop', { scale: [0, 0.5] }, 'Random resized crop: scale min must be in (0, 1], received 0'],
    ['randomResizedCrop', { scale: [0.9, 0.5] }, 'Random resized crop: scale min must not exceed scale max, received [0.9, 0.5]'],
    ['randomResizedCrop', { ratio: [-1, 2] }, 'Random resized crop: ratio min must be in (0, +inf), received -1'],
    ['randomCrop', { padding: 2.5 }, 'Random crop: padding must be an integer in [0, +inf), received 2.5'],
    ['rotation', { degrees: [-200, 10] }, 'Rotation: degrees min must be in [-180, 180], received -200'],
    ['translation', { x: [0, 1.5] }, 'Translation: x shift max must be in [-1, 1], received 1.5'],
    ['colorJitter', { hue: [-0.6, 0] }, 'Colour jitter: hue min must be in [-0.5, 0.5], received -0.6'],
    ['colorJitter', { brightness: [-0.1, 1] }, 'Colour jitter: brightness min must be in [0, +inf), received -0.1'],
    ['cutout', { count: 0 }, 'Cutout: count must be an integer in [1, 16], received 0'],
    ['cutout', { size: [0.2, 1.5] }, 'Cutout: size max must be in (0, 1], received 1.5'],
    ['mixup', { alpha: 0 }, 'Mixup: alpha must be in (0, 100], received 0'],
    ['cutmix', { alpha: -1 }, 'CutMix: alpha must be in (0, 100], received -1'],
    ['normalize', { mean: [0.5, 0.5, 0.5], std: [0.2, 0, 0.2] }, 'Normalize: std[1] must be in (0, +inf), received 0'],
  ])('%s %j', (kind, params, expected) => {
    const r = validatePipeline(stepWith(kind, params))
    expect(r.ok).toBe(false)
    expect(messages(r)).toContain(expected)
  })

  it('reports type errors with the path and the received value', () => {
    const msgs = messages(validatePipeline(stepWith('rotation', { degrees: ['a', 5] })))
    expect(msgs).toHaveLength(1)
    expect(msgs).toEqual(['Rotation: degrees[0]: expected number, received "a"'])
    expect(messages(validatePipeline(stepWith('randomCrop', { paddingMode: 'wrap' })))).toEqual([
      'Random crop: paddingMode: expected one of "constant"|"reflect", received "wrap"',
    ])
    expect(messages(validatePipeline(stepWith('rotation', { degrees: [0, Infinity] })))).toEqual([
      'Rotation: degrees[1]: expected number, received Infinity',
    ])
    expect(messages(validatePipeline(stepWith('translation', { x: 0.1 })))).toEqual(['Translation: x: expected tuple, received 0.1'])
  })

  it('refuses unknown parameters and fields', () => {
    expect(messages(validatePipeline(stepWith('horizontalFlip', { amount: 3 })))).toEqual(['Horizontal flip: unknown parameter "amount"'])
    expect(messages(validatePipeline(stepWith('horizontalFlip', {}, { colour: 'red' })))).toEqual(['Horizontal flip: unknown field "colour"'])
  })

  it('checks the step fields', () => {
    const doc = {
      format: 1,
      steps: [
        { id: 'a', kind: 'blur', enabled: true, p: 1, params: {} },
        { id: 'b', kind: 'rotation', enabled: 'yes', p: 1.5, params: {} },
        { id: 'b', kind: 'grayscale', enabled: true, p: 0.5, params: {} },
        { id: '', kind: 'grayscale', enabled: true, p: 0.5, params: 3 },
        7,
      ],
    }
    const r = validatePipeline(doc)
    expect(r.ok).toBe(false)
    expect(messages(r)).toEqual([
      expect.stringMatching(/^Step 1: kind must be one of horizontalFlip, .*normalize, randAugment, received "blur"$/),
      'Rotation: enabled must be true or false, received "yes"',
      'Rotation: probability must be in [0, 1], received 1.5',
      'Grayscale: id "b" is already used by step 2',
      'Grayscale: id must be a non-empty string, received ""',
      'Grayscale: params must be an object, received 3',
      'Step 5: must be an object { id, kind, enabled, p, params }, received 7',
    ])
    if (!r.ok) {
      expect(r.errors[1]).toMatchObject({ stepIndex: 1, stepId: 'b', path: ['enabled'] })
    }
  })

  it('normalize must have p = 1 and, given the image shape, one value per channel', () => {
    expect(messages(validatePipeline(stepWith('normalize', { mean: [0.5], std: [0.5] }, { p: 0.5 })))).toEqual([
      'Normalize: probability must be 1 (normalization is not random), received 0.5',
    ])
    const params = { mean: [0.5, 0.4], std: [0.2, 0.2] }
    expect(validatePipeline(stepWith('normalize', params)).ok).toBe(true)
    expect(messages(validatePipeline(stepWith('normalize', params), { height: 8, width: 8, channels: 3 }))).toEqual([
      'Normalize: mean must have 1 or 3 values (one per channel), received [0.5, 0.4]',
      'Normalize: std must have 1 or 3 values (one per channel), received [0.2, 0.2]',
    ])
    expect(messages(validatePipeline(stepWith('normalize', { mean: [0.1, 0.2], std: [1, 2, 3] })))).toEqual([
      'Normalize: mean and std must have the same length, received mean [0.1, 0.2] and std [1, 2, 3]',
    ])
  })

  it('reflect padding must be smaller than the image', () => {
    const doc = stepWith('randomCrop', { padding: 8, paddingMode: 'reflect' })
    expect(validatePipeline(doc).ok).toBe(true)
    expect(messages(validatePipeline(doc, { height: 8, width: 16, channels: 1 }))).toEqual([
      'Random crop: padding must be smaller than the image (8x16) in reflect mode, received 8',
    ])
  })

  it('fills missing params and p from the defaults, and accepts a bare steps list', () => {
    const r = validatePipeline([{ id: 'x', kind: 'rotation' }])
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.pipeline.steps[0]).toEqual(createStep('rotation', 'x'))
  })

  it('warns when value-sensitive steps follow normalize', () => {
    const r = validatePipeline(pipelineOf(createStep('normalize', 'n'), createStep('horizontalFlip', 'f'), createStep('cutout', 'c')))
    expect(r.ok).toBe(true)
    expect(r.warnings).toEqual([expect.stringMatching(/^Normalize comes before Cutout; /)])
    const fine = validatePipeline(pipelineOf(createStep('cutout', 'c'), createStep('normalize', 'n'), createStep('mixup', 'm')))
    expect(fine.warnings).toEqual([])
  })

  it('assertValidPipeline throws an error listing every message', () => {
    expect(() => assertValidPipeline(stepWith('mixup', { alpha: 0 }))).toThrow(AugmentValidationError)
    expect(() => assertValidPipeline(stepWith('mixup', { alpha: 0 }))).toThrow('Mixup: alpha must be in (0, 100], received 0')
  })

  it('every default step validates and the zod document schema agrees', () => {
    const steps = (['horizontalFlip', 'verticalFlip', 'randomResizedCrop', 'randomCrop', 'rotation', 'translation', 'colorJitter', 'grayscale', 'cutout', 'mixup', 'cutmix', 'normalize'] as const).map((k, i) =>
      createStep(k, `s${i}`),
    )
    const doc = pipelineOf(...steps)
    expect(validatePipeline(doc).ok).toBe(true)
    expect(augmentPipelineSchema.safeParse(doc).success).toBe(true)
    expect(augmentPipelineSchema.safeParse(stepWith('randomResizedCrop', { scale: [1.2, 1], ratio: [1, 1], interpolation: 'bilinear' })).success).toBe(false)
  })
})

describe('documents', () => {
  it('round-trips through JSON', () => {
    const pipeline = pipelineOf(createStep('horizontalFlip', 'f'), createStep('randomCrop', 'c', { params: { padding: 2 } }))
    const r = parsePipelineDocument(serializePipeline(pipeline))
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.pipeline).toEqual(pipeline)
    expect(validatePipeline(emptyPipeline()).ok).toBe(true)
  })

  it('refuses newer formats clearly', () => {
    const r = parsePipelineDocument(JSON.stringify({ format: 2, steps: [{ id: 'a', kind: 'hologram' }] }))
    expect(messages(r)).toEqual([
      'Augmentation pipeline format 2 is newer than this version of CNN Studio understands (format 1); update CNN Studio to open it',
    ])
  })

  it('refuses missing formats, bad JSON, non-objects and unknown fields', () => {
    expect(messages(parsePipelineDocument({ steps: [] }))).toEqual(['Augmentation pipeline format must be 1, received nothing'])
    expect(messages(parsePipelineDocument('{oops'))[0]).toMatch(/^Augmentation pipeline is not valid JSON: /)
    expect(messages(parsePipelineDocument('"flip"'))).toEqual(['Augmentation pipeline must be an object { format, steps }, received "flip"'])
    expect(messages(parsePipelineDocument({ format: 1, steps: {} }))).toEqual(['Augmentation pipeline steps must be a list, received {}'])
    expect(messages(parsePipelineDocument({ format: 1, steps: [], extra: 1 }))).toEqual(['Augmentation pipeline: unknown field "extra"'])
  })
})

describe('test-time augmentation in the pipeline document', () => {
  it('keeps a valid TTA choice through validation and serialization, and refuses a bad one with the field named', () => {
    const doc = { ...emptyPipeline(), steps: [createStep('horizontalFlip', 'flip')], tta: { crops: 'fiveCrop', cropFractions: [0.875], flip: true } }
    const ok = validatePipeline(doc)
    expect(ok.ok).toBe(true)
    if (ok.ok) {
      expect(ok.pipeline.tta).toEqual(doc.tta)
      expect(JSON.parse(serializePipeline(ok.pipeline)).tta).toEqual(doc.tta)
      expect(augmentPipelineSchema.safeParse(JSON.parse(serializePipeline(ok.pipeline))).success).toBe(true)
    }
    const bad = validatePipeline({ ...doc, tta: { crops: 'fiveCrop', cropFractions: [1.5], flip: true } })
    expect(bad.ok).toBe(false)
    if (!bad.ok) {
      expect(bad.errors[0]?.path).toEqual(['tta', 'cropFractions', 0])
      expect(bad.errors[0]?.message).toMatch(/^Test-time augmentation: .*1\.5/)
    }
    // Documents without the field still read as before.
    const plain = validatePipeline(emptyPipeline())
    expect(plain.ok && plain.pipeline.tta).toBe(undefined)
  })
})
