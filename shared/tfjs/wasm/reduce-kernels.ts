/**
 * Sum and Mean for the TF.js WASM backend (JS loops directly on the WASM heap).
 *
 * Measured in a training step of the bench CNN and ResNet-20 (issue #16):
 * - tfjs-backend-wasm 4.22's Sum and Mean reduce innermost axes only; any other reduction
 *   (the per-channel [0,1,2] reductions of BatchNorm statistics and gradients, bias gradients,
 *   global average pooling over [1,2]) first runs a full native Transpose of the input. These
 *   versions reduce a contiguous block of non-innermost axes in place, in one pass, with a
 *   float64 accumulator per output element (like the CPU backend's JavaScript sum).
 * - Transpose is not replaced: a JS version (axes merged, cache-friendly loop order) was tried
 *   and measured slower than the native one (XNNPACK's transpose) on the conv-gradient layouts.
 *
 * Calls outside that fast path are delegated to the native kernels by the registration
 * (`register.ts`), using `reductionHandles`.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { backend_util, Mean, Sum, util } from '@tensorflow/tfjs'
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  MeanAttrs,
  NamedAttrMap,
  NamedTensorInfoMap,
  SumAttrs,
  TensorInfo,
} from '@tensorflow/tfjs'
import { asHeapBackend } from './heap-kernels'
import { WASM_BACKEND_NAME } from './kernel-scope'

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
