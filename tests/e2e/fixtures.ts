/**
 * One fixture, two hosts: `studio.page` is the real renderer, `studio.restart()` stops the host and starts it
 * again on the same data folder. The browser project starts `out/main/web.js` (the browser host) and drives
 * Debian's Chromium; the electron project launches the Electron app where its binary exists.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test as base, chromium, _electron, expect, type Browser, type ElectronApplication, type Page } from '@playwright/test'
import { toyConvnet } from '../../shared/graph/templates'
import { decodeEnvelope } from '../../shared/api/wire'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export function electronBinary(): string | null {
  const pathFile = join('node_modules', 'electron', 'path.txt')
  if (!existsSync(pathFile)) return null
  const binary = join('node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(binary) ? binary : null
}

export interface WebHostProcess {
  readonly url: string
  readonly child: ChildProcess
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Starts the browser host on a free port and resolves with the URL it prints. */
export function startWebHost(dataDir: string, extraArgs: string[] = []): Promise<WebHostProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['out/main/web.js', '--data-dir', dataDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const timer = setTimeout(() => reject(new Error(`browser host did not start:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)
      if (match) {
        clearTimeout(timer)
        const exited = new Promise<void>((r) => child.once('exit', () => r()))
        resolve({
          url: match[1]!,
          child,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal)
            await exited
          },
        })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`browser host exited with ${code}:\n${output}`))
    })
  })
}

export interface StudioSession {
  readonly host: 'browser' | 'electron'
  readonly dataDir: string
  page: Page
  /** The browser host's URL (browser project only). */
  url: string | null
  restart(): Promise<void>
}

export const test = base.extend<{ studio: StudioSession }, { chromiumBrowser: Browser }>({
  chromiumBrowser: [
    async ({}, use) => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
      await use(browser)
      await browser.close()
    },
    { scope: 'worker' },
  ],
  studio: async ({ chromiumBrowser }, use, testInfo) => {
    const hostKind = testInfo.project.metadata.host as 'browser' | 'electron'
    const dataDir = mkdtempSync(join(tmpdir(), 'cnn-studio-e2e-'))
    if (hostKind === 'browser') {
      let host = await startWebHost(dataDir)
      const context = await chromiumBrowser.newContext()
      const session: StudioSession = {
        host: 'browser',
        dataDir,
        page: await context.newPage(),
        url: host.url,
        async restart() {
          const { hash } = new URL(session.page.url())
          await host.stop()
          host = await startWebHost(dataDir)
          session.url = host.url
          // The host gets a new port; keep the in-app location (hash route) like a browser session would.
          await session.page.goto(host.url + hash)
        },
      }
      await session.page.goto(host.url)
      await use(session)
      await context.close()
      await host.stop()
    } else {
      const binary = electronBinary()
      test.skip(!binary, 'Electron flows skipped: the Electron binary is not installed here (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1). They run where `npm run studio` could download it.')
      const launch = () =>
        _electron.launch({ executablePath: binary!, args: ['.'], env: { ...process.env, CNN_STUDIO_DATA_DIR: dataDir } })
      let app: ElectronApplication = await launch()
      const session: StudioSession = {
        host: 'electron',
        dataDir,
        page: await app.firstWindow(),
        url: null,
        async restart() {
          await app.close()
          app = await launch()
          session.page = await app.firstWindow()
        },
      }
      await use(session)
      await app.close()
    }
    rmSync(dataDir, { recursive: true, force: true })
  },
})

/** Where a spec writes its screenshots: docs/screenshots with STUDIO_SCREENSHOTS=1 (for the README), else .cache. */
export function screenshotDir(studio: StudioSession): string {
  const dir = process.env.STUDIO_SCREENSHOTS ? 'docs/screenshots' : join('.cache', 'screenshots', studio.host)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Switches the theme the way a user does (Ctrl+Shift+L) when it is not already the one asked for. */
export async function setTheme(page: Page, theme: 'dark' | 'light'): Promise<void> {
  if ((await page.locator('html').getAttribute('data-theme')) !== theme) {
    await page.keyboard.press('Control+Shift+L')
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
  }
}

/** Calls the studio API from the page (the same way the renderer does). */
export async function call<T>(page: Page, host: string, channel: string, payload: unknown): Promise<T> {
  // Bytes in an answer (a checkpoint) come back to Node as base64 here, only for this hop out of the page: the
  // browser host sends them as the binary envelope, Electron's IPC as Uint8Array.
  const result = await page.evaluate(
    async ([host, channel, payload]) => {
      const b64 = (u8: Uint8Array) => {
        let s = ''
        for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000))
        return btoa(s)
      }
      if (host === 'electron') {
        const r = await (window as unknown as { studioBridge: { invoke(c: string, p: unknown): Promise<unknown> } }).studioBridge.invoke(channel as string, payload)
        const plain = (v: unknown): unknown =>
          v instanceof Uint8Array ? { __bytes: b64(v) } : Array.isArray(v) ? v.map(plain) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v
        return plain(r)
      }
      const token = document.querySelector<HTMLMetaElement>('meta[name="studio-token"]')!.content
      const response = await fetch(`/api/${encodeURIComponent(channel as string)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Studio-Token': token },
        body: JSON.stringify(payload),
      })
      if ((response.headers.get('content-type') ?? '').startsWith('application/octet-stream')) return { __envelope: b64(new Uint8Array(await response.arrayBuffer())) }
      return response.json()
    },
    [host, channel, payload] as const,
  )
  const revive = (v: unknown): unknown =>
    typeof v === 'object' && v !== null && '__bytes' in v
      ? new Uint8Array(Buffer.from((v as { __bytes: string }).__bytes, 'base64'))
      : Array.isArray(v) ? v.map(revive) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)])) : v
  const r = (typeof result === 'object' && result !== null && '__envelope' in result
    ? decodeEnvelope(new Uint8Array(Buffer.from((result as { __envelope: string }).__envelope, 'base64')))
    : revive(result)) as { ok: boolean; value?: T; error?: { message: string } }
  if (!r.ok) throw new Error(`${channel}: ${r.error?.message}`)
  return r.value as T
}

/**
 * A project with the toy ConvNet design and an MNIST subset (made through the API for speed), the Train section
 * open with a small WASM run configured. Returns the project id.
 */
export async function setupToyMnist(studio: StudioSession, options: { project: string; learningRate: string; count?: number }): Promise<number> {
  const { page, host } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill(options.project)
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText(options.project)
  const projectId = Number(/#\/p\/(\d+)/.exec(page.url())![1])
  await call(page, host, 'studio:architectures.create', { projectId, name: 'Toy ConvNet', document: toyConvnet([28, 28, 1], 10) })
  const count = options.count ?? 200
  const { datasetId } = await call<{ datasetId: number }>(page, host, 'studio:datasets.importMnist', { projectId, name: `MNIST ${count}`, count })
  await expect
    .poll(async () => (await call<{ id: number; status: string }[]>(page, host, 'studio:datasets.list', { projectId })).some((d) => d.id === datasetId && d.status === 'ready'), { timeout: 60_000 })
    .toBe(true)
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId('train-form')).toBeVisible()
  await expect(page.getByLabel('Dataset')).toContainText(`MNIST ${count}`)
  for (const [label, value] of Object.entries({ 'Batch size': '32', Epochs: '1', 'Learning rate': options.learningRate, Seed: '3' })) {
    await page.getByLabel(label, { exact: true }).fill(value)
  }
  await page.getByLabel('Backend').selectOption('wasm')
  return projectId
}

/** A checkpoint as `runs.loadCheckpoint` returns it (the parts the specs read). */
export interface CheckpointData {
  runId: number
  weights: Uint8Array
  meta: { variables: { name: string; shape: number[] }[] }
}

/** Each variable's float32 bytes (the checkpoint's weights are every variable, in meta order, concatenated). */
export function checkpointVariables(cp: CheckpointData): Map<string, Buffer> {
  const bytes = Buffer.from(cp.weights.buffer, cp.weights.byteOffset, cp.weights.byteLength)
  const out = new Map<string, Buffer>()
  let offset = 0
  for (const v of cp.meta.variables) {
    const n = v.shape.reduce((a, b) => a * b, 1) * 4
    out.set(v.name, bytes.subarray(offset, offset + n))
    offset += n
  }
  expect(offset).toBe(bytes.length)
  return out
}

export { expect } from '@playwright/test'
