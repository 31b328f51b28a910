/**
 * The Electron security checklist, checked where the Electron binary cannot run: the main process
 * (main/electron/index.ts) loaded against a recording stand-in for `electron`, and driven the way Electron would
 * drive it (tests/electron-mock/). The same probe runs on the built bundle in tests/e2e/electron-bundle.spec.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { CONTENT_SECURITY_POLICY } from '../../main/host/renderer-headers'
import { isOwnUrl, serveStudioRequest } from '../../main/electron/security'
import { expectSecureMain } from '../electron-mock/expectations'

vi.mock('electron', () => import('../electron-mock/fake-electron.mjs'))

const dataDir = mkdtempSync(join(tmpdir(), 'cnn-studio-electron-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('Electron main process (source, electron mocked)', () => {
  it('constructs a locked-down window, blocks navigation and new windows, checks IPC senders, serves only studio://', async () => {
    vi.stubEnv('CNN_STUDIO_DATA_DIR', dataDir)
    vi.stubEnv('ELECTRON_RENDERER_URL', undefined)
    const { probeMain, quitMain } = await import('../electron-mock/probe.mjs')
    await import('../../main/electron/index')
    const report = await probeMain()
    quitMain()
    vi.unstubAllEnvs()
    expectSecureMain(report, expect)
    // The source has no built renderer next to it: the protocol answers 404 for index.html here (the bundle
    // spec checks the CSP on the real one; serveStudioRequest's own test below checks it too).
    expect(report.protocolAnswers['studio://app/index.html']!.status).toBe(404)
  })
})

describe('studio:// protocol answers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-studio-protocol-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const rendererDir = join(dir, 'renderer')
  mkdirSync(join(rendererDir, 'assets'), { recursive: true })
  writeFileSync(join(rendererDir, 'index.html'), '<html></html>')
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'export {}')
  writeFileSync(join(dir, 'secret.txt'), 'secret')
  const answer = (url: string) => serveStudioRequest(url, { rendererDir, dataDir: join(dir, 'data') })

  it('serves the renderer with the CSP and cross-origin isolation', async () => {
    for (const url of ['studio://app/', 'studio://app/index.html']) {
      const res = answer(url)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp')
      expect(await res.text()).toBe('<html></html>')
    }
    expect(answer('studio://app/assets/app.js').headers.get('content-type')).toContain('javascript')
  })

  it('answers a malformed address with 400 and an escape with 404, never throws', () => {
    expect(answer('studio://app/%E0%A4%A').status).toBe(400)
    expect(answer('studio://app/files/%E0%A4%A').status).toBe(400)
    expect(answer('studio://app/index.html%00.js').status).toBe(400)
    expect(answer('studio://app/..%2Fsecret.txt').status).toBe(404)
    expect(answer('studio://app/assets/..%2F..%2Fsecret.txt').status).toBe(404)
    expect(answer('studio://app/assets').status).toBe(404)
    expect(answer('studio://other/index.html').status).toBe(404)
    expect(answer('studio://app/files/studio.db').status).toBe(404)
  })

  it('the CSP allows no remote code, no eval and no framing', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'")
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'wasm-unsafe-eval'")
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'")
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'")
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/'unsafe-eval'|https?:|\*/)
  })

  it('own URLs are compared by scheme and host, not by prefix', () => {
    expect(isOwnUrl('studio://app/index.html')).toBe(true)
    expect(isOwnUrl('studio://app.evil/index.html')).toBe(false)
    expect(isOwnUrl('studio://user@app/index.html')).toBe(false)
    expect(isOwnUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true)
    expect(isOwnUrl('http://localhost:51730/', 'http://localhost:5173')).toBe(false)
    expect(isOwnUrl('http://localhost:5173.evil.example/', 'http://localhost:5173')).toBe(false)
    expect(isOwnUrl('', 'http://localhost:5173')).toBe(false)
    expect(isOwnUrl(null)).toBe(false)
  })
})
