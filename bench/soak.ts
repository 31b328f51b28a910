/**
 * `npm run bench:soak [-- --minutes 30 --every 60 --backend wasm]`: the training engine (shared/train's Trainer,
 * as `studio train` runs it) on the toy-convnet template over synthetic 28x28 digits-sized images, epoch after
 * epoch with validation, checkpoints and augmentation, for a set time. Prints a line every `--every` seconds
 * (process memory, heap, live tensors and their bytes) and at the end the figures as JSON: the live tensor count
 * after the first epoch and its range since, and the resident memory's growth from the first epoch on.
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { createStep, emptyPipeline } from '../shared/augment/index'
import { getTemplate } from '../shared/graph/templates'
import { createRng } from '../shared/random/index'
import { compileGraph } from '../shared/tfjs/compile'
import { InMemoryDataSource, Trainer } from '../shared/train/index'
import { selectBackend } from '../main/train/backend'

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, every: { type: 'string', default: '60' }, backend: { type: 'string', default: 'wasm' } } })
const minutes = Number(values.minutes)
const every = Number(values.every)
const backend = await selectBackend(values.backend === 'cpu' ? 'cpu' : 'wasm')

// Learnable synthetic images: class k brightens a band of rows; seeded noise on top.
const rng = createRng('soak')
const SIZE = 28
const CLASSES = 10
const make = (n: number) => {
  const images = new Uint8Array(n * SIZE * SIZE)
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const k = i % CLASSES
    labels[i] = k
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) images[(i * SIZE + y) * SIZE + x] = Math.min(255, (Math.floor(y / 3) === k ? 160 : 0) + rng.int(0, 90))
  }
  return { images, labels }
}
const data = new InMemoryDataSource({ classes: Array.from({ length: CLASSES }, (_, k) => String(k)), imageShape: [SIZE, SIZE, 1], train: make(512), val: make(128) })
const { model } = compileGraph(getTemplate('toy-convnet')!.build([SIZE, SIZE, 1], CLASSES), { seed: 1 })
const pipeline = { ...emptyPipeline(), steps: [createStep('randomCrop', 'crop', { params: { padding: 2 } }), createStep('normalize', 'norm', { params: { mean: [0.2], std: [0.3] } })] }

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10
const sample = () => {
  const m = process.memoryUsage()
  const t = tf.memory()
  return { rssMB: mb(m.rss), heapMB: mb(m.heapUsed), externalMB: mb(m.external + m.arrayBuffers), tensors: t.numTensors, tensorMB: mb(t.numBytes) }
}
const started = Date.now()
let epoch = 0
let step = 0
let firstEpoch: ReturnType<typeof sample> | null = null
const afterEpochs: ReturnType<typeof sample>[] = []
const trainer = new Trainer({
  model,
  data,
  pipeline,
  config: { epochs: 100_000, batchSize: 32, seed: 'soak', learningRate: 0.001, optimizer: { type: 'adam' }, schedule: { type: 'constant' } },
  sink: {
    post(m) {
      if (m.type === 'step') step = m.step
      if (m.type === 'epoch') {
        epoch = m.epoch
        const s = sample()
        firstEpoch ??= s
        afterEpochs.push(s)
      }
    },
  },
})
console.log(`soak: ${minutes} min of toy-convnet on ${backend.backend}, 512 train / 128 val images 28x28, batch 32 (checkpoint each epoch)`)
console.log('  min  epoch   step   rss MB  heap MB  ext MB  tensors  tensor MB')
const print = () => {
  const s = sample()
  const min = ((Date.now() - started) / 60_000).toFixed(1)
  console.log(`${min.padStart(5)}  ${String(epoch).padStart(5)}  ${String(step).padStart(5)}  ${String(s.rssMB).padStart(7)}  ${String(s.heapMB).padStart(7)}  ${String(s.externalMB).padStart(6)}  ${String(s.tensors).padStart(7)}  ${String(s.tensorMB).padStart(9)}`)
}
print()
const timer = setInterval(print, every * 1000)
const end = setTimeout(() => trainer.stop('Soak time is up'), minutes * 60_000)
await trainer.run()
clearInterval(timer)
clearTimeout(end)
print()
const later = afterEpochs.slice(1)
const tensors = later.map((s) => s.tensors)
const first = firstEpoch as ReturnType<typeof sample> | null
console.log(
  JSON.stringify(
    {
      minutes: Math.round(((Date.now() - started) / 60_000) * 10) / 10,
      backend: backend.backend,
      epochs: epoch,
      steps: step,
      tensorsAfterEpoch1: first?.tensors ?? null,
      tensorsMinMaxSince: tensors.length ? [Math.min(...tensors), Math.max(...tensors)] : null,
      tensorMBAfterEpoch1: first?.tensorMB ?? null,
      rssMBAfterEpoch1: first?.rssMB ?? null,
      rssMBAtEnd: afterEpochs.at(-1)?.rssMB ?? null,
      heapMBAfterEpoch1: first?.heapMB ?? null,
      heapMBAtEnd: afterEpochs.at(-1)?.heapMB ?? null,
      tensorsFlat: first !== null && tensors.every((t) => t === first.tensors),
    },
    null,
    2,
  ),
)
trainer.dispose()
model.dispose()
