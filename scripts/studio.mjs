#!/usr/bin/env node
// `npm run studio`: installs what is missing, builds, and starts CNN Studio: the Electron app where its
// binary is available, otherwise the browser host (same services, same data folder) with its URL.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { build, ensureDependencies, ensureElectronBinary, ensureElectronNativeModules, root } from './setup.mjs'

const args = process.argv.slice(2)
const browserOnly = args.includes('--browser')
const passArgs = args.filter((a) => a !== '--browser' && a !== '--no-install')

if (!args.includes('--no-install')) ensureDependencies()
const electron = browserOnly ? { binary: null, reason: '--browser was given' } : ensureElectronBinary()
if (build() !== 0) process.exit(1)

function start(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code) => process.exit(code ?? 0))
}

if (electron.binary && ensureElectronNativeModules()) {
  console.log('Starting CNN Studio (Electron)…')
  start(electron.binary, ['.', ...passArgs])
} else {
  const why = electron.binary ? 'better-sqlite3 could not be built for Electron' : electron.reason
  console.log(`Electron is not available here (${why}); starting the browser host instead.`)
  start(process.execPath, [join(root, 'out', 'main', 'web.js'), ...passArgs])
}
