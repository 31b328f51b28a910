/** Small models and datasets for the training-engine tests. */
import * as tf from '@tensorflow/tfjs'
import { InMemoryDataSource } from '../../../shared/train'
import type { TrainMessage } from '../../../shared/train'

export const SIZE = 8
export const CLASSES = 3

/**
 * Synthetic, learnable images: class k has a bright horizontal band in rows [2k, 2k+2) plus deterministic noise.
 */
export function syntheticData(train: number, val: number, seed = 1): InMemoryDataSource {
  let s = seed >>> 0 || 1
  const rnd = () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
  const make = (n: number) => {
    const images = new Uint8Array(n * SIZE * SIZE)
    const labels = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const k = i % CLASSES
      labels[i] = k
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const band = y >= 2 * k && y < 2 * k + 2 ? 150 : 0
          images[i * SIZE * SIZE + y * SIZE + x] = Math.min(255, band + Math.floor(rnd() * 100))
        }
      }
    }
    return { images, labels }
  }
  return new InMemoryDataSource({ classes: ['a', 'b', 'c'], imageShape: [SIZE, SIZE, 1], train: make(train), val: make(val) })
}

/** conv-BN-relu-pool-dense(softmax), fixed initializers (seeded). */
export function tinyModel(softmaxHead = true): tf.LayersModel {
  const input = tf.input({ shape: [SIZE, SIZE, 1] })
  let h = tf.layers
    .conv2d({ name: 'conv1', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) })
    .apply(input) as tf.SymbolicTensor
  h = tf.layers.batchNormalization({ name: 'bn1' }).apply(h) as tf.SymbolicTensor
  h = tf.layers.activation({ name: 'relu1', activation: 'relu' }).apply(h) as tf.SymbolicTensor
  h = tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }).apply(h) as tf.SymbolicTensor
  h = tf.layers.flatten({ name: 'flat' }).apply(h) as tf.SymbolicTensor
  const out = tf.layers
    .dense({ name: 'fc', units: CLASSES, activation: softmaxHead ? 'softmax' : 'linear', kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) })
    .apply(h) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: out })
}

export async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.weights.map(async (w) => new Float32Array(await w.read().data())))
}

export function setWeights(model: tf.LayersModel, values: readonly Float32Array[]): void {
  model.weights.forEach((w, i) => {
    const t = tf.tensor(values[i] as Float32Array, w.shape as number[])
    w.write(t)
    t.dispose()
  })
}

/** A sink that records every message. */
export function recorder(onMessage?: (m: TrainMessage) => void): { messages: TrainMessage[]; post(m: TrainMessage): void } {
  const messages: TrainMessage[] = []
  return {
    messages,
    post(m) {
      messages.push(m)
      onMessage?.(m)
    },
  }
}

export function ofType<T extends TrainMessage['type']>(messages: readonly TrainMessage[], type: T): Extract<TrainMessage, { type: T }>[] {
  return messages.filter((m): m is Extract<TrainMessage, { type: T }> => m.type === type)
}
