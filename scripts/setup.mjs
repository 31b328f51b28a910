// Installation steps shared by `npm run studio` and `npm test`. Only Node built-ins: it runs before
// node_modules exists.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', ...options })
  return result.status ?? 1
}

/**
 * Installs dependencies from the lockfile when node_modules is missing or older than the lockfile.
 * Electron's own install script would download its binary and fail the whole install where that is not
 * possible, so the binary is fetched separately (see ensureElectronBinary).
 */
export function ensureDependencies({ force = false } = {}) {
  const marker = join(root, 'node_modules', '.package-lock.json')
  const lock = join(root, 'package-lock.json')
  // Installed for this exact lockfile? (A content hash: checkouts touch file times without changing anything.)
  const stamp = join(root, 'node_modules', '.cnn-studio-lock-hash')
  const hash = createHash('sha256').update(readFileSync(lock)).digest('hex')
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return
  if (!force && !existsSync(stamp) && existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) {
    writeFileSync(stamp, hash) // installed by a plain `npm ci` (e.g. .ci/run) from this lockfile
    return
  }
  console.log('Installing dependencies from package-lock.json…')
  const status = run(npm, ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } })
  if (status !== 0) {
    console.error('npm ci failed; see the messages above.')
    process.exit(status)
  }
  writeFileSync(stamp, hash)
}

export function electronBinary() {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt')
  if (!existsSync(pathFile)) return null
  const binary = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(binary) ? binary : null
}

/** Tries to download Electron's binary (Electron's own installer). Returns its path, or null with a reason. */
export function ensureElectronBinary() {
  if (electronBinary()) return { binary: electronBinary(), reason: null }
  if (process.env.CNN_STUDIO_BROWSER === '1') return { binary: null, reason: 'CNN_STUDIO_BROWSER=1 is set' }
  const env = { ...process.env }
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'electron', 'install.js')], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 10 * 60_000,
  })
  if (electronBinary()) return { binary: electronBinary(), reason: null }
  const detail = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').find((l) => /error|ENOTFOUND|fail/i.test(l))
  return { binary: null, reason: detail ? detail.trim() : 'the Electron binary could not be downloaded' }
}

/**
 * better-sqlite3 is a native module: node_modules holds the build for Node (browser host, tests, CLI); Electron
 * needs one for its own ABI, kept apart in .electron-native/ and passed to better-sqlite3 as `nativeBinding`.
 */
export function ensureElectronNativeModules() {
  const target = join(root, '.electron-native', 'better_sqlite3.node')
  const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version
  const sqliteVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')).version
  const stamp = join(root, '.electron-native', 'stamp.json')
  const want = JSON.stringify({ electronVersion, sqliteVersion })
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return true
  console.log(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}…`)
  const work = join(root, '.electron-native', 'build')
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  writeFileSync(join(work, 'package.json'), JSON.stringify({ private: true, dependencies: { 'better-sqlite3': sqliteVersion } }))
  const status = run(npm, ['install', '--no-audit', '--no-fund', '--no-package-lock'], {
    cwd: work,
    env: {
      ...process.env,
      npm_config_runtime: 'electron',
      npm_config_target: electronVersion,
      npm_config_disturl: 'https://electronjs.org/headers',
    },
  })
  const built = join(work, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
  if (status !== 0 || !existsSync(built)) return false
  copyFileSync(built, target)
  writeFileSync(stamp, want)
  rmSync(work, { recursive: true, force: true })
  return true
}

export function build() {
  return run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'])
}
