#!/usr/bin/env node
// `npm run start:web -- [--port <p>] [--data-dir <dir>]`: the browser host. Builds the app first if needed.
import { existsSync } from 'node:fs'
import { spawnSync, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const rebuild = args.includes('--build')
const passArgs = args.filter((a) => a !== '--build')

if (rebuild || !existsSync(join(root, 'out/main/web.js')) || !existsSync(join(root, 'out/renderer/index.html'))) {
  console.log('Building CNN Studio…')
  const build = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}
const child = spawn(process.execPath, [join(root, 'out/main/web.js'), ...passArgs], { cwd: root, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))
