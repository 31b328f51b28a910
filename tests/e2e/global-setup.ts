import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** The e2e tests run the built app; build it when the test command has not already. */
export default function globalSetup(): void {
  if (existsSync('out/main/web.js') && existsSync('out/renderer/index.html') && !process.env.STUDIO_REBUILD) return
  const result = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], { stdio: 'inherit' })
  if (result.status !== 0) throw new Error('electron-vite build failed')
}
