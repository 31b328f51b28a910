/**
 * Guards the rule "no Math.random outside the one seeded RNG module" (docs/style-anchors.md, Augmentations):
 * every random choice in shared/ must come from shared/random so runs and previews replay exactly.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../../..')

function sourceFiles(dir: string): string[] {
  let out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path))
    else if (/\.(ts|tsx|js|mjs)$/.test(name)) out.push(path)
  }
  return out
}

describe('randomness', () => {
  it('no Math.random( call anywhere in shared/', () => {
    const offenders = sourceFiles(join(root, 'shared')).filter((f) => /Math\s*\.\s*random\s*\(/.test(readFileSync(f, 'utf8')))
    expect(offenders.map((f) => relative(root, f)), 'use createRng from shared/random instead').toEqual([])
  })
})
