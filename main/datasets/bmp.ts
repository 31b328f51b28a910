/**
 * A small BMP decoder: sharp's prebuilt libvips has no BMP loader. Supports uncompressed Windows bitmaps
 * (BITMAPINFOHEADER and the V2-V5 / OS/2 variants): 24-bit BGR, 32-bit BGRX / BI_BITFIELDS (with alpha when the
 * header declares an alpha mask), and 1/4/8-bit palettes; bottom-up and top-down rows. RLE and 16-bit bitmaps
 * are refused with a reason.
 */

export class BmpError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BmpError'
  }
}

export interface DecodedBmp {
  readonly width: number
  readonly height: number
  /** 3 (RGB) or 4 (RGBA, only when the file declares an alpha channel). */
  readonly channels: 3 | 4
  /** Row-major, top row first, channels interleaved. */
  readonly data: Uint8Array
}

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d
}

const BI_RGB = 0
const BI_BITFIELDS = 3
const BI_ALPHABITFIELDS = 6

/** Shift and width of a contiguous bit mask, for scaling a field to 0..255. */
function maskInfo(mask: number): { shift: number; max: number } | null {
  if (mask === 0) return null
  let shift = 0
  while (((mask >>> shift) & 1) === 0) shift++
  const max = mask >>> shift
  return { shift, max }
}

export function decodeBmp(input: Uint8Array): DecodedBmp {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  if (!isBmp(buf)) throw new BmpError('not a BMP file (missing "BM" signature)')
  if (buf.length < 26) throw new BmpError('premature end of data (header is cut short)')
  const dataOffset = buf.readUInt32LE(10)
  const headerSize = buf.readUInt32LE(14)
  let width: number
  let rawHeight: number
  let bpp: number
  let compression = BI_RGB
  let colorsUsed = 0
  if (headerSize === 12) {
    width = buf.readUInt16LE(18)
    rawHeight = buf.readInt16LE(20)
    bpp = buf.readUInt16LE(24)
  } else if (headerSize >= 40) {
    if (buf.length < 14 + 40) throw new BmpError('premature end of data (header is cut short)')
    width = buf.readInt32LE(18)
    rawHeight = buf.readInt32LE(22)
    bpp = buf.readUInt16LE(28)
    compression = buf.readUInt32LE(30)
    colorsUsed = buf.readUInt32LE(46)
  } else {
    throw new BmpError(`unsupported BMP header (${headerSize} bytes)`)
  }
  const topDown = rawHeight < 0
  const height = Math.abs(rawHeight)
  if (width <= 0 || height <= 0) throw new BmpError(`invalid BMP size ${width}x${rawHeight}`)
  if (width > 32768 || height > 32768) throw new BmpError(`BMP is too large (${width}x${height})`)

  let masks: { r: number; g: number; b: number; a: number } | null = null
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bpp !== 32) throw new BmpError(`unsupported BMP: ${bpp}-bit bitfields (only 24/32-bit uncompressed or 1/4/8-bit palette BMPs are supported)`)
    // Masks follow a 40-byte header, or are part of a V2+ header at the same place.
    if (buf.length < 14 + 40 + 12) throw new BmpError('premature end of data (bit masks are cut short)')
    const hasAlphaMask = compression === BI_ALPHABITFIELDS || headerSize >= 56
    masks = {
      r: buf.readUInt32LE(54),
      g: buf.readUInt32LE(58),
      b: buf.readUInt32LE(62),
      a: hasAlphaMask && buf.length >= 70 ? buf.readUInt32LE(66) : 0,
    }
  } else if (compression !== BI_RGB) {
    const names: Record<number, string> = { 1: 'RLE8', 2: 'RLE4', 4: 'JPEG', 5: 'PNG' }
    throw new BmpError(`unsupported BMP compression ${names[compression] ?? compression} (only uncompressed BMPs are supported)`)
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) {
    throw new BmpError(`unsupported BMP: ${bpp}-bit pixels (only 24/32-bit uncompressed or 1/4/8-bit palette BMPs are supported)`)
  }

  let palette: Uint8Array | null = null
  if (bpp <= 8) {
    const entries = colorsUsed > 0 && colorsUsed <= 1 << bpp ? colorsUsed : 1 << bpp
    const entrySize = headerSize === 12 ? 3 : 4
    const start = 14 + headerSize
    if (start + entries * entrySize > buf.length) throw new BmpError('premature end of data (palette is cut short)')
    palette = new Uint8Array(256 * 3)
    for (let i = 0; i < entries; i++) {
      const o = start + i * entrySize
      palette[i * 3] = buf[o + 2] as number
      palette[i * 3 + 1] = buf[o + 1] as number
      palette[i * 3 + 2] = buf[o] as number
    }
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4
  if (dataOffset + stride * height > buf.length) throw new BmpError('premature end of data (pixel rows are cut short)')

  const alpha = masks !== null && masks.a !== 0
  const channels: 3 | 4 = alpha ? 4 : 3
  const out = new Uint8Array(width * height * channels)
  const mr = masks ? maskInfo(masks.r) : null
  const mg = masks ? maskInfo(masks.g) : null
  const mb = masks ? maskInfo(masks.b) : null
  const ma = masks ? maskInfo(masks.a) : null
  const field = (px: number, m: { shift: number; max: number } | null) => (m ? Math.round((((px >>> m.shift) & m.max) * 255) / m.max) : 0)

  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride
    let o = y * width * channels
    for (let x = 0; x < width; x++, o += channels) {
      if (bpp === 24) {
        const p = row + x * 3
        out[o] = buf[p + 2] as number
        out[o + 1] = buf[p + 1] as number
        out[o + 2] = buf[p] as number
      } else if (bpp === 32) {
        const p = row + x * 4
        if (masks) {
          const px = buf.readUInt32LE(p)
          out[o] = field(px, mr)
          out[o + 1] = field(px, mg)
          out[o + 2] = field(px, mb)
          if (alpha) out[o + 3] = field(px, ma)
        } else {
          // BI_RGB 32-bit is BGRX: the fourth byte is unused.
          out[o] = buf[p + 2] as number
          out[o + 1] = buf[p + 1] as number
          out[o + 2] = buf[p] as number
        }
      } else {
        const bit = x * bpp
        const byte = buf[row + (bit >> 3)] as number
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1)
        const pal = palette as Uint8Array
        out[o] = pal[index * 3] as number
        out[o + 1] = pal[index * 3 + 1] as number
        out[o + 2] = pal[index * 3 + 2] as number
      }
    }
  }
  return { width, height, channels, data: out }
}

/** Encodes RGB(A) pixels as an uncompressed bottom-up BMP (24-bit, or 32-bit BI_BITFIELDS with alpha); for tests and fixtures. */
export function encodeBmp(image: { width: number; height: number; channels: 3 | 4; data: Uint8Array }, options: { topDown?: boolean } = {}): Buffer {
  const { width, height, channels, data } = image
  const bpp = channels === 4 ? 32 : 24
  const headerSize = channels === 4 ? 108 : 40
  const stride = Math.floor((bpp * width + 31) / 32) * 4
  const offset = 14 + headerSize
  const buf = Buffer.alloc(offset + stride * height)
  buf.write('BM', 0, 'latin1')
  buf.writeUInt32LE(buf.length, 2)
  buf.writeUInt32LE(offset, 10)
  buf.writeUInt32LE(headerSize, 14)
  buf.writeInt32LE(width, 18)
  buf.writeInt32LE(options.topDown ? -height : height, 22)
  buf.writeUInt16LE(1, 26)
  buf.writeUInt16LE(bpp, 28)
  buf.writeUInt32LE(channels === 4 ? BI_BITFIELDS : BI_RGB, 30)
  buf.writeUInt32LE(stride * height, 34)
  if (channels === 4) {
    buf.writeUInt32LE(0x00ff0000, 54)
    buf.writeUInt32LE(0x0000ff00, 58)
    buf.writeUInt32LE(0x000000ff, 62)
    buf.writeUInt32LE(0xff000000, 66)
    buf.write('BGRs', 70, 'latin1')
  }
  for (let y = 0; y < height; y++) {
    const row = offset + (options.topDown ? y : height - 1 - y) * stride
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels
      const p = row + x * (bpp / 8)
      buf[p] = data[i + 2] as number
      buf[p + 1] = data[i + 1] as number
      buf[p + 2] = data[i] as number
      if (channels === 4) buf[p + 3] = data[i + 3] as number
    }
  }
  return buf
}
