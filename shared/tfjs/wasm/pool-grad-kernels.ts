/**
 * MaxPoolGrad for the TF.js WASM backend.
 *
 * tfjs-backend-wasm 4.22 ships a native MaxPoolGrad, but it routes the gradient to the wrong
 * element when a pooling window holds only negative values (e.g. max-pooling straight after
 * BatchNorm, or any pre-activation pooling): it is not a max-pool gradient then. This
 * replacement follows the CPU backend's semantics exactly (gradient to the first maximum of
 * each window in row-major order; windows without a finite maximum get none), as a tight JS
 * loop directly on the WASM heap (one pass over the windows; faster than the native kernel
 * on the shapes measured).
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs'
import type { DataType, KernelBackend, KernelConfig, KernelFunc, MaxPoolGradAttrs, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs'
import { WASM_BACKEND_NAME } from './kernel-scope'

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmHeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): backend_util.TypedArray
}

function asHeapBackend(backend: KernelBackend, kernel: string): WasmHeapBackend {
  const b = backend as Partial<WasmHeapBackend>
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error(`wasm ${kernel}: backend does not look like tfjs-backend-wasm's BackendWasm`)
  }
  return backend as WasmHeapBackend
}

function maxPoolGrad(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = MaxPoolGrad
  const dy = args.inputs['dy']
  const x = args.inputs['input']
  if (dy === undefined || x === undefined) throw new Error(`wasm ${K}: missing input 'dy' or 'input'`)
  if (x.shape.length !== 4) throw new Error(`wasm ${K}: input must be rank 4, got [${x.shape}]`)
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error(`wasm ${K}: only float32 is supported`)
  const attrs = args.attrs as unknown as MaxPoolGradAttrs
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  )
  const backend = asHeapBackend(args.backend, K)
  const out = backend.makeOutput(x.shape.slice(), 'float32')
  // Views are taken after the allocation above (it may grow the heap and detach older views).
  const xv = backend.typedArrayFromHeap(x)
  const dyv = backend.typedArrayFromHeap(dy)
  const dx = backend.typedArrayFromHeap(out)
  dx.fill(0)

  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight, strideWidth } = info
  const { dilationHeight, dilationWidth, effectiveFilterHeight, effectiveFilterWidth } = info
  const padTop = info.padInfo.top
  const padLeft = info.padInfo.left
  const xRowStride = inWidth * C
  const xBatchStride = inHeight * xRowStride
  for (let b = 0; b < batchSize; b++) {
    const xb = b * xBatchStride
    for (let yr = 0; yr < outHeight; yr++) {
      const r0 = yr * strideHeight - padTop
      const rMin = Math.max(0, r0)
      const rEnd = Math.min(inHeight, r0 + effectiveFilterHeight)
      for (let yc = 0; yc < outWidth; yc++) {
        const c0 = yc * strideWidth - padLeft
        const cMin = Math.max(0, c0)
        const cEnd = Math.min(inWidth, c0 + effectiveFilterWidth)
        const dyBase = ((b * outHeight + yr) * outWidth + yc) * C
        for (let d = 0; d < C; d++) {
          let best = Number.NEGATIVE_INFINITY
          let bestIdx = -1
          // Same visiting order as the CPU backend (rows, then columns, first max wins).
          for (let r = rMin; r < rEnd; r += dilationHeight) {
            const rowBase = xb + r * xRowStride + d
            for (let c = cMin; c < cEnd; c += dilationWidth) {
              const idx = rowBase + c * C
              const v = xv[idx]!
              if (v > best) {
                best = v
                bestIdx = idx
              }
            }
          }
          if (bestIdx >= 0) dx[bestIdx]! += dyv[dyBase + d]!
        }
      }
    }
  }
  return out
}

export const wasmMaxPoolGradKernelConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
}
