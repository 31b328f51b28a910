/**
 * The Train form takes its optimizer and schedule lists and fields from the registries: Lion is in the list with
 * its own fields and defaults, its messages land next to its fields, and every choice gives a valid config.
 */
import { describe, expect, it } from 'vitest'
import { trainFormSchema } from '@shared/api'
import { OPTIMIZER_KINDS } from '@shared/train/optimizer-kinds'
import { SCHEDULE_KINDS } from '@shared/train/schedules'
import { DEFAULT_FORM, formFromStored, OPTIMIZERS, optimizerFields, SCHEDULES, scheduleFields, validateForm } from '../../renderer/src/train/form'

describe('Train form from the registries', () => {
  it('lists every choice of every optimizer kind and every schedule kind', () => {
    expect(OPTIMIZERS.map((o) => o.value)).toEqual(OPTIMIZER_KINDS.flatMap((d) => d.choices.map((c) => c.value)))
    expect(OPTIMIZERS.find((o) => o.value === 'lion')?.label).toBe('Lion (sign momentum)')
    expect(SCHEDULES.map((s) => s.value)).toEqual(SCHEDULE_KINDS.map((d) => d.type))
  })

  it('Lion: its fields, its defaults, a valid config, and its messages next to its fields', () => {
    const form = { ...DEFAULT_FORM, optimizer: 'lion', learningRate: '0.0001' }
    expect(optimizerFields(form).map((f) => [f.formKey, f.label])).toEqual([['beta1', 'β1'], ['lionBeta2', 'β2']])
    const v = validateForm(form)
    expect(v.ok).toBe(true)
    expect(v.config.optimizer).toEqual({ type: 'lion', beta1: 0.9, beta2: 0.99 })
    const bad = validateForm({ ...form, lionBeta2: '1.5' })
    expect(bad.ok).toBe(false)
    expect(bad.fields.lionBeta2).toBe('β2 must be in [0, 1), received 1.5')
    // Adam's β2 field is not Lion's.
    expect(validateForm({ ...form, beta2: 'x' }).ok).toBe(true)
  })

  it('every optimizer and schedule choice with its defaults gives a valid config; field messages use the field labels', () => {
    for (const o of OPTIMIZERS) for (const s of SCHEDULES) expect(validateForm({ ...DEFAULT_FORM, optimizer: o.value, schedule: s.value }).ok, `${o.value} + ${s.value}`).toBe(true)
    const step = validateForm({ ...DEFAULT_FORM, schedule: 'step', stepEvery: '0' })
    expect(scheduleFields({ ...DEFAULT_FORM, schedule: 'step' }).map((f) => f.formKey)).toEqual(['stepEvery', 'stepGamma'])
    expect(step.fields.stepEvery).toBe('Decay every must be an integer >= 1, received 0')
    expect(validateForm({ ...DEFAULT_FORM, optimizer: 'momentum', momentum: '1' }).fields.momentum).toBe('Momentum must be in [0, 1), received 1')
  })

  it('a form saved before Lion existed still saves and loads (the new field takes its default)', () => {
    const { lionBeta2: _, ...older } = DEFAULT_FORM
    expect(trainFormSchema.safeParse(older).success).toBe(true)
    expect(formFromStored(older).lionBeta2).toBe('0.99')
  })
})
