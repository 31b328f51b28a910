/**
 * MaxPoolGrad and Tile for the TF.js WASM backend (JS loops directly on the WASM heap).
 *
 * Tile: tfjs' BatchNorm gradient tiles per-channel statistics up to the activation size;
 * the native element-by-element Tile was the single most expensive kernel of a CNN training
 * step. This version copies the input once and replicates whole blocks with copyWithin
 * (memcpy speed).
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
import { backend_util, MaxPoolGrad, Tile, util } from '@tensorflow/tfjs'
import type {
  DataType,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  MaxPoolGradAttrs,
  NamedAttrMap,
  TensorInfo,
  TileAttrs,
} from '@tensorflow/tfjs'
import { WASM_BACKEND_NAME } from './kernel-scope'

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
export interface WasmHeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): backend_util.TypedArray
}

export function asHeapBackend(backend: KernelBackend, kernel: string): WasmHeapBackend {
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

/** Tile (numeric dtypes; strings are delegated to the native kernel by the registration). */
function tile(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = Tile
  const x = args.inputs['x']
  if (x === undefined) throw new Error(`wasm ${K}: missing input 'x'`)
  const { reps } = args.attrs as unknown as TileAttrs
  if (reps.length !== x.shape.length) throw new Error(`wasm ${K}: reps [${reps}] do not match rank ${x.shape.length}`)
  const backend = asHeapBackend(args.backend, K)
  const rank = x.shape.length
  const outShape = x.shape.map((d, i) => d * reps[i]!)
  const out = backend.makeOutput(outShape, x.dtype)
  if (util.sizeFromShape(outShape) === 0) return out
  const src = backend.typedArrayFromHeap(x)
  const dst = backend.typedArrayFromHeap(out)
  if (rank === 0) {
    dst[0] = src[0]!
    return out
  }
  const inStrides = [...util.computeStrides(x.shape), 1]
  const outStrides = [...util.computeStrides(outShape), 1]
  // Fills dst[outOff ..) with the tiling of the sub-tensor of x at dimension `dim`.
  const fill = (dim: number, inOff: number, outOff: number): void => {
    const n = x.shape[dim]!
    const inner = outStrides[dim]! // size of one output slice along `dim`
    if (dim === rank - 1) {
      dst.set(src.subarray(inOff, inOff + n), outOff)
    } else {
      for (let i = 0; i < n; i++) fill(dim + 1, inOff + i * inStrides[dim]!, outOff + i * inner)
    }
    // Replicate the block [outOff, outOff + n*inner) reps[dim]-1 times, doubling each copy.
    const block = n * inner
    const total = block * reps[dim]!
    let filled = block
    while (filled < total) {
      const len = Math.min(filled, total - filled)
      dst.copyWithin(outOff + filled, outOff, outOff + len)
      filled += len
    }
  }
  fill(0, 0, 0)
  return out
}

export const wasmTileKernelConfig: KernelConfig = {
  kernelName: Tile,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: tile as unknown as KernelFunc,
}
