/**
 * Kind flags instead of kind names: evaluation keeps the steps whose kind has role 'preprocess' (normalize), the
 * order warning follows `expectsUnitRange`, and the previewer undoes the steps that say how (`displayInverse`).
 */
import { describe, expect, it } from 'vitest'
import { AUGMENT_KINDS, createStep, getKindSpec, validatePipeline } from '../../../shared/augment'
import { evalPipeline } from '../../../shared/train/preprocess'
import { displayDenormalization } from '../../../renderer/src/data/preview-display'
import { pipelineOf } from './helpers'

const norm = createStep('normalize', 'n', { params: { mean: [0.5], std: [0.25] } })

describe('kind roles', () => {
  it('evaluation keeps exactly the enabled preprocess steps, in order', () => {
    const steps = AUGMENT_KINDS.map((k, i) => createStep(k, `s${i}`))
    const kept = evalPipeline(pipelineOf(...steps, { ...norm, id: 'off', enabled: false }))
    expect(kept?.steps.map((s) => s.kind)).toEqual(AUGMENT_KINDS.filter((k) => getKindSpec(k).role === 'preprocess'))
    expect(kept?.steps.map((s) => s.kind)).toEqual(['normalize'])
    expect(evalPipeline(pipelineOf(createStep('rotation', 'r')))).toBeNull()
  })

  it('warns about value-sensitive steps after a preprocess step, by their labels', () => {
    const v = validatePipeline(pipelineOf(norm, createStep('horizontalFlip', 'f'), createStep('cutout', 'c')))
    expect(v.ok && v.warnings).toEqual([
      'Normalize comes before Cutout; those steps will see normalized values (fill values and clipping assume pixels in [0, 1])',
    ])
  })

  it('the preview undoes the last step that has a display inverse', () => {
    const later = createStep('normalize', 'm', { params: { mean: [0.1, 0.2, 0.3], std: [1, 2, 3] } })
    expect(displayDenormalization(pipelineOf(norm, createStep('rotation', 'r'), later))).toEqual({ mean: [0.1, 0.2, 0.3], std: [1, 2, 3] })
    expect(displayDenormalization(pipelineOf(createStep('rotation', 'r')))).toBeNull()
  })
})
