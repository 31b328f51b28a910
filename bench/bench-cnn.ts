/** The bench CNN and its pipeline, one home for bench/train.ts and bench/engines.ts. */
import { createStep, emptyPipeline } from '../shared/augment/index'
import { GraphBuilder } from '../shared/graph/builder'
import type { GraphDocument } from '../shared/graph/types'

export const BENCH_CNN_DESCRIPTION = 'conv32-conv32-pool-conv64-conv64-pool-fc128-fc10, BN after every conv, 28x28x1'

/** conv32-conv32-pool-conv64-conv64-pool-fc128-fc10, BN after every conv, 28x28x1. */
export function benchCnn(): GraphDocument {
  const b = new GraphBuilder()
  b.add('Input', { shape: [28, 28, 1] }, { id: 'input' })
  let i = 0
  const convBnRelu = (filters: number) => {
    i++
    b.add('Conv2D', { filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: 'heNormal' }, { id: `conv${i}` })
    b.add('BatchNorm', {}, { id: `bn${i}` })
    b.add('ReLU', {}, { id: `relu${i}` })
  }
  convBnRelu(32)
  convBnRelu(32)
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool1' })
  convBnRelu(64)
  convBnRelu(64)
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool2' })
  b.add('Flatten', {}, { id: 'flatten' })
  b.add('Dense', { units: 128, kernelInitializer: 'heNormal' }, { id: 'fc1' })
  b.add('ReLU', {}, { id: 'fc1_relu' })
  b.add('Output', { units: 10 }, { id: 'output' })
  return b.build()
}

/** Translation (p 0.5) and normalize: the bench's augmentation pipeline. */
export function benchPipeline(channels: number) {
  return {
    ...emptyPipeline(),
    steps: [
      createStep('translation', 'shift', { p: 0.5 }),
      createStep('normalize', 'norm', { params: { mean: Array(channels).fill(0.5), std: Array(channels).fill(0.29) } }),
    ],
  }
}
