/**
 * Guards `host.saveFile` (main/studio.ts): with a save dialog the bytes land where the user chose (the Electron
 * part passes `dialog.showSaveDialog`); cancelled saves nothing; a host without a dialog refuses and says why, and
 * a suggested name that is a path is refused before any dialog opens.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { appContract, hostContract } from '@shared/api'
import { startStudio } from '../../main/studio'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()

describe('host.saveFile', () => {
  it('writes the bytes where the save dialog points, and nothing when cancelled', async () => {
    const t = tempDataDir()
    const target = join(t.dir, 'chart.svg')
    let answer: string | null = target
    const asked: unknown[] = []
    const studio = startStudio({ dataDir: t.dir, host: 'electron', pickSaveFile: (o) => (asked.push(o), Promise.resolve(answer)) })
    temps.push(() => studio.close(), t.cleanup)
    expect((await clientFor(studio, appContract).info({})).capabilities.canSaveFile).toBe(true)
    const host = clientFor(studio, hostContract)
    const bytes = new TextEncoder().encode('<svg/>')
    expect(await host.saveFile({ suggestedName: 'chart.svg', filters: [{ name: 'SVG image', extensions: ['svg'] }], bytes })).toBe(target)
    expect(readFileSync(target, 'utf8')).toBe('<svg/>')
    expect(asked[0]).toEqual({ suggestedName: 'chart.svg', filters: [{ name: 'SVG image', extensions: ['svg'] }] })
    answer = null
    expect(await host.saveFile({ suggestedName: 'other.svg', bytes })).toBeNull()
    expect(existsSync(join(t.dir, 'other.svg'))).toBe(false)
    await expect(host.saveFile({ suggestedName: '../up.svg', bytes })).rejects.toThrow(/must be a file name, not a path/)
  })

  it('is refused where the host has no save dialog', async () => {
    const t = tempDataDir()
    const studio = openStudio(t.dir)
    temps.push(() => studio.close(), t.cleanup)
    expect((await clientFor(studio, appContract).info({})).capabilities.canSaveFile).toBe(false)
    await expect(clientFor(studio, hostContract).saveFile({ suggestedName: 'a.md', bytes: new Uint8Array([1]) })).rejects.toThrow(/no save dialog: the page downloads/)
  })
})
