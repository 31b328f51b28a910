/**
 * BatchMatMul with transposed operands for the TF.js WASM backend.
 *
 * tfjs-backend-wasm 4.22 runs BatchMatMul through XNNPACK's fully-connected operator only when neither
 * operand is transposed; with `transposeA` or `transposeB` (every Dense layer's gradients:
 * dW = x^T dy, dx = dy W^T) it takes a scalar loop, measured 8x slower than a native Transpose plus the
 * XNNPACK path on the bench CNN's fc layer (issue #16). This kernel rewrites a transposed product as
 * an untransposed one around native Transposes, picking of the two equivalent forms
 *   C = op(A) op(B)        (materialise the transposed operands)
 *   C = (op(B)^T op(A)^T)^T (materialise the other operands, transpose the product)
 * the one that moves the fewest elements (transposed elements plus the right operand, which XNNPACK
 * repacks on every call). Untransposed calls are delegated to the native kernel by the registration.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { BatchMatMul, util } from '@tensorflow/tfjs'
import type { BatchMatMulAttrs, KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { KernelScope, WASM_BACKEND_NAME, withKernelScope } from './kernel-scope'

/** Handled here (else native): float32, rank >= 2, at least one operand transposed. */
export function batchMatMulHandles(attrs: NamedAttrMap, inputs: NamedTensorInfoMap): boolean {
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs
  const a = inputs['a']
  const b = inputs['b']
  if (a === undefined || b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') return false
  return (transposeA || transposeB) && a.shape.length >= 2 && b.shape.length >= 2
}

/** Swaps the two innermost axes (native Transpose). */
function swapInner(scope: KernelScope, t: TensorInfo): TensorInfo {
  const r = t.shape.length
  const perm = t.shape.map((_, i) => i)
  perm[r - 2] = r - 1
  perm[r - 1] = r - 2
  return scope.transpose(t, perm)
}

function batchMatMul(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = BatchMatMul
  const a = args.inputs['a']
  const b = args.inputs['b']
  if (a === undefined || b === undefined) throw new Error(`wasm ${K}: missing input 'a' or 'b'`)
  if (!batchMatMulHandles(args.attrs, args.inputs)) {
    throw new Error(`wasm ${K}: only float32 products with a transposed operand are handled here`)
  }
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs
  const sizeA = util.sizeFromShape(a.shape)
  const sizeB = util.sizeFromShape(b.shape)
  const ra = a.shape.length
  const rb = b.shape.length
  const m = a.shape[transposeA ? ra - 1 : ra - 2]!
  const n = b.shape[transposeB ? rb - 2 : rb - 1]!
  const batch = Math.max(util.sizeFromShape(a.shape.slice(0, -2)), util.sizeFromShape(b.shape.slice(0, -2)))
  // Elements moved: transposed operands, plus the right operand (repacked by XNNPACK), plus the product when transposed.
  const direct = (transposeA ? sizeA : 0) + (transposeB ? 2 * sizeB : sizeB)
  const swapped = (transposeB ? 0 : sizeB) + (transposeA ? sizeA : 2 * sizeA) + batch * m * n
  return withKernelScope(args.backend, [a, b], (scope) => {
    const untransposed = { transposeA: false, transposeB: false }
    if (direct <= swapped) {
      const a2 = transposeA ? swapInner(scope, a) : a
      const b2 = transposeB ? swapInner(scope, b) : b
      return scope.run(K, { a: a2, b: b2 }, untransposed)
    }
    // C^T = op(B)^T op(A)^T: op(B)^T is B itself when transposeB, op(A)^T is A itself when transposeA.
    const l = transposeB ? b : swapInner(scope, b)
    const r = transposeA ? a : swapInner(scope, a)
    return swapInner(scope, scope.run(K, { a: l, b: r }, untransposed))
  })
}

export const wasmBatchMatMulKernelConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: batchMatMul as unknown as KernelFunc,
}
