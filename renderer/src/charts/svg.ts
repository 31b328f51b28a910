/**
 * Charts as SVG text (pure, no DOM; tested in tests/renderer/chart-svg.test.ts): a line chart drawn from the same
 * columns the on-screen chart has (x, series, filled bands) over the ranges it shows, with axes, ticks, labels,
 * title and legend, so an exported chart says what the screen says. `svgToPng` (svg-png.ts) rasterizes it.
 */
import { formatValue } from './ticks'

export interface SvgTheme {
  readonly background: string
  readonly text: string
  readonly muted: string
  readonly grid: string
}

export interface SvgLineSeries {
  readonly label: string
  readonly color: string
  readonly values: readonly (number | null)[]
  readonly dash?: boolean
  readonly width?: number
  /** Listed in the legend (default true). */
  readonly legend?: boolean
  /** Draw point markers. */
  readonly points?: boolean
}

export interface SvgLineChart {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly x: readonly number[]
  readonly series: readonly SvgLineSeries[]
  /** Filled areas between two series (indices into `series`). */
  readonly fills?: readonly { readonly upper: number; readonly lower: number; readonly color: string }[]
  readonly xRange: readonly [number, number]
  readonly yRange: readonly [number, number]
  readonly logY?: boolean
  readonly formatX?: (v: number) => string
  readonly formatY?: (v: number) => string
  readonly width?: number
  readonly height?: number
  readonly theme: SvgTheme
}

export const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** "Nice" ticks (1, 2, 5 x 10^k steps) covering [lo, hi]; decades for a log axis. */
export function niceTicks(lo: number, hi: number, count = 6, log = false): number[] {
  if (!(hi > lo)) return [lo]
  if (log && lo > 0) {
    const out: number[] = []
    for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(Math.pow(10, e))
    return out.length >= 2 ? out : [lo, hi]
  }
  const raw = (hi - lo) / Math.max(1, count)
  const mag = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag
  const out: number[] = []
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)))
  return out
}

const n2 = (v: number) => (Math.round(v * 100) / 100).toString()

export function lineChartSvg(c: SvgLineChart): string {
  const W = c.width ?? 720
  const legendItems = c.series.filter((s) => s.legend !== false)
  const legendRows = Math.ceil(legendItems.length / 3)
  const H = (c.height ?? 300) + legendRows * 16
  const left = 64
  const right = 16
  const top = 30
  const plotH = (c.height ?? 300) - top - 44
  const plotW = W - left - right
  const [x0, x1] = c.xRange
  const [y0, y1] = c.yRange
  const log = c.logY === true && y0 > 0
  const fx = c.formatX ?? formatValue
  const fy = c.formatY ?? formatValue
  const px = (x: number) => left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW)
  const ty = (y: number) => (log ? Math.log10(y) : y)
  const py = (y: number) => top + plotH - (ty(y1) === ty(y0) ? plotH / 2 : ((ty(y) - ty(y0)) / (ty(y1) - ty(y0))) * plotH)
  const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v) && (!log || v > 0)
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Inter, system-ui, sans-serif" font-size="11">`)
  out.push(`<title>${escapeXml(c.title)}</title>`)
  out.push(`<rect width="${W}" height="${H}" fill="${c.theme.background}"/>`)
  out.push(`<text x="${left}" y="18" font-size="13" font-weight="600" fill="${c.theme.text}">${escapeXml(c.title)}</text>`)
  out.push(`<defs><clipPath id="plot"><rect x="${left}" y="${top}" width="${plotW}" height="${plotH}"/></clipPath></defs>`)
  for (const t of niceTicks(y0, y1, 5, log)) {
    if (t < y0 || t > y1) continue
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${n2(py(t))}" y2="${n2(py(t))}" stroke="${c.theme.grid}"/>`)
    out.push(`<text x="${left - 6}" y="${n2(py(t) + 4)}" text-anchor="end" fill="${c.theme.muted}">${escapeXml(fy(t))}</text>`)
  }
  for (const t of niceTicks(x0, x1, 6)) {
    if (t < x0 || t > x1) continue
    out.push(`<line x1="${n2(px(t))}" x2="${n2(px(t))}" y1="${top}" y2="${top + plotH}" stroke="${c.theme.grid}"/>`)
    out.push(`<text x="${n2(px(t))}" y="${top + plotH + 15}" text-anchor="middle" fill="${c.theme.muted}">${escapeXml(fx(t))}</text>`)
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="${c.theme.grid}"/>`)
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 32}" text-anchor="middle" fill="${c.theme.muted}">${escapeXml(c.xLabel)}</text>`)
  out.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="${c.theme.muted}">${escapeXml(c.yLabel)}</text>`)
  out.push('<g clip-path="url(#plot)">')
  for (const f of c.fills ?? []) {
    const up = c.series[f.upper]?.values ?? []
    const lo = c.series[f.lower]?.values ?? []
    // One polygon per run of slots where both edges are defined.
    let run: number[] = []
    const flush = () => {
      if (run.length > 0) {
        const pts = [...run.map((i) => `${n2(px(c.x[i] as number))},${n2(py(up[i] as number))}`), ...run.reverse().map((i) => `${n2(px(c.x[i] as number))},${n2(py(lo[i] as number))}`)]
        out.push(`<polygon points="${pts.join(' ')}" fill="${f.color}" stroke="none"/>`)
      }
      run = []
    }
    c.x.forEach((_, i) => (ok(up[i]) && ok(lo[i]) ? run.push(i) : flush()))
    flush()
  }
  for (const s of c.series) {
    if (s.width === 0) continue
    const pts: string[] = []
    s.values.forEach((v, i) => {
      if (ok(v)) pts.push(`${n2(px(c.x[i] as number))},${n2(py(v))}`)
    })
    if (pts.length > 1) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dash ? ' stroke-dasharray="5 4"' : ''} stroke-linejoin="round"/>`)
    if (s.points || pts.length === 1) for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${s.color}"/>`)
  }
  out.push('</g>')
  legendItems.forEach((s, i) => {
    const lx = left + (i % 3) * Math.floor(plotW / 3)
    const ly = (c.height ?? 300) + Math.floor(i / 3) * 16 - 4
    out.push(`<line x1="${lx}" x2="${lx + 14}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ' stroke-dasharray="4 3"' : ''}/>`)
    out.push(`<text x="${lx + 19}" y="${ly}" fill="${c.theme.text}">${escapeXml(s.label)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n')
}
