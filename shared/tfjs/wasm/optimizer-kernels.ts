/**
 * Fused Adam update for the TF.js WASM backend: one kernel per variable per step (issue #16) instead
 * of a dozen element-wise kernels (Mul, Add, Square, RealDiv, Sqrt, Sub) per variable.
 *
 * The kernel performs exactly the float32 operations of shared/train's op-by-op Adam (same order, every
 * intermediate rounded to float32 with Math.fround; +, -, *, / and sqrt of float32 values computed in
 * float64 and rounded once are the float32 results), so it is bit-identical to that path on the CPU
 * and WASM backends:
 *   m' = m b1 + g (1 - b1);  v' = v b2 + g^2 (1 - b2)
 *   w' = w - lr (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps)
 * shared/train/optimizer-kinds.ts runs it where it is registered for the active backend.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { util } from '@tensorflow/tfjs'
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs'
import { asHeapBackend } from './heap-kernels'
import { WASM_BACKEND_NAME } from './kernel-scope'
import { ADAM_UPDATE } from './kernel-names'
import type { AdamUpdateAttrs } from './kernel-names'

function adamUpdate(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo[] {
  const K = ADAM_UPDATE
  const { w, g, m, v } = args.inputs
  if (w === undefined || g === undefined || m === undefined || v === undefined) throw new Error(`wasm ${K}: needs inputs w, g, m and v`)
  for (const t of [g, m, v]) {
    if (!util.arraysEqual(t.shape, w.shape)) throw new Error(`wasm ${K}: shapes differ: w [${w.shape}], got [${t.shape}]`)
  }
  if ([w, g, m, v].some((t) => t.dtype !== 'float32')) throw new Error(`wasm ${K}: only float32 is supported`)
  const a = args.attrs as unknown as AdamUpdateAttrs
  if (!(a.t >= 1) || ![a.beta1, a.beta2, a.epsilon, a.lr].every(Number.isFinite)) {
    throw new Error(`wasm ${K}: bad attributes ${JSON.stringify(a)}`)
  }
  const backend = asHeapBackend(args.backend, K)
  const outs = [0, 1, 2].map(() => backend.makeOutput(w.shape.slice(), 'float32'))
  // Views after all allocations (they may grow the heap and detach older views).
  const [wv, gv, mv, vv] = [w, g, m, v].map((t) => backend.typedArrayFromHeap(t))
  const [wo, mo, vo] = outs.map((t) => backend.typedArrayFromHeap(t))
  if (wv === undefined || gv === undefined || mv === undefined || vv === undefined || wo === undefined || mo === undefined || vo === undefined) {
    throw new Error(`wasm ${K}: internal error (views)`)
  }
  const f = Math.fround
  // The scalars as the op-by-op path makes them: float32 tensors of the JS numbers.
  const b1 = f(a.beta1)
  const c1 = f(1 - a.beta1)
  const b2 = f(a.beta2)
  const c2 = f(1 - a.beta2)
  const bc1 = f(1 - Math.pow(a.beta1, a.t))
  const bc2 = f(1 - Math.pow(a.beta2, a.t))
  const eps = f(a.epsilon)
  const lr = f(a.lr)
  for (let i = 0; i < wv.length; i++) {
    const gi = gv[i]!
    const mN = f(f(mv[i]! * b1) + f(gi * c1))
    const vN = f(f(vv[i]! * b2) + f(f(gi * gi) * c2))
    const u = f(f(mN / bc1) / f(f(Math.sqrt(f(vN / bc2))) + eps))
    wo[i] = wv[i]! - f(u * lr)
    mo[i] = mN
    vo[i] = vN
  }
  return outs
}

export const wasmAdamUpdateKernelConfig: KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: adamUpdate as unknown as KernelFunc,
}
