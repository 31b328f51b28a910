import { describe, expect, it } from 'vitest'
import { alexnet, resnet20, toyConvnet } from '@shared/graph/templates'
import { analyzeGraph } from '@shared/graph/analyze'
import { countDropout, scaleGraphWidth, setDropout, trialDesign, variesDesign } from '../../renderer/src/procedure/design-variants'
import { DEFAULT_SETUP, paramText, spaceOfSetup, trialConfig } from '../../renderer/src/procedure/logic'

describe('search trial designs', () => {
  it('scales Conv2D filters and Dense units (block bodies too), never the Output head, rounded and >= 1', () => {
    const doc = toyConvnet([32, 32, 3], 10)
    const before = JSON.stringify(doc)
    const wide = scaleGraphWidth(doc, 1.5)
    expect(JSON.stringify(doc)).toBe(before)
    const convs = wide.blocks.flatMap((b) => b.nodes).filter((n) => n.kind === 'Conv2D')
    expect(convs.length).toBeGreaterThan(0)
    for (const c of convs) expect(c.params.filters).toBe(15)
    expect(wide.nodes.find((n) => n.kind === 'Output')!.params.units).toBe(10)
    const tiny = scaleGraphWidth(doc, 0.01)
    for (const c of tiny.blocks.flatMap((b) => b.nodes).filter((n) => n.kind === 'Conv2D')) expect(c.params.filters).toBe(1)
    const a = scaleGraphWidth(alexnet([64, 64, 3], 5), 0.5)
    expect(a.nodes.filter((n) => n.kind === 'Dense').map((n) => n.params.units)).toEqual([2048, 2048])
    expect(a.nodes.find((n) => n.kind === 'Output')!.params.units).toBe(5)
    expect(() => scaleGraphWidth(doc, 0)).toThrow(/positive/)
  })

  it('keeps residual designs consistent (equal widths stay equal)', () => {
    const r = scaleGraphWidth(resnet20([32, 32, 3], 10), 0.75)
    const issues = analyzeGraph(r).issues.filter((i) => i.severity === 'error')
    expect(issues).toEqual([])
  })

  it('sets every Dropout rate, and counts the Dropout layers', () => {
    const a = alexnet([64, 64, 3], 5)
    expect(countDropout(a)).toBe(2)
    const d = setDropout(a, 0.25)
    expect(d.nodes.filter((n) => n.kind === 'Dropout').map((n) => n.params.rate)).toEqual([0.25, 0.25])
    expect(countDropout(toyConvnet([32, 32, 3], 10))).toBe(0)
    expect(() => setDropout(a, 1)).toThrow(/\[0, 1\)/)
  })

  it('builds a trial design from its params only when it varies the design', () => {
    const doc = toyConvnet([32, 32, 3], 10)
    expect(variesDesign({ lr: 0.1 })).toBe(false)
    expect(trialDesign(doc, { lr: 0.1 })).toBe(doc)
    expect(variesDesign({ width: 2 })).toBe(true)
    expect(trialDesign(doc, { width: 2, dropout: 0.3 }).blocks[0]!.nodes.find((n) => n.kind === 'Conv2D')!.params.filters).toBe(20)
  })

  it('turns the dropout and width setup into the search space; the training config ignores them', () => {
    const setup = { ...DEFAULT_SETUP, params: { ...DEFAULT_SETUP.params, dropout: { ...DEFAULT_SETUP.params.dropout, enabled: true }, width: { ...DEFAULT_SETUP.params.width, enabled: true } } }
    const s = spaceOfSetup(setup)
    expect(s.ok && s.space.dropout).toEqual({ type: 'uniform', min: 0, max: 0.5 })
    expect(s.ok && s.space.width).toEqual({ type: 'logUniform', min: 0.5, max: 2 })
    const choice = spaceOfSetup({ ...setup, params: { ...setup.params, width: { ...setup.params.width, sampling: 'choice', values: '0.5, 2' } } })
    expect(choice.ok && choice.space.width).toEqual({ type: 'choice', values: [0.5, 2] })
    const bad = spaceOfSetup({ ...setup, params: { ...setup.params, dropout: { ...setup.params.dropout, max: '1' } } })
    expect(bad.ok).toBe(false)
    const cfg = trialConfig({ epochs: 3 } as unknown as Parameters<typeof trialConfig>[0], { lr: 0.01, width: 2, dropout: 0.2 }, 1)
    expect(cfg).not.toHaveProperty('width')
    expect(cfg).not.toHaveProperty('dropout')
    expect(paramText('width', 0.5)).toBe('×0.5')
    expect(paramText('dropout', 0.234)).toBe('0.23')
  })
})
