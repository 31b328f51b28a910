/**
 * Convolution gradients for the TF.js WASM backend as XNNPACK matrix products per batch chunk, with no
 * Transpose of the activations (issue #16). NHWC, float32, dilation 1 (the only dilation tfjs differentiates).
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter and a scalar-loop Conv2DBackpropInput. The studio's first
 * versions (conv-grad-kernels.ts) are forward XNNPACK convolutions: for dW around native Transposes of x and dy,
 * with the whole dy as the "filter" (a product whose reduction length N*OH*OW is far too long for XNNPACK's
 * tiles to stay in cache); for dx on dy dilated with zeros (four times the work at stride 2).
 *
 * The only fast product the shipped binary exports is its BatchMatMul for untransposed operands with batch 1:
 * XNNPACK's fully-connected operator, C [M, N] = A [M, K] . B [K, N], B packed (slowly) once per tensor id, so
 * B must be the small operand and A must hold the reduction axis contiguously. Hence:
 *
 *   dW, stride 1 ('taps'): per batch chunk, x is written once channel-major with its padding, xpT [C, nc, Hp, Wp];
 *     on the grid g = (n, oh, j), j < Wp, tap (kh, kw) reads xpT[c, n, oh+kh, j+kw], one contiguous run of OH*Wp
 *     values per (c, n) (memcpy). dy is laid on the same grid with zeros at j >= OW (the wrapped values read there
 *     are multiplied by 0). Per tap: dW[kh, kw] [C, CO] = A_tap [C, g] . dyG [g, CO]; dyG is packed once per
 *     chunk (XNNPACK caches the operator by dyG's id for the KH*KW taps). The JS work is one pass over x.
 *   dW, stride > 1 or fewer than TAPS_MIN_CHANNELS input channels ('im2col'): colT [KH*KW*C, nc*OH*OW] (the transposed im2col of the chunk) is written by a JS
 *     loop straight from x on the heap; dW += colT . dy_chunk, which comes out in the filter layout as is.
 *   dx, stride > 1 ('col2im'): cols = dy_chunk [nc*OH*OW, CO] . W^T [CO, KH*KW*C] (W^T, the small filter, written
 *     once per call), the columns added into dx: per output pixel and filter row one contiguous run of KW*C values.
 *   dx, stride 1: the forward convolution of conv-grad-kernels.ts stays (see `convGradPath`).
 *
 * Batch chunks of about `CONV_GEMM_CHUNK_ROWS` output pixels keep the reduction length and the columns in cache.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { backend_util, BatchMatMul, getKernel } from '@tensorflow/tfjs'
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  KernelBackend,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { asHeapBackend } from './heap-kernels'
import type { WasmHeapBackend } from './heap-kernels'
import { WASM_BACKEND_NAME } from './kernel-scope'

type Shape4 = [number, number, number, number]

/**
 * 'taps' computes KH*KW products with M = Cin rows each: for few input channels (a network's first layer, 1 or 3)
 * those products are too thin; 'im2col' (M = KH*KW*Cin) was measured faster there (bench/kernels.ts conv).
 */
export const TAPS_MIN_CHANNELS = 8

/** Target number of output pixels (rows of the product) per batch chunk. */
export const CONV_GEMM_CHUNK_ROWS = { filter: 2048, input: 2048 }

function isChannelsLast(dataFormat: string | undefined): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast'
}

/** Handled here (else the fallback kernel): NHWC float32 rank-4 inputs (the conv gradients' attrs have no dilations). */
export function convGemmHandles(kernel: 'filter' | 'input', attrs: NamedAttrMap, inputs: NamedTensorInfoMap): boolean {
  if (!isChannelsLast(attrs['dataFormat'] as string | undefined)) return false
  const a = kernel === 'filter' ? inputs['x'] : inputs['dy']
  const b = kernel === 'filter' ? inputs['dy'] : inputs['filter']
  if (a === undefined || b === undefined) return false
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== 4 || b.shape.length !== 4) return false
  const dilations = attrs['dilations'] as number | [number, number] | undefined
  if (dilations !== undefined && !backend_util.tupleValuesAreOne(dilations)) return false
  return true
}

/**
 * Byte offset / 4 of a float32 tensor's data on the heap, and the heap itself (fetch after every allocation).
 * A division, not `>> 2`: the heap grows past 2 GiB (ResNet-20 at batch 128 trains there), where a signed shift
 * gives a negative index, which copyWithin and fill count from the end of the heap (malloc's own records).
 */
export function heapOf(backend: WasmHeapBackend, t: TensorInfo): { heap: Float32Array; off: number } {
  const v = backend.typedArrayFromHeap(t)
  return { heap: new Float32Array(v.buffer), off: v.byteOffset / 4 }
}

function matMul(backend: KernelBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  // The native kernel: untransposed, batch 1 = XNNPACK's fully-connected operator.
  const config = getKernel(BatchMatMul, WASM_BACKEND_NAME)
  if (config === undefined) throw new Error(`wasm conv gradient: kernel '${BatchMatMul}' is not registered`)
  const out = config.kernelFunc({ inputs: { a, b }, attrs: { transposeA: false, transposeB: false }, backend })
  if (Array.isArray(out)) throw new Error('wasm conv gradient: BatchMatMul returned several outputs')
  return out
}

/**
 * Copies (the first batch chunk) or adds (the others) the product `r` into `out` from float index `at`, then
 * disposes `r`, also on a throw.
 */
function intoOutput(backend: WasmHeapBackend, r: TensorInfo, out: TensorInfo, at: number, first: boolean): void {
  try {
    const h = heapOf(backend, r)
    const o = heapOf(backend, out).off + at
    const size = r.shape.reduce((p, q) => p * q, 1)
    if (first) h.heap.copyWithin(o, h.off, h.off + size)
    else for (let i = 0; i < size; i++) h.heap[o + i]! += h.heap[h.off + i]!
  } finally {
    backend.disposeData(r.dataId)
  }
}

function checkDy(kernel: string, dy: TensorInfo, info: backend_util.Conv2DInfo): void {
  const want = info.outShape
  if (dy.shape.length !== 4 || dy.shape.some((v, i) => v !== want[i])) {
    throw new Error(
      `wasm ${kernel}: dy shape [${dy.shape}] does not match the convolution output shape [${want}] ` +
        `(strides/pad/dimRoundingMode inconsistent with the forward pass?)`,
    )
  }
}

/** Images per chunk: about `rows` output pixels, at least one image. */
function imagesPerChunk(rows: number, pixelsPerImage: number, batch: number): number {
  return Math.max(1, Math.min(batch, Math.floor(rows / Math.max(1, pixelsPerImage))))
}

/** First ow with 0 <= ow*s + k - p (k = filter tap), and one past the last with ow*s + k - p < len. */
function validRange(k: number, p: number, s: number, len: number, outLen: number): [number, number] {
  const lo = Math.min(outLen, Math.max(0, Math.ceil((p - k) / s)))
  const hi = Math.min(outLen, Math.floor((len - 1 + p - k) / s) + 1)
  return [lo, Math.max(lo, hi)]
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter: dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*sh+kh-pt, ow*sw+kw-pl, ci] dy[n,oh,ow,co]
// ---------------------------------------------------------------------------------------------
function filterGradIm2col(args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = 'Conv2DBackpropFilter'
  const x = args.inputs['x']
  const dy = args.inputs['dy']
  if (x === undefined || dy === undefined) throw new Error(`wasm ${K}: missing input 'x' or 'dy'`)
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs
  const info = backend_util.computeConv2DInfo(x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast')
  checkDy(K, dy, info)
  const backend = asHeapBackend(args.backend, K)
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info
  const pt = info.padInfo.top
  const pl = info.padInfo.left
  const P = KH * KW * C
  const out = backend.makeOutput([KH, KW, C, CO], 'float32')
  const nb = imagesPerChunk(CONV_GEMM_CHUNK_ROWS.filter, OH * OW, N)
  let colT: TensorInfo | null = null
  let colImages = 0
  try {
    for (let n0 = 0; n0 < N; n0 += nb) {
      const nc = Math.min(nb, N - n0)
      const rows = nc * OH * OW
      if (colT === null || colImages !== nc) {
        if (colT !== null) backend.disposeData(colT.dataId)
        colT = backend.makeOutput([1, P, rows], 'float32')
        colImages = nc
      }
      const dyc = backend.makeOutput([1, rows, CO], 'float32')
      try {
        const { heap } = heapOf(backend, x)
        const xo = heapOf(backend, x).off
        const co = heapOf(backend, colT).off
        const dyo = heapOf(backend, dy).off
        const dco = heapOf(backend, dyc).off
        heap.copyWithin(dco, dyo + n0 * OH * OW * CO, dyo + (n0 + nc) * OH * OW * CO)
        // colT[(kh,kw,ci), ((n-n0)*OH + oh)*OW + ow] = x[n, oh*sh+kh-pt, ow*sw+kw-pl, ci] (0 in the padding)
        const xStep = sw * C
        for (let kw = 0; kw < KW; kw++) {
          const [lo, hi] = validRange(kw, pl, sw, W, OW)
          for (let n = 0; n < nc; n++) {
            const xImg = xo + (n0 + n) * H * W * C
            for (let oh = 0; oh < OH; oh++) {
              const col = (n * OH + oh) * OW
              for (let kh = 0; kh < KH; kh++) {
                const ih = oh * sh + kh - pt
                const rowValid = ih >= 0 && ih < H
                const xRow = xImg + ih * W * C + (lo * sw + kw - pl) * C
                for (let ci = 0; ci < C; ci++) {
                  const d = co + ((kh * KW + kw) * C + ci) * rows + col
                  if (!rowValid) {
                    heap.fill(0, d, d + OW)
                    continue
                  }
                  for (let ow = 0; ow < lo; ow++) heap[d + ow] = 0
                  let s = xRow + ci
                  for (let ow = lo; ow < hi; ow++) {
                    heap[d + ow] = heap[s]!
                    s += xStep
                  }
                  for (let ow = hi; ow < OW; ow++) heap[d + ow] = 0
                }
              }
            }
          }
        }
        intoOutput(backend, matMul(backend, colT, dyc), out, 0, n0 === 0)
      } finally {
        backend.disposeData(dyc.dataId)
      }
    }
  } catch (e) {
    backend.disposeData(out.dataId)
    throw e
  } finally {
    if (colT !== null) backend.disposeData(colT.dataId)
  }
  return out
}

/**
 * Stride 1: one product per filter tap, no im2col. x is written once per chunk channel-major with its padding,
 * xpT [C, nc, Hp, Wp]; on the grid g = (n, oh, j), j < Wp, the tap (kh, kw) reads xpT[c, n, oh+kh, j+kw], one
 * contiguous run of OH*Wp values per (c, n). dy is laid on the same grid with zeros at j >= OW (those columns
 * read wrapped values that are multiplied by 0). Per tap: dW[kh,kw] [C, CO] = A_tap [C, nc*OH*Wp] . dyG.
 */
function filterGradTaps(args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = 'Conv2DBackpropFilter'
  const x = args.inputs['x']
  const dy = args.inputs['dy']
  if (x === undefined || dy === undefined) throw new Error(`wasm ${K}: missing input 'x' or 'dy'`)
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs
  const info = backend_util.computeConv2DInfo(x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast')
  checkDy(K, dy, info)
  const backend = asHeapBackend(args.backend, K)
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info
  const { filterHeight: KH, filterWidth: KW } = info
  const pt = info.padInfo.top
  const pl = info.padInfo.left
  const Hp = OH + KH - 1
  const Wp = OW + KW - 1
  const out = backend.makeOutput([KH, KW, C, CO], 'float32')
  const nb = imagesPerChunk(CONV_GEMM_CHUNK_ROWS.filter, OH * Wp, N)
  let xpT: TensorInfo | null = null
  let a: TensorInfo | null = null
  let images = 0
  try {
    for (let n0 = 0; n0 < N; n0 += nb) {
      const nc = Math.min(nb, N - n0)
      const g = nc * OH * Wp
      const plane = Hp * Wp
      if (xpT === null || a === null || images !== nc) {
        if (xpT !== null) backend.disposeData(xpT.dataId)
        if (a !== null) backend.disposeData(a.dataId)
        xpT = backend.makeOutput([C * nc * plane + KW], 'float32')
        a = backend.makeOutput([1, C, g], 'float32')
        images = nc
      }
      const dyG = backend.makeOutput([1, g, CO], 'float32')
      try {
        {
          const { heap } = heapOf(backend, x)
          const xo = heapOf(backend, x).off
          const po = heapOf(backend, xpT).off
          const dyo = heapOf(backend, dy).off
          const go = heapOf(backend, dyG).off
          heap.fill(0, po, po + C * nc * plane + KW)
          // xpT[c, n, i, j] = x[n0+n, i-pt, j-pl, c]: contiguous writes, reads strided by C (the chunk stays in cache)
          const rowsIn = Math.min(H, Hp - pt)
          const colsIn = Math.min(W, Wp - pl)
          for (let c = 0; c < C; c++) {
            for (let n = 0; n < nc; n++) {
              const xImg = xo + (n0 + n) * H * W * C + c
              const pImg = po + (c * nc + n) * plane
              for (let ih = 0; ih < rowsIn; ih++) {
                let sIdx = xImg + ih * W * C
                let d = pImg + (ih + pt) * Wp + pl
                const end = d + colsIn
                while (d < end) {
                  heap[d++] = heap[sIdx]!
                  sIdx += C
                }
              }
            }
          }
          for (let n = 0; n < nc; n++) {
            for (let oh = 0; oh < OH; oh++) {
              const d = go + ((n * OH + oh) * Wp) * CO
              const sIdx = dyo + (((n0 + n) * OH + oh) * OW) * CO
              heap.copyWithin(d, sIdx, sIdx + OW * CO)
              heap.fill(0, d + OW * CO, d + Wp * CO)
            }
          }
        }
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            {
              const { heap } = heapOf(backend, a)
              const ao = heapOf(backend, a).off
              const po = heapOf(backend, xpT).off
              const run = OH * Wp
              for (let c = 0; c < C; c++) {
                for (let n = 0; n < nc; n++) {
                  const sIdx = po + ((c * nc + n) * Hp + kh) * Wp + kw
                  heap.copyWithin(ao + c * g + n * run, sIdx, sIdx + run)
                }
              }
            }
            intoOutput(backend, matMul(backend, a, dyG), out, (kh * KW + kw) * C * CO, n0 === 0)
          }
        }
      } finally {
        backend.disposeData(dyG.dataId)
      }
    }
  } catch (e) {
    backend.disposeData(out.dataId)
    throw e
  } finally {
    if (xpT !== null) backend.disposeData(xpT.dataId)
    if (a !== null) backend.disposeData(a.dataId)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput: dx[n,ih,iw,ci] = sum over (oh,ow,kh,kw) with ih = oh*sh+kh-pt, iw = ow*sw+kw-pl of
//   cols[(n,oh,ow), (kh,kw,ci)],  cols = dy [N*OH*OW, Cout] . W^T [Cout, KH*KW*Cin]
// ---------------------------------------------------------------------------------------------
function inputGradCol2im(args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = 'Conv2DBackpropInput'
  const dy = args.inputs['dy']
  const filter = args.inputs['filter']
  if (dy === undefined || filter === undefined) throw new Error(`wasm ${K}: missing input 'dy' or 'filter'`)
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs
  const info = backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as Shape4, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast')
  checkDy(K, dy, info)
  const backend = asHeapBackend(args.backend, K)
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info
  const pt = info.padInfo.top
  const pl = info.padInfo.left
  const P = KH * KW * C
  const out = backend.makeOutput([N, H, W, C], 'float32')
  const wT = backend.makeOutput([1, CO, P], 'float32')
  const nb = imagesPerChunk(CONV_GEMM_CHUNK_ROWS.input, OH * OW, N)
  try {
    {
      const { heap, off: fo } = heapOf(backend, filter)
      const to = heapOf(backend, wT).off
      const oo = heapOf(backend, out).off
      heap.fill(0, oo, oo + N * H * W * C)
      for (let p = 0; p < P; p++) for (let c = 0; c < CO; c++) heap[to + c * P + p] = heap[fo + p * CO + c]!
    }
    for (let n0 = 0; n0 < N; n0 += nb) {
      const nc = Math.min(nb, N - n0)
      const rows = nc * OH * OW
      const dyc = backend.makeOutput([1, rows, CO], 'float32')
      try {
        {
          const { heap, off: dyo } = heapOf(backend, dy)
          const dco = heapOf(backend, dyc).off
          heap.copyWithin(dco, dyo + n0 * OH * OW * CO, dyo + (n0 + nc) * OH * OW * CO)
        }
        const cols = matMul(backend, dyc, wT)
        try {
          const { heap, off: cOff } = heapOf(backend, cols)
          const xo = heapOf(backend, out).off
          for (let n = 0; n < nc; n++) {
            const img = xo + (n0 + n) * H * W * C
            for (let oh = 0; oh < OH; oh++) {
              const ih0 = oh * sh - pt
              for (let ow = 0; ow < OW; ow++) {
                const iw0 = ow * sw - pl
                const kwLo = Math.max(0, -iw0)
                const kwHi = Math.min(KW, W - iw0)
                if (kwHi <= kwLo) continue
                const len = (kwHi - kwLo) * C
                const src0 = cOff + ((n * OH + oh) * OW + ow) * P
                for (let kh = 0; kh < KH; kh++) {
                  const ih = ih0 + kh
                  if (ih < 0 || ih >= H) continue
                  let s = src0 + (kh * KW + kwLo) * C
                  let d = img + (ih * W + iw0 + kwLo) * C
                  const end = d + len
                  while (d < end) heap[d++]! += heap[s++]!
                }
              }
            }
          }
        } finally {
          backend.disposeData(cols.dataId)
        }
      } finally {
        backend.disposeData(dyc.dataId)
      }
    }
  } catch (e) {
    backend.disposeData(out.dataId)
    throw e
  } finally {
    backend.disposeData(wT.dataId)
  }
  return out
}

/**
 * Which implementation a convolution gradient call takes on 'wasm':
 *   'taps'    dW, stride 1, at least TAPS_MIN_CHANNELS input channels: one XNNPACK product per filter tap over a
 *             channel-major padded copy of x,
 *   'im2col'  dW otherwise (strides > 1, few input channels): transposed im2col (JS) times dy, one product per chunk,
 *   'col2im'  dx, stride > 1: dy times W^T, columns added into dx (JS),
 *   'conv'    dx, stride 1 (NHWC): the forward XNNPACK convolution of dy with the flipped filter (conv-grad-kernels.ts:
 *             no Transpose of activations; measured at least as fast as a product plus col2im at stride 1),
 *   'fallback' anything else (NCHW, non-float32, dilations, a multi-threaded backend): the previous kernel (native NCHW Conv2DBackpropInput;
 *             for Conv2DBackpropFilter the composite kernel of conv-grad-kernels.ts, which rejects NCHW).
 */
export type ConvGradPath = 'taps' | 'im2col' | 'col2im' | 'conv' | 'fallback'

/** XNNPACK threads of the WASM backend (1 under Node; getThreadsCount throws before the backend is initialised). */
function wasmThreads(): number {
  try {
    return getThreadsCount()
  } catch {
    return 1
  }
}

/**
 * `threads`: with more than one XNNPACK thread (the threaded binary in a cross-origin-isolated browser) every call
 * takes the previous kernels: tfjs-backend-wasm's BatchMatMul runs XNNPACK's fully-connected operator without its
 * threadpool, while the composite convolutions use it; the products were measured single-threaded only (Node).
 */
export function convGradPath(kernel: 'filter' | 'input', attrs: NamedAttrMap, inputs: NamedTensorInfoMap, threads: number = wasmThreads()): ConvGradPath {
  if (threads > 1 || !convGemmHandles(kernel, attrs, inputs)) return 'fallback'
  const strides = attrs['strides'] as number | [number, number]
  const stride1 = backend_util.tupleValuesAreOne(strides)
  if (kernel === 'filter') {
    const x = inputs['x']
    const c = x?.shape[3] ?? 0
    return stride1 && c >= TAPS_MIN_CHANNELS ? 'taps' : 'im2col'
  }
  return stride1 ? 'conv' : 'col2im'
}

/** Conv2DBackpropFilter, NHWC float32 (see `convGradPath`; the caller routes other calls elsewhere). */
export function conv2DBackpropFilterGemm(args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const path = convGradPath('filter', args.attrs, args.inputs)
  if (path === 'taps') return filterGradTaps(args)
  if (path === 'im2col') return filterGradIm2col(args)
  throw new Error(`wasm Conv2DBackpropFilter: the product kernels take NHWC float32 calls only (got path '${path}')`)
}

/** Conv2DBackpropInput by product + col2im, NHWC float32 (any stride; routed for strides > 1, see `convGradPath`). */
export function conv2DBackpropInputGemm(args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  if (!convGemmHandles('input', args.attrs, args.inputs)) {
    throw new Error('wasm Conv2DBackpropInput: the product kernel takes NHWC float32 calls only')
  }
  return inputGradCol2im(args)
}
