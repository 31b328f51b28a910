/**
 * Small helpers for the layer registry's PyTorch emitters (`toPytorch` in ./layers): Python literals, TF's
 * "same" padding as explicit pads, and the initializer fans tfjs uses. Pure; see shared/export/pytorch for the
 * files built from them.
 */
import { pair } from './registry'
import type { ParamValue } from './types'

/** A JS number as a Python float/int literal (finite numbers only). */
export function pyNum(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`Cannot write ${String(n)} as a Python number`)
  return String(n)
}

export const pyBool = (b: boolean): string => (b ? 'True' : 'False')

export function pyTuple(values: readonly (number | string)[]): string {
  const items = values.map((v) => (typeof v === 'number' ? pyNum(v) : v))
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`
}

/**
 * TF's "same" padding along one axis: total = max((ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0), of which the
 * smaller half goes before (top/left) and the rest after (bottom/right): asymmetric when total is odd (stride 2,
 * even input). 'valid' pads nothing.
 */
export function tfPads(n: number, kernel: number, stride: number, dilation: number, padding: string): [number, number] {
  if (padding !== 'same') return [0, 0]
  const out = Math.ceil(n / stride)
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - n, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

/** Pads of a 2-D window over an [H, W, C] input: [top, bottom, left, right]. */
export function windowPads(
  hw: readonly number[],
  kernel: ParamValue | undefined,
  strides: ParamValue | undefined,
  dilation: ParamValue | undefined,
  padding: string,
): { top: number; bottom: number; left: number; right: number; symmetric: boolean; none: boolean } {
  const [kh, kw] = pair(kernel)
  const [sh, sw] = pair(strides)
  const [dh, dw] = dilation === undefined ? [1, 1] : pair(dilation)
  const [top, bottom] = tfPads(hw[0]!, kh, sh, dh, padding)
  const [left, right] = tfPads(hw[1]!, kw, sw, dw, padding)
  return { top, bottom, left, right, symmetric: top === bottom && left === right, none: top + bottom + left + right === 0 }
}

/** `F.pad`'s argument for those pads (last axis first: left, right, top, bottom). */
export const fPadArg = (p: { top: number; bottom: number; left: number; right: number }): string => pyTuple([p.left, p.right, p.top, p.bottom])

/** tfjs' fans of a kernel shape (its computeFans: 2-D [in, out]; 4-D [kh, kw, in, out] times the receptive field). */
export function tfjsFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! }
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1)
  return { fanIn: shape.at(-2)! * receptive, fanOut: shape.at(-1)! * receptive }
}
