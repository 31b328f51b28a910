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

  const read = (xi: tf.Tensor3D, yi: tf.Tensor3D): tf.Tensor4D => {
    const valid = tf.logicalAnd(
      tf.logicalAnd(tf.greaterEqual(xi, 0), tf.lessEqual(xi, w - 1)),
      tf.logicalAnd(tf.greaterEqual(yi, 0), tf.lessEqual(yi, h - 1)),
    )
    const xc = tf.clipByValue(xi, 0, w - 1).toInt()
    const yc = tf.clipByValue(yi, 0, h - 1).toInt()
    const idx = tf.add(tf.mul(yc, tf.scalar(w, 'int32')), xc).reshape([n, h * w])
    const vals = tf.gather(flat, idx, 1, 1).reshape([n, h, w, c]) as tf.Tensor4D
    const validB = tf.broadcastTo(valid.reshape([n, h, w, 1]), [n, h, w, c])
    return tf.where(validB, vals, tf.fill([n, h, w, c], fill, 'float32'))
  }

  if (interpolation === 'nearest') return read(tf.round(srcX), tf.round(srcY))

  const x0 = tf.floor(srcX)
  const y0 = tf.floor(srcY)
  const wx = tf.sub(srcX, x0).reshape([n, h, w, 1])
  const wy = tf.sub(srcY, y0).reshape([n, h, w, 1])
  const x1 = tf.add(x0, 1) as tf.Tensor3D
  const y1 = tf.add(y0, 1) as tf.Tensor3D
  const one = tf.scalar(1)
  const top = tf.add(tf.mul(read(x0, y0), tf.sub(one, wx)), tf.mul(read(x1, y0), wx))
  const bottom = tf.add(tf.mul(read(x0, y1), tf.sub(one, wx)), tf.mul(read(x1, y1), wx))
  return tf.add(tf.mul(top, tf.sub(one, wy)), tf.mul(bottom, wy)) as tf.Tensor4D
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
  const [r, g, b] = tf.split(images, 3, 3) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]
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
