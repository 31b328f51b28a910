/**
 * Convolution gradient kernels for the TF.js WASM backend (tfjs-backend-wasm 4.22 ships none
 * for the filter gradients and none for depthwise convolutions).
 *
 * Every kernel is expressed as a forward convolution run by the WASM backend's own
 * XNNPACK-backed Conv2D / DepthwiseConv2dNative kernels, plus cheap layout kernels
 * (Transpose, Reverse, PadV2, Slice, Reshape, Sum). Only NHWC (channelsLast) is supported,
 * like the WASM forward convolutions.
 *
 * The registered Conv2DBackpropFilter and Conv2DBackpropInput are routed (issue #16): NHWC float32 calls go to
 * the XNNPACK-product kernels of conv-gemm-kernels.ts (dW always, dx for strides > 1), the rest to the composite
 * convolutions here (dx at stride 1: a forward convolution of dy with the flipped filter, no activation Transpose).
 *
 * Notation (one spatial axis; the other is identical): input length H, filter length F,
 * stride s, dilation d, output length O, padding before `pt` (top/left):
 *   y[o] = sum_f x[o*s + f*d - pt] * w[f]
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
} from '@tensorflow/tfjs'
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs'
import { conv2DBackpropFilterGemm, conv2DBackpropInputGemm, convGradPath } from './conv-gemm-kernels'
import { KernelScope, WASM_BACKEND_NAME, withKernelScope } from './kernel-scope'

type Shape4 = [number, number, number, number]

/** Explicit NHWC padding for Conv2D / DepthwiseConv2dNative attrs. */
function explicitPad(top: number, bottom: number, left: number, right: number): backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]
}

function requireChannelsLast(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(
      `wasm ${kernel}: dataFormat '${dataFormat}' is not supported; the WASM backend convolutions ` +
        `only support 'NHWC' (channelsLast)`,
    )
  }
}

function input(inputs: Record<string, TensorInfo | undefined>, name: string, kernel: string): TensorInfo {
  const t = inputs[name]
  if (t === undefined) throw new Error(`wasm ${kernel}: missing input '${name}'`)
  return t
}

function shape4(t: TensorInfo, what: string, kernel: string): Shape4 {
  if (t.shape.length !== 4) throw new Error(`wasm ${kernel}: ${what} must be rank 4, got shape [${t.shape}]`)
  return t.shape as Shape4
}

/**
 * Spatial padding (possibly negative = crop) of an NHWC tensor, to be applied implicitly by a
 * following convolution. Negative amounts are realised now with a Slice; the remaining
 * non-negative amounts are returned for the convolution's explicit padding.
 */
function cropNegativePads(
  scope: KernelScope,
  x: TensorInfo,
  pads: { top: number; bottom: number; left: number; right: number },
): { x: TensorInfo; pad: backend_util.ExplicitPadding } {
  const [n, h, w, c] = x.shape as Shape4
  const cropTop = Math.max(0, -pads.top)
  const cropBottom = Math.max(0, -pads.bottom)
  const cropLeft = Math.max(0, -pads.left)
  const cropRight = Math.max(0, -pads.right)
  const hh = h - cropTop - cropBottom
  const ww = w - cropLeft - cropRight
  if (hh <= 0 || ww <= 0) {
    throw new Error(`wasm conv gradient: degenerate geometry (cropped input ${hh}x${ww})`)
  }
  const cropped = scope.slice(x, [0, cropTop, cropLeft, 0], [n, hh, ww, c])
  return {
    x: cropped,
    pad: explicitPad(
      Math.max(0, pads.top),
      Math.max(0, pads.bottom),
      Math.max(0, pads.left),
      Math.max(0, pads.right),
    ),
  }
}

/**
 * Inserts (s-1) zeros after every element along H and W (s = stride):
 * [N, O_h, O_w, C] -> [N, O_h*s_h, O_w*s_w, C]. The trailing zeros are harmless: callers
 * account for the returned length.
 */
function dilateSpatial(scope: KernelScope, x: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return x
  const [n, h, w, c] = x.shape as Shape4
  const x6 = scope.reshape(x, [n, h, 1, w, 1, c])
  const padded = scope.run(
    'PadV2',
    { x: x6 },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  )
  return scope.reshape(padded, [n, h * sh, w * sw, c])
}

/**
 * Filter gradient of a (grouped over `groups` = 1) convolution, shared geometry helper:
 * the padding (may be negative) so that a stride-`d`, dilation-`s` convolution over the input
 * with the output gradient as filter yields exactly F taps:
 *   dw[f] = sum_o x[f*d + o*s - pt] * dy[o]
 * Last tap reads x[(F-1)*d + (O-1)*s - pt], hence bottom = that - (H-1).
 */
function filterGradPads(info: backend_util.Conv2DInfo): { top: number; bottom: number; left: number; right: number } {
  const top = info.padInfo.top
  const left = info.padInfo.left
  const bottom =
    (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight - top - (info.inHeight - 1)
  const right =
    (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth - left - (info.inWidth - 1)
  return { top, bottom, left, right }
}

/**
 * Input gradient geometry: the (dilated by stride, length L) output gradient convolved with the
 * flipped filter at dilation d, stride 1:
 *   dx[h] = sum_k dyD[h - top + k*d] * w[F-1-k],  top = (F-1)*d - pt
 * Output length H requires bottom = (H-1) + pt - (L-1).
 */
function inputGradPads(
  info: backend_util.Conv2DInfo,
  dilatedH: number,
  dilatedW: number,
): { top: number; bottom: number; left: number; right: number } {
  const pt = info.padInfo.top
  const pl = info.padInfo.left
  return {
    top: (info.filterHeight - 1) * info.dilationHeight - pt,
    bottom: info.inHeight - 1 + pt - (dilatedH - 1),
    left: (info.filterWidth - 1) * info.dilationWidth - pl,
    right: info.inWidth - 1 + pl - (dilatedW - 1),
  }
}

function checkShape(kernel: string, got: readonly number[], want: readonly number[]): void {
  if (got.length !== want.length || got.some((v, i) => v !== want[i])) {
    throw new Error(`wasm ${kernel}: internal shape mismatch, got [${got}] expected [${want}]`)
  }
}

/** dy must have the forward convolution's output shape (tfjs' conv gradients drop dimRoundingMode). */
function checkDy(kernel: string, dy: TensorInfo, info: backend_util.Conv2DInfo): void {
  const want = info.outShape
  if (dy.shape.length !== 4 || dy.shape.some((v, i) => v !== want[i])) {
    throw new Error(
      `wasm ${kernel}: dy shape [${dy.shape}] does not match the convolution output shape [${want}] ` +
        `(strides/pad/dimRoundingMode inconsistent with the forward pass?)`,
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter: dW[fh,fw,ci,co] = sum_{n,oh,ow} x[n, oh*s+fh-pt, ow*s+fw-pl, ci] dy[n,oh,ow,co]
// = Conv2D( x^T [Cin,H,W,N], dy^T [OH,OW,N,Cout], stride 1, dilation s ) -> [Cin,FH,FW,Cout]
// ---------------------------------------------------------------------------------------------
function conv2DBackpropFilter(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = Conv2DBackpropFilter
  const x = input(args.inputs, 'x', K)
  const dy = input(args.inputs, 'dy', K)
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs
  requireChannelsLast(K, attrs.dataFormat)
  const info = backend_util.computeConv2DInfo(
    shape4(x, 'x', K),
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  )
  checkDy(K, dy, info)
  return withKernelScope(args.backend, [x, dy], (scope) => {
    const cropped = cropNegativePads(scope, x, filterGradPads(info))
    const xT = scope.transpose(cropped.x, [3, 1, 2, 0]) // [Cin, H', W', N]
    const dyT = scope.transpose(dy, [1, 2, 0, 3]) // [OH, OW, N, Cout]
    const r = scope.run(
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        pad: cropped.pad,
        dataFormat: 'NHWC',
        dilations: [info.strideHeight, info.strideWidth],
      } as unknown as NamedAttrMap,
    ) // [Cin, FH, FW, Cout]
    checkShape(K, r.shape, [info.inChannels, info.filterHeight, info.filterWidth, info.outChannels])
    return scope.transpose(r, [1, 2, 0, 3])
  })
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput: dx = Conv2D( dilate_s(dy), transpose(reverse(W), [0,1,3,2]) ), stride 1.
// ---------------------------------------------------------------------------------------------
function conv2DBackpropInput(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const K = Conv2DBackpropInput
  const dy = input(args.inputs, 'dy', K)
  const filter = input(args.inputs, 'filter', K)
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs
  requireChannelsLast(K, attrs.dataFormat)
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    shape4(filter, 'filter', K),
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  )
  checkDy(K, dy, info)
  return withKernelScope(args.backend, [dy, filter], (scope) => {
    const dyD = dilateSpatial(scope, dy, info.strideHeight, info.strideWidth)
    const pads = inputGradPads(info, dyD.shape[1] ?? 0, dyD.shape[2] ?? 0)
    const cropped = cropNegativePads(scope, dyD, pads)
    const flipped = scope.run('Reverse', { x: filter }, { dims: [0, 1] })
    const wT = scope.transpose(flipped, [0, 1, 3, 2]) // [FH, FW, Cout, Cin]
    const dx = scope.run(
      'Conv2D',
      { x: cropped.x, filter: wT },
      { strides: [1, 1], pad: cropped.pad, dataFormat: 'NHWC', dilations: [1, 1] } as unknown as NamedAttrMap,
    )
    checkShape(K, dx.shape, info.inShape)
    return dx
  })
}

// ---------------------------------------------------------------------------------------------
// DepthwiseConv2dNativeBackpropFilter:
// dW[fh,fw,c,m] = sum_{n,oh,ow} x[n, oh*s+fh*d-pt, ..., c] dy[n,oh,ow,c*M+m]
// = Sum_n DepthwiseConv( x as [1,H,W,N*C], dy as [OH,OW,N*C,M], stride d, dilation s )
// ---------------------------------------------------------------------------------------------
function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: Record<string, TensorInfo>
  backend: KernelBackend
  attrs: NamedAttrMap
}): TensorInfo {
  const K = DepthwiseConv2dNativeBackpropFilter
  const x = input(args.inputs, 'x', K)
  const dy = input(args.inputs, 'dy', K)
  const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs
  const info = backend_util.computeConv2DInfo(
    shape4(x, 'x', K),
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  )
  checkDy(K, dy, info)
  const [n, , , c] = x.shape as Shape4
  const m = info.outChannels / info.inChannels
  return withKernelScope(args.backend, [x, dy], (scope) => {
    const cropped = cropNegativePads(scope, x, filterGradPads(info))
    const [, hh, ww] = cropped.x.shape as Shape4
    const xT = scope.transpose(cropped.x, [1, 2, 0, 3]) // [H', W', N, C]
    const x1 = scope.reshape(xT, [1, hh, ww, n * c])
    const dyT = scope.transpose(dy, [1, 2, 0, 3]) // [OH, OW, N, C*M]
    const f = scope.reshape(dyT, [info.outHeight, info.outWidth, n * c, m])
    const r = scope.run(
      'DepthwiseConv2dNative',
      { x: x1, filter: f },
      {
        strides: [info.dilationHeight, info.dilationWidth],
        pad: cropped.pad,
        dilations: [info.strideHeight, info.strideWidth],
      } as unknown as NamedAttrMap,
    ) // [1, FH, FW, N*C*M]
    checkShape(K, r.shape, [1, info.filterHeight, info.filterWidth, n * c * m])
    const fh = info.filterHeight
    const fw = info.filterWidth
    if (n === 1) return scope.reshape(r, [fh, fw, c, m])
    const r5 = scope.reshape(r, [fh, fw, n, c * m])
    const summed = scope.run('Sum', { x: r5 }, { axis: [2], keepDims: false }) // [FH, FW, C*M]
    return scope.reshape(summed, [fh, fw, c, m])
  })
}

// ---------------------------------------------------------------------------------------------
// DepthwiseConv2dNativeBackpropInput:
// dx[n,h,w,c] = sum_m DepthwiseConv( dilate_s(dy) [N,L,L,C*M], reverse(W) as [FH,FW,C*M,1],
//                                    stride 1, dilation d ) viewed as [N,H,W,C,M]
// ---------------------------------------------------------------------------------------------
function depthwiseConv2dNativeBackpropInput(args: {
  inputs: Record<string, TensorInfo>
  backend: KernelBackend
  attrs: NamedAttrMap
}): TensorInfo {
  const K = DepthwiseConv2dNativeBackpropInput
  const dy = input(args.inputs, 'dy', K)
  const filter = input(args.inputs, 'filter', K)
  const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    shape4(filter, 'filter', K),
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  )
  checkDy(K, dy, info)
  const [fh, fw, c, m] = filter.shape as Shape4
  return withKernelScope(args.backend, [dy, filter], (scope) => {
    const dyD = dilateSpatial(scope, dy, info.strideHeight, info.strideWidth)
    const pads = inputGradPads(info, dyD.shape[1] ?? 0, dyD.shape[2] ?? 0)
    const cropped = cropNegativePads(scope, dyD, pads)
    const flipped = scope.run('Reverse', { x: filter }, { dims: [0, 1] })
    const f = scope.reshape(flipped, [fh, fw, c * m, 1])
    const r = scope.run(
      'DepthwiseConv2dNative',
      { x: cropped.x, filter: f },
      {
        strides: [1, 1],
        pad: cropped.pad,
        dilations: [info.dilationHeight, info.dilationWidth],
      } as unknown as NamedAttrMap,
    ) // [N, H, W, C*M]
    const [bn, h, w] = info.inShape
    checkShape(K, r.shape, [bn, h, w, c * m])
    if (m === 1) return r
    const r5 = scope.reshape(r, [bn, h, w, c, m])
    return scope.run('Sum', { x: r5 }, { axis: [4], keepDims: false })
  })
}

type ConvGradArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }

/** dW: the product kernels of conv-gemm-kernels.ts for NHWC float32, else the composite convolution above. */
function conv2DBackpropFilterRouted(args: ConvGradArgs): TensorInfo {
  return convGradPath('filter', args.attrs, args.inputs) === 'fallback' ? conv2DBackpropFilter(args) : conv2DBackpropFilterGemm(args)
}

/** dx: product + col2im for strides > 1, the forward convolution above at stride 1 (NCHW: the native kernel, see register.ts). */
function conv2DBackpropInputRouted(args: ConvGradArgs): TensorInfo {
  return convGradPath('input', args.attrs, args.inputs) === 'col2im' ? conv2DBackpropInputGemm(args) : conv2DBackpropInput(args)
}

/**
 * The composite-convolution versions alone (what the studio registered before the product kernels, and what
 * the routed kernels fall back to): for A/B timing in bench/kernels.ts.
 */
export const wasmConvGradCompositeKernelConfigs: readonly KernelConfig[] = [
  { kernelName: Conv2DBackpropFilter, backendName: WASM_BACKEND_NAME, kernelFunc: conv2DBackpropFilter as unknown as KernelFunc },
  { kernelName: Conv2DBackpropInput, backendName: WASM_BACKEND_NAME, kernelFunc: conv2DBackpropInput as unknown as KernelFunc },
]

/** The kernels this module provides, in registration order. */
export const wasmConvGradKernelConfigs: readonly KernelConfig[] = [
  {
    kernelName: Conv2DBackpropFilter,
    backendName: WASM_BACKEND_NAME,
    kernelFunc: conv2DBackpropFilterRouted as unknown as KernelFunc,
  },
  {
    kernelName: Conv2DBackpropInput,
    backendName: WASM_BACKEND_NAME,
    kernelFunc: conv2DBackpropInputRouted as unknown as KernelFunc,
  },
  {
    kernelName: DepthwiseConv2dNativeBackpropFilter,
    backendName: WASM_BACKEND_NAME,
    kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
  },
  {
    kernelName: DepthwiseConv2dNativeBackpropInput,
    backendName: WASM_BACKEND_NAME,
    kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
  },
]
