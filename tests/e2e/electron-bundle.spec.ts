/**
 * The Electron security checklist on the BUILT main bundle (out/main/electron.js), where the Electron binary
 * cannot run: the bundle is loaded in Node against a recording stand-in for `electron` and probed
 * (tests/electron-mock/), with the same expectations as the source test (tests/main/electron-security.test.ts),
 * plus the CSP on the real built index.html.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONTENT_SECURITY_POLICY } from '../../main/host/renderer-headers'
import { expectSecureMain, type MainReport } from '../electron-mock/expectations'
import { expect, test } from './fixtures'

test('the built Electron main process: locked-down window, navigation and new windows blocked, IPC senders checked, CSP', async ({}, testInfo) => {
  test.skip(testInfo.project.name !== 'browser', 'host independent: runs once')
  const dataDir = mkdtempSync(join(tmpdir(), 'cnn-studio-electron-bundle-'))
  const env: NodeJS.ProcessEnv = { ...process.env, CNN_STUDIO_DATA_DIR: dataDir }
  delete env.ELECTRON_RENDERER_URL
  try {
    const out = execFileSync(process.execPath, ['tests/electron-mock/run-bundle.mjs', 'out/main/electron.js'], {
      encoding: 'utf8',
      timeout: 60_000,
      env,
    })
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as MainReport
    expectSecureMain(report, expect)
    expect(String(report.webPreferences.preload)).toMatch(/out[\\/]preload[\\/]index\.cjs$/)
    for (const url of ['studio://app/index.html', 'studio://app/']) {
      expect(report.protocolAnswers[url]).toEqual({ status: 200, csp: CONTENT_SECURITY_POLICY, coop: 'same-origin' })
    }
    // The window's icon is the packaged one in resources/, and the built renderer carries the favicon it links.
    expect(report.icon).toMatch(/[\\/]resources[\\/]icon-512\.png$/)
    expect(existsSync(report.icon!), report.icon!).toBe(true)
    expect(readFileSync(report.icon!).subarray(1, 4).toString()).toBe('PNG')
    expect(readFileSync('out/renderer/index.html', 'utf8')).toMatch(/<link rel="icon" type="image\/svg\+xml" href="\.?\/icon\.svg"/)
    expect(report.protocolAnswers['studio://app/icon.svg']).toEqual({ status: 200, csp: CONTENT_SECURITY_POLICY, coop: 'same-origin' })
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
