import { describe, expect, it } from 'vitest'
import { learningRateAt, parseTrainingConfig, scheduleCurve } from '../../../shared/train'
import type { ScheduleSpecInput } from '../../../shared/train'

const SPE = 10 // steps per epoch
const T = 100 // total steps (10 epochs)
const at = (step: number, spec: ScheduleSpecInput, lr = 1) => learningRateAt(step, SPE, T, spec, lr)

describe('learning-rate schedules', () => {
  it('constant', () => {
    expect(at(0, { type: 'constant' }, 0.1)).toBe(0.1)
    expect(at(99, { type: 'constant' }, 0.1)).toBe(0.1)
  })

  it('step: x gamma every k epochs', () => {
    const s: ScheduleSpecInput = { type: 'step', everyEpochs: 3, gamma: 0.1 }
    expect(at(0, s)).toBe(1)
    expect(at(29, s)).toBe(1) // last step of epoch 2 (0-based)
    expect(at(30, s)).toBeCloseTo(0.1, 12) // first step of epoch 3
    expect(at(60, s)).toBeCloseTo(0.01, 12)
    expect(at(99, s)).toBeCloseTo(0.001, 12)
  })

  it('exponential per epoch (GoogLeNet 0.97)', () => {
    const s: ScheduleSpecInput = { type: 'exponential', gamma: 0.97 }
    expect(at(9, s)).toBe(1)
    expect(at(10, s)).toBeCloseTo(0.97, 12)
    expect(at(55, s)).toBeCloseTo(0.97 ** 5, 12)
    expect(at(0, { type: 'exponential' })).toBe(1) // default gamma 0.97
  })

  it('cosine from 1 to minFactor', () => {
    expect(at(0, { type: 'cosine' })).toBe(1)
    expect(at(50, { type: 'cosine' })).toBeCloseTo(0.5, 12)
    expect(at(99, { type: 'cosine' })).toBeCloseTo((1 + Math.cos(Math.PI * 0.99)) / 2, 12)
    expect(at(50, { type: 'cosine', minFactor: 0.2 })).toBeCloseTo(0.2 + 0.8 * 0.5, 12)
  })

  it('1/t: lr0 / (1 + k t), t in epochs', () => {
    const s: ScheduleSpecInput = { type: 'inverseTime', k: 0.5 }
    expect(at(0, s, 0.2)).toBe(0.2)
    expect(at(20, s, 0.2)).toBeCloseTo(0.2 / (1 + 0.5 * 2), 12)
    expect(at(15, s, 0.2)).toBeCloseTo(0.2 / (1 + 0.5 * 1.5), 12)
  })

  it('sqrt(1 - t/T)', () => {
    expect(at(0, { type: 'sqrt' })).toBe(1)
    expect(at(75, { type: 'sqrt' })).toBeCloseTo(0.5, 12)
    expect(at(1000, { type: 'sqrt' })).toBeCloseTo(Math.sqrt(0.01), 12) // clamped to the last step
  })

  it('linear warmup multiplies in, cosine decays over the remaining steps', () => {
    const s: ScheduleSpecInput = { type: 'cosine', warmupEpochs: 2 } // 20 warmup steps
    expect(at(0, s, 0.1)).toBeCloseTo(0.1 / 20, 15)
    expect(at(9, s, 0.1)).toBeCloseTo(0.1 * (10 / 20), 15)
    expect(at(19, s, 0.1)).toBeCloseTo(0.1, 15)
    expect(at(20, s, 0.1)).toBeCloseTo(0.1, 15)
    expect(at(60, s, 0.1)).toBeCloseTo(0.05, 12) // halfway through the 80 decay steps
    const w: ScheduleSpecInput = { type: 'step', everyEpochs: 1, gamma: 0.5, warmupEpochs: 0.5 }
    expect(at(0, w)).toBeCloseTo(1 / 5, 15)
    expect(at(4, w)).toBe(1)
    expect(at(10, w)).toBe(0.5)
  })

  it('scheduleCurve samples integer steps including first and last', () => {
    const c = scheduleCurve({ type: 'cosine', warmupEpochs: 1 }, SPE, 10, 11, 0.1)
    expect(c).toHaveLength(11)
    expect(c[0]?.step).toBe(0)
    expect(c[0]?.lr).toBeCloseTo(0.01, 15)
    expect(c.at(-1)?.step).toBe(99)
    expect(c[5]?.step).toBe(50)
    expect(c[5]?.lr).toBeCloseTo(learningRateAt(50, SPE, T, { type: 'cosine', warmupEpochs: 1 }, 0.1), 15)
    expect(new Set(c.map((p) => p.step)).size).toBe(c.length)
    expect(scheduleCurve({ type: 'constant' }, 2, 1, 500)).toHaveLength(2) // never more points than steps
  })
})

describe('training config schema', () => {
  const base = { epochs: 3, batchSize: 32, seed: 1, learningRate: 0.01, optimizer: { type: 'sgd', momentum: 0.9 } }

  it('fills defaults', () => {
    const r = parseTrainingConfig(base)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.config.schedule).toEqual({ type: 'constant', warmupEpochs: 0 })
    expect(r.config.optimizer).toEqual({ type: 'sgd', momentum: 0.9, nesterov: false })
    expect(r.config.weightDecay).toBe(0)
    expect(r.config.decayBiasAndNorm).toBe(false)
    expect(r.config.clipGradNorm).toBeNull()
    expect(r.config.checkpoint).toEqual({ keepEvery: 0 })
  })

  it('refuses bad values with messages that quote them', () => {
    const r = parseTrainingConfig({
      ...base,
      epochs: 0,
      batchSize: 2.5,
      learningRate: -1,
      optimizer: { type: 'adam', beta1: 1 },
      schedule: { type: 'step', everyEpochs: 0 },
      clipGradNorm: 0,
      weightDecay: Number.NaN,
      checkpoint: { keepEvery: -2 },
      groups: [{ match: '([', lrMultiplier: -0.1 }],
      extra: true,
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    const text = r.errors.join('\n')
    expect(text).toContain('epochs must be an integer >= 1, received 0')
    expect(text).toContain('batchSize must be an integer >= 1, received 2.5')
    expect(text).toContain('learningRate must be > 0, received -1')
    expect(text).toContain('beta1 must be in [0, 1), received 1')
    expect(text).toContain('everyEpochs must be an integer >= 1, received 0')
    expect(text).toContain('clipGradNorm must be > 0, received 0')
    expect(text).toContain('weightDecay must be a number, received NaN')
    expect(text).toContain('keepEvery must be an integer >= 0, received -2')
    expect(text).toContain('group match must be a valid regular expression, received "(["')
    expect(text).toContain('group lrMultiplier must be >= 0, received -0.1')
    expect(text).toContain('unknown field "extra"')
  })

  it('names unknown optimizer and schedule types', () => {
    const r = parseTrainingConfig({ ...base, optimizer: { type: 'rmsprop' }, schedule: { type: 'poly' } })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors.join('\n')).toContain('optimizer type must be one of sgd, adam, adamw, lion, received "rmsprop"')
    expect(r.errors.join('\n')).toContain('schedule type must be one of constant, step, exponential, cosine, inverseTime, sqrt, received "poly"')
  })
})
