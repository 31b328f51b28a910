import { describe, expect, it } from 'vitest'
import { diagnoseCurves } from '../../../shared/procedure'
import type { CurveSet, EpochPoint, FindingId } from '../../../shared/procedure'
import { createRng } from '../../../shared/random'

const LN10 = Math.log(10)

/** Step losses from a trend with multiplicative noise (seeded), 1-based steps. */
function steps(n: number, trend: (s: number) => number, noise = 0.03, seed = 1): { step: number; loss: number }[] {
  const rng = createRng(seed)
  return Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: trend(i) * (1 + noise * rng.normal()) }))
}

function epochs(n: number, f: (e: number) => Omit<EpochPoint, 'epoch'>): EpochPoint[] {
  return Array.from({ length: n }, (_, i) => ({ epoch: i + 1, ...f(i + 1) }))
}

const ids = (c: CurveSet) => diagnoseCurves(c).map((f) => f.id)
const alarming = (c: CurveSet) => diagnoseCurves(c).filter((f) => f.severity !== 'info').map((f) => f.id)

/** A healthy run: fast convex decrease, small stable gap, validation accuracy levelled off. */
const healthy: CurveSet = {
  steps: steps(400, (s) => 0.2 + (LN10 - 0.2) * Math.exp(-s / 40)),
  epochs: epochs(20, (e) => {
    const trainLoss = 0.2 + (LN10 - 0.2) * Math.exp(-e / 2)
    const acc = 0.95 - 0.85 * Math.exp(-e / 2)
    return { trainLoss, trainAcc: acc, valLoss: trainLoss * 1.08, valAcc: acc - 0.02 }
  }),
}

describe('curve diagnosis', () => {
  it('a healthy run triggers nothing alarming', () => {
    expect(alarming(healthy)).toEqual([])
    expect(ids(healthy)).not.toContain('val-still-rising')
  })

  it('overfitting: large, growing gap and rising validation loss, with the epochs to highlight', () => {
    const c: CurveSet = {
      epochs: epochs(20, (e) => {
        const trainLoss = 0.02 + (LN10 - 0.02) * Math.exp(-e / 3)
        const valLoss = 0.6 + 1.7 * Math.exp(-e / 2.5) + 0.04 * Math.max(0, e - 8)
        return { trainLoss, trainAcc: 0.995 - 0.9 * Math.exp(-e / 3), valLoss, valAcc: 0.8 - 0.7 * Math.exp(-e / 2.5) - 0.005 * Math.max(0, e - 8) }
      }),
    }
    const f = diagnoseCurves(c)
    expect(f.map((x) => x.id)).toEqual(['overfitting'])
    const o = f[0]!
    expect(o.severity).toBe('warning')
    expect(o.advice).toMatch(/regularization/)
    const vl = o.evidence.find((e) => e.series === 'valLoss')!
    expect(vl.unit).toBe('epoch')
    expect(vl.to).toBe(20)
    expect(vl.from).toBeGreaterThanOrEqual(6)
    expect(vl.from).toBeLessThanOrEqual(10)
  })

  it('underfitting: no gap, both poor, flattened', () => {
    const c: CurveSet = {
      epochs: epochs(15, (e) => {
        const trainLoss = 1.5 + 0.8 * Math.exp(-e)
        return { trainLoss, trainAcc: 0.5 - 0.3 * Math.exp(-e), valLoss: trainLoss * 1.01, valAcc: 0.49 - 0.3 * Math.exp(-e) }
      }),
      initialLoss: LN10,
    }
    expect(alarming(c)).toEqual(['underfitting'])
    expect(diagnoseCurves(c)[0]!.advice).toMatch(/bigger model/)
  })

  it('LR too high: an explosion to NaN, highlighted from the first bad step', () => {
    const s = steps(100, (i) => (i < 40 ? LN10 - 0.01 * i : LN10 * Math.exp((i - 40) / 8)))
    s[90] = { step: 91, loss: NaN }
    const c: CurveSet = { steps: s.slice(0, 91), epochs: [{ epoch: 1, trainLoss: NaN }] }
    const f = diagnoseCurves(c)
    expect(f[0]!.id).toBe('lr-too-high-explosion')
    expect(f[0]!.severity).toBe('error')
    const ev = f[0]!.evidence.find((e) => e.series === 'stepLoss')!
    expect(ev.from).toBeGreaterThan(40)
    expect(ev.from).toBeLessThan(60)
    expect(ev.to).toBe(91)
  })

  it('LR too high: a plateau at a high value early', () => {
    const c: CurveSet = {
      steps: steps(300, (i) => 1.7 + (LN10 - 1.7) * Math.exp(-i / 5), 0.05),
      epochs: epochs(3, (e) => ({ trainLoss: 1.75 - 0.001 * e, trainAcc: 0.35, valLoss: 1.76, valAcc: 0.34 })),
    }
    const f = ids(c)
    expect(f).toContain('lr-too-high-plateau')
    expect(f).not.toContain('lr-too-low')
  })

  it('LR too low: a slow, nearly linear decrease', () => {
    const c: CurveSet = {
      steps: steps(300, (i) => LN10 - 0.0012 * i, 0.01),
      epochs: epochs(3, (e) => ({ trainLoss: LN10 - 0.1 * e, trainAcc: 0.15 + 0.03 * e, valLoss: LN10 - 0.1 * e, valAcc: 0.15 + 0.03 * e })),
    }
    const f = ids(c)
    expect(f[0]).toBe('lr-too-low')
    expect(f).not.toContain('lr-too-high-plateau')
    expect(f).not.toContain('noisy')
  })

  it('noisy: high step-to-step variance -> larger batch; healthy noise is not flagged', () => {
    const c: CurveSet = { ...healthy, steps: steps(400, (s) => 0.2 + (LN10 - 0.2) * Math.exp(-s / 40), 0.45, 3) }
    const f = diagnoseCurves(c).find((x) => x.id === 'noisy')!
    expect(f).toBeDefined()
    expect(f.advice).toMatch(/larger batch/)
    expect(ids(healthy)).not.toContain('noisy')
  })

  it('validation accuracy still rising -> train longer', () => {
    const c: CurveSet = {
      epochs: epochs(8, (e) => ({ trainLoss: 1.2 * Math.exp(-e / 6) + 0.3, trainAcc: 0.55 + 0.04 * e, valLoss: 1.25 * Math.exp(-e / 6) + 0.3, valAcc: 0.54 + 0.04 * e })),
      initialLoss: LN10,
    }
    const f = diagnoseCurves(c)
    expect(f.map((x) => x.id)).toContain('val-still-rising')
    const r = f.find((x) => x.id === 'val-still-rising')!
    expect(r.severity).toBe('info')
    expect(r.evidence[0]).toEqual({ series: 'valAcc', from: 6, to: 8, unit: 'epoch' })
    expect(f.map((x) => x.id)).not.toContain('overfitting')
  })
})
