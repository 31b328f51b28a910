import { defineConfig } from '@playwright/test'

/**
 * End-to-end tests drive the real renderer against the real services. Two projects run the same flows:
 * `browser` (the browser host in Debian's Chromium) and `electron` (the Electron app, where its binary exists;
 * skipped with a clear reason otherwise).
 */
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: '.cache/test-results',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  globalSetup: './tests/e2e/global-setup.ts',
  reporter: process.env.CI ? [['list'], ['json', { outputFile: '.cache/e2e-results.json' }]] : [['list'], ['json', { outputFile: '.cache/e2e-results.json' }]],
  use: { viewport: { width: 1360, height: 860 }, trace: 'off', screenshot: 'only-on-failure' },
  projects: [
    { name: 'browser', metadata: { host: 'browser' } },
    { name: 'electron', metadata: { host: 'electron' } },
  ],
})
