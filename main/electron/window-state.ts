import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { screen, type BrowserWindow, type Rectangle } from 'electron'
import { writeFileAtomic } from '../store/files'

interface WindowState {
  bounds: Rectangle
  maximized: boolean
}

const FILE = 'window-state.json'

/** The last window bounds, if they still fit on a connected display. */
export function loadWindowState(dataDir: string): WindowState | null {
  try {
    const state = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as WindowState
    const { x, y, width, height } = state.bounds
    if (![x, y, width, height].every(Number.isFinite) || width < 400 || height < 300) return null
    const visible = screen.getAllDisplays().some(({ workArea: a }) => x < a.x + a.width && x + width > a.x && y < a.y + a.height && y + height > a.y)
    return visible ? state : null
  } catch {
    return null
  }
}

export function trackWindowState(window: BrowserWindow, dataDir: string): void {
  const save = () => {
    if (window.isDestroyed()) return
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() }
    try {
      writeFileAtomic(join(dataDir, FILE), JSON.stringify(state))
    } catch {
      // Losing the window position is not worth an error dialog.
    }
  }
  window.on('close', save)
}
