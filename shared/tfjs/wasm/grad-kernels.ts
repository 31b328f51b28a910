/**
 * Gradients of BatchNorm, Mean, Sum and Square for the TF.js WASM backend, each in one kernel (issue #16).
 *
 * tfjs' gradient of FusedBatchNorm (the op behind every BatchNorm layer) is a dozen element-wise ops
 * and reductions over the activation (Sub, Mul, Tile, Sum ...); its Mean and Sum gradients multiply
 * the output gradient by a full-size tensor of ones (Fill, Mul, RealDiv). On the WASM backend these
 * gradients are replaced by:
 *   - BatchNormGrad: ONE pass per element over x and dy, for a per-channel (last axis) BatchNorm:
 *       dx = dy g r,  dMean = -g r S1,  dVariance = -g r^3 S2 / 2,  dScale = r S2,  dOffset = S1
 *     with r = 1 / sqrt(variance + eps), g = scale (1 without), S1 = sum dy, S2 = sum (x - mean) dy
 *     per channel (float64 accumulators, as the CPU backend's sums),
 *   - Mean / Sum: the output gradient (divided by the reduced size for Mean, on the small tensor)
 *     broadcast with one Tile (block copies),
 *   - Square (the BatchNorm variance squares every activation): 2 x dy in one pass.
 * The formulas are tfjs' own (same terms, same order of float32 products where it matters); other
 * backends, and calls outside these cases, keep tfjs' gradient functions.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import * as tf from '@tensorflow/tfjs'
import type { GradConfig, KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs'
import { asHeapBackend } from './heap-kernels'
import { WASM_BACKEND_NAME } from './kernel-scope'

/** Kernel name of the one-pass BatchNorm gradient (registered for 'wasm' only). */
export const BATCH_NORM_GRAD = 'StudioBatchNormGrad'

function batchNormGrad(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo[] {
  const K = BATCH_NORM_GRAD
  const { x, dy, mean, variance, scale } = args.inputs
  if (x === undefined || dy === undefined || mean === undefined || variance === undefined) {
    throw new Error(`wasm ${K}: needs inputs x, dy, mean and variance`)
  }
  const c = x.shape[x.shape.length - 1] ?? 0
  for (const [name, t] of [['mean', mean], ['variance', variance], ['scale', scale]] as const) {
    if (t !== undefined && (t.shape.length !== 1 || t.shape[0] !== c)) {
      throw new Error(`wasm ${K}: ${name} must have shape [${c}] (the last axis of x [${x.shape}]), got [${t.shape}]`)
    }
  }
  if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new Error(`wasm ${K}: dy [${dy.shape}] must have the shape of x [${x.shape}]`)
  const eps = (args.attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001
  const backend = asHeapBackend(args.backend, K)
  const dxInfo = backend.makeOutput(x.shape.slice(), 'float32')
  const outs = [dxInfo, ...[0, 1, 2, 3].map(() => backend.makeOutput([c], 'float32'))]
  // Views after all allocations (they may grow the heap and detach older views).
  const xv = backend.typedArrayFromHeap(x)
  const dyv = backend.typedArrayFromHeap(dy)
  const mv = backend.typedArrayFromHeap(mean)
  const vv = backend.typedArrayFromHeap(variance)
  const gv = scale === undefined ? null : backend.typedArrayFromHeap(scale)
  const [dx, dMean, dVar, dScale, dOffset] = outs.map((o) => backend.typedArrayFromHeap(o))
  if (dx === undefined || dMean === undefined || dVar === undefined || dScale === undefined || dOffset === undefined) {
    throw new Error(`wasm ${K}: internal error (outputs)`)
  }
  // Per channel, in float32 like tfjs' element-wise ops: r = rsqrt(var + eps), k = r * g.
  const r = new Float32Array(c)
  const k = new Float32Array(c)
  const m = new Float32Array(c)
  for (let j = 0; j < c; j++) {
    r[j] = 1 / Math.sqrt(Math.fround(vv[j]! + eps))
    k[j] = Math.fround(r[j]! * (gv === null ? 1 : gv[j]!))
    m[j] = mv[j]!
  }
  const s1 = new Float64Array(c)
  const s2 = new Float64Array(c)
  const n = xv.length
  for (let base = 0; base < n; base += c) {
    for (let j = 0; j < c; j++) {
      const i = base + j
      const d = dyv[i]!
      s1[j]! += d
      s2[j]! += (xv[i]! - m[j]!) * d
      dx[i] = d * k[j]!
    }
  }
  for (let j = 0; j < c; j++) {
    const g = gv === null ? 1 : gv[j]!
    const rj = r[j]!
    dOffset[j] = s1[j]!
    dMean[j] = -rj * g * s1[j]!
    dVar[j] = -0.5 * rj * rj * rj * g * s2[j]!
    dScale[j] = rj * s2[j]!
  }
  return outs
}

export const wasmBatchNormGradKernelConfig: KernelConfig = {
  kernelName: BATCH_NORM_GRAD,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: batchNormGrad as unknown as KernelFunc,
}

/** Kernel name of the one-pass Square gradient 2 x dy (registered for 'wasm' only). */
export const SQUARE_GRAD = 'StudioSquareGrad'

function squareGrad(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend }): TensorInfo {
  const { x, dy } = args.inputs
  if (x === undefined || dy === undefined) throw new Error(`wasm ${SQUARE_GRAD}: needs inputs x and dy`)
  if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new Error(`wasm ${SQUARE_GRAD}: dy [${dy.shape}] must have the shape of x [${x.shape}]`)
  const backend = asHeapBackend(args.backend, SQUARE_GRAD)
  const out = backend.makeOutput(x.shape.slice(), 'float32')
  const xv = backend.typedArrayFromHeap(x)
  const dyv = backend.typedArrayFromHeap(dy)
  const dx = backend.typedArrayFromHeap(out)
  // The float64 product of two float32 values is exact, so this rounds like tfjs' dy * (2 x) in float32.
  for (let i = 0; i < dx.length; i++) dx[i] = dyv[i]! * 2 * xv[i]!
  return out
}

export const wasmSquareGradKernelConfig: KernelConfig = {
  kernelName: SQUARE_GRAD,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: squareGrad as unknown as KernelFunc,
}

const onWasm = (): boolean => tf.getBackend() === WASM_BACKEND_NAME

function fusedBatchNormGrad(original: GradConfig): GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined]
      const d = dy as Tensor
      const perChannel =
        x.dtype === 'float32' &&
        d.dtype === 'float32' &&
        x.rank >= 1 &&
        mean.rank === 1 &&
        variance.rank === 1 &&
        (scale === undefined || scale === null || scale.rank === 1)
      if (!onWasm() || !perChannel) return original.gradFunc(dy, saved, attrs)
      const inputs: Record<string, Tensor> = { x, dy: d, mean, variance }
      if (scale !== undefined && scale !== null) inputs['scale'] = scale
      const [dx, dMean, dVar, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD, inputs, attrs) as Tensor[]
      return {
        x: () => dx as Tensor,
        mean: () => dMean as Tensor,
        variance: () => dVar as Tensor,
        scale: () => dScale as Tensor,
        offset: () => dOffset as Tensor,
      }
    },
  }
}

/** Mean (`mean` true) or Sum gradient: dy (/ reduced size) reshaped to keep the reduced axes, broadcast by Tile. */
function reduceGrad(original: GradConfig, mean: boolean): GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor]
      const d = dy as Tensor
      if (!onWasm() || d.dtype !== 'float32') return original.gradFunc(dy, saved, attrs)
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape)
      const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s))
      const reduceSize = axes.reduce((p, a) => p * (x.shape[a] ?? 1), 1)
      return {
        x: () => {
          const expanded = tf.reshape(d, kept)
          return tf.broadcastTo(mean ? tf.div(expanded, reduceSize) : expanded, x.shape)
        },
      }
    },
  }
}

/** Square gradient (BatchNorm statistics square every activation): 2 x dy in one pass instead of Cast, Mul, Mul. */
function squareGradConfig(original: GradConfig): GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor]
      const d = dy as Tensor
      if (!onWasm() || d.dtype !== 'float32' || x.dtype !== 'float32') return original.gradFunc(dy, saved, attrs)
      return { x: () => tf.engine().runKernel(SQUARE_GRAD, { x, dy: d }) as Tensor }
    },
  }
}

const MARK = '__cnnStudioWasmGradient'
type MarkedGradConfig = GradConfig & { [MARK]?: true }

/**
 * Wraps tfjs' gradients of FusedBatchNorm, Mean, Sum and Square so that on 'wasm' they run the kernels above
 * (other backends: tfjs' own). Idempotent; returns the kernel names whose gradient it wrapped now.
 */
export function registerWasmGradients(): string[] {
  const done: string[] = []
  const wrappers: [string, (g: GradConfig) => GradConfig][] = [
    [tf.FusedBatchNorm, fusedBatchNormGrad],
    [tf.Mean, (g) => reduceGrad(g, true)],
    [tf.Sum, (g) => reduceGrad(g, false)],
    [tf.Square, squareGradConfig],
  ]
  for (const [name, wrap] of wrappers) {
    const original = tf.getGradient(name) as MarkedGradConfig | undefined
    if (original === undefined || original[MARK] === true) continue
    const marked: MarkedGradConfig = { ...wrap(original), [MARK]: true }
    tf.registerGradient(marked)
    done.push(name)
  }
  return done
}
