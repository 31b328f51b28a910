/** "SVG" and "PNG" buttons of a chart: the chart's SVG (built on demand) saved where the user chooses. */
import { useState } from 'react'
import { fileStem, saveExport } from '../api/save-file'
import { reportError, useToasts } from '../ui/dialogs'
import { svgToPng } from './svg-png'

export function ExportButtons(props: { name: string; svg: () => string; testId?: string }) {
  const [busy, setBusy] = useState(false)
  const save = async (format: 'svg' | 'png') => {
    setBusy(true)
    try {
      const svg = props.svg()
      const bytes = format === 'svg' ? new TextEncoder().encode(svg) : await svgToPng(svg)
      const said = await saveExport({
        name: `${fileStem(props.name)}.${format}`,
        mime: format === 'svg' ? 'image/svg+xml' : 'image/png',
        bytes,
        kind: format === 'svg' ? { name: 'SVG image', extensions: ['svg'] } : { name: 'PNG image', extensions: ['png'] },
      })
      if (said) useToasts.getState().toast('info', said)
    } catch (e) {
      reportError(e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <span className="chart-export" data-testid={props.testId}>
      <button className="btn btn-ghost btn-xs" disabled={busy} title={`Save "${props.name}" as an SVG image`} onClick={() => void save('svg')}>
        SVG
      </button>
      <button className="btn btn-ghost btn-xs" disabled={busy} title={`Save "${props.name}" as a PNG image`} onClick={() => void save('png')}>
        PNG
      </button>
    </span>
  )
}

/** The theme's colours for an exported chart (read from the page's CSS variables). */
export function exportTheme(): { background: string; text: string; muted: string; grid: string } {
  const v = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
  return { background: v('--bg-elev', '#1e1e1e'), text: v('--text', '#ddd'), muted: v('--text-muted', '#999'), grid: v('--border', '#444') }
}
