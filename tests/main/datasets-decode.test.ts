import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { BmpError, decodeBmp, encodeBmp } from '../../main/datasets/bmp'
import { DatasetCache } from '../../main/datasets/cache'
import { decodeImage, ImageDecodeError, imageFormatOf, type TargetFormat } from '../../main/datasets/decode'
import { allocateSplit, stratifiedSplit } from '../../main/datasets/split'
import { mnistPerClass } from '../../main/datasets/mnist'
import { randomPixels } from './datasets-fixtures'

/** 80x20: columns 0-19 red, 20-59 green, 60-79 blue. */
function stripes(): Buffer {
  const w = 80
  const h = 20
  const px = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3
      px[o + (x < 20 ? 0 : x < 60 ? 1 : 2)] = 255
    }
  }
  return px
}

const pixel = (data: Uint8Array, w: number, x: number, y: number, c = 3) => Array.from(data.subarray((y * w + x) * c, (y * w + x) * c + c))
const dominant = (rgb: number[]) => ['red', 'green', 'blue'][rgb.indexOf(Math.max(...rgb))]

describe('aspect policies on a synthetic image', () => {
  const target = (aspect: TargetFormat['aspect']): TargetFormat => ({ height: 10, width: 10, channels: 3, aspect })

  it('resize stretches: red, green and blue bands left to right on every row', async () => {
    const png = await sharp(stripes(), { raw: { width: 80, height: 20, channels: 3 } }).png().toBuffer()
    const { pixels, originalWidth, originalHeight } = await decodeImage(png, 's.png', target('resize'))
    expect([originalWidth, originalHeight]).toEqual([80, 20])
    expect(pixels.length).toBe(300)
    for (const y of [0, 5, 9]) {
      expect(dominant(pixel(pixels, 10, 0, y))).toBe('red')
      expect(dominant(pixel(pixels, 10, 5, y))).toBe('green')
      expect(dominant(pixel(pixels, 10, 9, y))).toBe('blue')
    }
  })

  it('center-crop covers and keeps the middle: all green', async () => {
    const png = await sharp(stripes(), { raw: { width: 80, height: 20, channels: 3 } }).png().toBuffer()
    const { pixels } = await decodeImage(png, 's.png', target('center-crop'))
    for (let i = 0; i < 100; i++) expect(pixel(pixels, 10, i % 10, Math.floor(i / 10))).toEqual([0, 255, 0])
  })

  it('pad fits inside with black bars above and below', async () => {
    const png = await sharp(stripes(), { raw: { width: 80, height: 20, channels: 3 } }).png().toBuffer()
    const { pixels } = await decodeImage(png, 's.png', target('pad'))
    // 80x20 scaled by 1/8 is 10x2.5 (rounded to 3 rows), centred vertically.
    for (const y of [0, 1, 2, 7, 8, 9]) for (let x = 0; x < 10; x++) expect(pixel(pixels, 10, x, y)).toEqual([0, 0, 0])
    expect(dominant(pixel(pixels, 10, 0, 4))).toBe('red')
    expect(dominant(pixel(pixels, 10, 5, 4))).toBe('green')
    expect(dominant(pixel(pixels, 10, 9, 4))).toBe('blue')
  })

  it('1 channel gives luminance; same-size input keeps exact pixels', async () => {
    const png = await sharp(stripes(), { raw: { width: 80, height: 20, channels: 3 } }).png().toBuffer()
    const gray = await decodeImage(png, 's.png', { height: 20, width: 80, channels: 1, aspect: 'resize' })
    expect(gray.pixels.length).toBe(1600)
    expect(gray.pixels[30]).toBeGreaterThan(gray.pixels[0]!) // green is brighter than red
    expect(gray.pixels[0]).toBeGreaterThan(gray.pixels[79]!) // red is brighter than blue
    const same = await decodeImage(png, 's.png', { height: 20, width: 80, channels: 3, aspect: 'pad' })
    expect(same.pixels.equals(stripes())).toBe(true)
  })

  it('flattens transparency onto black and applies EXIF orientation', async () => {
    const rgba = Buffer.alloc(4 * 4 * 4)
    for (let i = 0; i < 16; i++) rgba.set([255, 255, 255, i < 8 ? 0 : 255], i * 4)
    const png = await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer()
    const { pixels } = await decodeImage(png, 't.png', { height: 4, width: 4, channels: 3, aspect: 'resize' })
    expect(pixel(pixels, 4, 0, 0)).toEqual([0, 0, 0])
    expect(pixel(pixels, 4, 0, 3)).toEqual([255, 255, 255])
    // 8x4 landscape stored with orientation 6 (rotate 90° clockwise to display) is a 4x8 portrait.
    const jpg = await sharp(randomPixels(8, 4, 'o'), { raw: { width: 8, height: 4, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer()
    const oriented = await decodeImage(jpg, 'o.jpg', { height: 8, width: 4, channels: 3, aspect: 'resize' })
    expect([oriented.originalWidth, oriented.originalHeight]).toEqual([4, 8])
  })

  it('reports unreadable files with a reason naming the format', async () => {
    const jpg = await sharp(randomPixels(32, 32, 'j'), { raw: { width: 32, height: 32, channels: 3 } }).jpeg().toBuffer()
    const reason = async (bytes: Uint8Array, name: string) => {
      try {
        await decodeImage(bytes, name, { height: 4, width: 4, channels: 3, aspect: 'resize' })
      } catch (error) {
        expect(error).toBeInstanceOf(ImageDecodeError)
        return (error as ImageDecodeError).reason
      }
      throw new Error('expected a decode error')
    }
    expect(await reason(jpg.subarray(0, jpg.length >> 1), 'a.jpg')).toBe('not a valid JPEG (premature end of data)')
    const png = await sharp(randomPixels(32, 32, 'p'), { raw: { width: 32, height: 32, channels: 3 } }).png().toBuffer()
    expect(await reason(png.subarray(0, png.length - 30), 'a.png')).toBe('not a valid PNG (premature end of data)')
    const gif = await sharp(randomPixels(32, 32, 'g'), { raw: { width: 32, height: 32, channels: 3 } }).gif().toBuffer()
    expect(await reason(gif.subarray(0, gif.length >> 1), 'a.gif')).toBe('not a valid GIF (premature end of data)')
    expect(await reason(Buffer.from('hello'), 'a.png')).toBe('not a valid PNG (unrecognised contents)')
    expect(await reason(Buffer.alloc(0), 'a.webp')).toBe('not a valid WebP (the file is empty)')
    const bmp = encodeBmp({ width: 4, height: 4, channels: 3, data: randomPixels(4, 4, 'b') })
    expect(await reason(bmp.subarray(0, 60), 'a.bmp')).toBe('not a valid BMP (premature end of data (pixel rows are cut short))')
  })

  it('knows image files by extension, case-insensitively', () => {
    expect(['a.PNG', 'b.jpeg', 'c.JPG', 'd.webp', 'e.bmp', 'f.gif', 'g.txt', 'h', '.png'].map(imageFormatOf)).toEqual([
      'PNG', 'JPEG', 'JPEG', 'WebP', 'BMP', 'GIF', null, null, 'PNG',
    ])
  })
})

describe('BMP decoder', () => {
  it('decodes a hand-written 24-bit bottom-up BMP with row padding', () => {
    // 3x2 image: top row red, green, blue; bottom row white, black, gray. Rows are 9 bytes + 3 padding.
    const header = Buffer.alloc(54)
    header.write('BM', 0, 'latin1')
    header.writeUInt32LE(54 + 24, 2)
    header.writeUInt32LE(54, 10)
    header.writeUInt32LE(40, 14)
    header.writeInt32LE(3, 18)
    header.writeInt32LE(2, 22)
    header.writeUInt16LE(1, 26)
    header.writeUInt16LE(24, 28)
    const bottom = [255, 255, 255, 0, 0, 0, 128, 128, 128, 0, 0, 0]
    const top = [0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0] // BGR
    const bmp = Buffer.concat([header, Buffer.from(bottom), Buffer.from(top)])
    const img = decodeBmp(bmp)
    expect([img.width, img.height, img.channels]).toEqual([3, 2, 3])
    expect(Array.from(img.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128])
  })

  it('round-trips 24-bit, top-down and 32-bit BMPs with alpha, and decodes 8-bit palettes', async () => {
    const rgb = randomPixels(7, 5, 'bmp24')
    expect(Buffer.from(decodeBmp(encodeBmp({ width: 7, height: 5, channels: 3, data: rgb })).data).equals(rgb)).toBe(true)
    expect(Buffer.from(decodeBmp(encodeBmp({ width: 7, height: 5, channels: 3, data: rgb }, { topDown: true })).data).equals(rgb)).toBe(true)
    const rgba = Buffer.concat([randomPixels(6, 2, 'a'), randomPixels(2, 2, 'b')]) // 48 bytes = 4x3x4
    const decoded = decodeBmp(encodeBmp({ width: 4, height: 3, channels: 4, data: rgba }))
    expect(decoded.channels).toBe(4)
    expect(Buffer.from(decoded.data).equals(rgba)).toBe(true)

    // 8-bit palette: 2x1, palette entries 0 = blue, 1 = yellow.
    const h = Buffer.alloc(54 + 8 + 4)
    h.write('BM', 0, 'latin1')
    h.writeUInt32LE(54 + 8, 10)
    h.writeUInt32LE(40, 14)
    h.writeInt32LE(2, 18)
    h.writeInt32LE(1, 22)
    h.writeUInt16LE(1, 26)
    h.writeUInt16LE(8, 28)
    h.writeUInt32LE(2, 46)
    h.set([255, 0, 0, 0, 0, 255, 255, 0], 54)
    h.set([1, 0, 0, 0], 62)
    expect(Array.from(decodeBmp(h).data)).toEqual([255, 255, 0, 0, 0, 255])

    // Through the import path: a BMP imports to the same pixels as the PNG of the same image.
    const png = await sharp(rgb, { raw: { width: 7, height: 5, channels: 3 } }).png().toBuffer()
    const t: TargetFormat = { height: 4, width: 4, channels: 3, aspect: 'center-crop' }
    const a = await decodeImage(encodeBmp({ width: 7, height: 5, channels: 3, data: rgb }), 'x.bmp', t)
    const b = await decodeImage(png, 'x.png', t)
    expect(a.pixels.equals(b.pixels)).toBe(true)
    expect([a.originalWidth, a.originalHeight]).toEqual([7, 5])
  })

  it('refuses RLE and 16-bit bitmaps with a reason', () => {
    const bmp = encodeBmp({ width: 2, height: 2, channels: 3, data: randomPixels(2, 2, 'r') })
    const rle = Buffer.from(bmp)
    rle.writeUInt32LE(1, 30)
    expect(() => decodeBmp(rle)).toThrow(new BmpError('unsupported BMP compression RLE8 (only uncompressed BMPs are supported)'))
    const b16 = Buffer.from(bmp)
    b16.writeUInt16LE(16, 28)
    expect(() => decodeBmp(b16)).toThrow(/unsupported BMP: 16-bit pixels/)
  })
})

describe('stratified split', () => {
  it('allocates exact counts by largest remainder, never to a zero ratio', () => {
    expect(allocateSplit(10, { train: 0.8, val: 0.1, test: 0.1 })).toEqual({ train: 8, val: 1, test: 1 })
    expect(allocateSplit(9, { train: 0.6, val: 0.2, test: 0.2 })).toEqual({ train: 5, val: 2, test: 2 })
    expect(allocateSplit(1, { train: 0.5, val: 0.5, test: 0 })).toEqual({ train: 1, val: 0, test: 0 })
    expect(allocateSplit(3, { train: 1, val: 0, test: 0 })).toEqual({ train: 3, val: 0, test: 0 })
    for (let n = 0; n < 50; n++) {
      const a = allocateSplit(n, { train: 0.7, val: 0.15, test: 0.15 })
      expect(a.train + a.val + a.test).toBe(n)
    }
  })

  it('splits every class with the same proportions, deterministically by seed', () => {
    const labels = [...new Array<number>(50).fill(0), ...new Array<number>(30).fill(1), ...new Array<number>(20).fill(2)]
    const ratios = { train: 0.7, val: 0.2, test: 0.1 }
    const a = stratifiedSplit(labels, 3, ratios, 42)
    expect(stratifiedSplit(labels, 3, ratios, 42)).toEqual(a)
    expect(stratifiedSplit(labels, 3, ratios, 43)).not.toEqual(a)
    const per = (c: number, s: string) => labels.filter((l, i) => l === c && a[i] === s).length
    expect([0, 1, 2].map((c) => [per(c, 'train'), per(c, 'val'), per(c, 'test')])).toEqual([
      [35, 10, 5],
      [21, 6, 3],
      [14, 4, 2],
    ])
  })

  it('takes MNIST digits evenly, handing what a digit lacks to the others', () => {
    expect(mnistPerClass(25, new Array<number>(10).fill(100))).toEqual([3, 3, 3, 3, 3, 2, 2, 2, 2, 2])
    expect(mnistPerClass(30, [1, 5, 5, 5, 5, 5, 5, 5, 5, 5])).toEqual([1, 5, 3, 3, 3, 3, 3, 3, 3, 3])
  })
})

describe('cache reader', () => {
  it('returns batches in the order asked and refuses damaged files', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = mkdtempSync(join(tmpdir(), 'cache-'))
    try {
      const images = Buffer.from(Array.from({ length: 5 * 2 * 2 * 1 }, (_, i) => i))
      const labels = Buffer.alloc(20)
      ;[3, 1, 4, 1, 5].forEach((l, i) => labels.writeInt32LE(l, i * 4))
      writeFileSync(join(dir, 'images.u8'), images)
      writeFileSync(join(dir, 'labels.i32'), labels)
      const cache = DatasetCache.open(join(dir, 'images.u8'), { count: 5, height: 2, width: 2, channels: 1 })
      const batch = cache.batch([4, 0, 2])
      expect(Array.from(batch.images)).toEqual([16, 17, 18, 19, 0, 1, 2, 3, 8, 9, 10, 11])
      expect(Array.from(batch.labels)).toEqual([5, 3, 4])
      expect(() => cache.batch([5])).toThrow(RangeError)
      expect(() => DatasetCache.open(join(dir, 'images.u8'), { count: 6, height: 2, width: 2, channels: 1 })).toThrow(/damaged/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
