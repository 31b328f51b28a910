import { describe, expect, it } from 'vitest'
import { diffConfigs, flattenConfig } from '@shared/compare'

const base = {
  kind: 'cnn-studio/train',
  architecture: { name: 'ResNet-20', version: 2, document: { format: 1, nodes: [{ id: 'a' }], edges: [], blocks: [] } },
  training: {
    epochs: 10,
    batchSize: 64,
    learningRate: 0.001,
    optimizer: { type: 'adam', beta1: 0.9, beta2: 0.999 },
    schedule: { type: 'cosine', warmupEpochs: 1 },
    groups: [{ match: '^conv1/', lrMultiplier: 0.1, frozen: false }],
    clipGradNorm: null,
  },
  seed: 7,
}
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

describe('hyperparameter diff', () => {
  it('flattens to dotted paths, arrays indexed, documents as one fingerprint leaf', () => {
    const f = flattenConfig({ ...base, betas: [0.9, 0.999], empty: {}, none: [] })
    expect(f['training.optimizer.type']).toBe('adam')
    expect(f['training.groups[0].match']).toBe('^conv1/')
    expect(f['training.clipGradNorm']).toBeNull()
    expect(f.betas).toBe('[0.9,0.999]')
    expect(f.empty).toBe('{}')
    expect(f.none).toBe('[]')
    expect(f['architecture.document']).toMatch(/^<document #[0-9a-f]{8}>$/)
    expect(Object.keys(f).some((k) => k.startsWith('architecture.document.'))).toBe(false)
    // Key order does not change the fingerprint.
    const reordered = { ...base, architecture: { ...base.architecture, document: { blocks: [], edges: [], nodes: [{ id: 'a' }], format: 1 } } }
    expect(flattenConfig(reordered)['architecture.document']).toBe(f['architecture.document'])
  })

  it('lists every path side by side and filters to the differences', () => {
    const b = clone(base)
    b.training.learningRate = 1e-3 // same number
    b.training.optimizer = { type: 'sgd', momentum: 0.9 } as unknown as typeof b.training.optimizer
    b.training.batchSize = 128
    b.architecture.document.nodes.push({ id: 'b' })
    const d = diffConfigs([base, b])
    expect(d.total).toBeGreaterThan(10)
    const row = (p: string) => d.rows.find((r) => r.path === p)
    expect(row('training.learningRate')).toEqual({ path: 'training.learningRate', values: [0.001, 0.001], differs: false })
    expect(row('training.batchSize')).toEqual({ path: 'training.batchSize', values: [64, 128], differs: true })
    expect(row('training.optimizer.beta1')).toEqual({ path: 'training.optimizer.beta1', values: [0.9, undefined], differs: true })
    expect(row('training.optimizer.momentum')).toEqual({ path: 'training.optimizer.momentum', values: [undefined, 0.9], differs: true })
    expect(row('architecture.document')!.differs).toBe(true)

    const only = diffConfigs([base, b], { differencesOnly: true })
    expect(only.rows.map((r) => r.path)).toEqual([
      'architecture.document',
      'training.batchSize',
      'training.optimizer.type',
      'training.optimizer.beta1',
      'training.optimizer.beta2',
      'training.optimizer.momentum',
    ])
    expect(only.differing).toBe(6)
    expect(only.total).toBe(d.total)
    expect(diffConfigs([base, clone(base)], { differencesOnly: true }).rows).toEqual([])
    expect(diffConfigs([base, b], { differencesOnly: true, ignore: ['architecture', 'training.optimizer'] }).rows.map((r) => r.path)).toEqual(['training.batchSize'])
  })

  it('compares three configs at once', () => {
    const c2 = clone(base)
    c2.seed = 8
    const c3 = clone(base)
    const d = diffConfigs([base, c2, c3], { differencesOnly: true })
    expect(d.rows).toEqual([{ path: 'seed', values: [7, 8, 7], differs: true }])
  })
})
