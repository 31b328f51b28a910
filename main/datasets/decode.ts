/**
 * Decoding one image to the training resolution: sharp for PNG, JPEG, WebP and GIF (first frame), our own
 * decoder for BMP. EXIF orientation is applied, transparency is flattened onto the target's background (black
 * unless the import chose another; the image says whether it had an alpha channel), then the image is
 * converted to 1 or 3 channels and fitted with the aspect policy:
 *  - resize: stretch to exactly H x W;
 *  - center-crop: scale to cover H x W, then crop the centre;
 *  - pad: scale to fit inside H x W, centred, with black bars.
 */
import sharp from 'sharp'
import type { ResizeOptions, Sharp } from 'sharp'
import type { AspectPolicy } from '@shared/api'
import { BmpError, decodeBmp, isBmp } from './bmp'

export interface TargetFormat {
  readonly height: number
  readonly width: number
  readonly channels: 1 | 3
  readonly aspect: AspectPolicy
  /** What transparent pixels are flattened onto (sRGB 0..255); black when absent. */
  readonly background?: { readonly r: number; readonly g: number; readonly b: number }
}

const BLACK = { r: 0, g: 0, b: 0 }

/** "#ffffff" -> { r: 255, g: 255, b: 255 }; null for anything else. */
export function parseHexColour(hex: string): { r: number; g: number; b: number } | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim())
  return m ? { r: parseInt(m[1]!, 16), g: parseInt(m[2]!, 16), b: parseInt(m[3]!, 16) } : null
}

export interface DecodedImage {
  /** H*W*C uint8, channels-last. */
  readonly pixels: Buffer
  readonly originalWidth: number
  readonly originalHeight: number
  /** The source had an alpha channel (flattened onto the background). */
  readonly hadAlpha?: boolean
}

/** An image that cannot be used; `reason` is for people ("not a valid JPEG (premature end of data)"). */
export class ImageDecodeError extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'ImageDecodeError'
  }
}

export const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = {
  '.png': 'PNG',
  '.jpg': 'JPEG',
  '.jpeg': 'JPEG',
  '.jpe': 'JPEG',
  '.jfif': 'JPEG',
  '.webp': 'WebP',
  '.bmp': 'BMP',
  '.dib': 'BMP',
  '.gif': 'GIF',
}

/** The format name for a file's extension, or null when the file is not an image by its name. */
export function imageFormatOf(fileName: string): string | null {
  const dot = fileName.lastIndexOf('.')
  if (dot < 0) return null
  return IMAGE_EXTENSIONS[fileName.slice(dot).toLowerCase()] ?? null
}

/** The format the bytes announce (magic numbers), or null. */
export function sniffFormat(buf: Uint8Array): string | null {
  const b = (i: number) => buf[i] ?? -1
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'PNG'
  if (b(0) === 0xff && b(1) === 0xd8) return 'JPEG'
  if (b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46) return 'GIF'
  if (b(0) === 0x52 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x46 && b(8) === 0x57 && b(9) === 0x45 && b(10) === 0x42 && b(11) === 0x50) return 'WebP'
  if (isBmp(buf)) return 'BMP'
  return null
}

/**
 * Whether the bytes stop before the format's end marker (JPEG EOI, PNG IEND, GIF trailer, RIFF size). Checked
 * on the bytes because libvips' messages for the same damage vary (its warnings are collected per thread).
 */
export function looksTruncated(format: string, buf: Uint8Array): boolean {
  let end = buf.length
  switch (format) {
    case 'JPEG':
      // Some writers pad after EOI; look for FF D9 near the end.
      for (let i = end - 2; i >= Math.max(0, end - 64); i--) if (buf[i] === 0xff && buf[i + 1] === 0xd9) return false
      return true
    case 'PNG': {
      const iend = [0x49, 0x45, 0x4e, 0x44]
      for (let i = end - 8; i >= Math.max(0, end - 64); i--) if (iend.every((b, k) => buf[i + k] === b)) return false
      return true
    }
    case 'GIF':
      while (end > 0 && buf[end - 1] === 0) end--
      return buf[end - 1] !== 0x3b
    case 'WebP':
      return buf.length < 12 || buf.length < 8 + Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUInt32LE(4)
    default:
      return false
  }
}

/** Turns libvips' messages into a short reason. */
function explain(format: string, error: unknown, bytes: Uint8Array): string {
  const message = error instanceof Error ? error.message : String(error)
  const lower = message.toLowerCase()
  let detail: string
  if (looksTruncated(format, bytes) || lower.includes('premature end') || lower.includes('truncated') || lower.includes('unexpected end') || lower.includes('not enough data')) {
    detail = 'premature end of data'
  } else if (lower.includes('warning treated as error')) {
    detail = 'damaged data'
  } else if (lower.includes('libpng read error') || lower.includes('crc error') || lower.includes('incorrect header check')) {
    detail = 'damaged data'
  } else {
    const first = message.split('\n')[0] ?? message
    detail = first.replace(/^(Input (buffer|file) (has corrupt header|contains unsupported image format):\s*)/i, '').replace(/^\w+(load|save)?:\s*/i, '').replace(/^Vips\w+:\s*/i, '').trim() || 'cannot be decoded'
  }
  return `not a valid ${format} (${detail})`
}

export interface RawInput {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  readonly channels: 1 | 2 | 3 | 4
}

/** Fits an already decoded (or encoded) input to the target format with sharp. */
async function fit(input: Sharp, target: TargetFormat): Promise<Buffer> {
  const options: ResizeOptions =
    target.aspect === 'resize'
      ? { fit: 'fill' }
      : target.aspect === 'center-crop'
        ? { fit: 'cover', position: 'centre' }
        : { fit: 'contain', position: 'centre', background: { r: 0, g: 0, b: 0, alpha: 1 } }
  let pipeline = input.autoOrient().flatten({ background: target.background ?? BLACK }).resize(target.width, target.height, options)
  pipeline = target.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb')
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true })
  if (info.width !== target.width || info.height !== target.height) {
    throw new Error(`resized to ${info.width}x${info.height} instead of ${target.width}x${target.height}`)
  }
  if (info.channels === target.channels) return data
  return convertChannels(data, info.channels, target.channels)
}

/** Drops alpha / expands gray / averages to gray for the rare layouts sharp leaves as they are. */
function convertChannels(data: Buffer, from: number, to: 1 | 3): Buffer {
  const n = data.length / from
  const out = Buffer.alloc(n * to)
  for (let i = 0; i < n; i++) {
    const s = i * from
    if (to === 3) {
      const gray = from < 3
      out[i * 3] = data[s] as number
      out[i * 3 + 1] = data[gray ? s : s + 1] as number
      out[i * 3 + 2] = data[gray ? s : s + 2] as number
    } else {
      out[i] = from < 3 ? (data[s] as number) : Math.round(0.2126 * (data[s] as number) + 0.7152 * (data[s + 1] as number) + 0.0722 * (data[s + 2] as number))
    }
  }
  return out
}

/** Decodes an encoded image (any supported format) to the target format, or throws ImageDecodeError. */
export async function decodeImage(bytes: Uint8Array, fileName: string, target: TargetFormat): Promise<DecodedImage> {
  const expected = imageFormatOf(fileName) ?? 'image'
  if (bytes.length === 0) throw new ImageDecodeError(`not a valid ${expected} (the file is empty)`)
  const format = sniffFormat(bytes)
  if (format === null) throw new ImageDecodeError(`not a valid ${expected} (unrecognised contents)`)
  if (format === 'BMP') {
    let bmp
    try {
      bmp = decodeBmp(bytes)
    } catch (error) {
      if (error instanceof BmpError) throw new ImageDecodeError(`not a valid BMP (${error.message})`)
      throw error
    }
    return decodeRaw({ data: bmp.data, width: bmp.width, height: bmp.height, channels: bmp.channels }, target)
  }
  try {
    const image = sharp(bytes, { failOn: 'warning', pages: 1, limitInputPixels: 100_000_000 })
    const meta = await image.metadata()
    const swap = (meta.orientation ?? 1) >= 5
    const w = meta.width
    const h = meta.height
    if (!w || !h) throw new Error('no image size')
    const pixels = await fit(image, target)
    return { pixels, originalWidth: swap ? h : w, originalHeight: swap ? w : h, hadAlpha: meta.hasAlpha === true }
  } catch (error) {
    throw new ImageDecodeError(explain(format, error, bytes))
  }
}

/** Fits raw pixels (e.g. decoded BMP or MNIST digits) to the target format. */
export async function decodeRaw(input: RawInput, target: TargetFormat): Promise<DecodedImage> {
  if (input.width === target.width && input.height === target.height && input.channels === target.channels) {
    return { pixels: Buffer.from(input.data), originalWidth: input.width, originalHeight: input.height }
  }
  const image = sharp(input.data, { raw: { width: input.width, height: input.height, channels: input.channels } })
  const hadAlpha = input.channels === 2 || input.channels === 4
  return { pixels: await fit(image, target), originalWidth: input.width, originalHeight: input.height, ...(hadAlpha ? { hadAlpha } : {}) }
}

/** PNG of H*W*C uint8 pixels (thumbnails for the sample browser). */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<Buffer> {
  const image = sharp(pixels, { raw: { width, height, channels } })
  return (channels === 1 ? image.toColourspace('b-w') : image).png({ compressionLevel: 6 }).toBuffer()
}
