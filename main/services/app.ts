import { appContract, backendSettingSchema, themeSchema, type AppInfo, type Preferences, type ServiceImpl } from '@shared/api'
import type { Emitter } from '../rpc/service-host'
import type { Db } from '../store/db'

export function createAppService(
  db: Db,
  info: AppInfo,
  emit: Emitter<typeof appContract>,
): ServiceImpl<typeof appContract> {
  const getSetting = (key: string): string | undefined =>
    (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value
  const setSetting = (key: string, value: string) =>
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)

  const PROBE_PREFIX = 'backend-probe:'
  const backendProbes = (): Preferences['backendProbes'] => {
    const rows = db.prepare("SELECT key, value FROM settings WHERE key LIKE 'backend-probe:%'").all() as { key: string; value: string }[]
    const out: Record<string, { webgpu: number | null; wasm: number | null }> = {}
    for (const row of rows) {
      try {
        const v = JSON.parse(row.value) as { webgpu?: unknown; wasm?: unknown }
        const ms = (x: unknown) => (typeof x === 'number' && x > 0 ? x : null)
        out[row.key.slice(PROBE_PREFIX.length)] = { webgpu: ms(v.webgpu), wasm: ms(v.wasm) }
      } catch {
        // a damaged cache entry is ignored: the probe runs again and overwrites it
      }
    }
    return out
  }

  const preferences = (): Preferences => {
    const theme = themeSchema.safeParse(getSetting('theme'))
    const backend = backendSettingSchema.safeParse(getSetting('backend'))
    return { theme: theme.success ? theme.data : 'dark', backend: backend.success ? backend.data : 'auto', backendProbes: backendProbes() }
  }

  return {
    info: () => info,
    getPreferences: () => preferences(),
    setPreferences({ theme, backend, backendProbe }) {
      if (theme) setSetting('theme', theme)
      if (backend) setSetting('backend', backend)
      if (backendProbe) setSetting(PROBE_PREFIX + backendProbe.key, JSON.stringify({ webgpu: backendProbe.webgpu, wasm: backendProbe.wasm }))
      const prefs = preferences()
      emit('onDidChangePreferences', prefs)
      return prefs
    },
  }
}
