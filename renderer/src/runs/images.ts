/** Drawing uint8 HWC images and float maps onto canvases (grayscale or RGB; maps min/max-normalized). */

/** RGBA pixels of one H*W*C uint8 image (C = 1 or 3). */
export function imageToRgba(pixels: Uint8Array, h: number, w: number, c: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(h * w * 4)
  for (let i = 0; i < h * w; i++) {
    const r = pixels[i * c] as number
    out[i * 4] = r
    out[i * 4 + 1] = c >= 3 ? (pixels[i * c + 1] as number) : r
    out[i * 4 + 2] = c >= 3 ? (pixels[i * c + 2] as number) : r
    out[i * 4 + 3] = 255
  }
  return out
}

/**
 * RGBA of channel `ch` of an [H, W, C] float map, scaled to 0..255 by its own min/max (a constant map is mid
 * gray). With `rgb` and C = 3 (first-layer filters of color images), the three channels become R, G, B,
 * scaled together.
 */
export function mapToRgba(values: Float32Array, h: number, w: number, c: number, ch: number, rgb = false): Uint8ClampedArray {
  const out = new Uint8ClampedArray(h * w * 4)
  let lo = Infinity
  let hi = -Infinity
  const chans = rgb ? [0, 1, 2] : [ch]
  for (let i = 0; i < h * w; i++) {
    for (const k of chans) {
      const v = values[i * c + k] as number
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
  }
  const span = hi - lo
  const scale = (v: number) => (span > 0 ? ((v - lo) / span) * 255 : 128)
  for (let i = 0; i < h * w; i++) {
    const r = scale(values[i * c + (rgb ? 0 : ch)] as number)
    out[i * 4] = r
    out[i * 4 + 1] = rgb ? scale(values[i * c + 1] as number) : r
    out[i * 4 + 2] = rgb ? scale(values[i * c + 2] as number) : r
    out[i * 4 + 3] = 255
  }
  return out
}

/**
 * The kernels of a conv layer [kh, kw, cin, cout] as one [kh, kw, 3|1] map per output filter: RGB when cin is
 * 3, else the mean over input channels.
 */
export function filterTiles(values: Float32Array, shape: readonly [number, number, number, number]): { h: number; w: number; c: number; data: Float32Array }[] {
  const [kh, kw, cin, cout] = shape
  const c = cin === 3 ? 3 : 1
  const tiles: { h: number; w: number; c: number; data: Float32Array }[] = []
  for (let o = 0; o < cout; o++) {
    const data = new Float32Array(kh * kw * c)
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        if (c === 3) {
          for (let k = 0; k < 3; k++) data[(y * kw + x) * 3 + k] = values[((y * kw + x) * cin + k) * cout + o] as number
        } else {
          let s = 0
          for (let k = 0; k < cin; k++) s += values[((y * kw + x) * cin + k) * cout + o] as number
          data[y * kw + x] = s / cin
        }
      }
    }
    tiles.push({ h: kh, w: kw, c, data })
  }
  return tiles
}

export function drawRgba(canvas: HTMLCanvasElement | null, rgba: Uint8ClampedArray, w: number, h: number): void {
  if (!canvas) return
  canvas.width = w
  canvas.height = h
  const ctx = canvas.getContext('2d')
  if (!ctx) return
  ctx.putImageData(new ImageData(rgba as unknown as Uint8ClampedArray<ArrayBuffer>, w, h), 0, 0)
}
