/**
 * WebGPU's gradients against the CPU backend's, in Chromium (the counterpart of tests/shared/tfjs/wasm-conv-grads
 * for the GPU path): convolution (stride 1 and 2, same and valid padding, 1x1), depthwise convolution, max and
 * average pooling and training-mode batch normalization. The page (./webgpu-grads/page.ts) is bundled here with
 * esbuild and served from 127.0.0.1 (a secure context: WebGPU exists only there). Tiny shapes and few distinct
 * kernels: on SwiftShader each new WebGPU kernel compiles its shader on the CPU.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { CHROMIUM, CHROMIUM_ARGS, expect, test } from './fixtures'
import { chromium } from '@playwright/test'
import type { GradReport } from './webgpu-grads/page'

/** float32 on different kernels (summation order, fused multiply-add): gradients of values in [-1, 1] agree to this. */
const TOLERANCE = 1e-4

let server: Server
let url = ''

test.beforeAll(async () => {
  const bundle = await build({ entryPoints: ['tests/e2e/webgpu-grads/page.ts'], bundle: true, format: 'esm', write: false, platform: 'browser', target: 'es2022', logLevel: 'silent' })
  const js = bundle.outputFiles[0]!.text
  const html = '<!doctype html><meta charset="utf-8"><title>WebGPU gradients</title><script type="module" src="/page.js"></script>'
  server = createServer((req, res) => {
    if (req.url === '/page.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(js)
    else if (req.url === '/') res.writeHead(200, { 'Content-Type': 'text/html' }).end(html)
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})

test.afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

test('WebGPU gradients of convolution, pooling and batch normalization match the CPU backend', async ({}, testInfo) => {
  test.skip(testInfo.project.metadata.host !== 'browser', 'runs in Chromium only (the browser project)')
  test.setTimeout(900_000)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const page = await browser.newPage()
    await page.goto(url)
    await page.waitForFunction(() => typeof window.__webgpuGrads === 'function')
    const report = await page.evaluate(() => window.__webgpuGrads!()) as GradReport
    console.log(`WebGPU on ${report.adapter}:`)
    for (const c of report.cases) console.log(`  ${c.name}: max |WebGPU - CPU| ${c.maxAbsDiff.toExponential(2)} (max |grad| ${c.maxAbs.toFixed(3)}), ${Math.round(c.ms)} ms`)
    expect(report.cases).toHaveLength(11)
    for (const c of report.cases) {
      // A real comparison: gradients are not all zero, and a wrong reference is caught.
      expect(c.maxAbs, c.name).toBeGreaterThan(0.05)
      expect(c.wrongReferenceDiff, `${c.name}: a wrong reference must be detected`).toBeGreaterThan(100 * TOLERANCE)
      expect(c.maxAbsDiff, c.name).toBeLessThanOrEqual(TOLERANCE)
    }
  } finally {
    await browser.close()
  }
})
