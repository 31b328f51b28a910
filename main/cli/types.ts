/** Contract of a `studio` subcommand. */
export interface CliIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Read a UTF-8 file (relative paths resolve against the process cwd). */
  readFile: (path: string) => string
}

export interface Subcommand {
  name: string
  /** One line for `studio help`. */
  summary: string
  /** Usage text for `studio help <name>` and usage errors. */
  usage: string
  /** Returns the exit code: 0 ok, 1 the work failed (e.g. the graph has errors), 2 bad usage or bad input. */
  run: (args: string[], io: CliIO) => number | Promise<number>
}

/** Throw from a subcommand for bad usage / bad input: printed to stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
