/**
 * Built-in block definitions (factories returning `BlockDef`s): residual basic block, bottleneck block, plain
 * block (the basic block without its shortcut) and VGG block. Each body goes BlockInput -> ... -> BlockOutput;
 * a `Block` node `{ blockId, repeat }` chains `repeat` copies. Definition ids encode their configuration, so the
 * same configuration is stored once per document.
 */
import { COLUMN_WIDTH, GraphBuilder, ROW_HEIGHT } from './builder'
import type { BlockDef } from './types'

export interface ResidualOptions {
  /** Output channels of the block (for the bottleneck: the narrow width; the output is filters * expansion). */
  filters: number
  /** Stride of the first 3x3 conv (2 halves H and W, as in the first block of a ResNet stage). */
  stride?: number
  /** Channels entering the block: a 1x1 projection shortcut is added when they differ from the output channels. */
  inputChannels: number
}

const conv = (filters: number, kernelSize: number, strides: number) => ({ filters, kernelSize, strides, padding: 'same', useBias: false })

/**
 * ResNet basic block: conv3x3(stride)-BN-ReLU-conv3x3-BN, plus the identity shortcut (or, when the shape changes,
 * a 1x1 conv with the same stride, no bias, + BN), added, then ReLU.
 */
export function residualBasicBlock({ filters, stride = 1, inputChannels }: ResidualOptions): BlockDef {
  const projection = stride !== 1 || inputChannels !== filters
  const b = new GraphBuilder()
  const x = b.blockInput()
  b.add('Conv2D', conv(filters, 3, stride), { id: 'conv1' })
  b.add('BatchNorm', {}, { id: 'bn1' })
  b.add('ReLU', {}, { id: 'relu1' })
  b.add('Conv2D', conv(filters, 3, 1), { id: 'conv2' })
  const main = b.add('BatchNorm', {}, { id: 'bn2' })
  let shortcut = x
  if (projection) {
    b.add('Conv2D', conv(filters, 1, stride), { id: 'proj', from: x, position: { x: COLUMN_WIDTH, y: ROW_HEIGHT } })
    shortcut = b.add('BatchNorm', {}, { id: 'proj_bn', position: { x: COLUMN_WIDTH, y: 2 * ROW_HEIGHT } })
  }
  b.add('Add', {}, { id: 'add', from: [main, shortcut], position: { x: 0, y: 6 * ROW_HEIGHT } })
  b.add('ReLU', {}, { id: 'relu2' })
  b.blockOutput()
  const id = `basic_${filters}_s${stride}${projection ? '_proj' : ''}`
  return b.buildBlock(id, `Basic block ${filters}${stride > 1 ? `, stride ${stride}` : ''}`, 'conv3x3-BN-ReLU-conv3x3-BN + shortcut, then ReLU (ResNet-18/34).')
}

/** ResNet bottleneck block: 1x1 (filters) - 3x3 (filters, stride) - 1x1 (filters * expansion), BN after each, ReLU, shortcut. */
export function bottleneckBlock({ filters, stride = 1, inputChannels, expansion = 4 }: ResidualOptions & { expansion?: number }): BlockDef {
  const out = filters * expansion
  const projection = stride !== 1 || inputChannels !== out
  const b = new GraphBuilder()
  const x = b.blockInput()
  b.add('Conv2D', conv(filters, 1, 1), { id: 'conv1' })
  b.add('BatchNorm', {}, { id: 'bn1' })
  b.add('ReLU', {}, { id: 'relu1' })
  b.add('Conv2D', conv(filters, 3, stride), { id: 'conv2' })
  b.add('BatchNorm', {}, { id: 'bn2' })
  b.add('ReLU', {}, { id: 'relu2' })
  b.add('Conv2D', conv(out, 1, 1), { id: 'conv3' })
  const main = b.add('BatchNorm', {}, { id: 'bn3' })
  let shortcut = x
  if (projection) {
    b.add('Conv2D', conv(out, 1, stride), { id: 'proj', from: x, position: { x: COLUMN_WIDTH, y: ROW_HEIGHT } })
    shortcut = b.add('BatchNorm', {}, { id: 'proj_bn', position: { x: COLUMN_WIDTH, y: 2 * ROW_HEIGHT } })
  }
  b.add('Add', {}, { id: 'add', from: [main, shortcut], position: { x: 0, y: 9 * ROW_HEIGHT } })
  b.add('ReLU', {}, { id: 'relu3' })
  b.blockOutput()
  const id = `bottleneck_${filters}x${expansion}_s${stride}${projection ? '_proj' : ''}`
  return b.buildBlock(id, `Bottleneck ${filters}-${filters}-${out}${stride > 1 ? `, stride ${stride}` : ''}`, '1x1-3x3-1x1 with expansion (ResNet-50+).')
}

/** The basic block without its shortcut: conv3x3(stride)-BN-ReLU-conv3x3-BN-ReLU (the "plain" nets of the ResNet paper). */
export function plainBlock({ filters, stride = 1 }: { filters: number; stride?: number }): BlockDef {
  const b = new GraphBuilder()
  b.blockInput()
  b.add('Conv2D', conv(filters, 3, stride), { id: 'conv1' })
  b.add('BatchNorm', {}, { id: 'bn1' })
  b.add('ReLU', {}, { id: 'relu1' })
  b.add('Conv2D', conv(filters, 3, 1), { id: 'conv2' })
  b.add('BatchNorm', {}, { id: 'bn2' })
  b.add('ReLU', {}, { id: 'relu2' })
  b.blockOutput()
  return b.buildBlock(`plain_${filters}_s${stride}`, `Plain block ${filters}${stride > 1 ? `, stride ${stride}` : ''}`, 'Two conv-BN-ReLU, no shortcut.')
}

/** VGG block: `convs` x (conv kxk same, with bias - ReLU), then 2x2 max pool stride 2. */
export function vggBlock({ convs, filters, kernelSize = 3, pool = true }: { convs: number; filters: number; kernelSize?: number; pool?: boolean }): BlockDef {
  const b = new GraphBuilder()
  b.blockInput()
  for (let i = 1; i <= convs; i++) {
    b.add('Conv2D', { filters, kernelSize, strides: 1, padding: 'same', useBias: true }, { id: `conv${i}` })
    b.add('ReLU', {}, { id: `relu${i}` })
  }
  if (pool) b.add('MaxPool', { poolSize: 2, strides: 2, padding: 'valid' }, { id: 'pool' })
  b.blockOutput()
  return b.buildBlock(`vgg_${convs}x${filters}_k${kernelSize}${pool ? '' : '_nopool'}`, `VGG block ${convs}x conv${kernelSize}-${filters}${pool ? ' + pool' : ''}`, 'n x (conv-ReLU), then 2x2 max pool.')
}
