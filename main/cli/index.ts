/**
 * `studio` command-line entry: `studio <command> [args]`. Node builtins only.
 *
 *   npx tsx main/cli/index.ts inspect vgg16 --input 224x224x3 --classes 1000
 *
 * Tests call `runCli(argv, io)` in-process. Exit codes: 0 ok, 1 the work failed, 2 bad usage or bad input.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { COMMANDS } from './commands/index'
import { UsageError, type CliIO, type Subcommand } from './types'

export type { CliIO, Subcommand } from './types'
export { UsageError } from './types'

export const nodeIO: CliIO = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  readFile: (p) => readFileSync(p, 'utf8'),
}

function helpText(commands: readonly Subcommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return ['Usage: studio <command> [options]', '', 'Commands:', ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`), '', 'Run `studio help <command>` for its options.'].join('\n') + '\n'
}

/** node:util parseArgs refuses unknown or malformed options with ERR_PARSE_ARGS_* errors: those are usage errors. */
function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')
}

/** Run the CLI with `argv` (without node and script), returning the exit code. */
export async function runCli(argv: readonly string[], io: CliIO = nodeIO, commands: readonly Subcommand[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined
    io.stdout(topic ? topic.usage + '\n' : helpText(commands))
    return name === undefined ? 2 : 0
  }
  const command = commands.find((c) => c.name === name)
  if (!command) {
    io.stderr(`studio: unknown command ${JSON.stringify(name)}. Commands: ${commands.map((c) => c.name).join(', ')}\n`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage + '\n')
    return 0
  }
  try {
    return await command.run([...rest], io)
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      io.stderr(`studio ${command.name}: ${(err as Error).message}\n`)
      return 2
    }
    // The data folder full or read-only: the message says which folder and what to do; no stack trace.
    if ((err as { code?: unknown } | null)?.code === 'storage') {
      io.stderr(`studio ${command.name}: ${(err as Error).message}\n`)
      return 1
    }
    io.stderr(`studio ${command.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    return 1
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (invokedDirectly) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
