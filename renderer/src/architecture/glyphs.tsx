import type { SVGProps } from 'react'

/** Small stroke icons for the editor toolbar (24x24 grid, like ui/icons). */
const paths = {
  undo: 'M9 7L4 12l5 5M4 12h10a6 6 0 0 1 0 12h-2',
  redo: 'M15 7l5 5-5 5M20 12H10a6 6 0 0 0 0 12h2',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  paste: 'M9 4h6v3H9zM7 5H5v16h14V5h-2',
  duplicate: 'M8 8h12v12H8zM4 16V4h12M14 11v6M11 14h6',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  group: 'M3 3h7v7H3zM14 14h7v7h-7zM3 14h4M17 3h4v4M3 17v4h4M21 10v0',
  ungroup: 'M4 4h6v6H4zM14 14h6v6h-6zM10 10l4 4',
  layout: 'M3 5h6v4H3zM15 5h6v4h-6zM9 15h6v4H9zM6 9v3h12V9M12 12v3',
  fit: 'M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5',
  grid: 'M4 4h16v16H4zM4 10h16M4 15h16M10 4v16M15 4v16',
  import: 'M12 3v12M7 10l5 5 5-5M4 17v3h16v-3',
  export: 'M12 15V3M7 8l5-5 5 5M4 17v3h16v-3',
  tag: 'M3 12V4h8l10 10-8 8zM7.5 8.5h0',
  history: 'M3 12a9 9 0 1 0 3-6.7M3 4v5h5M12 7v5l3 2',
  chevronDown: 'M6 9l6 6 6-6',
  chevronRight: 'M9 6l6 6-6 6',
  expand: 'M4 9V4h5M20 15v5h-5M4 4l6 6M20 20l-6-6',
  collapse: 'M10 4v6H4M14 20v-6h6M4 10l6-6M20 14l-6 6',
  plus: 'M12 5v14M5 12h14',
  search: 'M11 4a7 7 0 1 1 0 14 7 7 0 0 1 0-14zM20 20l-4-4',
  edit: 'M4 20h4L19 9l-4-4L4 16zM14 6l4 4',
  table: 'M3 5h18v14H3zM3 10h18M3 15h18M9 5v14',
  alert: 'M12 3l10 18H2zM12 10v5M12 18v.5',
  check: 'M5 12l5 5 9-10',
  close: 'M6 6l12 12M18 6L6 18',
  layers: 'M12 3l9 5-9 5-9-5zM3 13l9 5 9-5',
  block: 'M4 4h16v16H4zM8 8h8M8 12h8M8 16h5',
} as const

export type GlyphName = keyof typeof paths

export function Glyph({ name, size = 16, ...rest }: { name: GlyphName; size?: number } & SVGProps<SVGSVGElement>) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.7} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" {...rest}>
      <path d={paths[name]} />
    </svg>
  )
}
