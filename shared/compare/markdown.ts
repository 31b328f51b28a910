/**
 * Markdown text for exports (pure): a table with escaped cells, and the comparison's hyperparameter diff as a
 * document (a heading, what was compared, one table of the settings with one column per run).
 */

/** A cell's text made safe inside a Markdown table: pipes escaped, line breaks as <br>, never empty. */
export function markdownCell(text: string): string {
  const t = text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>').trim()
  return t === '' ? ' ' : t
}

/** A GitHub-flavoured Markdown table (every row padded or cut to the header's width). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (header.length === 0) throw new Error('A Markdown table needs at least one column')
  const line = (cells: readonly string[]) => `| ${header.map((_, i) => markdownCell(cells[i] ?? '')).join(' | ')} |`
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n')
}

export interface SettingsDiffForExport {
  readonly runs: readonly string[]
  readonly rows: readonly { readonly section: string; readonly label: string; readonly values: readonly string[]; readonly differs: boolean }[]
  readonly differing: number
  readonly total: number
}

/** The hyperparameter diff as a Markdown document. */
export function settingsDiffMarkdown(diff: SettingsDiffForExport, options: { title?: string; differencesOnly?: boolean } = {}): string {
  const rows = options.differencesOnly === false ? diff.rows : diff.rows.filter((r) => r.differs)
  const parts = [
    `# ${options.title ?? 'Run comparison: settings'}`,
    '',
    `${diff.runs.length} runs: ${diff.runs.join(', ')}. ${diff.differing} of ${diff.total} settings differ${options.differencesOnly === false ? '' : '; only those are listed'}.`,
    '',
  ]
  if (rows.length === 0) parts.push('The runs were trained with the same settings.')
  else parts.push(markdownTable(['Section', 'Setting', ...diff.runs], rows.map((r) => [r.section, r.label, ...r.values])))
  return `${parts.join('\n')}\n`
}
