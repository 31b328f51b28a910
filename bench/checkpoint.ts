/**
 * Benchmark: a VGG-16 checkpoint with Adam state (weights + two moment slots, float32: 3 x 138,357,544 x 4 bytes,
 * about 1.66 GB) saved and loaded through the real browser host over HTTP, with the renderer's web transport and
 * typed client. As base64 (what the API carried before) it would be a string of about 2.2 G characters, four
 * times V8's longest (buffer.constants.MAX_STRING_LENGTH); in the binary envelope it is bounded by memory only.
 * Checks the bytes come back identical; prints one JSON object; exits 1 when they do not. Needs about 9 GB of
 * memory (the test's copy, the host's body, the file read back, the client's answer).
 *
 *   npm run bench:checkpoint [-- --classes 1000 --input 224]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { constants } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import { createClient, projectsContract, runsContract } from '../shared/api/index'
import { analyzeGraph, getTemplate } from '../shared/graph/index'
import { startStudio } from '../main/studio'
import { startWebHost } from '../main/web/server'
import { webTransport } from '../renderer/src/api/transports'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN
  return Number.isFinite(v) ? v : def
}

const classes = arg('classes', 1000)
const side = arg('input', 224)
const graph = getTemplate('vgg16')!.build([side, side, 3], classes)
const params = analyzeGraph(graph).totals.params

function fill(bytes: number, seed: number): Uint8Array {
  const words = new Uint32Array(bytes / 4)
  let x = seed
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  return new Uint8Array(words.buffer)
}

const root = mkdtempSync(join(tmpdir(), 'cnn-studio-bench-ckpt-'))
const rendererDir = join(root, 'renderer')
mkdirSync(rendererDir)
writeFileSync(join(rendererDir, 'index.html'), '<html><head></head><body></body></html>')
const studio = startStudio({ dataDir: join(root, 'data'), host: 'browser' })
const web = await startWebHost({ services: studio.services, rendererDir, dataDir: join(root, 'data') })
try {
  // The bytes first: filling 1.7 GB takes a while, and an HTTP connection idle meanwhile may be closed by the host.
  const weights = fill(params * 4, 1)
  const optimizer = fill(params * 8, 2) // Adam: m and v per weight
  const transport = webTransport(web.token, web.url)
  const project = await createClient(projectsContract, transport).create({ name: 'bench' })
  const runs = createClient(runsContract, transport)
  const run = await runs.create({ projectId: project.id, config: { architecture: { name: 'VGG-16', document: graph } } })
  const total = weights.byteLength + optimizer.byteLength
  let t = performance.now()
  const [saved] = await runs.saveCheckpoint({ runId: run.id, kinds: ['last'], epoch: 1, step: 1, meta: { format: 1, params }, weights, optimizer })
  const saveMs = performance.now() - t
  t = performance.now()
  const loaded = await runs.loadCheckpoint({ id: saved!.id })
  const loadMs = performance.now() - t
  const same =
    Buffer.from(loaded.weights.buffer, loaded.weights.byteOffset, loaded.weights.byteLength).equals(weights) &&
    Buffer.from(loaded.optimizer.buffer, loaded.optimizer.byteOffset, loaded.optimizer.byteLength).equals(optimizer)
  const mb = (n: number) => Math.round(n / 1e6)
  console.log(
    JSON.stringify(
      {
        model: `VGG-16 ${side}x${side}x3, ${classes} classes`,
        params,
        checkpointMB: mb(total),
        fileMB: mb(saved!.bytes),
        base64Chars: Math.ceil(total / 3) * 4,
        maxStringLength: constants.MAX_STRING_LENGTH,
        saveMs: Math.round(saveMs),
        loadMs: Math.round(loadMs),
        saveMBps: Math.round(mb(total) / (saveMs / 1000)),
        loadMBps: Math.round(mb(total) / (loadMs / 1000)),
        byteIdentical: same,
      },
      null,
      2,
    ),
  )
  if (!same) process.exitCode = 1
} finally {
  await web.close()
  studio.close()
  rmSync(root, { recursive: true, force: true })
}
