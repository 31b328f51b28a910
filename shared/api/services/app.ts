import { z } from 'zod'
import { defineService, method } from '../contract'

export type HostKind = 'electron' | 'browser'

export interface HostCapabilities {
  /** A native folder picker exists (Electron); otherwise the user types or pastes a path. */
  readonly canPickFolder: boolean
  /** Folders can be dropped onto the window and resolved to paths. */
  readonly canDropFolders: boolean
  /** A native save dialog exists (Electron: `host.saveFile`); otherwise the page downloads exported files. */
  readonly canSaveFile: boolean
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

/** The TF.js backend setting (training, evaluation, preview): Auto (the fastest here, see renderer/src/backend/auto.ts) or one backend. */
export const BACKEND_SETTINGS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const
export const backendSettingSchema = z.enum(BACKEND_SETTINGS, { error: 'Backend must be one of auto, webgpu, webgl, wasm, cpu' })
export type BackendSetting = z.infer<typeof backendSettingSchema>

/** A timed probe of training speed on one adapter: milliseconds per step, null when that backend failed or ran out of time. */
export const backendProbeSchema = z.object({
  key: z.string().min(1).max(500),
  webgpu: z.number().positive().nullable(),
  wasm: z.number().positive().nullable(),
})
export type BackendProbeRecord = z.infer<typeof backendProbeSchema>

export interface Preferences {
  readonly theme: Theme
  readonly backend: BackendSetting
  /** Cached speed probes by adapter key (so Auto does not re-run its probe every launch). */
  readonly backendProbes: Readonly<Record<string, { readonly webgpu: number | null; readonly wasm: number | null }>>
}

export const appContract = defineService(
  'app',
  {
    info: method<AppInfo>()(z.object({})),
    getPreferences: method<Preferences>()(z.object({})),
    setPreferences: method<Preferences>()(
      z.object({ theme: themeSchema.optional(), backend: backendSettingSchema.optional(), backendProbe: backendProbeSchema.optional() }),
    ),
  },
  {
    onDidChangePreferences: z.object({
      theme: themeSchema,
      backend: backendSettingSchema,
      backendProbes: z.record(z.string(), z.object({ webgpu: z.number().nullable(), wasm: z.number().nullable() })),
    }),
  },
)
