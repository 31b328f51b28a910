/** Image fixtures for the dataset tests, generated with sharp into temp folders (no binary files in git). */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { createRng } from '@shared/random'
import { createClient, datasetsContract, type ServiceEvents } from '@shared/api'
import type { Studio } from '../../main/studio'
import { directTransport } from './helpers'

export type Format = 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp'

/** Random RGB pixels (seeded), `width` x `height`. */
export function randomPixels(width: number, height: number, seed: number | string): Buffer {
  const rng = createRng(seed)
  const out = Buffer.alloc(width * height * 3)
  for (let i = 0; i < out.length; i++) out[i] = rng.int(0, 255)
  return out
}

export async function encode(pixels: Buffer, width: number, height: number, format: Exclude<Format, 'bmp'>): Promise<Buffer> {
  const img = sharp(pixels, { raw: { width, height, channels: 3 } })
  switch (format) {
    case 'png':
      return img.png().toBuffer()
    case 'jpeg':
      return img.jpeg({ quality: 90 }).toBuffer()
    case 'webp':
      return img.webp({ lossless: true }).toBuffer()
    case 'gif':
      return img.gif().toBuffer()
  }
}

export function writeFile(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, data)
}

/** Writes `count` random images of varying size into `folder/<name>/img<i>.<ext>`. */
export async function writeClass(folder: string, name: string, count: number, format: Exclude<Format, 'bmp'> = 'png', seed = 1): Promise<void> {
  for (let i = 0; i < count; i++) {
    const w = 8 + ((i * 7) % 13)
    const h = 8 + ((i * 5) % 11)
    const ext = format === 'jpeg' ? 'jpg' : format
    writeFile(join(folder, name, `img${String(i).padStart(3, '0')}.${ext}`), await encode(randomPixels(w, h, `${name}:${i}:${seed}`), w, h, format))
  }
}

type Finish = ServiceEvents<typeof datasetsContract>['onDidFinish']
type Progress = ServiceEvents<typeof datasetsContract>['onDidProgress']

/** The datasets client plus helpers that wait for a job's end (subscribing before the job starts). */
export function datasetsClient(studio: Studio) {
  const client = createClient(datasetsContract, directTransport(studio))
  const finished = new Map<string, Finish>()
  const waiters = new Map<string, (f: Finish) => void>()
  const progress: Progress[] = []
  client.on('onDidProgress', (p) => progress.push(p))
  client.on('onDidFinish', (f) => {
    finished.set(f.jobId, f)
    waiters.get(f.jobId)?.(f)
  })
  const wait = (jobId: string) =>
    new Promise<Finish>((resolve) => {
      const done = finished.get(jobId)
      if (done) resolve(done)
      else waiters.set(jobId, resolve)
    })
  return { client, progress, wait }
}

/** base64 -> bytes */
export const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'))
