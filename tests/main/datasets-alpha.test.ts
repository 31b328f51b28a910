/** Transparent images: the probe finds them before the import, and decoding fills them with the chosen background. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeImage, parseHexColour } from '../../main/datasets/decode'
import { probeFolder } from '../../main/datasets/probe'

let dir: string

/** 8x8 RGBA: a dark glyph (2x2 square, opaque) on fully transparent pixels. */
function glyph(): Promise<Buffer> {
  const px = Buffer.alloc(8 * 8 * 4)
  for (const [y, x] of [[3, 3], [3, 4], [4, 3], [4, 4]] as const) px.set([20, 20, 20, 255], (y * 8 + x) * 4)
  return sharp(px, { raw: { width: 8, height: 8, channels: 4 } }).png().toBuffer()
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cnn-alpha-'))
  mkdirSync(join(dir, 'star'))
  mkdirSync(join(dir, 'moon'))
  for (let i = 0; i < 6; i++) await sharp(await glyph()).toFile(join(dir, 'star', `${i}.png`))
  for (let i = 0; i < 2; i++) await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toFile(join(dir, 'moon', `${i}.png`))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('transparent images', () => {
  it('the probe counts the images with an alpha channel', async () => {
    expect(await probeFolder(dir)).toEqual({ classes: ['moon', 'star'], images: 8, checked: 8, withAlpha: 6 })
  })

  it('decoding fills transparent pixels with the background (black by default) and says alpha was there', async () => {
    const bytes = await glyph()
    const target = { height: 8, width: 8, channels: 1 as const, aspect: 'resize' as const }
    const black = await decodeImage(bytes, 'a.png', target)
    const white = await decodeImage(bytes, 'a.png', { ...target, background: parseHexColour('#ffffff')! })
    expect(black.hadAlpha).toBe(true)
    expect(black.pixels[0]).toBe(0)
    expect(white.pixels[0]).toBe(255)
    // The glyph itself stays dark on both.
    expect(black.pixels[3 * 8 + 3]).toBe(20)
    expect(white.pixels[3 * 8 + 3]).toBe(20)
    const opaque = await decodeImage(await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer(), 'b.png', target)
    expect(opaque.hadAlpha).toBe(false)
  })

  it('parseHexColour reads #rrggbb only', () => {
    expect(parseHexColour('#10A0ff')).toEqual({ r: 16, g: 160, b: 255 })
    expect(parseHexColour('white')).toBeNull()
  })
})
