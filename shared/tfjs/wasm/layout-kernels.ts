/**
 * Transpose, Sum and Mean for the TF.js WASM backend (JS loops directly on the WASM heap).
 *
 * Measured in a training step of the bench CNN and ResNet-20 (issue #16):
 * - tfjs-backend-wasm 4.22's Sum and Mean reduce innermost axes only; any other reduction
 *   (the per-channel [0,1,2] reductions of BatchNorm statistics and gradients, bias gradients,
 *   global average pooling over [1,2]) first runs a full native Transpose of the input. These
 *   versions reduce a contiguous block of non-innermost axes in place, in one pass, with a
 *   float64 accumulator per output element (like the CPU backend's JavaScript sum).
 * - The native Transpose walks the output element by element through generic index
 *   arithmetic; the convolution gradient kernels transpose activations of a whole batch twice
 *   per layer. This version first merges axes that stay adjacent, then copies with nested
 *   loops over precomputed strides (rank <= 4 after merging; higher ranks go to the native kernel).
 *
 * Calls outside those fast paths are delegated to the native kernels by the registration
 * (`register.ts`), using the `...Handles` predicates exported here.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { backend_util, Mean, Sum, Transpose, util } from '@tensorflow/tfjs'
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  MeanAttrs,
  NamedAttrMap,
  NamedTensorInfoMap,
  SumAttrs,
  TensorInfo,
  TransposeAttrs,
} from '@tensorflow/tfjs'
import { asHeapBackend } from './heap-kernels'
import { WASM_BACKEND_NAME } from './kernel-scope'

// ---------------------------------------------------------------------------------------------
// Transpose
// ---------------------------------------------------------------------------------------------

/**
 * Merges input axes that stay adjacent and in order under `perm` and drops size-1 axes:
 * the same permutation on a smaller shape. Returns the merged input shape and permutation.
 */
export function mergeTransposeAxes(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  // Drop size-1 axes (they do not move any data).
  const keep = perm.filter((p) => shape[p] !== 1)
  // Runs of consecutive input axes in output order.
  const runs: number[][] = []
  for (const p of keep) {
    const last = runs[runs.length - 1]
    if (last !== undefined && last[last.length - 1] === p - 1) last.push(p)
    else runs.push([p])
  }
  // Order the runs by their first input axis to get the merged input shape.
  const byInput = [...runs].sort((a, b) => a[0]! - b[0]!)
  const mergedShape = byInput.map((r) => r.reduce((acc, p) => acc * shape[p]!, 1))
  const mergedPerm = runs.map((r) => byInput.indexOf(r))
  return { shape: mergedShape, perm: mergedPerm }
}

function transposeHandlesMerged(x: TensorInfo, perm: readonly number[]): boolean {
  return x.dtype !== 'string' && x.dtype !== 'complex64' && mergeTransposeAxes(x.shape, perm).shape.length <= 4
}

/** Calls the JS Transpose handles (else the native kernel runs): non-string dtypes, rank <= 4 after merging axes. */
export function transposeHandles(attrs: NamedAttrMap, inputs: NamedTensorInfoMap): boolean {
  const x = inputs['x']
  const perm = (attrs as unknown as TransposeAttrs).perm
  return x !== undefined && Array.isArray(perm) && perm.length === x.shape.length && transposeHandlesMerged(x, perm)
}

function transpose(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = Transpose
  const x = args.inputs['x']
  if (x === undefined) throw new Error(`wasm ${K}: missing input 'x'`)
  const { perm } = args.attrs as unknown as TransposeAttrs
  if (perm.length !== x.shape.length) throw new Error(`wasm ${K}: perm [${perm}] does not match rank ${x.shape.length}`)
  if (!transposeHandlesMerged(x, perm)) throw new Error(`wasm ${K}: shape [${x.shape}] perm [${perm}] is not supported here`)
  const backend = asHeapBackend(args.backend, K)
  const outShape = perm.map((p) => x.shape[p]!)
  const out = backend.makeOutput(outShape, x.dtype)
  const size = util.sizeFromShape(outShape)
  if (size === 0) return out
  const src = backend.typedArrayFromHeap(x)
  const dst = backend.typedArrayFromHeap(out)
  const merged = mergeTransposeAxes(x.shape, perm)
  const rank = merged.shape.length
  if (rank <= 1) {
    dst.set(src.subarray(0, size))
    return out
  }
  // Pad to rank 4 with leading size-1 axes; strides of the input, taken in output order.
  const inStrides = util.computeStrides(merged.shape).concat([1])
  const pad = 4 - rank
  const d = [1, 1, 1, 1]
  const s = [0, 0, 0, 0]
  for (let i = 0; i < rank; i++) {
    d[pad + i] = merged.shape[merged.perm[i]!]!
    s[pad + i] = inStrides[merged.perm[i]!]!
  }
  const [d0, d1, d2, d3] = d as [number, number, number, number]
  const [s0, s1, s2, s3] = s as [number, number, number, number]
  let o = 0
  for (let i0 = 0; i0 < d0; i0++) {
    const b0 = i0 * s0
    for (let i1 = 0; i1 < d1; i1++) {
      const b1 = b0 + i1 * s1
      for (let i2 = 0; i2 < d2; i2++) {
        let k = b1 + i2 * s2
        for (let i3 = 0; i3 < d3; i3++) {
          dst[o++] = src[k]!
          k += s3
        }
      }
    }
  }
  return out
}

export const wasmTransposeKernelConfig: KernelConfig = {
  kernelName: Transpose,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: transpose as unknown as KernelFunc,
}

// ---------------------------------------------------------------------------------------------
// Sum / Mean over a contiguous block of non-innermost axes
// ---------------------------------------------------------------------------------------------

/**
 * The reduction as [outer, reduced, inner] sizes when `axis` (after normalising) is one
 * contiguous block of axes that does not end at the last axis (the native kernels reduce
 * innermost axes without a transpose); null otherwise.
 */
export function blockReduction(shape: readonly number[], axis: number | number[] | undefined): { outer: number; reduced: number; inner: number } | null {
  const rank = shape.length
  if (rank === 0) return null
  const axes = [...new Set(util.parseAxisParam(axis ?? shape.map((_, i) => i), [...shape]))].sort((a, b) => a - b)
  if (axes.length === 0) return null
  const first = axes[0]!
  const last = axes[axes.length - 1]!
  if (last - first + 1 !== axes.length) return null
  const inner = util.sizeFromShape(shape.slice(last + 1))
  if (inner <= 1) return null
  return {
    outer: util.sizeFromShape(shape.slice(0, first)),
    reduced: util.sizeFromShape(shape.slice(first, last + 1)),
    inner,
  }
}

/** Calls the JS Sum/Mean handle (else the native kernel runs): float32, a block reduction, not empty. */
export function reductionHandles(attrs: NamedAttrMap, inputs: NamedTensorInfoMap): boolean {
  const x = inputs['x']
  if (x === undefined || x.dtype !== 'float32') return false
  const block = blockReduction(x.shape, (attrs as unknown as SumAttrs).axis)
  return block !== null && block.reduced > 0 && block.outer > 0
}

function reduceBlock(kernel: string, mean: boolean) {
  return (args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo => {
    const x = args.inputs['x']
    if (x === undefined) throw new Error(`wasm ${kernel}: missing input 'x'`)
    const { axis, keepDims } = args.attrs as unknown as SumAttrs | MeanAttrs
    const block = x.dtype === 'float32' ? blockReduction(x.shape, axis) : null
    if (block === null) throw new Error(`wasm ${kernel}: shape [${x.shape}] axis [${String(axis)}] (${x.dtype}) is not supported here`)
    const axes = util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape)
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes)
    const backend = asHeapBackend(args.backend, kernel)
    const out = backend.makeOutput(keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape, 'float32')
    const src = backend.typedArrayFromHeap(x)
    const dst = backend.typedArrayFromHeap(out)
    const { outer, reduced, inner } = block
    const acc = new Float64Array(inner)
    const scale = mean ? 1 / reduced : 1
    for (let a = 0; a < outer; a++) {
      acc.fill(0)
      let k = a * reduced * inner
      for (let r = 0; r < reduced; r++) {
        for (let b = 0; b < inner; b++) acc[b]! += src[k + b]!
        k += inner
      }
      const o = a * inner
      for (let b = 0; b < inner; b++) dst[o + b] = acc[b]! * scale
    }
    return out
  }
}

export const wasmSumKernelConfig: KernelConfig = {
  kernelName: Sum,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: reduceBlock(Sum, false) as unknown as KernelFunc,
}

export const wasmMeanKernelConfig: KernelConfig = {
  kernelName: Mean,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: reduceBlock(Mean, true) as unknown as KernelFunc,
}
