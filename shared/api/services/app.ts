import { z } from 'zod'
import { defineService, method } from '../contract'

export type HostKind = 'electron' | 'browser'

export interface HostCapabilities {
  /** A native folder picker exists (Electron); otherwise the user types or pastes a path. */
  readonly canPickFolder: boolean
  /** Folders can be dropped onto the window and resolved to paths. */
  readonly canDropFolders: boolean
}

export interface AppInfo {
  readonly name: string
  readonly version: string
  readonly host: HostKind
  readonly hostLabel: string
  readonly dataDir: string
  readonly schemaVersion: number
  readonly capabilities: HostCapabilities
}

export const themeSchema = z.enum(['dark', 'light'], { error: 'Theme must be "dark" or "light"' })
export type Theme = z.infer<typeof themeSchema>

export interface Preferences {
  readonly theme: Theme
}

export const appContract = defineService(
  'app',
  {
    info: method<AppInfo>()(z.object({})),
    getPreferences: method<Preferences>()(z.object({})),
    setPreferences: method<Preferences>()(z.object({ theme: themeSchema.optional() })),
  },
  {
    onDidChangePreferences: z.object({ theme: themeSchema }),
  },
)
