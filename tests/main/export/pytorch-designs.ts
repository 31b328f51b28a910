/**
 * Designs for the PyTorch export parity tests: every template at a small input, and hand-made designs that
 * together use every registered layer kind, with the traps (stride-2 "same" padding on even inputs, odd inputs,
 * dilation, rectangular kernels and strides, norms without gamma or beta, flat norms, a final Softmax, a linear
 * output, concatenation order, a name that is an nn.Module attribute).
 */
import { GraphBuilder, TEMPLATES, analyzeGraph, bottleneckBlock, type GraphDocument } from '@shared/graph'

export interface Design {
  readonly name: string
  readonly doc: GraphDocument
  /** Check the logits too (not only the parameter counts): false for the templates too big to run here quickly. */
  readonly logits: boolean
}

/**
 * Templates above this many parameters (VGG-11/16, AlexNet, ResNet-50, MLP 6x4096: 22M to 100M) are checked on
 * their parameter counts only: drawing their initial weights and running them in tfjs' CPU backend takes minutes
 * here. Their layers are the same emitters as the smaller ones', and the bottleneck design below has ResNet-50's block.
 */
export const LOGITS_MAX_PARAMS = 12_000_000

/** Small inputs the templates are valid at (AlexNet's 11x11/4 stem needs 67x67). */
const TEMPLATE_INPUT: Record<string, number[]> = { alexnet: [67, 67, 3], 'mlp-6x4096': [16], lenet5: [32, 32, 1] }

export function templateDesigns(): Design[] {
  return TEMPLATES.map((t) => {
    const doc = t.build(TEMPLATE_INPUT[t.name] ?? [32, 32, 3], 10)
    return { name: `template ${t.name}`, doc, logits: analyzeGraph(doc).totals.params <= LOGITS_MAX_PARAMS }
  })
}

/** Norms (LN, IN, GN, BN with and without gamma/beta, flat LN/BN), depthwise, "same" pools at stride 2, Dropout. */
function norms(): GraphDocument {
  const b = new GraphBuilder()
  b.add('Input', { shape: [24, 24, 4] }, { id: 'input' })
  // 24x24 -> 22x12; then stride-2 "same" on 22x12 pads one row and one column more at the bottom/right.
  b.add('Conv2D', { filters: 6, kernelSize: [3, 2], strides: [1, 2], padding: 'valid', kernelInitializer: 'glorotNormal' }, { id: 'conv_rect' })
  b.add('Conv2D', { filters: 8, kernelSize: 3, strides: 2, padding: 'same' }, { id: 'conv_s2' })
  b.add('LayerNorm', { epsilon: 1e-5 }, { id: 'ln' })
  b.add('GroupNorm', { groups: 2, epsilon: 1e-4 }, { id: 'gn' })
  b.add('InstanceNorm', {}, { id: 'inorm' })
  b.add('BatchNorm', { center: false, momentum: 0.2 }, { id: 'bn_scale_only' })
  b.add('DepthwiseConv2D', { kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2 }, { id: 'dw' })
  b.add('BatchNorm', { scale: false, epsilon: 0.01 }, { id: 'bn_shift_only' })
  b.add('LayerNorm', { center: false }, { id: 'ln_scale_only' })
  b.add('MaxPool', { poolSize: 3, strides: 2, padding: 'same' }, { id: 'maxpool_same' })
  b.add('AvgPool', { poolSize: 2, strides: 2, padding: 'same' }, { id: 'avgpool_same' })
  b.add('Flatten', {}, { id: 'flatten' })
  b.add('BatchNorm', {}, { id: 'bn_flat' })
  b.add('LayerNorm', {}, { id: 'ln_flat' })
  b.add('Dense', { units: 16, kernelInitializer: 'heUniform' }, { id: 'fc' })
  b.add('Dropout', { rate: 0.3 }, { id: 'dropout' })
  b.add('Output', { units: 5 }, { id: 'output' })
  return b.build()
}

/** Concatenate (input order), Add, dilation, an odd input, a 1x1 conv, same pools at stride 1, GAP, a final Softmax. */
function branches(): GraphDocument {
  const b = new GraphBuilder()
  const x = b.add('Input', { shape: [9, 9, 3] }, { id: 'input' })
  const a = b.add('Conv2D', { filters: 4, kernelSize: 1, useBias: false }, { id: 'a', from: x })
  const d = b.add('Conv2D', { filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' }, { id: 'dilated', from: x })
  const p = b.add('AvgPool', { poolSize: 3, strides: 1, padding: 'same' }, { id: 'avg_s1', from: x })
  const cat = b.add('Concatenate', {}, { id: 'cat', from: [d, a, p] })
  const y = b.add('Conv2D', { filters: 10, kernelSize: 3, strides: 2, padding: 'same' }, { id: 'conv_odd_s2', from: cat })
  const z = b.add('MaxPool', { poolSize: 3, strides: 2, padding: 'same' }, { id: 'max_s2', from: cat })
  const zc = b.add('Conv2D', { filters: 10, kernelSize: 1 }, { id: 'proj', from: z })
  b.add('Add', {}, { id: 'add', from: [y, zc] })
  // "eval" is an nn.Module method: the export must not shadow it.
  b.add('ReLU', {}, { id: 'eval' })
  b.add('GlobalAveragePool', {}, { id: 'gap' })
  b.add('Dense', { units: 7 }, { id: 'head' })
  b.add('Softmax', {}, { id: 'softmax' })
  return b.build()
}

/** Every activation, Softmax over the channels of an image, and a linear (not softmax) output. */
function activations(): GraphDocument {
  const b = new GraphBuilder()
  b.add('Input', { shape: [6, 6, 2] }, { id: 'input' })
  b.add('Conv2D', { filters: 4, kernelSize: 3 }, { id: 'conv1' })
  b.add('ReLU', {}, { id: 'relu' })
  b.add('Conv2D', { filters: 4, kernelSize: 3, kernelInitializer: 'normal', stddev: 0.5 }, { id: 'conv2' })
  b.add('LeakyReLU', { alpha: 0.2 }, { id: 'leaky' })
  b.add('ELU', {}, { id: 'elu' })
  b.add('GELU', {}, { id: 'gelu' })
  b.add('SiLU', {}, { id: 'silu' })
  // 4x4 stride 3 "same" on 6x6: 2x2 out, 1 padded row/column, at the bottom/right.
  b.add('Conv2D', { filters: 4, kernelSize: 4, strides: 3 }, { id: 'conv3' })
  b.add('Tanh', {}, { id: 'tanh' })
  b.add('Conv2D', { filters: 4, kernelSize: 3 }, { id: 'conv4' })
  b.add('Sigmoid', {}, { id: 'sigmoid' })
  b.add('Softmax', {}, { id: 'channel_softmax' })
  b.add('Flatten', {}, { id: 'flatten' })
  b.add('Dense', { units: 5 }, { id: 'linear_out' })
  return b.build()
}

/** ResNet-50's bottleneck block, small: a projection block with stride 2, then an identity one. */
function bottlenecks(): GraphDocument {
  const b = new GraphBuilder()
  b.add('Input', { shape: [8, 8, 8] }, { id: 'input' })
  b.block(bottleneckBlock({ filters: 4, stride: 2, inputChannels: 8 }), 1, { id: 'stage1' })
  b.block(bottleneckBlock({ filters: 4, stride: 1, inputChannels: 16 }), 2, { id: 'stage2' })
  b.add('GlobalAveragePool', {}, { id: 'gap' })
  b.add('Output', { units: 4 }, { id: 'fc' })
  return b.build()
}

export function kindDesigns(): Design[] {
  return [
    { name: 'norms, depthwise, dropout', doc: norms(), logits: true },
    { name: 'concat, add, dilation, final softmax', doc: branches(), logits: true },
    { name: 'every activation, linear output', doc: activations(), logits: true },
    { name: 'bottleneck blocks', doc: bottlenecks(), logits: true },
  ]
}
