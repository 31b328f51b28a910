#!/usr/bin/env node
// The `studio` command (package.json "bin"): runs the built CLI (out/main/cli.js) under Node.
import { existsSync } from 'node:fs'

const built = new URL('../out/main/cli.js', import.meta.url)
if (!existsSync(built)) {
  console.error('CNN Studio is not built yet: run "npm run build" (or "npm run studio") first, then try again.')
  process.exit(2)
}
const { runCli } = await import(built.href)
process.exitCode = await runCli(process.argv.slice(2))
