import { readFileSync } from 'node:fs'

/**
 * The whole lines of a JSON-lines file another process may still be appending to (train.py's metrics.jsonl): after
 * the last newline the file may hold half a line being written, which is not yet a record and is left out.
 */
export function readJsonlLines<T>(file: string): T[] {
  const lines = readFileSync(file, 'utf8').split('\n')
  lines.pop() // '' when the file ends in a newline, else a line still being written
  return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T)
}
