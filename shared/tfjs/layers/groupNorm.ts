/**
 * InstanceNormalization and GroupNormalization as serializable tfjs layers (tfjs 4.22 has neither).
 *
 * Both normalize channels-last inputs [N, H, W, C] with x^ = (x - mu) / sqrt(var + eps) and learn a per-channel
 * scale gamma (init 1) and shift beta (init 0):
 *   GroupNorm:    mu, var per sample and per group of C/G channels, over (H, W, channels of the group)
 *   InstanceNorm: mu, var per sample and channel, over (H, W)   (GroupNorm with G = C)
 * Neither keeps running statistics: training and inference behave the same. Gradients come from tfjs autodiff
 * (moments, sub, mul, rsqrt all have gradients); tests check them against finite differences.
 */
import * as tf from '@tensorflow/tfjs'

type Kwargs = Record<string, unknown>

function channelsOf(inputShape: tf.Shape | tf.Shape[]): number {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape
  if (shape.length !== 4) throw new Error(`expects a 4-D [batch, H, W, C] input, received rank ${shape.length}`)
  const c = shape[3]
  if (c == null) throw new Error('the channel axis must be known')
  return c
}

abstract class ChannelNormBase extends tf.layers.Layer {
  readonly epsilon: number
  protected gamma: tf.LayerVariable | null = null
  protected beta: tf.LayerVariable | null = null

  constructor(args: { name?: string; epsilon?: number; trainable?: boolean }) {
    super(args)
    this.epsilon = args.epsilon ?? 1e-3
    this.supportsMasking = true
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const c = channelsOf(inputShape)
    this.checkChannels(c)
    this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones())
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros())
    this.built = true
  }

  protected checkChannels(_c: number): void {}

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape
  }

  /** Normalized (not yet scaled) x, shape [N, H, W, C]. */
  protected abstract normalize(x: tf.Tensor4D): tf.Tensor4D

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D
      const xhat = this.normalize(x)
      return tf.add(tf.mul(xhat, this.gamma!.read()), this.beta!.read())
    })
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon }
  }
}

export class InstanceNormalization extends ChannelNormBase {
  static className = 'InstanceNormalization'

  constructor(args: { name?: string; epsilon?: number; trainable?: boolean } = {}) {
    super(args)
  }

  protected normalize(x: tf.Tensor4D): tf.Tensor4D {
    const { mean, variance } = tf.moments(x, [1, 2], true)
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon))) as tf.Tensor4D
  }
}

export class GroupNormalization extends ChannelNormBase {
  static className = 'GroupNormalization'
  readonly groups: number

  constructor(args: { name?: string; groups: number; epsilon?: number; trainable?: boolean }) {
    super(args)
    if (!Number.isInteger(args.groups) || args.groups < 1) {
      throw new Error(`GroupNormalization: groups must be a positive integer, received ${JSON.stringify(args.groups)}`)
    }
    this.groups = args.groups
  }

  protected override checkChannels(c: number): void {
    if (c % this.groups !== 0) {
      throw new Error(`GroupNormalization: groups (${this.groups}) must divide the ${c} input channels`)
    }
  }

  protected normalize(x: tf.Tensor4D): tf.Tensor4D {
    const [n, h, w, c] = x.shape
    const g = this.groups
    // Batch size may be unknown symbolically but is known for concrete tensors here.
    const grouped = tf.reshape(x, [n, h, w, g, c / g])
    const { mean, variance } = tf.moments(grouped, [1, 2, 4], true)
    const normalized = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, this.epsilon)))
    return tf.reshape(normalized, [n, h, w, c]) as tf.Tensor4D
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups }
  }
}
