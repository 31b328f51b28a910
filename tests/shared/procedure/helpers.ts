/** Small graph-compiled models for the procedure tests. */
import type * as tf from '@tensorflow/tfjs'
import { GraphBuilder } from '../../../shared/graph'
import type { GraphDocument } from '../../../shared/graph'
import { compileGraph } from '../../../shared/tfjs/compile'

/** conv(8)-relu-pool-conv(16)-relu-pool-flatten-output: a small digits CNN (about 8k parameters at 28x28x1). */
export function smallCnnGraph(input: [number, number, number] = [28, 28, 1], classes = 10, head: { kernelInitializer?: string; stddev?: number } = {}): GraphDocument {
  const b = new GraphBuilder()
  b.add('Input', { shape: [...input] }, { id: 'input' })
  b.add('Conv2D', { filters: 8, kernelSize: 3, padding: 'same' }, { id: 'conv1' })
  b.add('ReLU', {}, { id: 'relu1' })
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool1' })
  b.add('Conv2D', { filters: 16, kernelSize: 3, padding: 'same' }, { id: 'conv2' })
  b.add('ReLU', {}, { id: 'relu2' })
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool2' })
  b.add('Flatten', {}, { id: 'flatten' })
  b.add('Output', { units: classes, ...head }, { id: 'output' })
  return b.build()
}

export function smallCnn(input: [number, number, number] = [28, 28, 1], classes = 10, head: { kernelInitializer?: string; stddev?: number } = {}): tf.LayersModel {
  return compileGraph(smallCnnGraph(input, classes, head)).model
}
