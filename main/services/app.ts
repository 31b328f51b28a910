import { appContract, themeSchema, type AppInfo, type Preferences, type ServiceImpl } from '@shared/api'
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

  const preferences = (): Preferences => {
    const theme = themeSchema.safeParse(getSetting('theme'))
    return { theme: theme.success ? theme.data : 'dark' }
  }

  return {
    info: () => info,
    getPreferences: () => preferences(),
    setPreferences({ theme }) {
      if (theme) setSetting('theme', theme)
      const prefs = preferences()
      emit('onDidChangePreferences', prefs)
      return prefs
    },
  }
}
