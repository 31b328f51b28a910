/**
 * A stand-in for the `electron` module where the Electron binary cannot run: records what the app's main
 * process asks of it (privileged schemes, protocol handlers, windows and their options, IPC handlers, app
 * listeners, URLs opened externally) so a test can check the window options and handlers as constructed.
 * Used by tests/main/electron-security.test.ts (source, via vi.mock) and tests/e2e/electron-bundle.spec.ts
 * (the built out/main/electron.js, via the loader hook in register.mjs).
 */
export const recorded = {
  schemes: [],
  protocolHandlers: new Map(),
  windows: [],
  ipcHandlers: new Map(),
  appListeners: new Map(),
  externalOpened: [],
  loadedUrls: [],
  errors: [],
  sessions: [],
}

/** A session that records its permission handlers (request, check, device). */
export function fakeSession(name) {
  const ses = { name, handlers: {} }
  ses.setPermissionRequestHandler = (fn) => (ses.handlers.request = fn)
  ses.setPermissionCheckHandler = (fn) => (ses.handlers.check = fn)
  ses.setDevicePermissionHandler = (fn) => (ses.handlers.device = fn)
  recorded.sessions.push(ses)
  return ses
}

export const session = { defaultSession: fakeSession('default') }

function listen(map, name, fn) {
  if (!map.has(name)) map.set(name, [])
  map.get(name).push(fn)
}

export const app = {
  setPath() {},
  getPath: () => process.env.CNN_STUDIO_DATA_DIR ?? '',
  getAppPath: () => process.cwd(),
  whenReady: () => Promise.resolve(),
  on(name, fn) {
    listen(recorded.appListeners, name, fn)
    return app
  },
  quit() {},
  exit(code) {
    recorded.errors.push(`exit ${code}`)
  },
}

export class BrowserWindow {
  static getAllWindows() {
    return recorded.windows
  }
  constructor(options) {
    this.options = options
    this.listeners = new Map()
    this.webContents = { send() {} }
    recorded.windows.push(this)
  }
  on(name, fn) {
    listen(this.listeners, name, fn)
    return this
  }
  once(name, fn) {
    return this.on(name, fn)
  }
  maximize() {}
  show() {}
  isDestroyed() {
    return false
  }
  isMaximized() {
    return false
  }
  getNormalBounds() {
    return { x: 0, y: 0, width: 1440, height: 900 }
  }
  loadURL(url) {
    recorded.loadedUrls.push(url)
    return Promise.resolve()
  }
}

export const ipcMain = {
  handle(channel, fn) {
    recorded.ipcHandlers.set(channel, fn)
  },
}

export const protocol = {
  registerSchemesAsPrivileged(schemes) {
    recorded.schemes.push(...schemes)
  },
  handle(scheme, fn) {
    recorded.protocolHandlers.set(scheme, fn)
  },
}

export const shell = {
  openExternal(url) {
    recorded.externalOpened.push(url)
    return Promise.resolve()
  },
}

export const dialog = {
  showOpenDialog: () => Promise.resolve({ canceled: true, filePaths: [] }),
  showSaveDialog: () => Promise.resolve({ canceled: true, filePath: '' }),
  showErrorBox(title, message) {
    recorded.errors.push(`${title}: ${message}`)
  },
}

export const Menu = { buildFromTemplate: (template) => template, setApplicationMenu() {} }
export const screen = { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] }

export default { app, BrowserWindow, ipcMain, protocol, session, shell, dialog, Menu, screen }
