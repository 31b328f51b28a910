import * as tf from '@tensorflow/tfjs'
import { expect } from 'vitest'
import type { AugmentPipeline, AugmentStep, BatchParams, SampleRecord } from '../../../shared/augment'

export async function useCpuBackend(): Promise<void> {
  tf.env().set('IS_TEST', true)
  await tf.setBackend('cpu')
  await tf.ready()
}

/** Values that differ per (n, y, x, c), all in [0, 1]: (index mod 97) / 96. */
export function rampValues(n: number, h: number, w: number, c: number): number[] {
  return Array.from({ length: n * h * w * c }, (_, i) => (i % 97) / 96)
}

export function ramp(n: number, h: number, w: number, c: number): tf.Tensor4D {
  return tf.tensor4d(rampValues(n, h, w, c), [n, h, w, c])
}

export function oneHot(classes: readonly number[], k: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d([...classes], 'int32'), k).toFloat() as tf.Tensor2D)
}

export function pipelineOf(...steps: AugmentStep[]): AugmentPipeline {
  return { format: 1, steps }
}

/** A hand-written record for a one-step pipeline: exact fixtures without depending on random draws. */
export function recordFor(step: AugmentStep, samples: SampleRecord[], shape: [number, number, number, number]): BatchParams {
  const [batchSize, height, width, channels] = shape
  return { format: 1, seed: 0, batchIndex: 0, ctx: { batchSize, height, width, channels }, steps: [{ id: step.id, kind: step.kind, samples }] }
}

export function expectClose(actual: number[] | number[][] | unknown, expected: unknown, tol = 1e-5): void {
  const a = (actual as unknown[]).flat(Infinity) as number[]
  const e = (expected as unknown[]).flat(Infinity) as number[]
  expect(a.length).toBe(e.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (e[i] as number)))
  expect(worst).toBeLessThanOrEqual(tol)
}

/** Runs fn and checks that the number of live tensors is unchanged afterwards. */
export function expectNoLeak(fn: () => void): void {
  const before = tf.memory().numTensors
  fn()
  expect(tf.memory().numTensors).toBe(before)
}

/** Reads [N,H,W,C] as nested arrays and disposes nothing. */
export function px(t: tf.Tensor4D): number[][][][] {
  return t.arraySync()
}
