/**
 * The thin Electron part: window, menu, app protocol, dialogs and the IPC binding of the studio services.
 * Nothing else in main/ imports electron.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, type Session } from 'electron'
import { hostContract } from '@shared/api'
import { defaultDataDir } from '../host/paths'
import { startStudio, type Studio } from '../studio'
import { installMenu } from './menu'
import {
  ipcSenderTrusted,
  navigationAllowed,
  permissionCheckDecision,
  permissionRequestDecision,
  PRIVILEGED_SCHEMES,
  SCHEME,
  serveStudioRequest,
  startUrl,
  UNTRUSTED_SENDER,
  windowOpenDecision,
  windowWebPreferences,
} from './security'
import { loadWindowState, trackWindowState } from './window-state'

protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES)

const rendererDir = join(import.meta.dirname, '../renderer')
/** The window's icon, from the top-level resources/ (the packaged assets; the browser host's favicon is the same). */
const windowIcon = () => join(app.getAppPath(), 'resources', 'icon-512.png')
const devServerUrl = process.env.ELECTRON_RENDERER_URL || undefined

function serveRenderer(dataDir: string): void {
  // The built renderer over a secure custom scheme, with cross-origin isolation for the WASM backend's threads.
  protocol.handle(SCHEME, (request) => serveStudioRequest(request.url, { rendererDir, dataDir }))
}

function bindIpc(studio: Studio, getWindow: () => BrowserWindow | null): void {
  for (const channel of studio.services.channels()) {
    ipcMain.handle(channel, (event, payload: unknown) => {
      if (!ipcSenderTrusted(event.senderFrame?.url, devServerUrl)) return UNTRUSTED_SENDER
      return studio.services.call(channel, payload)
    })
  }
  studio.services.onEvent((channel, payload) => {
    const window = getWindow()
    if (window && !window.isDestroyed()) window.webContents.send(channel, payload)
  })
}

/** Every permission a page asks for or checks is denied (the studio needs none). */
function denyPermissions(target: Session): void {
  target.setPermissionRequestHandler((_contents, permission, callback) => callback(permissionRequestDecision(permission)))
  target.setPermissionCheckHandler((_contents, permission) => permissionCheckDecision(permission))
  target.setDevicePermissionHandler((details) => permissionCheckDecision(details.deviceType))
}

function hardenContents(): void {
  denyPermissions(session.defaultSession)
  app.on('web-contents-created', (_event, contents) => {
    // A contents on another session (a partition) gets the same handlers.
    if (contents.session !== session.defaultSession) denyPermissions(contents.session)
    const guard = (event: { preventDefault(): void }, url: string) => {
      if (!navigationAllowed(url, devServerUrl)) event.preventDefault()
    }
    contents.on('will-navigate', guard)
    contents.on('will-frame-navigate', (event) => guard(event, event.url))
    contents.on('will-redirect', guard)
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      // Links to documentation open in the user's browser; the studio never opens other windows.
      const decision = windowOpenDecision(url)
      if (decision.openExternally) void shell.openExternal(decision.openExternally)
      return { action: decision.action }
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
    settleEngineRuns: true,
    capabilities: { canDropFolders: true },
    ...(existsSync(nativeBinding) ? { nativeBinding } : {}),
    pickFolder: async (title) => {
      const options = { title: title ?? 'Choose a folder', properties: ['openDirectory' as const] }
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
    pickSaveFile: async ({ title, suggestedName, filters }) => {
      const options = { title: title ?? 'Save as', defaultPath: join(app.getPath('downloads'), suggestedName), ...(filters ? { filters } : {}) }
      const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options)
      return result.canceled ? null : (result.filePath ?? null)
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
      icon: windowIcon(),
      webPreferences: windowWebPreferences(join(import.meta.dirname, '../preload/index.cjs')),
    })
    if (state?.maximized) window.maximize()
    trackWindowState(window, dataDir)
    window.once('ready-to-show', () => window?.show())
    window.on('closed', () => {
      window = null
    })
    void window.loadURL(startUrl(devServerUrl))
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
