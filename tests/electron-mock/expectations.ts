/** What the probe (probe.mjs) reports about a main process. */
export interface MainReport {
  schemes: { scheme: string; privileges: Record<string, boolean> }[]
  protocols: string[]
  webPreferences: Record<string, unknown>
  /** The window's icon file (BrowserWindow's `icon`). */
  icon: string | null
  windowCount: number
  loadedUrls: string[]
  navigation: Record<string, Record<string, boolean | string>>
  webviewAttachPrevented: boolean | string
  windowOpen: Record<string, { action: string; openedExternally: boolean }>
  ipc: { channels: number; foreignRefusedOn: number; own: Record<string, string>; foreign: Record<string, string> }
  protocolAnswers: Record<string, { status: number; csp: string | null; coop: string | null }>
  /** Per session (default, a partition): per permission, what the request handler granted and the check said. */
  permissions: Record<string, Record<string, { request: boolean | string; check: boolean | string }>>
}

interface Matchers {
  toEqual(expected: unknown): void
  toBe(expected: unknown): void
  toMatchObject(expected: Record<string, unknown>): void
  toMatch(expected: RegExp): void
  toBeGreaterThan(expected: number): void
}
/** vitest's or Playwright's `expect`: the same checks run in both runners. */
type Expect = (actual: unknown) => Matchers

/** The Electron security checklist, as the probe sees it. Shared by the source test and the bundle spec. */
export function expectSecureMain(report: MainReport, expect: Expect): void {
  // Only our own protocol, registered as a secure standard scheme; the window loads it.
  expect(report.schemes.map((s) => s.scheme)).toEqual(['studio'])
  expect(report.schemes[0]!.privileges).toMatchObject({ standard: true, secure: true })
  expect(report.protocols).toEqual(['studio'])
  expect(report.windowCount).toBe(1)
  expect(report.loadedUrls).toEqual(['studio://app/index.html'])

  // The renderer: isolated, sandboxed, no Node.
  expect(report.webPreferences).toMatchObject({
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
  })
  expect(String(report.webPreferences.preload)).toMatch(/preload[\\/]index\.cjs$/)

  // Navigation (main frame, any frame, redirects) leaves the studio never; webviews never attach.
  for (const [eventName, urls] of Object.entries(report.navigation)) {
    for (const [url, blocked] of Object.entries(urls)) {
      const own = url.startsWith('studio://app/')
      expect({ eventName, url, blocked }).toEqual({ eventName, url, blocked: !own })
    }
  }
  expect(report.webviewAttachPrevented).toBe(true)

  // New windows: always denied; only https links go to the user's browser.
  for (const [url, decision] of Object.entries(report.windowOpen)) {
    expect({ url, ...decision }).toEqual({ url, action: 'deny', openedExternally: url.startsWith('https://') })
  }

  // IPC: every channel refuses a frame that is not the studio's; the studio's own frame is answered.
  expect(report.ipc.channels).toBeGreaterThan(20)
  expect(report.ipc.foreignRefusedOn).toBe(report.ipc.channels)
  for (const [url, result] of Object.entries(report.ipc.foreign)) expect({ url, result }).toEqual({ url, result: 'unauthorized' })
  for (const [url, result] of Object.entries(report.ipc.own)) expect({ url, result }).toEqual({ url, result: 'ok' })

  // Permissions: the default session and any other one deny every request, check and device.
  expect(Object.keys(report.permissions)).toEqual(['default', 'partition'])
  for (const [sessionName, answers] of Object.entries(report.permissions)) {
    expect(Object.keys(answers).length).toBeGreaterThan(20)
    for (const [permission, answer] of Object.entries(answers)) {
      expect({ sessionName, permission, ...answer }).toEqual({ sessionName, permission, request: false, check: false })
    }
  }

  // The protocol: malformed addresses are 400, escapes and other hosts 404.
  expect(report.protocolAnswers['studio://app/%E0%A4%A']!.status).toBe(400)
  expect(report.protocolAnswers['studio://app/a%00b']!.status).toBe(400)
  expect(report.protocolAnswers['studio://app/..%2F..%2Fpackage.json']!.status).toBe(404)
  expect(report.protocolAnswers['studio://app/files/studio.db']!.status).toBe(404)
  expect(report.protocolAnswers['studio://other/index.html']!.status).toBe(404)
}
