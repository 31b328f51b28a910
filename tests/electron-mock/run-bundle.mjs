/**
 * `node tests/electron-mock/run-bundle.mjs <out/main/electron.js>`: loads the built main bundle against the
 * recording `electron` stand-in, probes its security handlers and prints the report as one JSON line.
 * CNN_STUDIO_DATA_DIR must point at a scratch folder (the bundle opens its studio there).
 */
import { register } from 'node:module'
import { pathToFileURL } from 'node:url'

register('./hooks.mjs', import.meta.url)
const { probeMain, quitMain } = await import('./probe.mjs')
await import(pathToFileURL(process.argv[2]).href)
const report = await probeMain()
quitMain()
console.log(JSON.stringify(report))
