/** The benchmarks' command-line flags: `--name value`, with a default when absent. */
export function argStr(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? def) : def
}

/** A count flag (repetitions, steps): a whole number >= 1, else the default. */
export function argCount(name: string, def: number): number {
  const v = Number(argStr(name, String(def)))
  return Number.isInteger(v) && v > 0 ? v : def
}
