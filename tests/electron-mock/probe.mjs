/**
 * Drives a main process loaded against fake-electron.mjs the way Electron would, and reports what its security
 * handlers decide: the window's options and start URL, each navigation and new-window request, IPC calls from
 * trusted and untrusted frames, and what the studio:// protocol answers.
 */
import { fakeSession, recorded, session } from './fake-electron.mjs'

export const FOREIGN_URLS = [
  'https://attacker.example/',
  'http://127.0.0.1:8080/',
  'file:///etc/passwd',
  'studio://app.attacker.example/index.html',
  'studio://evil/index.html',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'not a url',
]
/** Every permission Electron's request and check handlers name. */
export const PERMISSIONS = [
  'clipboard-read', 'clipboard-sanitized-write', 'display-capture', 'fullscreen', 'geolocation', 'hid', 'idle-detection', 'media',
  'mediaKeySystem', 'midi', 'midiSysex', 'notifications', 'pointerLock', 'keyboardLock', 'openExternal', 'serial', 'speaker-selection',
  'storage-access', 'top-level-storage-access', 'usb', 'window-management', 'fileSystem', 'unknown',
]
export const OWN_URLS = ['studio://app/index.html', 'studio://app/index.html#/projects/1']

async function until(condition, what) {
  const started = Date.now()
  while (!condition()) {
    if (recorded.errors.length) throw new Error(`The main process failed: ${recorded.errors.join('; ')}`)
    if (Date.now() - started > 20_000) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export async function probeMain() {
  await until(() => recorded.windows.length > 0 && recorded.loadedUrls.length > 0, 'the window')
  const contents = { listeners: new Map(), openHandler: null, session: session.defaultSession }
  contents.on = (name, fn) => {
    if (!contents.listeners.has(name)) contents.listeners.set(name, [])
    contents.listeners.get(name).push(fn)
  }
  contents.setWindowOpenHandler = (fn) => (contents.openHandler = fn)
  for (const fn of recorded.appListeners.get('web-contents-created') ?? []) fn({}, contents)
  // A contents on its own session (a partition) must get the same permission handlers.
  const partition = { ...contents, session: fakeSession('partition'), on() {}, setWindowOpenHandler() {} }
  for (const fn of recorded.appListeners.get('web-contents-created') ?? []) fn({}, partition)

  const prevented = (eventName, url) => {
    const handlers = contents.listeners.get(eventName) ?? []
    if (!handlers.length) return 'no handler'
    let blocked = false
    const event = { url, preventDefault: () => (blocked = true) }
    for (const fn of handlers) fn(event, url)
    return blocked
  }
  const navigation = {}
  for (const eventName of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
    navigation[eventName] = Object.fromEntries([...FOREIGN_URLS, ...OWN_URLS].map((url) => [url, prevented(eventName, url)]))
  }
  const windowOpen = {}
  for (const url of [...FOREIGN_URLS, ...OWN_URLS, 'https://www.tensorflow.org/js']) {
    const before = recorded.externalOpened.length
    const decision = contents.openHandler ? contents.openHandler({ url }) : 'no handler'
    windowOpen[url] = { action: decision?.action ?? decision, openedExternally: recorded.externalOpened.length > before }
  }

  const call = async (channel, senderFrame) => {
    const result = await recorded.ipcHandlers.get(channel)({ senderFrame }, {})
    return result.ok ? 'ok' : result.error.code
  }
  const ipc = { channels: recorded.ipcHandlers.size, foreignRefusedOn: 0, own: {}, foreign: {} }
  for (const channel of recorded.ipcHandlers.keys()) {
    if ((await call(channel, { url: 'https://attacker.example/' })) === 'unauthorized') ipc.foreignRefusedOn++
  }
  for (const url of OWN_URLS) ipc.own[url] = await call('studio:projects.list', { url })
  for (const url of FOREIGN_URLS) ipc.foreign[url] = await call('studio:projects.list', { url })
  ipc.foreign['(no frame)'] = await call('studio:projects.list', null)

  const answer = async (url) => {
    const response = await recorded.protocolHandlers.get('studio')({ url })
    return { status: response.status, csp: response.headers.get('content-security-policy'), coop: response.headers.get('cross-origin-opener-policy') }
  }
  const protocolAnswers = {}
  for (const url of ['studio://app/index.html', 'studio://app/', 'studio://app/%E0%A4%A', 'studio://app/a%00b', 'studio://app/..%2F..%2Fpackage.json', 'studio://app/files/studio.db', 'studio://other/index.html', 'studio://app/icon.svg']) {
    protocolAnswers[url] = await answer(url)
  }

  // Permissions: every request answered no, every check false, every device refused, on every session.
  const permissions = {}
  for (const ses of [session.defaultSession, partition.session]) {
    const h = ses.handlers
    const answers = {}
    for (const permission of PERMISSIONS) {
      let granted = 'no answer'
      if (h.request) h.request(contents, permission, (g) => (granted = g), { requestingUrl: 'studio://app/index.html' })
      else granted = 'no handler'
      answers[permission] = { request: granted, check: h.check ? h.check(contents, permission, 'studio://app', {}) : 'no handler' }
    }
    for (const deviceType of ['hid', 'serial', 'usb']) {
      answers[`device:${deviceType}`] = { request: h.device ? h.device({ deviceType, origin: 'studio://app', device: {} }) : 'no handler', check: false }
    }
    permissions[ses.name] = answers
  }

  const window = recorded.windows[0]
  return {
    permissions,
    schemes: recorded.schemes,
    protocols: [...recorded.protocolHandlers.keys()],
    webPreferences: window.options.webPreferences,
    icon: window.options.icon ?? null,
    windowCount: recorded.windows.length,
    loadedUrls: recorded.loadedUrls,
    navigation,
    webviewAttachPrevented: prevented('will-attach-webview', 'about:blank'),
    windowOpen,
    ipc,
    protocolAnswers,
  }
}

/** Ends the main process's studio (closes its database) as Electron's quit would. */
export function quitMain() {
  for (const fn of recorded.appListeners.get('will-quit') ?? []) fn()
}
