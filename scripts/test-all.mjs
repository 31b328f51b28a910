#!/usr/bin/env node
// `npm test`: every test of the project. Lint (import boundaries), typecheck, unit and service tests
// (vitest: shared/, main/ on real SQLite files), the app build, then end-to-end tests (Playwright: the
// browser host in Chromium, and Electron where its binary exists). Prints one summary line at the end.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { build, electronBinary, ensureDependencies, ensureElectronNativeModules, root, run } from './setup.mjs'

ensureDependencies()
const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name)
const totals = { passed: 0, failed: 0, skipped: 0 }
const steps = []
/** Names of the failed tests, printed again in the summary (CI shows only the end of the log). */
const failures = []
const plain = (text) => String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '')
/** The first n non-empty lines of a message, without colours, on one line. */
const firstLines = (text, n) => plain(text).split('\n').map((l) => l.trim()).filter(Boolean).slice(0, n).join(' | ').slice(0, 600)
const firstLine = (text) => firstLines(text, 1)

function step(name, fn) {
  console.log(`\n━━ ${name} ━━`)
  const started = Date.now()
  const ok = fn()
  steps.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000) })
  return ok
}

step('lint (import boundaries)', () => {
  const ok = run(bin('eslint'), ['.']) === 0
  totals[ok ? 'passed' : 'failed'] += 1
  return ok
})
step('typecheck', () => {
  const ok = run(bin('tsc'), ['-b']) === 0
  totals[ok ? 'passed' : 'failed'] += 1
  return ok
})
step('unit and service tests (vitest)', () => {
  const report = join(root, '.cache', 'unit-results.json')
  rmSync(report, { force: true })
  const status = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile=${report}`])
  if (!existsSync(report)) {
    totals.failed += 1
    return false
  }
  const r = JSON.parse(readFileSync(report, 'utf8'))
  for (const file of r.testResults ?? []) {
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed')
    for (const a of failed) failures.push(`vitest  ${relative(root, file.name)} › ${a.fullName ?? a.title}: ${firstLine(a.failureMessages?.[0])}`)
    if (failed.length === 0 && file.status === 'failed') failures.push(`vitest  ${relative(root, file.name)}: ${firstLine(file.message ?? 'failed')}`)
  }
  totals.passed += r.numPassedTests
  totals.failed += r.numFailedTests + (status !== 0 && r.numFailedTests === 0 ? 1 : 0)
  totals.skipped += r.numPendingTests + r.numTodoTests
  return status === 0
})
const built = step('build', () => {
  const ok = build() === 0
  totals[ok ? 'passed' : 'failed'] += 1
  return ok
})
if (built) {
  step('end-to-end tests (Playwright)', () => {
    const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
    if (!existsSync(chromium)) {
      console.error(`Chromium not found at ${chromium}. Install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH.`)
      totals.failed += 1
      return false
    }
    if (!electronBinary()) {
      console.log('Electron project: its tests are SKIPPED here, because the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD=1 or no download possible). They run where it is.')
    } else if (!ensureElectronNativeModules()) {
      console.error('better-sqlite3 could not be built for Electron; the Electron project will fail.')
    }
    const report = join(root, '.cache', 'e2e-results.json')
    rmSync(report, { force: true })
    const status = run(bin('playwright'), ['test'])
    if (!existsSync(report)) {
      totals.failed += 1
      return false
    }
    const e2e = JSON.parse(readFileSync(report, 'utf8'))
    const { stats } = e2e
    const walk = (suite, path) => {
      for (const spec of suite.specs ?? []) {
        for (const t of spec.tests ?? []) {
          if (t.status !== 'unexpected') continue
          failures.push(`e2e  [${t.projectName}] ${spec.file}:${spec.line} › ${[...path, spec.title].join(' › ')}`)
          // Where and why, in the summary (CI keeps only the end of the output).
          const error = t.results?.at(-1)?.errors?.[0] ?? t.results?.at(-1)?.error
          if (error) failures.push(`     at ${error.location ? `${relative(root, error.location.file)}:${error.location.line}` : '?'}: ${firstLines(error.message, 6)}`)
        }
      }
      for (const child of suite.suites ?? []) walk(child, suite.title && !suite.title.endsWith('.ts') ? [...path, suite.title] : path)
    }
    for (const suite of e2e.suites ?? []) walk(suite, [])
    totals.passed += stats.expected + stats.flaky
    totals.failed += stats.unexpected + (status !== 0 && stats.unexpected === 0 ? 1 : 0)
    totals.skipped += stats.skipped
    return status === 0
  })
}

console.log('\n━━ summary ━━')
for (const s of steps) console.log(`${s.ok ? 'ok  ' : 'FAIL'}  ${s.name} (${s.seconds}s)`)
if (failures.length > 0) {
  console.log('failed tests:')
  for (const f of failures) console.log(`  ${f}`)
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(steps.every((s) => s.ok) ? 0 : 1)
