/**
 * The contract every registered schedule kind keeps (shared/train/schedules): described for people, the base rate
 * at step 0, a linear warmup, never rising after it when it says so, the preview curve equal to the training rate,
 * and a schema that refuses bad values by the names the form places next to its fields.
 */
import { describe, expect, it } from 'vitest'
import { learningRateAt, parseTrainingConfig, SCHEDULE_KINDS, scheduleCurve, scheduleSpecSchema } from '../../../shared/train'
import type { ScheduleSpecInput } from '../../../shared/train'

const specOf = (def: (typeof SCHEDULE_KINDS)[number], warmupEpochs = 0): ScheduleSpecInput =>
  ({ type: def.type, ...Object.fromEntries(def.fields.map((f) => [f.param, Number(f.default)])), warmupEpochs }) as ScheduleSpecInput
const KINDS = SCHEDULE_KINDS.map((d) => [d.type, d] as const)
const SPE = 10
const TOTAL = 300 // 30 epochs

describe('every registered schedule kind', () => {
  it.each(KINDS)('%s: is described, and its form defaults fit its schema', (_type, def) => {
    expect(def.label.length).toBeGreaterThan(1)
    expect(def.description.length).toBeGreaterThan(20)
    expect(def.formula.length).toBeGreaterThan(0)
    for (const f of def.fields) expect(f.label.length).toBeGreaterThan(0)
    expect(scheduleSpecSchema.safeParse(specOf(def)).success).toBe(true)
    expect(def.describe(scheduleSpecSchema.parse(specOf(def)) as never).length).toBeGreaterThan(0)
  })

  it.each(KINDS)('%s: the base rate at step 0, a linear warmup, and never rising after it', (_type, def) => {
    expect(learningRateAt(0, SPE, TOTAL, specOf(def), 0.1)).toBe(0.1)
    // Warmup over 2 epochs (20 steps): (step + 1) / 20 of the schedule's value.
    const warm = specOf(def, 2)
    expect(learningRateAt(0, SPE, TOTAL, warm, 0.1)).toBeCloseTo(0.1 / 20, 12)
    // Step 9 is half-way: half of the kind's own factor there (progress-based kinds have not started decaying).
    const full = scheduleSpecSchema.parse(warm) as never
    expect(learningRateAt(9, SPE, TOTAL, warm, 0.1)).toBeCloseTo(0.1 * 0.5 * def.factor({ spec: full, epochs: 0.9, progress: 0 }), 12)
    const after = Array.from({ length: TOTAL - 20 }, (_, i) => learningRateAt(20 + i, SPE, TOTAL, warm, 0.1))
    if (def.nonIncreasing) for (let i = 1; i < after.length; i++) expect(after[i]!, `step ${20 + i}`).toBeLessThanOrEqual(after[i - 1]!)
    const end = learningRateAt(TOTAL - 1, SPE, TOTAL, specOf(def), 0.1)
    expect(end).toBeGreaterThanOrEqual(0)
    expect(end).toBeLessThanOrEqual(0.1)
    if (def.type !== 'constant') expect(end).toBeLessThan(0.1)
  })

  it.each(KINDS)('%s: the preview curve is the training rate at its steps, first and last included', (_type, def) => {
    const curve = scheduleCurve(specOf(def, 1), SPE, 30, 50, 0.1)
    expect(curve[0]!.step).toBe(0)
    expect(curve.at(-1)!.step).toBe(TOTAL - 1)
    for (const p of curve) expect(p.lr).toBe(learningRateAt(p.step, SPE, TOTAL, specOf(def, 1), 0.1))
  })

  it.each(KINDS)('%s: its schema refuses bad values by name', (_type, def) => {
    for (const f of def.fields) {
      const r = parseTrainingConfig({ epochs: 1, batchSize: 1, seed: 1, learningRate: 0.1, optimizer: { type: 'sgd' }, schedule: { ...specOf(def), [f.param]: -3 } })
      expect(r.ok, `${def.type}.${f.param}`).toBe(false)
      if (!r.ok) expect(r.errors.join('\n')).toMatch(new RegExp(`^${(f.says ?? f.param).replace(/[/]/g, '\\/')} must be .*received -3$`, 'm'))
    }
    const r = parseTrainingConfig({ epochs: 1, batchSize: 1, seed: 1, learningRate: 0.1, optimizer: { type: 'sgd' }, schedule: { ...specOf(def), warmupEpochs: -1 } })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors).toContain('warmupEpochs must be >= 0, received -1')
  })
})
