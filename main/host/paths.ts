import { homedir } from 'node:os'
import { join } from 'node:path'

export const APP_NAME = 'CNN Studio'

/**
 * The per-user data folder. Electron's `app.getPath('userData')` is the same folder (the Electron part sets
 * it explicitly from here), so both hosts find the same projects.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CNN_STUDIO_DATA_DIR) return env.CNN_STUDIO_DATA_DIR
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME)
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME)
}
