import { describe, expect, it } from 'vitest'
import { configValue, downsampleMinMax, metricGoal, parsePath, pickMinMax, snapshotFacts } from '@shared/compare'

describe('metric series helpers', () => {
  it('knows which way is best', () => {
    for (const n of ['val/acc', 'epoch/train_acc', 'train/acc', 'val/accuracy', 'f1', 'images_per_sec']) expect(metricGoal(n), n).toBe('max')
    for (const n of ['val/loss', 'train/loss', 'lr', 'error', 'accumulated_loss']) expect(metricGoal(n), n).toBe('min')
  })

  it('downsamples by min/max per bucket: subset, spikes kept, first and last kept, at most maxPoints', () => {
    const n = 10_000
    const s = { step: [] as number[], epoch: [] as number[], value: [] as number[], time: [] as number[] }
    for (let i = 0; i < n; i++) {
      s.step.push(i + 1)
      s.epoch.push((i + 1) / 100)
      s.value.push(i === 4321 ? 50 : i === 7777 ? -50 : Math.sin(i / 100))
      s.time.push(i * 0.1)
    }
    const d = downsampleMinMax(s, 500)
    expect(d.step.length).toBeLessThanOrEqual(500)
    expect(d.step.length).toBeGreaterThan(400)
    expect(d.step[0]).toBe(1)
    expect(d.step.at(-1)).toBe(n)
    expect(d.value).toContain(50)
    expect(d.value).toContain(-50)
    for (let i = 1; i < d.step.length; i++) expect(d.step[i]!).toBeGreaterThan(d.step[i - 1]!)
    d.step.forEach((step, i) => {
      expect(d.value[i]).toBe(s.value[step - 1])
      expect(d.time[i]).toBe(s.time[step - 1])
    })
    expect(downsampleMinMax(s, n)).toBe(s)
    expect(pickMinMax([3, 1, 2, 5, 4, 0], 4)).toEqual([0, 1, 3, 5])
    expect(() => downsampleMinMax(s, 3)).toThrow(/>= 4/)
  })

  it('reads snapshots of every writer', () => {
    const train = {
      kind: 'cnn-studio/train',
      architecture: { name: 'ResNet-20', version: 3, document: { format: 1 } },
      dataset: { name: 'CIFAR-10' },
      training: { epochs: 5, batchSize: 64, learningRate: 0.01, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'cosine' }, weightDecay: 5e-4 },
    }
    expect(snapshotFacts(train)).toMatchObject({
      datasetName: 'CIFAR-10',
      architectureName: 'ResNet-20',
      architectureVersion: 3,
      optimizer: 'sgd',
      learningRate: 0.01,
      batchSize: 64,
      epochs: 5,
      weightDecay: 5e-4,
      schedule: 'cosine',
      paramCount: null,
      graphDocument: { format: 1 },
    })
    const cli = { graph: { template: 'lenet5', document: { format: 1 } }, dataset: { name: 'MNIST' }, training: { learningRate: 0.1, optimizer: { type: 'adam' } }, params: 61706 }
    expect(snapshotFacts(cli)).toMatchObject({ architectureName: 'lenet5', architectureVersion: null, optimizer: 'adam', paramCount: 61706, datasetName: 'MNIST' })
    expect(snapshotFacts({ optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 32 })).toMatchObject({ optimizer: 'adam', learningRate: 1e-3, batchSize: 32, datasetName: null })
    expect(snapshotFacts(null).optimizer).toBeNull()
    expect(configValue(train, 'learningRate')).toBe(0.01)
    expect(configValue(train, 'training.optimizer.momentum')).toBe(0.9)
    expect(configValue({ optimizer: { lr: 3 } }, 'optimizer.lr')).toBe(3)
    expect(parsePath('a.b[0].c')).toEqual(['a', 'b', 0, 'c'])
    expect(parsePath('a..b')).toBeNull()
  })
})
