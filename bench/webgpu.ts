/**
 * `npm run bench:webgpu`: the in-app engine on TF.js WebGPU in Chromium (issue #16's GPU path). Trains the bench
 * CNN (batch 64) and ResNet-20 at 32x32x3 (batch 128) with the studio's Trainer and augmentation pipeline and prints,
 * per model, images/s over the timed steps (after warm-up; the first step compiles the shaders), and a per-kernel
 * profile (tf.profile; WebGPU kernel times come from timestamp queries where the adapter has them), as JSON.
 *
 *   npx tsx bench/webgpu.ts [--models cnn,resnet20] [--warmup 3] [--steps 20] [--profile-steps 3]
 *                           [--batch-cnn 64] [--batch-resnet20 128] [--chromium /usr/bin/chromium]
 *
 * Made to run where a real GPU exists (a GPU machine: Chromium with --enable-unsafe-webgpu picks its adapter). On a
 * machine without one Chromium's software WebGPU (SwiftShader) runs it, only to prove it runs: use few steps there
 * (`--warmup 1 --steps 2 --profile-steps 1`), each step takes seconds to minutes.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import type { WebgpuBenchOptions, WebgpuBenchReport } from './webgpu-page'

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'cnn,resnet20' },
    warmup: { type: 'string', default: '3' },
    steps: { type: 'string', default: '20' },
    'profile-steps': { type: 'string', default: '3' },
    'batch-cnn': { type: 'string' },
    'batch-resnet20': { type: 'string' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
})
const positive = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1, received ${v}`)
  return n
}
const models = (values.models ?? '').split(',').filter(Boolean)
for (const m of models) if (m !== 'cnn' && m !== 'resnet20') throw new Error(`--models: unknown model "${m}" (known: cnn, resnet20)`)
const options: WebgpuBenchOptions = {
  models: models as ('cnn' | 'resnet20')[],
  warmup: positive('warmup', values.warmup)!,
  steps: positive('steps', values.steps)!,
  profileSteps: positive('profile-steps', values['profile-steps'])!,
  batch: {
    ...(values['batch-cnn'] ? { cnn: positive('batch-cnn', values['batch-cnn'])! } : {}),
    ...(values['batch-resnet20'] ? { resnet20: positive('batch-resnet20', values['batch-resnet20'])! } : {}),
  },
}

const bundle = await build({ entryPoints: ['bench/webgpu-page.ts'], bundle: true, format: 'esm', write: false, platform: 'browser', target: 'es2022', logLevel: 'silent' })
const js = bundle.outputFiles[0]!.text
const html = '<!doctype html><meta charset="utf-8"><title>bench:webgpu</title><script type="module" src="/page.js"></script>'
const server = createServer((req, res) => {
  if (req.url === '/page.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(js)
  else if (req.url === '/') res.writeHead(200, { 'Content-Type': 'text/html' }).end(html)
  else res.writeHead(404).end()
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

const browser = await chromium.launch({ executablePath: values.chromium, args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--no-first-run'] })
try {
  const page = await browser.newPage()
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`))
  await page.goto(url)
  await page.waitForFunction(() => typeof (globalThis as unknown as { benchWebgpu?: unknown }).benchWebgpu === 'function')
  const t0 = Date.now()
  const report = await page.evaluate((o) => (globalThis as unknown as { benchWebgpu(o: WebgpuBenchOptions): Promise<WebgpuBenchReport> }).benchWebgpu(o), options)
  console.log(JSON.stringify({ date: new Date().toISOString(), options, wallSeconds: Math.round((Date.now() - t0) / 1000), ...report }, null, 2))
} finally {
  await browser.close()
  server.close()
}
