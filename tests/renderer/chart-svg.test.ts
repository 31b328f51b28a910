/** Guards the SVG export of line charts (renderer/src/charts/svg.ts): a valid document with its series, band, axes and escaped text. */
import { describe, expect, it } from 'vitest'
import { escapeXml, lineChartSvg, niceTicks } from '../../renderer/src/charts/svg'

const theme = { background: '#111', text: '#eee', muted: '#999', grid: '#333' }

describe('chart SVG', () => {
  it('writes an SVG with a polyline per drawn series, a polygon per band and a marker for a lone point', () => {
    const svg = lineChartSvg({
      title: 'Loss <by step>',
      xLabel: 'Step',
      yLabel: 'Cross-entropy',
      x: [1, 2, 3, 4],
      series: [
        { label: 'upper', color: '#f00', values: [3, 3, 3, 3], width: 0, legend: false },
        { label: 'lower', color: '#f00', values: [1, 1, 1, 1], width: 0, legend: false },
        { label: 'lr 0.1 · train', color: '#f00', values: [2, 2, 2, 2] },
        { label: 'A & B · val', color: '#0f0', values: [null, null, 1.5, null], dash: true },
      ],
      fills: [{ upper: 0, lower: 1, color: 'rgba(255,0,0,0.2)' }],
      xRange: [1, 4],
      yRange: [0, 4],
      theme,
    })
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    expect(svg).toContain('<title>Loss &lt;by step&gt;</title>')
    expect(svg.match(/<polyline /g)).toHaveLength(1)
    expect(svg.match(/<polygon /g)).toHaveLength(1)
    expect(svg.match(/<circle /g)).toHaveLength(1)
    expect(svg).toContain('A &amp; B · val')
    expect(svg).not.toContain('>upper<')
    for (const t of ['Step', 'Cross-entropy', '>0<', '>4<']) expect(svg).toContain(t)
  })
  it('makes nice ticks, decades on a log axis', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    expect(niceTicks(0.001, 1, 5, true)).toEqual([0.001, 0.01, 0.1, 1])
    expect(escapeXml('"<&>"')).toBe('&quot;&lt;&amp;&gt;&quot;')
  })
})
