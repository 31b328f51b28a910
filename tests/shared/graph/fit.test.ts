/** The design-against-dataset check: problems named as the editor names them, and a fix that fits. */
import { describe, expect, it } from 'vitest'
import { analyzeGraph, assertDatasetFit, checkDatasetFit, getTemplate, mlp6x4096 } from '@shared/graph'

const icons = { shape: [28, 28, 1] as const, classes: 6 }

describe('checkDatasetFit', () => {
  it('accepts a template built for the dataset', () => {
    const fit = checkDatasetFit(getTemplate('toy-convnet')!.build([28, 28, 1], 6), icons)
    expect(fit).toEqual({ ok: true, problems: [], fixed: null })
  })

  it('names the Output node and its Classes field, and the Input node and its Shape field', () => {
    const fit = checkDatasetFit(getTemplate('toy-convnet')!.build([32, 32, 3], 10), icons)
    expect(fit.ok).toBe(false)
    expect(fit.problems.map((p) => [p.kind, p.nodeId])).toEqual([
      ['input', 'input'],
      ['output', 'fc'],
    ])
    expect(fit.problems[0]!.message).toBe('Input “input”: set Shape to 28×28×1 (it is 32×32×3; the dataset\'s images are 28×28×1)')
    expect(fit.problems[1]!.message).toBe('Output (classifier) “fc”: set Classes to 6 (it gives 10 outputs; the dataset has 6 classes)')
    expect(fit.problems.map((p) => p.message).join(' ')).not.toMatch(/Dense/)
  })

  it('fixes both fields in a document that then analyses clean, leaving the rest alone', () => {
    const doc = getTemplate('resnet20')!.build([32, 32, 3], 10)
    const fit = checkDatasetFit(doc, icons)
    expect(fit.fixed).not.toBeNull()
    const fixed = fit.fixed!
    expect(fixed.nodes.find((n) => n.id === 'input')!.params.shape).toEqual([28, 28, 1])
    expect(fixed.nodes.find((n) => n.id === 'fc')!.params.units).toBe(6)
    expect(analyzeGraph(fixed).ok).toBe(true)
    expect(checkDatasetFit(fixed, icons).ok).toBe(true)
    expect(fixed.nodes.filter((n) => n.id !== 'input' && n.id !== 'fc')).toEqual(doc.nodes.filter((n) => n.id !== 'input' && n.id !== 'fc'))
    expect(fixed.edges).toEqual(doc.edges)
  })

  it('offers no fix when the fixed design still cannot train (a vector-input MLP without Flatten for images)', () => {
    const doc = mlp6x4096([4096], 6)
    const fit = checkDatasetFit(doc, icons)
    expect(fit.problems.map((p) => p.kind)).toEqual(['input'])
    expect(fit.fixed).toBeNull()
  })

  it('an image too small for the design is a problem after the Input is set (AlexNet at 28x28)', () => {
    const fit = checkDatasetFit(getTemplate('alexnet')!.build([227, 227, 3], 6), icons)
    expect(fit.problems.map((p) => p.kind)).toEqual(['input'])
    expect(fit.fixed).toBeNull()
    const sized = checkDatasetFit(getTemplate('alexnet')!.build([28, 28, 1], 6), icons)
    expect(sized.problems.map((p) => p.kind)).toEqual(['design'])
    expect(sized.problems[0]!.message).toMatch(/^The design has an error at /)
  })

  it('assertDatasetFit throws the problems in words', () => {
    expect(() => assertDatasetFit(getTemplate('lenet5')!.build([28, 28, 1], 10), icons, { design: 'LeNet', dataset: 'Icons' })).toThrow(
      'The design “LeNet” does not fit the dataset “Icons”: Output (classifier) “output”: set Classes to 6',
    )
    expect(() => assertDatasetFit(getTemplate('lenet5')!.build([28, 28, 1], 6), icons)).not.toThrow()
  })
})
