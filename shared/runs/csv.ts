/**
 * The runs table as CSV (pure, RFC 4180): a header of column labels in the user's words, one line per run, the
 * values unformatted (numbers at full precision, tags joined by "; ", nothing as an empty field). With grouping,
 * the first column is the run's group (its label) and the runs come group by group. `parseCsv` reads it back.
 */
import { columnLabel } from './columns'
import type { RunGroup } from './groups'

export type CsvValue = string | number | boolean | null | undefined | readonly string[]

export interface CsvColumn {
  readonly key: string
  /** The header (default: columnLabel(key)). */
  readonly label?: string
}

export interface CsvRun {
  readonly id: number
  readonly value: (key: string) => CsvValue
}

const field = (v: CsvValue): string => {
  const text = v === null || v === undefined ? '' : Array.isArray(v) ? v.join('; ') : String(v as string | number | boolean)
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The CSV text of `runs` in `columns`; with `groups`, a leading Group column and the runs in group order. */
export function runsToCsv(columns: readonly CsvColumn[], runs: readonly CsvRun[], groups?: readonly RunGroup[]): string {
  const header = [...(groups ? ['Group'] : []), ...columns.map((c) => c.label ?? columnLabel(c.key))]
  const lines = [header.map(field).join(',')]
  const line = (r: CsvRun, group?: string) => [...(group !== undefined ? [group] : []), ...columns.map((c) => r.value(c.key))].map(field).join(',')
  if (groups) {
    const byId = new Map(runs.map((r) => [r.id, r]))
    for (const g of groups)
      for (const id of g.runIds) {
        const r = byId.get(id)
        if (r) lines.push(line(r, g.label))
      }
  } else {
    for (const r of runs) lines.push(line(r))
  }
  return lines.join('\r\n') + '\r\n'
}

/** Parses CSV text (quoted fields, doubled quotes, CRLF or LF) into rows of fields; throws on an unclosed quote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cur = ''
  let quoted = false
  let i = 0
  let fieldStarted = false
  while (i < text.length) {
    const c = text[i] as string
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"'
        i += 2
        continue
      }
      if (c === '"') {
        quoted = false
        i++
        continue
      }
      cur += c
      i++
      continue
    }
    if (c === '"' && !fieldStarted) {
      quoted = true
      fieldStarted = true
      i++
    } else if (c === ',') {
      row.push(cur)
      cur = ''
      fieldStarted = false
      i++
    } else if (c === '\r' || c === '\n') {
      row.push(cur)
      rows.push(row)
      row = []
      cur = ''
      fieldStarted = false
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1
    } else {
      cur += c
      fieldStarted = true
      i++
    }
  }
  if (quoted) throw new Error('The CSV ends inside a quoted field (a missing closing quote)')
  if (fieldStarted || row.length > 0) {
    row.push(cur)
    rows.push(row)
  }
  return rows
}
