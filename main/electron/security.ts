/**
 * The Electron app's security decisions, as plain functions with no Electron import, so a test can check them
 * here (where the Electron binary cannot run) and the built bundle can be checked with a mocked `electron`:
 * the window's web preferences, which URLs the window may load or navigate to, what a new window request does,
 * which IPC senders are trusted, and how the app's own `studio://` protocol answers.
 * (The Electron security checklist: context isolation, sandbox, no Node in the renderer, a CSP, navigation and
 * new windows blocked, IPC senders checked, only our own protocol loaded, every permission request denied.)
 */
import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { CONTENT_SECURITY_POLICY, ISOLATION_HEADERS, MIME_TYPES } from '../host/renderer-headers'
import { decodeRequestPath, resolveRendererFile, resolveServedFile } from '../host/served-files'

export const SCHEME = 'studio'
export const ORIGIN = `${SCHEME}://app`
/** The only scheme the app registers: standard and secure, so the renderer gets a real origin and fetch. */
export const PRIVILEGED_SCHEMES = [{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]

/** The window's web preferences: no Node, an isolated and sandboxed renderer, web security on. */
export function windowWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
  } as const
}

/** The address the window loads: our own protocol, or the dev server while developing. */
export function startUrl(devServerUrl: string | undefined): string {
  return devServerUrl ?? `${ORIGIN}/index.html`
}

/**
 * True when `url` belongs to the studio itself: `studio://app/...`, or (while developing) the dev server's
 * origin. Compared by parsed scheme and host, not by prefix, so `studio://app.evil/` or a dev-server-lookalike
 * port is not ours; anything unparsable is not ours.
 */
export function isOwnUrl(url: string | null | undefined, devServerUrl?: string): boolean {
  if (!url) return false
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === `${SCHEME}:` && parsed.host === 'app' && parsed.username === '' && parsed.password === '') return true
  if (devServerUrl === undefined) return false
  try {
    const dev = new URL(devServerUrl)
    return (dev.protocol === 'http:' || dev.protocol === 'https:') && parsed.origin === dev.origin
  } catch {
    return false
  }
}

/** A navigation (or redirect) of any frame: allowed only within the studio. */
export function navigationAllowed(url: string, devServerUrl?: string): boolean {
  return isOwnUrl(url, devServerUrl)
}

/**
 * A request for a new window (window.open, a target=_blank link): always denied. Documentation links
 * (https only) open in the user's browser instead; nothing else leaves the app.
 */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: string | null } {
  let external: string | null = null
  try {
    if (new URL(url).protocol === 'https:') external = url
  } catch {
    external = null
  }
  return { action: 'deny', openExternally: external }
}

/**
 * A page's request for a permission (camera, microphone, geolocation, notifications, clipboard reads, MIDI, HID,
 * serial, USB, fullscreen, opening external protocols...) and a page's check of one: always no. The studio needs
 * none of them; a page that should not be there gets nothing either.
 */
export function permissionRequestDecision(_permission: string): false {
  return false
}
export function permissionCheckDecision(_permission: string): false {
  return false
}

/** An IPC call is answered only when it comes from a frame showing the studio itself. */
export function ipcSenderTrusted(senderFrameUrl: string | null | undefined, devServerUrl?: string): boolean {
  return isOwnUrl(senderFrameUrl, devServerUrl)
}

export const UNTRUSTED_SENDER = { ok: false, error: { code: 'unauthorized', message: 'Calls are only accepted from the studio window' } } as const

/**
 * The `studio://` protocol: the built renderer (with the CSP and cross-origin isolation headers) and the data
 * files both hosts serve (main/host/served-files.ts). A malformed address is 400, anything outside is 404.
 */
export function serveStudioRequest(requestUrl: string, options: { rendererDir: string; dataDir: string }): Response {
  const text = (status: number, body: string) => new Response(body, { status, headers: { 'Content-Type': MIME_TYPES['.txt']! } })
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return text(400, 'Bad request: malformed address')
  }
  const path = decodeRequestPath(url.pathname)
  if (path === null) return text(400, 'Bad request: the address is not a valid path (malformed percent-escape or NUL byte)')
  if (url.protocol !== `${SCHEME}:` || url.host !== 'app') return text(404, 'Not found')
  if (path.startsWith('/files/')) {
    const file = resolveServedFile(options.dataDir, path.slice('/files/'.length))
    if (!file) return text(404, 'Not found')
    return new Response(readFileSync(file), {
      headers: { 'Content-Type': 'application/octet-stream', 'Cross-Origin-Resource-Policy': 'same-origin' },
    })
  }
  const file = resolveRendererFile(options.rendererDir, path === '/' ? '/index.html' : path)
  if (!file) return text(404, 'Not found')
  return new Response(readFileSync(file), {
    headers: {
      'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      ...ISOLATION_HEADERS,
    },
  })
}
