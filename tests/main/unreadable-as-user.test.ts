/**
 * Files the user cannot read and a data folder the user cannot write, checked as a user for whom that is true
 * (tests/main/as-user.ts: as root, which reads and writes anyway, the commands run as uid 65534). The real
 * `studio` command (tsx, as a user runs it) on folders made here:
 *  - an image folder with unreadable files and an unreadable subfolder: each is named with the reason, the
 *    readable images are imported, nothing is half-written;
 *  - an image folder that cannot be read at all: refused naming that folder (not the data folder), nothing written;
 *  - a read-only data folder: the command and the browser host say which folder and what to do; the database is
 *    unchanged byte for byte and intact.
 */
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { storageProblem } from '../../main/store/files'
import { unprivilegedRunner, userHome, type UserRunner } from './as-user'

const repo = resolve(import.meta.dirname, '../..')
const TSX = join(repo, 'node_modules/.bin/tsx')
const runner = unprivilegedRunner()
const problem = 'problem' in runner ? runner.problem : null

let dir = ''
let home = ''
let png: Buffer
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cnn-studio-as-user-'))
  // The user must reach what is made here (mkdtemp makes the folder 0700).
  chmodSync(dir, 0o755)
  if (!problem) home = userHome(runner as UserRunner, dir)
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer()
})
afterAll(() => {
  if (!dir) return
  // Make everything removable again (a folder mode 000 cannot be walked into).
  const open = (p: string) => {
    chmodSync(p, 0o755)
    for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) open(join(p, e.name))
  }
  open(dir)
  rmSync(dir, { recursive: true, force: true })
})

const studio = (args: string[]) => (runner as UserRunner).run(TSX, ['--tsconfig', 'tsconfig.main.json', 'main/cli/index.ts', ...args], { cwd: repo, home })

/** A data folder the user owns. */
function dataFolder(name: string): string {
  const data = join(dir, name)
  mkdirSync(data)
  ;(runner as UserRunner).own(data)
  return data
}

const datasetRows = (data: string) => {
  const db = new Database(join(data, 'studio.db'), { readonly: true })
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    return db.prepare('SELECT id, status FROM datasets').all() as { id: number; status: string }[]
  } finally {
    db.close()
  }
}
/** Every file under `root` (relative). */
const files = (root: string, base = root): string[] =>
  readdirSync(root, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(root, e.name), base) : [join(root, e.name).slice(base.length + 1)]))

describe('a permission error outside the data folder is not called a data folder problem', () => {
  it('names the data folder for its own paths, its parents and SQLite; not for an image or export folder elsewhere', () => {
    const root = '/home/me/studio-data'
    const said = /^The data folder \/home\/me\/studio-data is read-only or not writable by you \(EACCES\)/
    const denied = (path?: string) => Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', ...(path ? { path } : {}) })
    expect(storageProblem(denied(`${root}/projects/1/runs/2/.1-abc.tmp`), root)).toMatch(said)
    expect(storageProblem(denied(root), root)).toMatch(said)
    expect(storageProblem(denied('/home/me'), root)).toMatch(said)
    expect(storageProblem(denied(), root)).toMatch(said)
    expect(storageProblem(Object.assign(new Error('readonly'), { code: 'SQLITE_READONLY' }), root)).toMatch(/read-only or not writable/)
    expect(storageProblem(denied('/home/me/pictures/cats'), root)).toBeNull()
    expect(storageProblem(denied('/home/me/studio-data-exports/x'), root)).toBeNull()
    expect(storageProblem(Object.assign(new Error('full'), { code: 'ENOSPC', path: '/mnt/usb/export/model.pt' }), root)).toBeNull()
  })
})

describe.skipIf(problem !== null)(`unreadable files and a read-only data folder, as ${'who' in runner ? runner.who : `nobody — skipped: ${problem}`}`, () => {
  it('an import skips the files and the folder the user cannot read, naming each with the reason, and imports the rest', { timeout: 120_000 }, async () => {
    const images = join(dir, 'images')
    for (const c of ['cats', 'dogs']) {
      mkdirSync(join(images, c), { recursive: true })
      for (let i = 0; i < 3; i++) writeFileSync(join(images, c, `good${i}.png`), png)
    }
    writeFileSync(join(images, 'cats', 'locked.png'), png)
    chmodSync(join(images, 'cats', 'locked.png'), 0o000)
    writeFileSync(join(images, 'dogs', 'locked.png'), png)
    chmodSync(join(images, 'dogs', 'locked.png'), 0o200) // write-only
    mkdirSync(join(images, 'dogs', 'private'))
    writeFileSync(join(images, 'dogs', 'private', 'hidden.png'), png)
    chmodSync(join(images, 'dogs', 'private'), 0o000)
    const data = dataFolder('data-import')

    const r = await studio(['dataset', 'import', images, '--name', 'Locked', '--json', '--data-dir', data])
    expect(r.code, r.err).toBe(0)
    const detail = JSON.parse(r.out) as { itemCount: number; status: string; skipped: { path: string; reason: string }[]; notFollowed: { path: string; reason: string }[] }
    expect(detail.status).toBe('ready')
    expect(detail.itemCount).toBe(6)
    expect(detail.skipped).toEqual([
      { path: 'cats/locked.png', reason: 'cannot be read (permission denied)' },
      { path: 'dogs/locked.png', reason: 'cannot be read (permission denied)' },
    ])
    expect(detail.notFollowed).toEqual([{ path: 'dogs/private', reason: 'folder cannot be read (permission denied)' }])
    // Nothing half-written: one ready dataset, its folder without temporary files.
    expect(datasetRows(data)).toEqual([{ id: 1, status: 'ready' }])
    expect(files(join(data, 'datasets')).filter((f) => f.endsWith('.tmp') || f.includes('/.'))).toEqual([])

    // The report in words names them too.
    const data2 = dataFolder('data-import-words')
    const words = await studio(['dataset', 'import', images, '--name', 'Locked', '--data-dir', data2])
    expect(words.code, words.err).toBe(0)
    expect(words.out).toContain('Skipped 2 files:\n  cats/locked.png: cannot be read (permission denied)\n  dogs/locked.png: cannot be read (permission denied)')
    expect(words.out).toContain('Left out 1 link or folder:\n  dogs/private: folder cannot be read (permission denied)')
  })

  it('a folder the user cannot read at all is refused naming it (not the data folder); nothing is written', { timeout: 120_000 }, async () => {
    const locked = join(dir, 'locked')
    mkdirSync(join(locked, 'cats'), { recursive: true })
    writeFileSync(join(locked, 'cats', 'a.png'), png)
    chmodSync(locked, 0o311) // may be entered, not listed
    const data = dataFolder('data-locked')
    const r = await studio(['dataset', 'import', locked, '--data-dir', data])
    expect(r.code).toBe(2)
    expect(r.err).toContain(`Folder ${locked} cannot be read (permission denied): check the path and try again.`)
    expect(r.err).not.toContain('data folder')
    expect(r.err).not.toMatch(/\n\s+at /)
    expect(datasetRows(data)).toEqual([])
    chmodSync(locked, 0o000) // not even entered
    const r2 = await studio(['dataset', 'import', join(locked, 'cats'), '--data-dir', data])
    expect(r2.code).toBe(2)
    expect(r2.err).toContain(`Folder ${join(locked, 'cats')} cannot be read (permission denied): check the path and try again.`)
    expect(datasetRows(data)).toEqual([])
  })

  it('a read-only data folder: the command and the browser host name it and say what to do; nothing changes', { timeout: 180_000 }, async () => {
    const data = dataFolder('data-ro')
    const setup = await studio(['dataset', 'mnist', '--count', '20', '--data-dir', data])
    expect(setup.code, setup.err).toBe(0)
    const before = files(data).sort()
    const hash = createHash('sha256').update(readFileSync(join(data, 'studio.db'))).digest('hex')
    chmodSync(data, 0o555)
    try {
      const said = `The data folder ${data} is read-only or not writable by you`
      const list = await studio(['runs', 'list', '--data-dir', data])
      expect(list.code).toBe(1)
      expect(list.err).toContain(said)
      expect(list.err).toContain('make it writable (or choose another data folder), then try again')
      expect(list.err).not.toMatch(/\n\s+at /)
      const imported = await studio(['dataset', 'mnist', '--count', '20', '--data-dir', data])
      expect(imported.code).toBe(1)
      expect(imported.err).toContain(said)
      // The browser host does not start on it, and says why.
      const rendererDir = join(dir, 'renderer')
      mkdirSync(rendererDir, { recursive: true })
      writeFileSync(join(rendererDir, 'index.html'), '<html><head></head><body></body></html>')
      const host = await (runner as UserRunner).run(TSX, ['--tsconfig', 'tsconfig.main.json', 'main/web/index.ts', '--data-dir', data, '--renderer-dir', rendererDir], { cwd: repo, home })
      expect(host.code).toBe(1)
      expect(host.err).toContain(`CNN Studio could not start: CNN Studio cannot open its data folder. ${said}`)
    } finally {
      chmodSync(data, 0o755)
    }
    // Nothing changed: the same files, the database byte for byte, intact.
    expect(files(data).sort()).toEqual(before)
    expect(createHash('sha256').update(readFileSync(join(data, 'studio.db'))).digest('hex')).toBe(hash)
    expect(datasetRows(data)).toEqual([{ id: 1, status: 'ready' }])
  })
})
