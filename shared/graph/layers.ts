/**
 * Built-in layer kinds. Parameter names follow the tfjs layer args (`filters`, `kernelSize`, `strides`, ...) so
 * `toTfjs` is nearly a pass-through. Importing this module registers the kinds (done by `./index`).
 */
import type * as tfTypes from '@tensorflow/tfjs'
import {
  ShapeError,
  convOutLength,
  customLayer,
  defineLayer,
  fmtShape,
  pair,
  product,
  type LayerDef,
  type ParamSpec,
  type PytorchLayer,
  type RfStep,
} from './registry'
import type { TfjsImport } from './tfjs-config'
import { fPadArg, pyBool, pyNum, pyTuple, tfjsFans, windowPads } from './pytorch'
import type { Params, Shape } from './types'

// ---- shared specs and helpers ----

export const INITIALIZERS = ['heNormal', 'heUniform', 'glorotNormal', 'glorotUniform', 'normal', 'zeros'] as const
export type InitializerName = (typeof INITIALIZERS)[number]

const initSpec = (label: string): ParamSpec => ({
  type: 'enum',
  options: INITIALIZERS,
  label,
  help:
    'heNormal/heUniform (Kaiming, std = sqrt(2/fan_in)) suit ReLU; glorot* (Xavier, ~sqrt(1/fan_in)) suit tanh/sigmoid; ' +
    "'normal' draws N(0, stddev^2) (the lecture's 0.01*randn experiment); zeros is for experiments only.",
})
const stddevSpec = (initParam: string): ParamSpec => ({
  type: 'number',
  min: 0,
  minExclusive: true,
  label: 'Std. deviation',
  help: "Standard deviation of the 'normal' initializer.",
  visibleWhen: (p) => p[initParam] === 'normal',
})

/** A kernel initializer; seeded when the compiler was given a seed (reproducible initial weights). */
function makeInitializer(tf: typeof tfTypes, name: string, stddev: number, seed: number | undefined) {
  const seeded = seed === undefined ? {} : { seed }
  if (name === 'normal') return tf.initializers.randomNormal({ mean: 0, stddev, ...seeded })
  if (name === 'zeros') return tf.initializers.zeros()
  const named = name as 'heNormal' | 'heUniform' | 'glorotNormal' | 'glorotUniform'
  return seed === undefined ? named : tf.initializers[named](seeded)
}

const paddingSpec: ParamSpec = {
  type: 'enum',
  options: ['same', 'valid'],
  label: 'Padding',
  help: "'same' zero-pads so the output is ceil(input / stride); 'valid' uses no padding: floor((in - k) / s) + 1.",
}

function need3d(input: Shape | undefined): readonly [number, number, number] {
  if (!input || input.length !== 3) {
    throw new ShapeError(
      `needs an image-shaped [H, W, C] input but receives ${input ? fmtShape(input) : 'nothing'}` +
        (input && input.length === 1 ? ' (already flat; put it before the Flatten / GlobalAveragePool)' : ''),
    )
  }
  return [input[0]!, input[1]!, input[2]!]
}

function needFlat(input: Shape | undefined, kind: string): number {
  if (!input || input.length !== 1) {
    throw new ShapeError(
      `needs a flat [D] input but receives ${input ? fmtShape(input) : 'nothing'}` +
        (input && input.length === 3 ? `; add a Flatten or GlobalAveragePool before the ${kind}` : ''),
    )
  }
  return input[0]!
}

function spatialOut(
  what: string,
  hw: readonly [number, number],
  kernel: [number, number],
  stride: [number, number],
  dilation: [number, number],
  padding: 'same' | 'valid',
): [number, number] {
  const eff: [number, number] = [dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1]
  if (padding === 'valid' && (eff[0] > hw[0] || eff[1] > hw[1])) {
    const dil = dilation[0] > 1 || dilation[1] > 1 ? ` (${eff[0]}x${eff[1]} with dilation)` : ''
    throw new ShapeError(
      `${what} ${kernel[0]}x${kernel[1]}${dil} is larger than its ${hw[0]}x${hw[1]} input with padding 'valid'; ` +
        `use padding 'same', a smaller ${what}, or remove a downsampling layer before it`,
    )
  }
  return [
    convOutLength(hw[0], kernel[0], stride[0], dilation[0], padding),
    convOutLength(hw[1], kernel[1], stride[1], dilation[1], padding),
  ]
}

const ONE: [number, number] = [1, 1]
const NO_PARAMS = { trainable: 0, nonTrainable: 0 }
const perElement = (n: number) => (_p: unknown, _i: readonly Shape[], out: Shape) => n * product(out)
const sameShape = (_p: unknown, inputs: readonly Shape[]): Shape => {
  const s = inputs[0]
  if (!s) throw new ShapeError('has no input')
  return s
}
const SINGLE = { min: 1, max: 1 }

/** The module's kernel initializer for the PyTorch export (`init` of PytorchLayer). */
const ptInit = (initializer: string, stddev: number, shape: readonly number[]) => ({ torch: 'weight', initializer, stddev, ...tfjsFans(shape) })

/** PyTorch forward of a layer computed by its module alone. */
const callModule = (m: string, xs: readonly string[]) => `${m}(${xs[0]})`

/**
 * A normalization for the PyTorch export: the native module when the studio layer learns both gamma and beta,
 * else the module without affine followed by `Affine` (model.py) holding the one it learns.
 */
function ptNorm(native: string, withoutAffine: string, p: { center: boolean; scale: boolean }, affineShape: readonly number[], viewShape: string, layout: 'copy' | 'hwc', stats: { running: boolean; shape: Shape }): PytorchLayer {
  const statWeights = (prefix: string) =>
    stats.running
      ? [
          { studio: 'moving_mean', torch: `${prefix}running_mean`, shape: stats.shape, layout: 'copy' as const },
          { studio: 'moving_variance', torch: `${prefix}running_var`, shape: stats.shape, layout: 'copy' as const },
        ]
      : []
  const studioShape = layout === 'hwc' ? [affineShape[1]!, affineShape[2]!, affineShape[0]!] : affineShape
  if (p.center && p.scale) {
    return {
      module: native,
      forward: callModule,
      weights: [
        { studio: 'gamma', torch: 'weight', shape: studioShape, layout },
        { studio: 'beta', torch: 'bias', shape: studioShape, layout },
        ...statWeights(''),
      ],
      ...(stats.running ? { extra: { num_batches_tracked: 0 } } : {}),
    }
  }
  const affine = [
    ...(p.scale ? [{ studio: 'gamma', torch: '1.weight', shape: studioShape, layout }] : []),
    ...(p.center ? [{ studio: 'beta', torch: '1.bias', shape: studioShape, layout }] : []),
  ]
  return {
    module: `nn.Sequential(${withoutAffine}, Affine(${pyTuple(affineShape)}, ${viewShape}, scale=${pyBool(p.scale)}, center=${pyBool(p.center)}))`,
    forward: callModule,
    weights: [...affine, ...statWeights('0.')],
    ...(stats.running ? { extra: { '0.num_batches_tracked': 0 } } : {}),
  }
}

function dilationStrideCheck(p: Params): string[] {
  const s = pair(p.strides)
  const d = pair(p.dilationRate)
  if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) {
    return [`strides ${JSON.stringify(p.strides)} with dilationRate ${JSON.stringify(p.dilationRate)} is not supported by tfjs; use strides 1 when dilating`]
  }
  return []
}

// ---- Input ----

type InputParams = { shape: number[] }
export const InputLayer = defineLayer<InputParams>({
  kind: 'Input',
  family: 'input',
  label: 'Input',
  description: 'The image (or vector) fed to the network: [H, W, C] channels-last, or [D]. The batch axis is implicit.',
  arity: { min: 0, max: 0 },
  defaults: { shape: [32, 32, 3] },
  params: { shape: { type: 'shape', label: 'Shape', help: 'Height x width x channels, e.g. [224, 224, 3], or [D].' } },
  inferShape: (p) => [...p.shape],
  paramCount: () => NO_PARAMS,
  flops: () => 0,
  receptiveField: () => 'identity',
  toTfjs: (p, { tf, name }) => tf.layers.inputLayer({ inputShape: [...p.shape], name }),
  fromTfjs: { classNames: ['InputLayer'], read: (_l, r) => ({ params: { shape: r.inputShape() } }) },
  // The model's argument: [N, C, H, W] (the studio's [N, H, W, C] images transposed) or [N, D].
  toPytorch: () => ({ forward: (_m, xs) => xs[0]! }),
})

// ---- Convolutions ----

type ConvParams = {
  filters: number
  kernelSize: number | number[]
  strides: number | number[]
  padding: string
  dilationRate: number | number[]
  useBias: boolean
  kernelInitializer: string
  stddev: number
}
const convRf = (p: { kernelSize: unknown; strides: unknown; dilationRate: unknown; padding: string }): RfStep => ({
  kernel: pair(p.kernelSize as number),
  stride: pair(p.strides as number),
  dilation: pair(p.dilationRate as number),
  padding: p.padding as 'same' | 'valid',
})

export const Conv2D = defineLayer<ConvParams>({
  kind: 'Conv2D',
  family: 'convolution',
  label: 'Conv 2D',
  description:
    'Slides `filters` learned kernels spanning the full input depth over the image; one bias per filter. ' +
    'Output size per axis: floor((in + 2p - k) / s) + 1 (k=3, s=1, same padding keeps the size).',
  arity: SINGLE,
  defaults: {
    filters: 32,
    kernelSize: 3,
    strides: 1,
    padding: 'same',
    dilationRate: 1,
    useBias: true,
    kernelInitializer: 'heNormal',
    stddev: 0.01,
  },
  params: {
    filters: { type: 'int', min: 1, label: 'Filters', help: 'Number of output channels.' },
    kernelSize: { type: 'intPair', label: 'Kernel size' },
    strides: { type: 'intPair', label: 'Stride' },
    padding: paddingSpec,
    dilationRate: { type: 'intPair', label: 'Dilation' },
    useBias: { type: 'bool', label: 'Use bias', help: 'Usually off when a BatchNorm follows (its beta is the bias).' },
    kernelInitializer: initSpec('Initializer'),
    stddev: stddevSpec('kernelInitializer'),
  },
  validate: dilationStrideCheck,
  inferShape: (p, inputs) => {
    const [h, w] = need3d(inputs[0])
    const [oh, ow] = spatialOut('kernel', [h, w], pair(p.kernelSize), pair(p.strides), pair(p.dilationRate), p.padding as 'same')
    return [oh, ow, p.filters]
  },
  paramCount: (p, inputs) => {
    const [, , c] = need3d(inputs[0])
    const [kh, kw] = pair(p.kernelSize)
    return { trainable: kh * kw * c * p.filters + (p.useBias ? p.filters : 0), nonTrainable: 0 }
  },
  flops: (p, inputs, out) => {
    const [, , c] = need3d(inputs[0])
    const [kh, kw] = pair(p.kernelSize)
    return product(out) * (2 * kh * kw * c + (p.useBias ? 1 : 0))
  },
  receptiveField: convRf,
  toTfjs: (p, { tf, name, seed }) =>
    tf.layers.conv2d({
      name,
      filters: p.filters,
      kernelSize: pair(p.kernelSize),
      strides: pair(p.strides),
      padding: p.padding as 'same' | 'valid',
      dilationRate: pair(p.dilationRate),
      useBias: p.useBias,
      kernelInitializer: makeInitializer(tf, p.kernelInitializer, p.stddev, seed),
    }),
  fromTfjs: {
    classNames: ['Conv2D'],
    read: (_l, r) => {
      r.channelsLast()
      if (r.num('groups', 1) !== 1) r.fail(`is a grouped convolution (groups ${String(r.config.groups)}), which the studio does not have`)
      const params = { filters: r.num('filters', 1), kernelSize: r.pair('kernel_size', 3), strides: r.pair('strides', 1), padding: r.padding(), dilationRate: r.pair('dilation_rate', 1) }
      return { params: { ...params, useBias: r.bool('use_bias', true), kernelInitializer: 'heNormal', stddev: 0.01 }, activation: r.activation() }
    },
  },
  toPytorch: (p, { inputShapes }) => {
    const [h, w, c] = need3d(inputShapes[0])
    const [kh, kw] = pair(p.kernelSize)
    const pads = windowPads([h, w], p.kernelSize, p.strides, p.dilationRate, p.padding)
    const kernel = [kh, kw, c, p.filters]
    const padding = pads.symmetric ? pyTuple([pads.top, pads.left]) : '0'
    return {
      module: `nn.Conv2d(${c}, ${p.filters}, kernel_size=${pyTuple([kh, kw])}, stride=${pyTuple(pair(p.strides))}, padding=${padding}, dilation=${pyTuple(pair(p.dilationRate))}, bias=${pyBool(p.useBias)})`,
      // TF pads "same" asymmetrically (more at the bottom/right) when the total is odd: explicit F.pad then.
      forward: (m, xs) => (pads.symmetric ? `${m}(${xs[0]})` : `${m}(F.pad(${xs[0]}, ${fPadArg(pads)}))`),
      weights: [
        { studio: 'kernel', torch: 'weight', shape: kernel, layout: 'conv2d' },
        ...(p.useBias ? [{ studio: 'bias', torch: 'bias', shape: [p.filters], layout: 'copy' as const }] : []),
      ],
      init: ptInit(p.kernelInitializer, p.stddev, kernel),
    }
  },
})

type DepthwiseParams = Omit<ConvParams, 'filters' | 'kernelInitializer'> & {
  depthMultiplier: number
  depthwiseInitializer: string
}
export const DepthwiseConv2D = defineLayer<DepthwiseParams>({
  kind: 'DepthwiseConv2D',
  family: 'convolution',
  label: 'Depthwise conv 2D',
  description:
    'Convolves each input channel with its own `depthMultiplier` kernels (no mixing across channels); ' +
    'usually followed by a 1x1 Conv2D (a depthwise-separable convolution).',
  arity: SINGLE,
  defaults: {
    kernelSize: 3,
    strides: 1,
    padding: 'same',
    depthMultiplier: 1,
    dilationRate: 1,
    useBias: true,
    depthwiseInitializer: 'heNormal',
    stddev: 0.01,
  },
  params: {
    kernelSize: { type: 'intPair', label: 'Kernel size' },
    strides: { type: 'intPair', label: 'Stride' },
    padding: paddingSpec,
    depthMultiplier: { type: 'int', min: 1, label: 'Depth multiplier', help: 'Output channels per input channel.' },
    dilationRate: { type: 'intPair', label: 'Dilation' },
    useBias: { type: 'bool', label: 'Use bias' },
    depthwiseInitializer: initSpec('Initializer'),
    stddev: stddevSpec('depthwiseInitializer'),
  },
  validate: dilationStrideCheck,
  inferShape: (p, inputs) => {
    const [h, w, c] = need3d(inputs[0])
    const [oh, ow] = spatialOut('kernel', [h, w], pair(p.kernelSize), pair(p.strides), pair(p.dilationRate), p.padding as 'same')
    return [oh, ow, c * p.depthMultiplier]
  },
  paramCount: (p, inputs) => {
    const [, , c] = need3d(inputs[0])
    const [kh, kw] = pair(p.kernelSize)
    const out = c * p.depthMultiplier
    return { trainable: kh * kw * out + (p.useBias ? out : 0), nonTrainable: 0 }
  },
  flops: (p, _inputs, out) => {
    const [kh, kw] = pair(p.kernelSize)
    return product(out) * (2 * kh * kw + (p.useBias ? 1 : 0))
  },
  receptiveField: convRf,
  toTfjs: (p, { tf, name, seed }) =>
    tf.layers.depthwiseConv2d({
      name,
      kernelSize: pair(p.kernelSize),
      strides: pair(p.strides),
      padding: p.padding as 'same' | 'valid',
      depthMultiplier: p.depthMultiplier,
      dilationRate: pair(p.dilationRate),
      useBias: p.useBias,
      depthwiseInitializer: makeInitializer(tf, p.depthwiseInitializer, p.stddev, seed),
    }),
  fromTfjs: {
    classNames: ['DepthwiseConv2D'],
    read: (_l, r) => {
      r.channelsLast()
      const params = { kernelSize: r.pair('kernel_size', 3), strides: r.pair('strides', 1), padding: r.padding(), depthMultiplier: r.num('depth_multiplier', 1), dilationRate: r.pair('dilation_rate', 1) }
      return { params: { ...params, useBias: r.bool('use_bias', true), depthwiseInitializer: 'heNormal', stddev: 0.01 }, activation: r.activation() }
    },
  },
  toPytorch: (p, { inputShapes }) => {
    const [h, w, c] = need3d(inputShapes[0])
    const [kh, kw] = pair(p.kernelSize)
    const out = c * p.depthMultiplier
    const pads = windowPads([h, w], p.kernelSize, p.strides, p.dilationRate, p.padding)
    const kernel = [kh, kw, c, p.depthMultiplier]
    const padding = pads.symmetric ? pyTuple([pads.top, pads.left]) : '0'
    return {
      module: `nn.Conv2d(${c}, ${out}, kernel_size=${pyTuple([kh, kw])}, stride=${pyTuple(pair(p.strides))}, padding=${padding}, dilation=${pyTuple(pair(p.dilationRate))}, groups=${c}, bias=${pyBool(p.useBias)})`,
      forward: (m, xs) => (pads.symmetric ? `${m}(${xs[0]})` : `${m}(F.pad(${xs[0]}, ${fPadArg(pads)}))`),
      weights: [
        { studio: 'depthwise_kernel', torch: 'weight', shape: kernel, layout: 'depthwise2d' },
        ...(p.useBias ? [{ studio: 'bias', torch: 'bias', shape: [out], layout: 'copy' as const }] : []),
      ],
      init: ptInit(p.depthwiseInitializer, p.stddev, kernel),
    }
  },
})

// ---- Pooling ----

type PoolParams = { poolSize: number | number[]; strides: number | number[]; padding: string }
function definePool(kind: 'MaxPool' | 'AvgPool', label: string, description: string) {
  return defineLayer<PoolParams>({
    kind,
    family: 'pooling',
    label,
    description,
    arity: SINGLE,
    defaults: { poolSize: 2, strides: 2, padding: 'valid' },
    params: {
      poolSize: { type: 'intPair', label: 'Pool size' },
      strides: { type: 'intPair', label: 'Stride' },
      padding: paddingSpec,
    },
    inferShape: (p, inputs) => {
      const [h, w, c] = need3d(inputs[0])
      const [oh, ow] = spatialOut('pool window', [h, w], pair(p.poolSize), pair(p.strides), ONE, p.padding as 'same')
      return [oh, ow, c]
    },
    paramCount: () => NO_PARAMS,
    flops: (p, _i, out) => {
      const [kh, kw] = pair(p.poolSize)
      return product(out) * kh * kw
    },
    receptiveField: (p) => ({ kernel: pair(p.poolSize), stride: pair(p.strides), dilation: ONE, padding: p.padding as 'same' }),
    toTfjs: (p, { tf, name }) => {
      const args = { name, poolSize: pair(p.poolSize), strides: pair(p.strides), padding: p.padding as 'same' | 'valid' }
      return kind === 'MaxPool' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args)
    },
    fromTfjs: {
      classNames: [kind === 'MaxPool' ? 'MaxPooling2D' : 'AveragePooling2D'],
      read: (_l, r) => {
        r.channelsLast()
        const poolSize = r.pair('pool_size', 2)
        return { params: { poolSize, strides: r.config.strides === null || r.config.strides === undefined ? poolSize : r.pair('strides', poolSize), padding: r.padding() } }
      },
    },
    // 'same' pads explicitly as TF does: -inf for max pooling; average pooling divides by the real (unpadded) count.
    toPytorch: (p, { inputShapes }) => {
      const [h, w] = need3d(inputShapes[0])
      const k = pyTuple(pair(p.poolSize))
      const s = pyTuple(pair(p.strides))
      const pads = windowPads([h, w], p.poolSize, p.strides, undefined, p.padding)
      if (kind === 'MaxPool') {
        return {
          module: `nn.MaxPool2d(kernel_size=${k}, stride=${s})`,
          forward: (m, xs) => (pads.none ? `${m}(${xs[0]})` : `${m}(F.pad(${xs[0]}, ${fPadArg(pads)}, value=-math.inf))`),
        }
      }
      return pads.none
        ? { module: `nn.AvgPool2d(kernel_size=${k}, stride=${s})`, forward: callModule }
        : { forward: (_m, xs) => `avg_pool_same(${xs[0]}, ${k}, ${s}, ${fPadArg(pads)})` }
    },
  })
}
export const MaxPool = definePool(
  'MaxPool',
  'Max pool',
  'Keeps the maximum of each window, per activation map (2x2 stride 2 halves H and W: 224x224x64 -> 112x112x64). No parameters.',
)
export const AvgPool = definePool('AvgPool', 'Average pool', 'Averages each window, per activation map. No parameters.')

type NoParams = Record<string, never>
export const GlobalAveragePool = defineLayer<NoParams>({
  kind: 'GlobalAveragePool',
  family: 'pooling',
  label: 'Global average pool',
  description: 'Averages each channel over all of H x W: [H, W, C] -> [C]. Replaces Flatten + big FC layers in ResNets.',
  arity: SINGLE,
  defaults: {},
  params: {},
  inferShape: (_p, inputs) => [need3d(inputs[0])[2]],
  paramCount: () => NO_PARAMS,
  flops: (_p, inputs) => product(need3d(inputs[0])),
  receptiveField: () => 'global',
  toTfjs: (_p, { tf, name }) => tf.layers.globalAveragePooling2d({ name }),
  fromTfjs: {
    classNames: ['GlobalAveragePooling2D'],
    read: (_l, r) => {
      r.channelsLast()
      if (r.config.keepdims === true) r.fail('keeps the spatial dimensions (keepdims), which the studio does not have')
      return { params: {} }
    },
  },
  toPytorch: () => ({ forward: (_m, xs) => `${xs[0]}.mean(dim=(2, 3))` }),
})

export const Flatten = defineLayer<NoParams>({
  kind: 'Flatten',
  family: 'reshape',
  label: 'Flatten',
  description: 'Unrolls [H, W, C] into a vector [H*W*C] so Dense layers can follow.',
  arity: SINGLE,
  defaults: {},
  params: {},
  inferShape: (_p, inputs) => [product(need3d(inputs[0]))],
  paramCount: () => NO_PARAMS,
  flops: () => 0,
  receptiveField: () => 'global',
  toTfjs: (_p, { tf, name }) => tf.layers.flatten({ name }),
  fromTfjs: { classNames: ['Flatten'], read: () => ({ params: {} }) },
  // The studio flattens [H, W, C] (channels last): back to NHWC first, so a following Dense sees the same order.
  toPytorch: () => ({ forward: (_m, xs) => `torch.flatten(${xs[0]}.permute(0, 2, 3, 1), 1)` }),
})

// ---- Dense and the classifier head ----

type DenseParams = { units: number; useBias: boolean; kernelInitializer: string; stddev: number }
const denseCommonParams = {
  useBias: { type: 'bool', label: 'Use bias' },
  kernelInitializer: initSpec('Initializer'),
  stddev: stddevSpec('kernelInitializer'),
} as const satisfies Record<string, ParamSpec>

/** Dense and Output in PyTorch: nn.Linear (the Output head's softmax is left to the loss: the model returns logits). */
function denseToPytorch(p: DenseParams, inputs: readonly Shape[], kind: string) {
  const d = needFlat(inputs[0], kind)
  return {
    module: `nn.Linear(${d}, ${p.units}, bias=${pyBool(p.useBias)})`,
    forward: callModule,
    weights: [
      { studio: 'kernel', torch: 'weight', shape: [d, p.units], layout: 'dense' as const },
      ...(p.useBias ? [{ studio: 'bias', torch: 'bias', shape: [p.units], layout: 'copy' as const }] : []),
    ],
    init: ptInit(p.kernelInitializer, p.stddev, [d, p.units]),
  }
}

function denseCount(p: DenseParams, inputs: readonly Shape[], kind: string) {
  const d = needFlat(inputs[0], kind)
  return { trainable: d * p.units + (p.useBias ? p.units : 0), nonTrainable: 0 }
}

export const Dense = defineLayer<DenseParams>({
  kind: 'Dense',
  family: 'dense',
  label: 'Dense (fully connected)',
  description: 'Every output unit sees every input value: y = W x + b. Needs a flat [D] input (use Flatten or GAP first).',
  arity: SINGLE,
  defaults: { units: 128, useBias: true, kernelInitializer: 'heNormal', stddev: 0.01 },
  params: { units: { type: 'int', min: 1, label: 'Units' }, ...denseCommonParams },
  inferShape: (p, inputs) => {
    needFlat(inputs[0], 'Dense')
    return [p.units]
  },
  paramCount: (p, inputs) => denseCount(p, inputs, 'Dense'),
  flops: (p, inputs) => p.units * (2 * needFlat(inputs[0], 'Dense') + (p.useBias ? 1 : 0)),
  receptiveField: () => 'global',
  toTfjs: (p, { tf, name, seed }) =>
    tf.layers.dense({
      name,
      units: p.units,
      useBias: p.useBias,
      kernelInitializer: makeInitializer(tf, p.kernelInitializer, p.stddev, seed),
    }),
  fromTfjs: {
    classNames: ['Dense'],
    read: (_l, r) => ({ params: { units: r.num('units', 1), useBias: r.bool('use_bias', true), kernelInitializer: 'heNormal', stddev: 0.01 }, activation: r.activation() }),
  },
  toPytorch: (p, { inputShapes }) => denseToPytorch(p, inputShapes, 'Dense'),
})

/**
 * The classifier head's initial weights: small, normal with std 0.01 (bias 0), so an untrained network predicts
 * nearly uniform probabilities and its loss is about ln(C). The Output node's default, and what transfer learning
 * re-initializes a head with (shared/procedure/transfer).
 */
export const OUTPUT_INIT = { kernelInitializer: 'normal', stddev: 0.01 } as const

export const Output = defineLayer<DenseParams>({
  kind: 'Output',
  family: 'output',
  label: 'Output (classifier)',
  description:
    'The classifier head: Dense(units = number of classes) followed by softmax, compiled as ONE tfjs Dense layer ' +
    "with activation 'softmax'. Its parameters are those of the Dense layer. Its weights start small " +
    '(normal, std 0.01), so an untrained network predicts nearly uniform probabilities and its loss is about ln(C): ' +
    'the first sanity check of the lectures.',
  arity: SINGLE,
  defaults: { units: 10, useBias: true, ...OUTPUT_INIT },
  params: { units: { type: 'int', min: 1, label: 'Classes' }, ...denseCommonParams },
  inferShape: (p, inputs) => {
    needFlat(inputs[0], 'Output')
    return [p.units]
  },
  paramCount: (p, inputs) => denseCount(p, inputs, 'Output'),
  // Dense multiply-adds + bias, then softmax (exp, sum, divide ~ 3 per class).
  flops: (p, inputs) => p.units * (2 * needFlat(inputs[0], 'Output') + (p.useBias ? 1 : 0) + 3),
  receptiveField: () => 'global',
  toTfjs: (p, { tf, name, seed }) =>
    tf.layers.dense({
      name,
      units: p.units,
      useBias: p.useBias,
      activation: 'softmax',
      kernelInitializer: makeInitializer(tf, p.kernelInitializer, p.stddev, seed),
    }),
  // A Dense with softmax that is a model output is the studio's Output (one tfjs Dense with softmax, as in the file).
  fromTfjs: {
    classNames: ['Dense'],
    when: (l) => l.isOutput && l.config.activation === 'softmax',
    read: (_l, r) => ({ params: { units: r.num('units', 1), useBias: r.bool('use_bias', true), kernelInitializer: 'normal', stddev: 0.01 } }),
  },
  toPytorch: (p, { inputShapes }) => denseToPytorch(p, inputShapes, 'Output'),
})

// ---- Normalization ----

const epsilonSpec: ParamSpec = { type: 'number', min: 0, minExclusive: true, label: 'Epsilon', help: 'Added to the variance: x^ = (x - mu) / sqrt(var + eps).' }

type BatchNormParams = { momentum: number; epsilon: number; center: boolean; scale: boolean }

/**
 * BatchNorm momentum across the two conventions: ours (PyTorch: the fraction of the new batch statistics) is
 * 1 - tfjs/Keras' (the fraction of the moving statistics kept), rounded to 12 decimals so 0.99 <-> 0.01 exactly.
 */
export const flipBatchNormMomentum = (m: number): number => Math.round((1 - m) * 1e12) / 1e12
export const BatchNorm = defineLayer<BatchNormParams>({
  kind: 'BatchNorm',
  family: 'normalization',
  label: 'Batch norm',
  description:
    'Normalizes each channel with statistics over the batch and H, W (N, H, W); learns gamma, beta per channel. ' +
    'Keeps moving mean/variance (non-trainable) for inference. Typical order: Conv -> BN -> ReLU. ' +
    "momentum follows PyTorch: moving = (1 - momentum) * moving + momentum * batch, default 0.1 (tfjs/Keras' " +
    'momentum is 1 - this, 0.9). A frozen BatchNorm (transfer learning) keeps its moving statistics fixed.',
  arity: SINGLE,
  defaults: { momentum: 0.1, epsilon: 0.001, center: true, scale: true },
  params: {
    momentum: {
      type: 'number',
      min: 0,
      minExclusive: true,
      max: 1,
      label: 'Momentum',
      help:
        'Fraction of the new batch statistics in each update of the moving mean/variance (PyTorch convention, default 0.1): ' +
        'moving = (1 - momentum) * moving + momentum * batch. TF.js/Keras call 1 - momentum their momentum (0.9).',
    },
    epsilon: epsilonSpec,
    center: { type: 'bool', label: 'Learn beta (shift)' },
    scale: { type: 'bool', label: 'Learn gamma (scale)' },
  },
  normAxes: { reduce: ['N', 'H', 'W'], affine: 'C', summary: 'per channel, over the batch and all positions' },
  inferShape: sameShape,
  paramCount: (p, inputs) => {
    const c = inputs[0]!.at(-1)!
    return { trainable: c * ((p.center ? 1 : 0) + (p.scale ? 1 : 0)), nonTrainable: 2 * c }
  },
  flops: perElement(2),
  receptiveField: () => 'identity',
  // tfjs' momentum is the fraction of the moving statistics kept: 1 - ours.
  toTfjs: (p, { tf, name }) =>
    tf.layers.batchNormalization({ name, axis: -1, momentum: flipBatchNormMomentum(p.momentum), epsilon: p.epsilon, center: p.center, scale: p.scale }),
  fromTfjs: {
    classNames: ['BatchNormalization'],
    read: (_l, r) => {
      const axis = r.config.axis ?? -1
      if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) {
        r.fail(`normalizes axis ${JSON.stringify(axis)}; the studio's BatchNorm is per channel (axis -1)`)
      }
      return { params: { momentum: flipBatchNormMomentum(r.num('momentum', 0.99)), epsilon: r.num('epsilon', 0.001), center: r.bool('center', true), scale: r.bool('scale', true) } }
    },
  },
  // Our momentum is PyTorch's already. BatchNorm1d over a flat [D] input, BatchNorm2d over an image.
  toPytorch: (p, { inputShapes }) => {
    const shape = inputShapes[0]!
    const c = shape.at(-1)!
    const cls = shape.length === 3 ? 'nn.BatchNorm2d' : 'nn.BatchNorm1d'
    const args = `${c}, eps=${pyNum(p.epsilon)}, momentum=${pyNum(p.momentum)}`
    const view = shape.length === 3 ? pyTuple([1, c, 1, 1]) : pyTuple([1, c])
    return ptNorm(`${cls}(${args})`, `${cls}(${args}, affine=False)`, p, [c], view, 'copy', { running: true, shape: [c] })
  },
})

type LayerNormParams = { epsilon: number; center: boolean; scale: boolean }
export const LayerNorm = defineLayer<LayerNormParams>({
  kind: 'LayerNorm',
  family: 'normalization',
  label: 'Layer norm',
  description:
    'Normalizes each sample over all of its features (C, H, W), independent of the batch (Ba et al. 2016). ' +
    'gamma and beta have the full feature shape (H x W x C each), as in tfjs layerNormalization over all axes.',
  arity: SINGLE,
  defaults: { epsilon: 0.001, center: true, scale: true },
  params: {
    epsilon: epsilonSpec,
    center: { type: 'bool', label: 'Learn beta (shift)' },
    scale: { type: 'bool', label: 'Learn gamma (scale)' },
  },
  normAxes: { reduce: ['C', 'H', 'W'], affine: 'CHW', summary: 'per sample, over all channels and positions' },
  inferShape: sameShape,
  paramCount: (p, inputs) => ({ trainable: product(inputs[0]!) * ((p.center ? 1 : 0) + (p.scale ? 1 : 0)), nonTrainable: 0 }),
  flops: perElement(5),
  receptiveField: () => 'identity',
  toTfjs: (p, { tf, name, inputShapes }) => {
    const rank = inputShapes[0]!.length
    const axis = Array.from({ length: rank }, (_, i) => i + 1)
    return tf.layers.layerNormalization({ name, axis, epsilon: p.epsilon, center: p.center, scale: p.scale })
  },
  fromTfjs: {
    classNames: ['LayerNormalization'],
    read: (_l, r) => ({ params: { epsilon: r.num('epsilon', 0.001), center: r.bool('center', true), scale: r.bool('scale', true) } }),
    // The studio normalizes all feature axes: the file's axes are checked against the input rank.
    check: (_l, shape, r) => {
      const axis = r.config.axis ?? -1
      const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (typeof a === 'number' && shape && a < 0 ? a + shape.length + 1 : a))
      const all = shape ? Array.from({ length: shape.length }, (_, k) => k + 1) : null
      if (all !== null && (axes.length !== all.length || axes.some((a, k) => a !== all[k]))) {
        r.fail(`normalizes axis ${JSON.stringify(axis)} of a ${shape!.length}-D input; the studio's LayerNorm normalizes all feature axes (${JSON.stringify(all)})`)
      }
    },
  },
  // Statistics over every feature of a sample (C, H, W in either layout); the per-element affine is stored
  // [H, W, C] in the studio and [C, H, W] here.
  toPytorch: (p, { inputShapes }) => {
    const shape = inputShapes[0]!
    const torchShape = shape.length === 3 ? [shape[2]!, shape[0]!, shape[1]!] : [...shape]
    const args = `${pyTuple(torchShape)}, eps=${pyNum(p.epsilon)}`
    const view = pyTuple([1, ...torchShape])
    return ptNorm(`nn.LayerNorm(${args})`, `nn.LayerNorm(${args}, elementwise_affine=False)`, p, torchShape, view, shape.length === 3 ? 'hwc' : 'copy', { running: false, shape: [] })
  },
})

type InstanceNormParams = { epsilon: number }
export const InstanceNorm = defineLayer<InstanceNormParams>({
  kind: 'InstanceNorm',
  family: 'normalization',
  label: 'Instance norm',
  description: 'Normalizes each channel of each sample over H, W (style transfer); learns gamma, beta per channel.',
  arity: SINGLE,
  defaults: { epsilon: 0.001 },
  params: { epsilon: epsilonSpec },
  normAxes: { reduce: ['H', 'W'], affine: 'C', summary: 'per sample and channel, over positions' },
  inferShape: (_p, inputs) => need3d(inputs[0]),
  paramCount: (_p, inputs) => ({ trainable: 2 * need3d(inputs[0])[2], nonTrainable: 0 }),
  flops: perElement(5),
  receptiveField: () => 'identity',
  toTfjs: (p, ctx) => customLayer(ctx, 'InstanceNormalization', { name: ctx.name, epsilon: p.epsilon }),
  fromTfjs: { classNames: ['InstanceNormalization'], read: (_l, r) => ({ params: { epsilon: r.num('epsilon', 0.001) } }) },
  // shared/tfjs/layers: per sample and channel over H, W, biased variance, no running statistics, gamma/beta per channel.
  toPytorch: (p, { inputShapes }) => {
    const c = need3d(inputShapes[0])[2]
    return ptNorm(`nn.InstanceNorm2d(${c}, eps=${pyNum(p.epsilon)}, affine=True)`, '', { center: true, scale: true }, [c], '', 'copy', { running: false, shape: [] })
  },
})

type GroupNormParams = { groups: number; epsilon: number }
export const GroupNorm = defineLayer<GroupNormParams>({
  kind: 'GroupNorm',
  family: 'normalization',
  label: 'Group norm',
  description:
    'Splits the channels into `groups` and normalizes each group of each sample over its channels and H, W ' +
    '(Wu & He 2018; good with small batches). groups = 1 is a per-channel-affine LayerNorm, groups = C is InstanceNorm. ' +
    'Default 32 as in the paper; it must divide the channel count.',
  arity: SINGLE,
  defaults: { groups: 32, epsilon: 0.001 },
  params: { groups: { type: 'int', min: 1, label: 'Groups' }, epsilon: epsilonSpec },
  normAxes: { reduce: ['C', 'H', 'W'], channelGroups: true, affine: 'C', summary: 'per sample and channel group, over the group and positions' },
  inferShape: (p, inputs) => {
    const s = need3d(inputs[0])
    if (s[2] % p.groups !== 0) throw new ShapeError(`groups (${p.groups}) must divide the ${s[2]} input channels`)
    return s
  },
  paramCount: (_p, inputs) => ({ trainable: 2 * need3d(inputs[0])[2], nonTrainable: 0 }),
  flops: perElement(5),
  receptiveField: () => 'identity',
  toTfjs: (p, ctx) => customLayer(ctx, 'GroupNormalization', { name: ctx.name, groups: p.groups, epsilon: p.epsilon }),
  fromTfjs: { classNames: ['GroupNormalization'], read: (_l, r) => ({ params: { groups: r.num('groups', 32), epsilon: r.num('epsilon', 0.001) } }) },
  // Groups of consecutive channels in both (the studio reshapes C into [groups, C / groups]).
  toPytorch: (p, { inputShapes }) => {
    const c = need3d(inputShapes[0])[2]
    return ptNorm(`nn.GroupNorm(${p.groups}, ${c}, eps=${pyNum(p.epsilon)}, affine=True)`, '', { center: true, scale: true }, [c], '', 'copy', { running: false, shape: [] })
  },
})

// ---- Regularization ----

type DropoutParams = { rate: number }
export const Dropout = defineLayer<DropoutParams>({
  kind: 'Dropout',
  family: 'regularization',
  label: 'Dropout',
  description:
    'During training zeroes each value with probability `rate` and scales the rest by 1/(1 - rate) (inverted ' +
    'dropout: nothing to do at test time). NOTE: `rate` is the DROP probability, as in tfjs; the lecture code ' +
    '(CS231n, CS5670) uses p = KEEP probability, so their p = 0.5 is rate 0.5 here and p = 0.8 is rate 0.2.',
  arity: SINGLE,
  defaults: { rate: 0.5 },
  params: { rate: { type: 'number', min: 0, max: 1, maxExclusive: true, label: 'Drop rate', help: 'Fraction of values dropped (not kept).' } },
  inferShape: sameShape,
  paramCount: () => NO_PARAMS,
  flops: () => 0,
  receptiveField: () => 'identity',
  toTfjs: (p, { tf, name }) => tf.layers.dropout({ name, rate: p.rate }),
  fromTfjs: {
    classNames: ['Dropout'],
    read: (_l, r) => {
      if (r.config.noise_shape !== undefined && r.config.noise_shape !== null) r.fail('has a noise_shape, which the studio does not have')
      return { params: { rate: r.num('rate', 0.5) } }
    },
  },
  toPytorch: (p) => ({ module: `nn.Dropout(p=${pyNum(p.rate)})`, forward: callModule }),
})

// ---- Activations ----

function defineActivation<P extends Params>(
  kind: string,
  label: string,
  description: string,
  defaults: P,
  params: { [K in keyof P]: ParamSpec },
  toTfjs: LayerDef<P>['toTfjs'],
  fromTfjs: TfjsImport<P>,
  toPytorch: (p: P) => string,
) {
  return defineLayer<P>({
    kind,
    family: 'activation',
    label,
    description,
    arity: SINGLE,
    defaults,
    params,
    inferShape: sameShape,
    paramCount: () => NO_PARAMS,
    flops: perElement(1),
    receptiveField: () => 'identity',
    toTfjs,
    fromTfjs,
    toPytorch: (p) => ({ module: toPytorch(p), forward: callModule }),
  })
}

export const ReLU = defineActivation('ReLU', 'ReLU', 'max(0, x). The default; ~6x faster convergence than sigmoid (Krizhevsky 2012); units die for x < 0.', {}, {}, (_p, { tf, name }) => tf.layers.reLU({ name }),
  {
    classNames: ['ReLU'],
    activations: ['relu'],
    read: (_l, r) => {
      if (r.config.max_value !== undefined && r.config.max_value !== null) r.fail(`is capped at max_value ${String(r.config.max_value)} (ReLU6), which the studio does not have`)
      return { params: {} }
    },
  },
  () => 'nn.ReLU()',
)
export const LeakyReLU = defineActivation<{ alpha: number }>(
  'LeakyReLU',
  'Leaky ReLU',
  'max(alpha x, x); alpha = 0.01 as in the lecture (tfjs defaults to 0.3).',
  { alpha: 0.01 },
  { alpha: { type: 'number', min: 0, label: 'Alpha (negative slope)' } },
  (p, { tf, name }) => tf.layers.leakyReLU({ name, alpha: p.alpha }),
  { classNames: ['LeakyReLU'], read: (_l, r) => ({ params: { alpha: r.num('alpha', 0.3) } }) },
  (p) => `nn.LeakyReLU(negative_slope=${pyNum(p.alpha)})`,
)
export const ELU = defineActivation<{ alpha: number }>(
  'ELU',
  'ELU',
  'x if x >= 0, else alpha (e^x - 1). tfjs 4.22 only implements alpha = 1.',
  { alpha: 1 },
  { alpha: { type: 'number', min: 1, max: 1, label: 'Alpha', help: 'Fixed at 1: tfjs 4.22 does not implement other values.' } },
  (p, { tf, name }) => tf.layers.elu({ name, alpha: p.alpha }),
  {
    classNames: ['ELU'],
    activations: ['elu'],
    read: (_l, r) => {
      if (r.num('alpha', 1) !== 1) r.fail(`has alpha ${String(r.config.alpha)}; tfjs 4.22 and the studio only implement alpha 1`)
      return { params: { alpha: 1 } }
    },
  },
  (p) => `nn.ELU(alpha=${pyNum(p.alpha)})`,
)
export const GELU = defineActivation('GELU', 'GELU', 'x * Phi(x), Phi the standard normal CDF (exact erf form).', {}, {}, (_p, { tf, name }) =>
  tf.layers.activation({ name, activation: 'gelu' }),
  { activations: ['gelu'] },
  // tfjs' 'gelu' is the exact erf form, as is PyTorch's default.
  () => "nn.GELU(approximate='none')",
)
export const SiLU = defineActivation('SiLU', 'SiLU (swish)', 'x * sigmoid(x).', {}, {}, (_p, { tf, name }) => tf.layers.activation({ name, activation: 'swish' }),
  { activations: ['swish', 'silu'] },
  () => 'nn.SiLU()',
)
export const Sigmoid = defineActivation('Sigmoid', 'Sigmoid', '1 / (1 + e^-x). Saturates and is not zero-centred: avoid in hidden layers.', {}, {}, (_p, { tf, name }) =>
  tf.layers.activation({ name, activation: 'sigmoid' }),
  { activations: ['sigmoid'] },
  () => 'nn.Sigmoid()',
)
export const Tanh = defineActivation('Tanh', 'Tanh', 'tanh(x): zero-centred but saturates.', {}, {}, (_p, { tf, name }) => tf.layers.activation({ name, activation: 'tanh' }),
  { activations: ['tanh'] },
  () => 'nn.Tanh()',
)
export const Softmax = defineActivation('Softmax', 'Softmax', 'exp(x_i) / sum_j exp(x_j) over the last axis (channels).', {}, {}, (_p, { tf, name }) =>
  tf.layers.softmax({ name, axis: -1 }),
  {
    classNames: ['Softmax'],
    activations: ['softmax'],
    read: (_l, r) => {
      const axis = r.config.axis ?? -1
      if (axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) {
        r.fail(`is over axis ${JSON.stringify(axis)}; the studio's Softmax is over the last axis`)
      }
      return { params: {} }
    },
  },
  // The channel axis: 1 in [N, C, H, W] and in [N, D].
  () => 'nn.Softmax(dim=1)',
)

// ---- Merges ----

export const Add = defineLayer<NoParams>({
  kind: 'Add',
  family: 'merge',
  label: 'Add (residual)',
  description: 'Element-wise sum of two or more inputs of identical shape: H(x) = F(x) + x in a residual block.',
  arity: { min: 2, max: Number.POSITIVE_INFINITY },
  defaults: {},
  params: {},
  inferShape: (_p, inputs) => {
    const first = inputs[0]!
    inputs.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, j) => d !== first[j])) {
        throw new ShapeError(
          `inputs must all have the same shape, but input 0 is ${fmtShape(first)} and input ${i} is ${fmtShape(s)}` +
            ' (a shortcut that changes shape needs a 1x1 Conv2D projection)',
        )
      }
    })
    return first
  },
  paramCount: () => NO_PARAMS,
  flops: (_p, inputs, out) => (inputs.length - 1) * product(out),
  receptiveField: () => 'identity',
  toTfjs: (_p, { tf, name }) => tf.layers.add({ name }),
  fromTfjs: { classNames: ['Add'], read: () => ({ params: {} }) },
  toPytorch: () => ({ forward: (_m, xs) => `(${xs.join(' + ')})` }),
})

export const Concatenate = defineLayer<NoParams>({
  kind: 'Concatenate',
  family: 'merge',
  label: 'Concatenate',
  description: 'Stacks two or more inputs along the channel (last) axis, in input-index order; the other axes must match.',
  arity: { min: 2, max: Number.POSITIVE_INFINITY },
  defaults: {},
  params: {},
  inferShape: (_p, inputs) => {
    const first = inputs[0]!
    let channels = 0
    inputs.forEach((s, i) => {
      const mismatch = s.length !== first.length || s.slice(0, -1).some((d, j) => d !== first[j])
      if (mismatch) {
        throw new ShapeError(
          `inputs must match on all axes but the channel axis, but input 0 is ${fmtShape(first)} and input ${i} is ${fmtShape(s)}`,
        )
      }
      channels += s.at(-1)!
    })
    return [...first.slice(0, -1), channels]
  },
  paramCount: () => NO_PARAMS,
  flops: () => 0,
  receptiveField: () => 'identity',
  toTfjs: (_p, { tf, name }) => tf.layers.concatenate({ name, axis: -1 }),
  fromTfjs: {
    classNames: ['Concatenate'],
    read: (_l, r) => {
      const axis = r.config.axis ?? -1
      if (axis !== -1) r.fail(`joins along axis ${JSON.stringify(axis)}; the studio concatenates channels (axis -1)`)
      return { params: {} }
    },
  },
  // The studio's last axis is the channel axis: dim 1 in [N, C, H, W] and in [N, D].
  toPytorch: () => ({ forward: (_m, xs) => `torch.cat([${xs.join(', ')}], dim=1)` }),
})
