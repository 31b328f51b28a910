/**
 * Architecture templates: functions of the input shape and the class count returning a graph document.
 * Stages are Block nodes (collapsed in the editor). The classifier head is always an `Output` node
 * (Dense(classes) + softmax).
 */
import { bottleneckBlock, plainBlock, residualBasicBlock, vggBlock } from './blocks'
import { GraphBuilder } from './builder'
import type { BlockDef, GraphDocument, Shape } from './types'

export interface TemplateInfo {
  name: string
  label: string
  description: string
  defaultInput: Shape
  defaultClasses: number
  build: (input: Shape, classes: number) => GraphDocument
}

function start(input: Shape): GraphBuilder {
  const b = new GraphBuilder()
  b.add('Input', { shape: [...input] }, { id: 'input' })
  return b
}

function flattenIfImage(b: GraphBuilder, input: Shape): void {
  if (input.length === 3) b.add('Flatten', {}, { id: 'flatten' })
}

export function lenet5(input: Shape, classes: number): GraphDocument {
  const b = start(input)
  b.add('Conv2D', { filters: 6, kernelSize: 5, padding: 'valid', kernelInitializer: 'glorotUniform' }, { id: 'c1' })
  b.add('Tanh', {}, { id: 'tanh1' })
  b.add('AvgPool', { poolSize: 2, strides: 2 }, { id: 's2' })
  b.add('Conv2D', { filters: 16, kernelSize: 5, padding: 'valid', kernelInitializer: 'glorotUniform' }, { id: 'c3' })
  b.add('Tanh', {}, { id: 'tanh3' })
  b.add('AvgPool', { poolSize: 2, strides: 2 }, { id: 's4' })
  b.add('Flatten', {}, { id: 'flatten' })
  b.add('Dense', { units: 120, kernelInitializer: 'glorotUniform' }, { id: 'c5' })
  b.add('Tanh', {}, { id: 'tanh5' })
  b.add('Dense', { units: 84, kernelInitializer: 'glorotUniform' }, { id: 'f6' })
  b.add('Tanh', {}, { id: 'tanh6' })
  b.add('Output', { units: classes }, { id: 'output' })
  return b.build()
}

/** CS5670's toy ConvNet: (CONV-ReLU-CONV-ReLU-POOL) x 3 with 10 3x3 filters, stride 1, pad 1; 2x2 pools; FC. */
export function toyConvnet(input: Shape, classes: number): GraphDocument {
  const b = start(input)
  b.block(vggBlock({ convs: 2, filters: 10 }), 3, { id: 'stages', name: '(conv-relu-conv-relu-pool) x3' })
  b.add('Flatten', {}, { id: 'flatten' })
  b.add('Output', { units: classes }, { id: 'fc' })
  return b.build()
}

/** AlexNet as in the lecture (single-tower, no LRN): conv 11x11/4 96, 5x5 256, 3x3 384, 384, 256, max pools, FC 4096 x2 with dropout. */
export function alexnet(input: Shape, classes: number): GraphDocument {
  const b = start(input)
  const convRelu = (id: string, filters: number, kernelSize: number, strides = 1, padding = 'same') => {
    b.add('Conv2D', { filters, kernelSize, strides, padding }, { id })
    b.add('ReLU', {}, { id: `${id}_relu` })
  }
  const pool = (id: string) => b.add('MaxPool', { poolSize: 3, strides: 2, padding: 'valid' }, { id })
  convRelu('conv1', 96, 11, 4, 'valid')
  pool('pool1')
  convRelu('conv2', 256, 5)
  pool('pool2')
  convRelu('conv3', 384, 3)
  convRelu('conv4', 384, 3)
  convRelu('conv5', 256, 3)
  pool('pool5')
  b.add('Flatten', {}, { id: 'flatten' })
  for (const i of [6, 7]) {
    b.add('Dense', { units: 4096 }, { id: `fc${i}` })
    b.add('ReLU', {}, { id: `fc${i}_relu` })
    b.add('Dropout', { rate: 0.5 }, { id: `drop${i}` })
  }
  b.add('Output', { units: classes }, { id: 'fc8' })
  return b.build()
}

function vgg(stages: readonly [number, number][], input: Shape, classes: number): GraphDocument {
  const b = start(input)
  stages.forEach(([convs, filters], i) => b.block(vggBlock({ convs, filters }), 1, { id: `block${i + 1}` }))
  b.add('Flatten', {}, { id: 'flatten' })
  for (const i of [1, 2]) {
    b.add('Dense', { units: 4096 }, { id: `fc${i}` })
    b.add('ReLU', {}, { id: `fc${i}_relu` })
    b.add('Dropout', { rate: 0.5 }, { id: `drop${i}` })
  }
  b.add('Output', { units: classes }, { id: 'predictions' })
  return b.build()
}

export const vgg11 = (input: Shape, classes: number) =>
  vgg([[1, 64], [1, 128], [2, 256], [2, 512], [2, 512]], input, classes)
export const vgg16 = (input: Shape, classes: number) =>
  vgg([[2, 64], [2, 128], [3, 256], [3, 512], [3, 512]], input, classes)

type BlockFactory = (filters: number, stride: number, inputChannels: number) => BlockDef

/** Stages of residual (or plain) blocks; the first block of a stage may downsample, the rest repeat one definition. */
function stages(b: GraphBuilder, widths: readonly number[], blocksPerStage: readonly number[], make: BlockFactory, firstStride: number, stem: number, prefix: string, expansion = 1): void {
  let channels = stem
  widths.forEach((w, s) => {
    const stride = s === 0 ? firstStride : 2
    const n = blocksPerStage[s]!
    const first = make(w, stride, channels)
    const same = make(w, 1, w * expansion)
    if (first.id === same.id) {
      b.block(first, n, { id: `${prefix}${s + 1}` })
    } else {
      b.block(first, 1, { id: `${prefix}${s + 1}_0` })
      if (n > 1) b.block(same, n - 1, { id: `${prefix}${s + 1}` })
    }
    channels = w * expansion
  })
}

const basic: BlockFactory = (filters, stride, inputChannels) => residualBasicBlock({ filters, stride, inputChannels })
const plain: BlockFactory = (filters, stride) => plainBlock({ filters, stride })

/** ImageNet-style ResNet-18: 7x7/2 conv (no bias) + BN + ReLU + 3x3/2 max pool, 4 stages of 2 basic blocks, GAP, FC. */
export function resnet18(input: Shape, classes: number): GraphDocument {
  const b = start(input)
  b.add('Conv2D', { filters: 64, kernelSize: 7, strides: 2, padding: 'same', useBias: false }, { id: 'conv1' })
  b.add('BatchNorm', {}, { id: 'bn1' })
  b.add('ReLU', {}, { id: 'relu' })
  b.add('MaxPool', { poolSize: 3, strides: 2, padding: 'same' }, { id: 'maxpool' })
  stages(b, [64, 128, 256, 512], [2, 2, 2, 2], basic, 1, 64, 'layer')
  b.add('GlobalAveragePool', {}, { id: 'avgpool' })
  b.add('Output', { units: classes }, { id: 'fc' })
  return b.build()
}

/** ImageNet-style ResNet-50 (bottleneck blocks 3-4-6-3, expansion 4): offered for the bottleneck block. */
export function resnet50(input: Shape, classes: number): GraphDocument {
  const b = start(input)
  b.add('Conv2D', { filters: 64, kernelSize: 7, strides: 2, padding: 'same', useBias: false }, { id: 'conv1' })
  b.add('BatchNorm', {}, { id: 'bn1' })
  b.add('ReLU', {}, { id: 'relu' })
  b.add('MaxPool', { poolSize: 3, strides: 2, padding: 'same' }, { id: 'maxpool' })
  stages(b, [64, 128, 256, 512], [3, 4, 6, 3], (f, s, c) => bottleneckBlock({ filters: f, stride: s, inputChannels: c }), 1, 64, 'layer', 4)
  b.add('GlobalAveragePool', {}, { id: 'avgpool' })
  b.add('Output', { units: classes }, { id: 'fc' })
  return b.build()
}

/** CIFAR-style ResNet-(6n+2) (He et al. 2016, sec. 4.2), with 1x1 projection shortcuts when the shape changes. */
function cifarNet(n: number, make: BlockFactory, input: Shape, classes: number): GraphDocument {
  const b = start(input)
  b.add('Conv2D', { filters: 16, kernelSize: 3, padding: 'same', useBias: false }, { id: 'conv1' })
  b.add('BatchNorm', {}, { id: 'bn1' })
  b.add('ReLU', {}, { id: 'relu' })
  stages(b, [16, 32, 64], [n, n, n], make, 1, 16, 'stage')
  b.add('GlobalAveragePool', {}, { id: 'avgpool' })
  b.add('Output', { units: classes }, { id: 'fc' })
  return b.build()
}

export const resnet20 = (input: Shape, classes: number) => cifarNet(3, basic, input, classes)
export const resnet56 = (input: Shape, classes: number) => cifarNet(9, basic, input, classes)
export const plain20 = (input: Shape, classes: number) => cifarNet(3, plain, input, classes)
export const plain56 = (input: Shape, classes: number) => cifarNet(9, plain, input, classes)

/** The lecture's initialization experiment: six 4096-wide Dense + ReLU layers (flattening image inputs first), then the head. */
export function mlp6x4096(input: Shape, classes: number, options: { kernelInitializer?: string; stddev?: number } = {}): GraphDocument {
  const b = start(input)
  flattenIfImage(b, input)
  const init = { kernelInitializer: options.kernelInitializer ?? 'heNormal', stddev: options.stddev ?? 0.01 }
  for (let i = 1; i <= 6; i++) {
    b.add('Dense', { units: 4096, ...init }, { id: `fc${i}` })
    b.add('ReLU', {}, { id: `relu${i}` })
  }
  b.add('Output', { units: classes }, { id: 'output' })
  return b.build()
}

export const TEMPLATES: readonly TemplateInfo[] = [
  { name: 'lenet5', label: 'LeNet-5', description: 'LeCun et al. 1998: two 5x5 conv + avg-pool stages (tanh), FC 120, 84.', defaultInput: [32, 32, 1], defaultClasses: 10, build: lenet5 },
  { name: 'toy-convnet', label: 'Toy ConvNet (CS5670)', description: '(CONV-ReLU-CONV-ReLU-POOL) x3, 10 3x3 filters, then FC.', defaultInput: [32, 32, 3], defaultClasses: 10, build: toyConvnet },
  { name: 'alexnet', label: 'AlexNet', description: '2012: 11x11/4 conv 96, 5x5 256, 3x3 384-384-256, max pools, FC 4096 x2 with dropout.', defaultInput: [227, 227, 3], defaultClasses: 1000, build: alexnet },
  { name: 'vgg11', label: 'VGG-11', description: 'VGG configuration A: 8 conv3 layers + 3 FC.', defaultInput: [224, 224, 3], defaultClasses: 1000, build: vgg11 },
  { name: 'vgg16', label: 'VGG-16', description: 'VGG configuration D: 13 conv3 layers + FC-4096, FC-4096, FC-classes (138M parameters at 224x224, 1000 classes).', defaultInput: [224, 224, 3], defaultClasses: 1000, build: vgg16 },
  { name: 'resnet18', label: 'ResNet-18', description: 'ImageNet ResNet with 4 stages of 2 basic blocks (64/128/256/512).', defaultInput: [224, 224, 3], defaultClasses: 1000, build: resnet18 },
  { name: 'resnet50', label: 'ResNet-50', description: 'ImageNet ResNet with bottleneck blocks 3-4-6-3.', defaultInput: [224, 224, 3], defaultClasses: 1000, build: resnet50 },
  { name: 'resnet20', label: 'ResNet-20 (CIFAR)', description: '3 stages of 3 basic blocks, 16/32/64 filters.', defaultInput: [32, 32, 3], defaultClasses: 10, build: resnet20 },
  { name: 'resnet56', label: 'ResNet-56 (CIFAR)', description: '3 stages of 9 basic blocks, 16/32/64 filters.', defaultInput: [32, 32, 3], defaultClasses: 10, build: resnet56 },
  { name: 'plain20', label: 'Plain-20 (CIFAR)', description: 'ResNet-20 without shortcuts (the degradation experiment).', defaultInput: [32, 32, 3], defaultClasses: 10, build: plain20 },
  { name: 'plain56', label: 'Plain-56 (CIFAR)', description: 'ResNet-56 without shortcuts: higher train AND test error than plain-20.', defaultInput: [32, 32, 3], defaultClasses: 10, build: plain56 },
  { name: 'mlp-6x4096', label: 'MLP 6x4096 (init lab)', description: "Six 4096-wide Dense+ReLU layers: the lecture's weight-initialization experiment.", defaultInput: [4096], defaultClasses: 10, build: (i, c) => mlp6x4096(i, c) },
]

export function getTemplate(name: string): TemplateInfo | undefined {
  return TEMPLATES.find((t) => t.name === name)
}
