/** Guards the Markdown export of the comparison's settings diff (shared/compare/markdown.ts). */
import { describe, expect, it } from 'vitest'
import { markdownCell, markdownTable, settingsDiffMarkdown } from '@shared/compare'

describe('Markdown export', () => {
  it('escapes what would break a table cell', () => {
    expect(markdownCell('a|b')).toBe('a\\|b')
    expect(markdownCell('line 1\nline 2')).toBe('line 1<br>line 2')
    expect(markdownCell('')).toBe(' ')
    expect(markdownCell('C:\\x')).toBe('C:\\\\x')
  })
  it('writes a table whose rows all have the header’s width', () => {
    const t = markdownTable(['A', 'B'], [['1'], ['2', '3', '4']])
    expect(t).toBe('| A | B |\n| --- | --- |\n| 1 |   |\n| 2 | 3 |')
  })
  it('writes the settings diff: differing rows only by default, one column per run', () => {
    const md = settingsDiffMarkdown({
      runs: ['lr 0.1 · seed 1', 'lr 0.01 | b'],
      rows: [
        { section: 'Optimizer', label: 'Learning rate', values: ['0.1', '0.01'], differs: true },
        { section: 'Run', label: 'Batch size', values: ['32', '32'], differs: false },
      ],
      differing: 1,
      total: 2,
    })
    const lines = md.trim().split('\n')
    expect(lines[0]).toBe('# Run comparison: settings')
    expect(md).toContain('1 of 2 settings differ; only those are listed.')
    expect(md).toContain('| Section | Setting | lr 0.1 · seed 1 | lr 0.01 \\| b |')
    expect(md).toContain('| Optimizer | Learning rate | 0.1 | 0.01 |')
    expect(md).not.toContain('Batch size')
    expect(settingsDiffMarkdown({ runs: ['a', 'b'], rows: [], differing: 0, total: 3 })).toContain('The runs were trained with the same settings.')
  })
})
