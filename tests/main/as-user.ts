/**
 * Running a command as a user for whom file permissions hold. Root (as here and in CI) reads a chmod 000 file
 * and writes a read-only folder anyway, so a check of "the user cannot read this" must run as someone else: when
 * this process is root the command runs as the unprivileged user 65534 (nobody) through `setpriv` (util-linux),
 * or `runuser` when setpriv is missing; otherwise it runs directly, as the user running the tests.
 */
import { execFileSync, spawn } from 'node:child_process'
import { chownSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

const NOBODY = 65534

export interface UserRunner {
  /** Who the commands run as, in words (for test titles and messages). */
  readonly who: string
  /** Makes `path` belong to that user (a folder it must write: its data folder, its home). */
  own(path: string): void
  /** Runs `command args` as that user; HOME is set to `home` (a folder it owns). */
  run(command: string, args: string[], o: { cwd: string; home: string; timeoutMs?: number }): Promise<{ code: number | null; out: string; err: string }>
}

const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

/** The runner, or why there is none (root without setpriv or runuser). */
export function unprivilegedRunner(): UserRunner | { problem: string } {
  const root = process.getuid?.() === 0
  let prefix: string[] = []
  let who = 'the user running the tests'
  if (root) {
    if (has('setpriv')) {
      prefix = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--']
      who = `uid ${NOBODY} (setpriv)`
    } else if (has('runuser')) {
      prefix = ['runuser', '-u', 'nobody', '--']
      who = 'nobody (runuser)'
    } else return { problem: 'the tests run as root and neither setpriv nor runuser is installed to drop to an unprivileged user' }
  }
  return {
    who,
    own: (path) => {
      if (root) chownSync(path, NOBODY, NOBODY)
    },
    run: (command, args, o) =>
      new Promise((resolve) => {
        const [bin, ...rest] = [...prefix, command, ...args]
        const child = spawn(bin!, rest, { cwd: o.cwd, env: { ...process.env, HOME: o.home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
        let out = ''
        let err = ''
        child.stdout.on('data', (d: Buffer) => (out += d.toString()))
        child.stderr.on('data', (d: Buffer) => (err += d.toString()))
        const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000)
        child.on('close', (code) => {
          clearTimeout(timer)
          resolve({ code, out, err })
        })
      }),
  }
}

/** A home folder for the user under `dir`. */
export function userHome(runner: UserRunner, dir: string): string {
  const home = join(dir, 'home')
  mkdirSync(home)
  runner.own(home)
  return home
}
