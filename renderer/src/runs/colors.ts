/**
 * One stable color per run: the run id hashed into a palette that reads on both themes (mid-lightness,
 * distinct hues). The same run has the same color in the table, the overlays, the parallel coordinates and
 * its detail view, in every session.
 */
export const RUN_PALETTE = [
  '#4c8dff', // blue
  '#f28e2b', // orange
  '#3ecf8e', // green
  '#e15759', // red
  '#b07aa1', // purple
  '#17becf', // cyan
  '#edc948', // yellow
  '#ff9da7', // pink
  '#9c755f', // brown
  '#8cd17d', // light green
  '#a0cbe8', // light blue
  '#d37295', // magenta
] as const

/** A 32-bit integer hash (lowbias32): neighbouring ids land far apart in the palette. */
export function hashId(id: number): number {
  let x = (id | 0) >>> 0
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d) >>> 0
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b) >>> 0
  x ^= x >>> 16
  return x >>> 0
}

export function runColor(id: number): string {
  return RUN_PALETTE[hashId(id) % RUN_PALETTE.length] as string
}

/**
 * The color of the i-th group of a comparison (groups come in a fixed order, by their values): distinct for the
 * first twelve, so two bands never share a color in the usual comparison.
 */
export function groupColor(index: number): string {
  return RUN_PALETTE[((index % RUN_PALETTE.length) + RUN_PALETTE.length) % RUN_PALETTE.length] as string
}
