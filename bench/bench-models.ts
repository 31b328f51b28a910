/**
 * The benchmarks' models, data and profile summary, runtime-neutral (Node for bench/train.ts, the browser page of
 * bench/webgpu.ts): the bench CNN and ResNet-20 as graph documents, seeded synthetic images, and a kernel profile
 * (tf.profile's kernels) reduced to time per kernel per step, top 10.
 */
import { resnet20 } from '../shared/graph/templates'
import type { GraphDocument } from '../shared/graph/types'
import { InMemoryDataSource } from '../shared/train/index'
import { BENCH_CNN_DESCRIPTION, benchCnn } from './bench-cnn'

export interface BenchModelSpec {
  readonly name: 'cnn' | 'resnet20'
  readonly description: string
  readonly shape: readonly [number, number, number]
  readonly classes: number
  readonly batch: number
  readonly document: () => GraphDocument
}

export const BENCH_MODELS: Record<'cnn' | 'resnet20', BenchModelSpec> = {
  cnn: { name: 'cnn', description: BENCH_CNN_DESCRIPTION, shape: [28, 28, 1], classes: 10, batch: 64, document: benchCnn },
  resnet20: { name: 'resnet20', description: 'ResNet-20 (the studio CIFAR template), 32x32x3', shape: [32, 32, 3], classes: 10, batch: 128, document: () => resnet20([32, 32, 3], 10) },
}

/** `n` seeded pseudo-random images of the model's shape, labels cycling through the classes. */
export function syntheticSource(model: Pick<BenchModelSpec, 'shape' | 'classes'>, n: number): InMemoryDataSource {
  const [h, w, c] = model.shape
  const images = new Uint8Array(n * h * w * c)
  let s = 12345
  for (let i = 0; i < images.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    images[i] = s & 0xff
  }
  const labels = Int32Array.from({ length: n }, (_, i) => i % model.classes)
  return new InMemoryDataSource({ classes: Array.from({ length: model.classes }, (_, i) => String(i)), imageShape: [h, w, c], train: { images, labels } })
}

const round = (v: number, digits: number) => Number(v.toFixed(digits))

export interface KernelProfile {
  readonly stepsProfiled: number
  /** Sum of the kernel times per step (tf.profile lists some op wrappers beside their kernels: see the docs). */
  readonly msPerStep: number
  readonly top: { kernel: string; msPerStep: number; share: number }[]
  /** Kernels without a time (a backend without timer queries reports an error object instead). */
  readonly untimed?: number
}

/** tf.profile's kernels as time per kernel per step, the top 10. */
export function summarizeProfile(kernels: readonly { name: string; kernelTimeMs: unknown }[], steps: number): KernelProfile {
  const perKernel = new Map<string, number>()
  let untimed = 0
  for (const k of kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : null
    if (ms === null) untimed++
    perKernel.set(k.name, (perKernel.get(k.name) ?? 0) + (ms ?? 0))
  }
  const total = [...perKernel.values()].reduce((a, b) => a + b, 0)
  const top = [...perKernel.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([kernel, ms]) => ({ kernel, msPerStep: round(ms / steps, 2), share: total > 0 ? round(ms / total, 3) : 0 }))
  return { stepsProfiled: steps, msPerStep: round(total / steps, 1), top, ...(untimed > 0 ? { untimed } : {}) }
}
