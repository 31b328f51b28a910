/**
 * Logits and the loss. The graph compiler builds the classifier head as ONE Dense layer with softmax (see
 * shared/graph `Output`); taking log(softmax) of its output would lose precision and hide overflow, so for such
 * a head we compute the head's logits from its input with the same kernel and bias and use a numerically stable
 * log-softmax. A design ending in a separate softmax (the palette's Softmax node, or an Activation('softmax'))
 * is trained on that layer's input. Models whose output is already logits (last layer linear) are used as they are.
 */
import * as tf from '@tensorflow/tfjs'

export type LogitsFn = (x: tf.Tensor, training: boolean) => tf.Tensor2D

interface DenseLike {
  getClassName(): string
  readonly input: tf.SymbolicTensor | tf.SymbolicTensor[]
  readonly activation?: { getClassName(): string }
  readonly useBias?: boolean
  readonly kernel?: { read(): tf.Tensor }
  readonly bias?: { read(): tf.Tensor } | null
  /** The Softmax layer's axis (tfjs default -1). */
  readonly axis?: number | number[]
}

/** A softmax layer over the class axis of a [N, K] output: Activation('softmax') or a Softmax layer (axis -1 or 1). */
function isClassSoftmax(layer: DenseLike, inputRank: number): boolean {
  const cls = layer.getClassName()
  if (cls === 'Activation') return layer.activation?.getClassName() === 'softmax'
  if (cls !== 'Softmax' || inputRank !== 2) return false
  const axis = Array.isArray(layer.axis) ? (layer.axis.length === 1 ? layer.axis[0] : undefined) : (layer.axis ?? -1)
  return axis === -1 || axis === 1
}

/**
 * A function from images to logits for `model`. When the last layer is a softmax Dense (or a softmax
 * Activation, or a Softmax layer over the classes), the logits are computed from the layer's input through a sub-model sharing every layer (and
 * so every weight and BN statistic) with `model`. The sub-model owns nothing: never dispose it.
 */
export function logitsFunction(model: tf.LayersModel): { fn: LogitsFn; outputIsSoftmax: boolean } {
  const last = model.layers[model.layers.length - 1] as unknown as DenseLike | undefined
  const outputs = model.outputs
  if (last !== undefined && outputs.length === 1 && !Array.isArray(last.input)) {
    const cls = last.getClassName()
    const act = last.activation?.getClassName()
    if (cls === 'Dense' && act === 'softmax' && last.kernel !== undefined && last.input.shape.length === 2) {
      const body = tf.model({ inputs: model.inputs, outputs: last.input })
      const kernel = last.kernel
      const bias = last.useBias === true && last.bias != null ? last.bias : null
      const fn: LogitsFn = (x, training) => {
        const h = body.apply(x, { training }) as tf.Tensor2D
        const z = tf.matMul(h, kernel.read())
        return (bias === null ? z : tf.add(z, bias.read())) as tf.Tensor2D
      }
      return { fn, outputIsSoftmax: true }
    }
    if (isClassSoftmax(last, last.input.shape.length)) {
      const body = tf.model({ inputs: model.inputs, outputs: last.input })
      return { fn: (x, training) => body.apply(x, { training }) as tf.Tensor2D, outputIsSoftmax: true }
    }
  }
  return { fn: (x, training) => model.apply(x, { training }) as tf.Tensor2D, outputIsSoftmax: false }
}

/** Mean over the batch of -sum_k y_k log softmax(z)_k, for one-hot or soft labels y [N, K]. */
export function softmaxCrossEntropy(labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1))) as tf.Scalar)
}

/**
 * Class-weighted cross-entropy: sum_i w_{y_i} l_i / sum_i w_{y_i} (PyTorch's CrossEntropyLoss(weight) with mean
 * reduction), the weight of a sample being labels_i . weights (soft labels mix their classes' weights).
 */
export function weightedSoftmaxCrossEntropy(labels: tf.Tensor2D, logits: tf.Tensor2D, weights: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const w = tf.sum(tf.mul(labels, weights), -1)
    const perSample = tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1))
    return tf.div(tf.sum(tf.mul(w, perSample)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar
  })
}

/** Per-sample cross-entropy [N]. */
export function softmaxCrossEntropyPerSample(labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)) as tf.Tensor1D)
}

/** Number of samples whose argmax(logits) equals argmax(labels), as a float32 scalar. */
export function correctCount(labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(labels, -1)), 'float32')) as tf.Scalar)
}
