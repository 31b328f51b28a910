/**
 * Templates: exact parameter counts from the registry at full size, and a real tfjs build of every template
 * (at a small input where the full size is heavy) whose weights must match the registry counts.
 */
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { TEMPLATES, analyzeGraph, getTemplate } from '@shared/graph'
import type { Shape } from '@shared/graph'
import { compileGraph, countModelParams } from '@shared/tfjs/compile'

function counts(name: string, input: Shape, classes: number) {
  const a = analyzeGraph(getTemplate(name)!.build(input, classes))
  expect(a.issues).toEqual([])
  return a
}

describe('template sizes at full scale (registry only)', () => {
  it('VGG-16 at 224x224x3, 1000 classes has exactly 138,357,544 parameters', () => {
    const a = counts('vgg16', [224, 224, 3], 1000)
    expect(a.totals.params).toBe(138_357_544)
    expect(a.totals.nonTrainableParams).toBe(0)
    // Classifier: FC-4096, FC-4096, FC-1000 on the 7x7x512 feature map.
    const fcs = a.table.filter((r) => r.kind === 'Dense' || r.kind === 'Output').map((r) => [r.outputShape, r.params])
    expect(fcs).toEqual([
      [[4096], 7 * 7 * 512 * 4096 + 4096],
      [[4096], 4096 * 4096 + 4096],
      [[1000], 4096 * 1000 + 1000],
    ])
    // ~15.5 G multiply-adds = ~31 GFLOPs under the 2-FLOPs-per-multiply-add convention.
    expect(a.totals.flops / 2 / 1e9).toBeGreaterThan(15.4)
    expect(a.totals.flops / 2 / 1e9).toBeLessThan(15.6)
  })

  it('ResNet-18 at 224x224x3, 1000 classes: 11,689,512 trainable + 9,600 non-trainable (BN moving stats)', () => {
    const a = counts('resnet18', [224, 224, 3], 1000)
    expect(a.totals.trainableParams).toBe(11_689_512)
    expect(a.totals.nonTrainableParams).toBe(9_600)
    expect(a.nodes.avgpool!.outputShape).toEqual([512])
    expect(a.nodes.maxpool!.outputShape).toEqual([56, 56, 64])
  })

  it('ResNet-50 (bottleneck blocks) matches the torchvision count 25,557,032', () => {
    expect(counts('resnet50', [224, 224, 3], 1000).totals.trainableParams).toBe(25_557_032)
  })

  it('LeNet-5 (32x32x1, 10 classes) has the classic 61,706 parameters; AlexNet (227x227x3) 62,378,344', () => {
    expect(counts('lenet5', [32, 32, 1], 10).totals.params).toBe(61_706)
    const alex = counts('alexnet', [227, 227, 3], 1000)
    expect(alex.totals.params).toBe(62_378_344)
    expect(alex.nodes.conv1!.outputShape).toEqual([55, 55, 96])
    expect(alex.nodes.pool5!.outputShape).toEqual([6, 6, 256])
  })

  it('CIFAR ResNet-20/56 have ~0.27M/~0.86M parameters and plain nets have no Add', () => {
    const r20 = counts('resnet20', [32, 32, 3], 10)
    const r56 = counts('resnet56', [32, 32, 3], 10)
    expect(r20.totals.trainableParams).toBeGreaterThan(0.26e6)
    expect(r20.totals.trainableParams).toBeLessThan(0.28e6)
    expect(r56.totals.trainableParams).toBeGreaterThan(0.84e6)
    expect(r56.totals.trainableParams).toBeLessThan(0.87e6)
    // 6n+2 weighted layers: n=3 -> 19 convs + FC (plus 2 projection convs in ResNet-20).
    const p20 = counts('plain20', [32, 32, 3], 10)
    expect(p20.table.filter((r) => r.kind === 'Conv2D')).toHaveLength(19)
    expect(p20.table.filter((r) => r.kind === 'Add')).toHaveLength(0)
    expect(counts('plain56', [32, 32, 3], 10).table.filter((r) => r.kind === 'Conv2D')).toHaveLength(55)
    expect(r20.table.filter((r) => r.kind === 'Add')).toHaveLength(9)
    expect(r56.table.filter((r) => r.kind === 'Add')).toHaveLength(27)
    expect(r56.nodes.avgpool!.outputShape).toEqual([64])
  })

  it('toy ConvNet: (conv-relu-conv-relu-pool) x3 with 10 3x3 filters', () => {
    const a = counts('toy-convnet', [32, 32, 3], 10)
    const convs = a.table.filter((r) => r.kind === 'Conv2D')
    expect(convs).toHaveLength(6)
    expect(convs.every((r) => r.outputShape.at(-1) === 10)).toBe(true)
    expect(a.table.filter((r) => r.kind === 'MaxPool').map((r) => r.outputShape)).toEqual([[16, 16, 10], [8, 8, 10], [4, 4, 10]])
  })

  it('mlp-6x4096 has six 4096-wide Dense layers with ReLU', () => {
    const a = counts('mlp-6x4096', [4096], 10)
    expect(a.table.filter((r) => r.kind === 'Dense').map((r) => r.outputShape)).toEqual(Array(6).fill([4096]))
    expect(a.table.filter((r) => r.kind === 'ReLU')).toHaveLength(6)
    expect(a.totals.params).toBe(6 * (4096 * 4096 + 4096) + 4096 * 10 + 10)
  })
})

/** Small inputs keep the real tfjs builds light (weights are allocated and initialized on the CPU backend). */
const SMALL: Record<string, { input: Shape; classes: number }> = {
  lenet5: { input: [32, 32, 1], classes: 10 },
  'toy-convnet': { input: [32, 32, 3], classes: 10 },
  alexnet: { input: [67, 67, 3], classes: 7 },
  vgg11: { input: [32, 32, 3], classes: 5 },
  vgg16: { input: [32, 32, 3], classes: 5 },
  resnet18: { input: [64, 64, 3], classes: 10 },
  resnet50: { input: [32, 32, 3], classes: 10 },
  resnet20: { input: [32, 32, 3], classes: 10 },
  resnet56: { input: [32, 32, 3], classes: 10 },
  plain20: { input: [32, 32, 3], classes: 10 },
  plain56: { input: [16, 16, 3], classes: 10 },
  'mlp-6x4096': { input: [8, 8, 1], classes: 10 },
}

describe('every template compiles to tfjs and agrees with the registry', () => {
  it('has a small configuration for every template', () => {
    expect(TEMPLATES.map((t) => t.name).filter((n) => !SMALL[n])).toEqual([])
  })

  for (const t of TEMPLATES) {
    it(`${t.name} compiles; tfjs output shape and weights match the analysis`, () => {
      const { input, classes } = SMALL[t.name]!
      const { model, analysis } = compileGraph(t.build(input, classes))
      try {
        expect(model.outputShape).toEqual([null, classes])
        expect(countModelParams(model)).toEqual({ trainable: analysis.totals.trainableParams, nonTrainable: analysis.totals.nonTrainableParams })
        if (['toy-convnet', 'resnet20', 'lenet5'].includes(t.name)) {
          const probs = tf.tidy(() => Array.from((model.predict(tf.randomNormal([2, ...input])) as tf.Tensor).sum(1).dataSync()))
          probs.forEach((p) => expect(p).toBeCloseTo(1, 4)) // softmax head
        }
      } finally {
        model.dispose()
      }
    })
  }

  it('ResNet-18 built by tfjs at 224x224x3 / 1000 classes has 11,689,512 trainable and 9,600 non-trainable weights', () => {
    const { model } = compileGraph(getTemplate('resnet18')!.build([224, 224, 3], 1000))
    try {
      expect(countModelParams(model)).toEqual({ trainable: 11_689_512, nonTrainable: 9_600 })
      expect(model.getLayer('layer4_0_0_conv1').outputShape).toEqual([null, 7, 7, 512])
    } finally {
      model.dispose()
    }
  })
})
