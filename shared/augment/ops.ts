/**
 * Batched tensor helpers for augmentation. Everything here is tf ops over the whole batch (no per-pixel JS,
 * no per-sample tensor loops), so it runs on the WebGL/WebGPU backend when present. Call inside tf.tidy.
 */
import * as tf from '@tensorflow/tfjs'
import type { PixelBox, SampleRecord } from './types'

/** [N,1,1,1] boolean mask: which samples have `applied: true`. */
export function appliedMask(samples: readonly SampleRecord[]): tf.Tensor4D {
  return tf.tensor4d(
    samples.map((s) => (s.applied ? 1 : 0)),
    [samples.length, 1, 1, 1],
    'bool',
  )
}

/** Per-sample select: the transformed image where applied, the original elsewhere (exact identity). */
export function selectApplied(samples: readonly SampleRecord[], transformed: tf.Tensor4D, original: tf.Tensor4D): tf.Tensor4D {
  if (samples.every((s) => s.applied)) return transformed
  return tf.where(tf.broadcastTo(appliedMask(samples), original.shape), transformed, original)
}

/** [N,1,1,1] float32 tensor from one number per sample. */
export function perSample(values: readonly number[]): tf.Tensor4D {
  return tf.tensor4d(values as number[], [values.length, 1, 1, 1], 'float32')
}

/**
 * Normalized crop box for tf.image.cropAndResize, [y1, x1, y2, x2]. cropAndResize samples output row i at
 * input row y1*(H-1) + i*(y2-y1)*(H-1)/(outH-1) (align-corners convention), so a pixel box maps to its first
 * and last pixel centres: a full-image box is exactly [0, 0, 1, 1] and an output of the box's own size
 * reproduces its pixels exactly.
 */
export function pixelBoxToCropBox(box: PixelBox, height: number, width: number): [number, number, number, number] {
  const sy = height > 1 ? height - 1 : 1
  const sx = width > 1 ? width - 1 : 1
  return [box.top / sy, box.left / sx, (box.top + box.height - 1) / sy, (box.left + box.width - 1) / sx]
}

/**
 * Affine warp of a batch: for output pixel (x, y) of sample n, reads input at
 * (a0 x + a1 y + a2, b0 x + b1 y + b2) with matrices[n] = [a0, a1, a2, b0, b1, b2] (output -> input, like
 * tf.image.transform). Pixels read from outside the image take `fill`.
 *
 * Why not tf.image.transform: in tfjs 4.22 the CPU kernel returns after the first image of the batch, so
 * images 1..N-1 come back as the fill value. This version uses batched gathers (gather with batchDims = 1)
 * and works the same on every backend. Integer translations are exact (weights are exactly 0 and 1).
 */
export function warpAffine(
  images: tf.Tensor4D,
  matrices: readonly (readonly number[])[],
  fill: number,
  interpolation: 'bilinear' | 'nearest',
): tf.Tensor4D {
  const [n, h, w, c] = images.shape
  const col = (k: number) => tf.tensor3d(matrices.map((m) => m[k] ?? 0), [n, 1, 1], 'float32')
  const xs = tf.range(0, w, 1, 'float32').reshape([1, 1, w])
  const ys = tf.range(0, h, 1, 'float32').reshape([1, h, 1])
  const srcX = tf.add(tf.add(tf.mul(col(0), xs), tf.mul(col(1), ys)), col(2)) as tf.Tensor3D // [N,H,W]
  const srcY = tf.add(tf.add(tf.mul(col(3), xs), tf.mul(col(4), ys)), col(5)) as tf.Tensor3D
  const flat = images.reshape([n, h * w, c])

  // Each corner contributes value * weight, where the weight is 0 for taps outside the image; whatever weight
  // is missing goes to the fill value. Taps read from clamped indices (always valid for gather).
  const inRange = (t: tf.Tensor3D, size: number) => tf.logicalAnd(tf.greaterEqual(t, 0), tf.lessEqual(t, size - 1)).toFloat()
  const clampIdx = (t: tf.Tensor3D, size: number) => tf.clipByValue(t, 0, size - 1).toInt()
  const tap = (rowStart: tf.Tensor, xi: tf.Tensor): tf.Tensor3D =>
    tf.gather(flat, tf.add(rowStart, xi).reshape([n, h * w]), 1, 1) as tf.Tensor3D // [N, HW, C]
  const weight = (t: tf.Tensor) => t.reshape([n, h * w, 1])

  let out: tf.Tensor
  let coverage: tf.Tensor
  if (interpolation === 'nearest') {
    const xi = tf.round(srcX) as tf.Tensor3D
    const yi = tf.round(srcY) as tf.Tensor3D
    coverage = weight(tf.mul(inRange(xi, w), inRange(yi, h)))
    out = tf.mul(tap(tf.mul(clampIdx(yi, h), tf.scalar(w, 'int32')), clampIdx(xi, w)), coverage)
  } else {
    const x0 = tf.floor(srcX) as tf.Tensor3D
    const y0 = tf.floor(srcY) as tf.Tensor3D
    const x1 = tf.add(x0, 1) as tf.Tensor3D
    const y1 = tf.add(y0, 1) as tf.Tensor3D
    const fx = tf.sub(srcX, x0)
    const fy = tf.sub(srcY, y0)
    const wx0 = tf.mul(tf.sub(1, fx), inRange(x0, w))
    const wx1 = tf.mul(fx, inRange(x1, w))
    const wy0 = tf.mul(tf.sub(1, fy), inRange(y0, h))
    const wy1 = tf.mul(fy, inRange(y1, h))
    const row0 = tf.mul(clampIdx(y0, h), tf.scalar(w, 'int32'))
    const row1 = tf.mul(clampIdx(y1, h), tf.scalar(w, 'int32'))
    const xc0 = clampIdx(x0, w)
    const xc1 = clampIdx(x1, w)
    const w00 = weight(tf.mul(wy0, wx0))
    const w01 = weight(tf.mul(wy0, wx1))
    const w10 = weight(tf.mul(wy1, wx0))
    const w11 = weight(tf.mul(wy1, wx1))
    out = tf.addN([tf.mul(tap(row0, xc0), w00), tf.mul(tap(row0, xc1), w01), tf.mul(tap(row1, xc0), w10), tf.mul(tap(row1, xc1), w11)])
    coverage = tf.addN([w00, w01, w10, w11])
  }
  if (fill !== 0) out = tf.add(out, tf.mul(tf.sub(1, coverage), fill))
  return out.reshape([n, h, w, c]) as tf.Tensor4D
}

/**
 * [N,H,W,1] float32 mask, 1 inside any of the sample's boxes. boxes[n] is the list of boxes of sample n
 * (possibly empty). Built with broadcast comparisons, no per-pixel loops.
 */
export function boxMask(boxes: readonly (readonly PixelBox[])[], height: number, width: number): tf.Tensor4D {
  const n = boxes.length
  const k = Math.max(1, ...boxes.map((b) => b.length))
  const field = (f: (b: PixelBox) => number) =>
    tf.tensor4d(
      boxes.flatMap((list) => Array.from({ length: k }, (_, i) => (list[i] ? f(list[i]) : 0))),
      [n, k, 1, 1],
      'float32',
    )
  const top = field((b) => b.top)
  const bottom = field((b) => b.top + b.height)
  const left = field((b) => b.left)
  const right = field((b) => b.left + b.width)
  const rows = tf.range(0, height, 1, 'float32').reshape([1, 1, height, 1])
  const cols = tf.range(0, width, 1, 'float32').reshape([1, 1, 1, width])
  const inY = tf.logicalAnd(tf.greaterEqual(rows, top), tf.less(rows, bottom))
  const inX = tf.logicalAnd(tf.greaterEqual(cols, left), tf.less(cols, right))
  const inside = tf.logicalAnd(inY, inX).toFloat() // [N,K,H,W]
  return tf.max(inside, 1).reshape([n, height, width, 1]) as tf.Tensor4D
}

/** ITU-R BT.601 luma weights (the same as torchvision and PIL "L"). */
export const GRAY_WEIGHTS = [0.299, 0.587, 0.114] as const

/** [N,H,W,1] luma of an RGB batch [N,H,W,3]. */
export function rgbToGray(images: tf.Tensor4D): tf.Tensor4D {
  return tf.sum(tf.mul(images, tf.tensor1d([...GRAY_WEIGHTS])), 3, true) as tf.Tensor4D
}

/** RGB [N,H,W,3] in [0,1] to H, S, V, each [N,H,W,1], h in [0,1). */
export function rgbToHsv(images: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  // gather per channel: tf.split/slice are an order of magnitude slower on the CPU backend.
  const channel = (c: number) => tf.gather(images, tf.tensor1d([c], 'int32'), 3) as tf.Tensor4D
  const r = channel(0)
  const g = channel(1)
  const b = channel(2)
  const maxc = tf.maximum(tf.maximum(r, g), b)
  const minc = tf.minimum(tf.minimum(r, g), b)
  const delta = tf.sub(maxc, minc)
  const hasChroma = tf.greater(delta, 0)
  const safeDelta = tf.where(hasChroma, delta, tf.onesLike(delta))
  const safeMax = tf.where(tf.greater(maxc, 0), maxc, tf.onesLike(maxc))
  const s = tf.where(tf.greater(maxc, 0), tf.div(delta, safeMax), tf.zerosLike(maxc))
  const rc = tf.div(tf.sub(maxc, r), safeDelta)
  const gc = tf.div(tf.sub(maxc, g), safeDelta)
  const bc = tf.div(tf.sub(maxc, b), safeDelta)
  const hR = tf.sub(bc, gc)
  const hG = tf.add(tf.sub(rc, bc), 2)
  const hB = tf.add(tf.sub(gc, rc), 4)
  let h = tf.where(tf.equal(maxc, r), hR, tf.where(tf.equal(maxc, g), hG, hB))
  h = tf.div(h, 6)
  h = tf.sub(h, tf.floor(h))
  h = tf.where(hasChroma, h, tf.zerosLike(h))
  return [h as tf.Tensor4D, s as tf.Tensor4D, maxc as tf.Tensor4D]
}

/** H, S, V [N,H,W,1] back to RGB [N,H,W,3]: channel n in (5, 3, 1) is v - v s max(0, min(k, 4-k, 1)), k = (n + 6h) mod 6. */
export function hsvToRgb(h: tf.Tensor4D, s: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const h6 = tf.mul(h, 6)
  const channel = (offset: number) => {
    const kRaw = tf.add(h6, offset)
    const k = tf.sub(kRaw, tf.mul(tf.floor(tf.div(kRaw, 6)), 6))
    const m = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1)
    return tf.sub(v, tf.mul(tf.mul(v, s), m))
  }
  return tf.concat([channel(5), channel(3), channel(1)], 3) as tf.Tensor4D
}
