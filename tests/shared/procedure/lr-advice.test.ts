import { describe, expect, it } from 'vitest'
import { rangeTestAdvice, sweepTooHigh } from '../../../shared/procedure/lr-sweep'

/** A range test's points: n rates from 1e-6 to 1 (log-spaced), the smoothed loss as a function of log10(lr). */
function curve(loss: (decade: number) => number, n = 120): { lr: number; smoothed: number }[] {
  return Array.from({ length: n }, (_, i) => {
    const decade = -6 + (6 * i) / (n - 1)
    return { lr: Math.pow(10, decade), smoothed: loss(decade) }
  })
}

/** 2.3 until `from`, falls by `drop` with its steepest point at `centre`, then rises after `minAt`. */
const sigmoidDrop = (centre: number, drop: number, minAt: number) => (d: number) => 2.3 - drop / (1 + Math.exp(-(d - centre) * 4)) + (d > minAt ? 3 * (d - minAt) ** 2 : 0)

describe('range test advice', () => {
  it('recommends the steepest descent, below the minimum, without a "tenth of the minimum" alternative', () => {
    const a = rangeTestAdvice(curve(sigmoidDrop(-2.5, 1.5, -1)), { diverged: true })
    expect(a.recommended).not.toBeNull()
    expect(Math.log10(a.recommended!)).toBeGreaterThan(-3)
    expect(Math.log10(a.recommended!)).toBeLessThan(-2)
    expect(a.recommended!).toBeLessThan(a.lrAtMinimum!)
    expect(Math.log10(a.lrAtMinimum!)).toBeCloseTo(-1, 0)
    expect(a.explanation).toContain(`Use about`)
    expect(a.explanation).toContain('after which it blows up')
    expect(a.explanation).not.toMatch(/tenth/)
  })

  it('never advises a rate the sweep found too high', () => {
    // The loss keeps falling up to 1, steepest around 0.3: alone, the test would advise about 0.3.
    const pts = curve(sigmoidDrop(-0.5, 1.5, 0.5))
    const alone = rangeTestAdvice(pts)
    expect(alone.recommended!).toBeGreaterThan(0.1)
    const withSweep = rangeTestAdvice(pts, { tooHigh: 0.1 })
    expect(withSweep.recommended).not.toBeNull()
    expect(withSweep.recommended!).toBeLessThan(0.1)
    expect(withSweep.explanation).toContain('The sweep found 0.1 too high')
    expect(withSweep.explanation).toContain(`Use about ${Number(withSweep.recommended!.toPrecision(3))}`)
  })

  it('says so when the loss only fell at rates the sweep found too high', () => {
    const a = rangeTestAdvice(curve(sigmoidDrop(-0.5, 1.5, 0.5)), { tooHigh: 1e-4 })
    // Between 1e-6 and 1e-4 the curve is flat: nothing to advise.
    expect(a.recommended).toBeNull()
    expect(a.explanation).toContain('never fell clearly between 1e-6 and 1e-4 (the sweep found 1e-4 too high)')
  })

  it('needs a few finite points', () => {
    expect(rangeTestAdvice([{ lr: 1e-6, smoothed: 2.3 }, { lr: 1e-5, smoothed: NaN }]).recommended).toBeNull()
    expect(rangeTestAdvice([{ lr: 1e-6, smoothed: 2.3 }]).explanation).toContain('Too few finite points')
  })

  it("the sweep's ceiling is its lowest too-high rate", () => {
    expect(sweepTooHigh([{ lr: 0.1, verdict: 'too-high' }, { lr: 0.03, verdict: 'too-high' }, { lr: 0.01, verdict: 'recommended' }, { lr: 1e-5, verdict: 'too-low' }])).toBe(0.03)
    expect(sweepTooHigh([{ lr: 0.01, verdict: 'good' }])).toBeNull()
  })
})
