/**
 * The thin Electron part: window, menu, app protocol, dialogs and the IPC binding of the studio services.
 * Nothing else in main/ imports electron.
 */
import { existsSync, readFileSync } from 'node:fs'
import { extname, join, normalize, relative, isAbsolute } from 'node:path'
import { app, BrowserWindow, dialog, ipcMain, protocol, shell, type IpcMainInvokeEvent } from 'electron'
import { hostContract } from '@shared/api'
import { defaultDataDir } from '../host/paths'
import { CONTENT_SECURITY_POLICY, ISOLATION_HEADERS, MIME_TYPES } from '../host/renderer-headers'
import { resolveServedFile } from '../host/served-files'
import { startStudio, type Studio } from '../studio'
import { installMenu } from './menu'
import { loadWindowState, trackWindowState } from './window-state'

const SCHEME = 'studio'
const ORIGIN = `${SCHEME}://app`
protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
])

const rendererDir = join(import.meta.dirname, '../renderer')
const devServerUrl = process.env.ELECTRON_RENDERER_URL

function serveRenderer(dataDir: string): void {
  // The built renderer over a secure custom scheme, with cross-origin isolation for the WASM backend's threads.
  protocol.handle(SCHEME, (request) => {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/files/')) {
      const file = resolveServedFile(dataDir, decodeURIComponent(url.pathname.slice('/files/'.length)))
      if (!file) return new Response('Not found', { status: 404 })
      return new Response(readFileSync(file), {
        headers: { 'Content-Type': 'application/octet-stream', 'Cross-Origin-Resource-Policy': 'same-origin' },
      })
    }
    const file = normalize(join(rendererDir, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)))
    const rel = relative(rendererDir, file)
    if (rel.startsWith('..') || isAbsolute(rel) || !existsSync(file)) return new Response('Not found', { status: 404 })
    return new Response(readFileSync(file), {
      headers: {
        'Content-Type': MIME_TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        ...ISOLATION_HEADERS,
      },
    })
  })
}

function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? ''
  return url.startsWith(`${ORIGIN}/`) || (devServerUrl !== undefined && url.startsWith(devServerUrl))
}

function bindIpc(studio: Studio, getWindow: () => BrowserWindow | null): void {
  for (const channel of studio.services.channels()) {
    ipcMain.handle(channel, (event, payload: unknown) => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'unauthorized', message: 'Calls are only accepted from the studio window' } }
      }
      return studio.services.call(channel, payload)
    })
  }
  studio.services.onEvent((channel, payload) => {
    const window = getWindow()
    if (window && !window.isDestroyed()) window.webContents.send(channel, payload)
  })
}

function hardenContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      const allowed = url.startsWith(`${ORIGIN}/`) || (devServerUrl !== undefined && url.startsWith(devServerUrl))
      if (!allowed) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      // Links to documentation open in the user's browser; the studio never opens other windows.
      if (url.startsWith('https://')) void shell.openExternal(url)
      return { action: 'deny' }
    })
  })
}

async function main(): Promise<void> {
  const dataDir = defaultDataDir()
  app.setPath('userData', dataDir)
  await app.whenReady()
  serveRenderer(dataDir)
  hardenContents()

  let window: BrowserWindow | null = null
  const nativeBinding = join(app.getAppPath(), '.electron-native', 'better_sqlite3.node')
  const studio = startStudio({
    dataDir,
    host: 'electron',
    capabilities: { canDropFolders: true },
    ...(existsSync(nativeBinding) ? { nativeBinding } : {}),
    pickFolder: async (title) => {
      const options = { title: title ?? 'Choose a folder', properties: ['openDirectory' as const] }
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
  })
  bindIpc(studio, () => window)
  const sendCommand = studio.services.emitter(hostContract)
  installMenu((command) => sendCommand('onDidRequestCommand', { command }))

  const createWindow = () => {
    const state = loadWindowState(dataDir)
    window = new BrowserWindow({
      width: state?.bounds.width ?? 1440,
      height: state?.bounds.height ?? 900,
      ...(state ? { x: state.bounds.x, y: state.bounds.y } : {}),
      minWidth: 900,
      minHeight: 600,
      show: false,
      title: 'CNN Studio',
      backgroundColor: '#16181d',
      webPreferences: {
        preload: join(import.meta.dirname, '../preload/index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    })
    if (state?.maximized) window.maximize()
    trackWindowState(window, dataDir)
    window.once('ready-to-show', () => window?.show())
    window.on('closed', () => {
      window = null
    })
    void window.loadURL(devServerUrl ?? `${ORIGIN}/index.html`)
  }

  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('will-quit', () => studio.close())
}

main().catch((error: unknown) => {
  dialog.showErrorBox('CNN Studio could not start', error instanceof Error ? error.message : String(error))
  app.exit(1)
})
