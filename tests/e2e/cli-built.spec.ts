/**
 * The `studio` command as users run it: the BUILT bundle (out/main/cli.js through bin/studio.mjs), not the
 * sources. Bundling problems (duplicate declarations, lazily loaded chunks) only show here.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from './fixtures'

const studioCli = (args: string[]) => execFileSync(process.execPath, ['bin/studio.mjs', ...args], { encoding: 'utf8', timeout: 120_000 })

test('the built studio command inspects, imports MNIST, trains and lists the run', async ({}, testInfo) => {
  test.skip(testInfo.project.name !== 'browser', 'host independent: runs once')
  const dataDir = mkdtempSync(join(tmpdir(), 'cnn-studio-cli-'))
  try {
    const inspect = JSON.parse(studioCli(['inspect', 'vgg16', '--input', '224x224x3', '--classes', '1000', '--json'])) as { totals: { params: number } }
    expect(inspect.totals.params).toBe(138_357_544)
    expect(studioCli(['dataset', 'mnist', '--count', '200', '--name', 'digits', '--data-dir', dataDir])).toContain('"digits": 200 images, 10 classes')
    const lines = studioCli(['train', '--template', 'toy-convnet', '--dataset', 'digits', '--epochs', '1', '--batch', '32', '--data-dir', dataDir, '--json'])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; status?: string; backend?: string; initialLoss?: number })
    const summary = lines.find((l) => l.type === 'summary')!
    expect(summary).toMatchObject({ status: 'completed', backend: 'wasm' })
    expect(Math.abs(summary.initialLoss! - Math.log(10))).toBeLessThan(0.1)
    const runs = JSON.parse(studioCli(['runs', 'list', '--data-dir', dataDir, '--json'])) as { status: string }[]
    expect(runs.map((r) => r.status)).toEqual(['completed'])
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
