/** Number formatting for people (shared by the CLI and the editor's summary bar). */

/** 138357544 -> "138,357,544". */
export function formatInt(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

function scaled(n: number, units: readonly [number, string][], digits = 1): string {
  for (const [size, unit] of units) if (Math.abs(n) >= size) return `${(n / size).toFixed(digits)} ${unit}`
  return `${Math.round(n)}`
}

/** 138357544 -> "138.4 M"; 9600 -> "9.6 K"; 12 -> "12". */
export function formatCompact(n: number): string {
  return scaled(n, [[1e9, 'G'], [1e6, 'M'], [1e3, 'K']])
}

/** 138357544 -> "138,357,544 (138.4 M)"; small numbers without the parenthesis. */
export function formatParams(n: number): string {
  return n >= 1000 ? `${formatInt(n)} (${formatCompact(n)})` : formatInt(n)
}

/** 15.5e9 -> "15.5 GFLOPs". */
export function formatFlops(n: number): string {
  const s = scaled(n, [[1e12, 'TFLOPs'], [1e9, 'GFLOPs'], [1e6, 'MFLOPs'], [1e3, 'KFLOPs']])
  return /[A-Z]/.test(s) ? s : `${s} FLOPs`
}

/** Decimal units: 1.2e9 -> "1.2 GB". */
export function formatBytes(n: number): string {
  const s = scaled(n, [[1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'KB']])
  return /[A-Z]/.test(s) ? s : `${s} B`
}

/** [224, 224, 3] -> "224x224x3". */
export function formatShape(shape: readonly number[]): string {
  return shape.join('x')
}
