import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'
import { afterAll, describe, expect, it } from 'vitest'

// No import circle anywhere in the repository, with the rule in .dependency-cruiser.cjs (type-only imports count).
const ROOT = resolve(import.meta.dirname, '../..')
const IMPORT_GRAPH_ROOTS = ['shared', 'main', 'renderer', 'preload', 'tests', 'bench', 'scripts', 'bin']

async function importGraph(cwd: string, roots: string[]): Promise<ICruiseResult> {
  const here = process.cwd()
  process.chdir(cwd)
  try {
    const options = await extractDepcruiseOptions(join(ROOT, '.dependency-cruiser.cjs'))
    const tsConfig = extractTSConfig(join(cwd, 'tsconfig.json'))
    const { output } = await cruise(roots, { ...options, outputType: 'json' }, {}, { tsConfig })
    return typeof output === 'string' ? (JSON.parse(output) as ICruiseResult) : output
  } finally {
    process.chdir(here)
  }
}

function circles(result: ICruiseResult): string[] {
  return result.summary.violations.filter((v) => v.rule.name === 'no-circular').map((v) => [v.from, ...(v.cycle ?? []).map((c) => c.name)].join(' -> '))
}

/** Local imports the cruiser could not resolve: a circle through them would go unseen. */
function unresolvedLocal(result: ICruiseResult): string[] {
  return result.modules.flatMap((m) => m.dependencies.filter((d) => d.couldNotResolve && /^(\.|@shared\/)/.test(d.module)).map((d) => `${m.source} -> ${d.module}`))
}

describe('import graph', () => {
  it('has no import circle in any folder', async () => {
    const result = await importGraph(ROOT, IMPORT_GRAPH_ROOTS)
    expect(unresolvedLocal(result)).toEqual([])
    // The renderer, the services and the tests are all in the graph (a wrong root would pass vacuously).
    for (const file of ['renderer/src/main.tsx', 'main/web/server.ts', 'shared/api/index.ts', 'preload/index.ts', 'tests/main/no-cycles.test.ts', 'bench/train.ts']) {
      expect(result.modules.some((m) => m.source === file), file).toBe(true)
    }
    expect(circles(result)).toEqual([])
  }, 180_000)

  const planted = mkdtempSync(join(tmpdir(), 'cycles-'))
  afterAll(() => rmSync(planted, { recursive: true, force: true }))

  it('finds a planted circle, through the @shared alias and through a type-only import', async () => {
    mkdirSync(join(planted, 'shared'), { recursive: true })
    mkdirSync(join(planted, 'renderer'), { recursive: true })
    writeFileSync(join(planted, 'tsconfig.json'), JSON.stringify({ compilerOptions: { baseUrl: '.', moduleResolution: 'Bundler', paths: { '@shared/*': ['./shared/*'] } }, include: ['**/*.ts'] }))
    // A value circle through the alias: renderer/a -> @shared/b -> renderer/a.
    writeFileSync(join(planted, 'renderer/a.ts'), `import { b } from '@shared/b'\nexport const a = () => b\n`)
    writeFileSync(join(planted, 'shared/b.ts'), `import { a } from '../renderer/a'\nexport const b = () => a\n`)
    // A type-only circle, like app/commands.ts <-> architecture/commands.ts was.
    writeFileSync(join(planted, 'renderer/c.ts'), `import type { D } from './d'\nexport interface C { d?: D }\n`)
    writeFileSync(join(planted, 'renderer/d.ts'), `import type { C } from './c'\nexport interface D { c?: C }\n`)
    writeFileSync(join(planted, 'renderer/e.ts'), `import { a } from './a'\nexport const e = a\n`)
    const found = circles(await importGraph(planted, ['renderer', 'shared']))
    expect(found.some((c) => c.includes('renderer/a.ts') && c.includes('shared/b.ts')), found.join('\n')).toBe(true)
    expect(found.some((c) => c.includes('renderer/c.ts') && c.includes('renderer/d.ts')), found.join('\n')).toBe(true)
    // e.ts only leads into the circle: not part of one.
    expect(found.some((c) => c.startsWith('renderer/e.ts')), found.join('\n')).toBe(false)
  })
})
