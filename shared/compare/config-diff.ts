/**
 * Hyperparameter diff: config snapshots flattened to dotted paths, side by side.
 *
 * Paths: object keys joined with `.`, array items as `[i]` (`training.groups[0].match`). Leaves are
 * numbers, strings, booleans and null; an empty object or array is a leaf too (`{}` / `[]`). Embedded documents
 * (by default every key named `document`: the architecture graph, the augmentation pipeline) are not expanded:
 * they become one leaf `<document #hash>` (a fingerprint of their canonical JSON), so a change still shows as a
 * difference while the architecture diff (shared/graph/diff.ts) says what changed.
 */

export type Leaf = number | string | boolean | null

export interface FlattenOptions {
  /** Keys whose values are kept whole as a fingerprint leaf (default ['document']). */
  readonly opaqueKeys?: readonly string[]
  /** Arrays of scalars up to this length become one leaf (their JSON), e.g. `[0.9, 0.999]`. Default 8; 0 expands every array. */
  readonly inlineArraysUpTo?: number
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isScalar = (v: unknown): v is Leaf => v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'

/** JSON with sorted object keys (stable across key order). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v ?? null)
}

/** FNV-1a 32-bit of a string, as 8 hex digits. */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

/** `{ path: leaf }` for one config (see the module comment). Insertion order follows the config's key order. */
export function flattenConfig(config: unknown, options: FlattenOptions = {}): Record<string, Leaf> {
  const opaque = new Set(options.opaqueKeys ?? ['document'])
  const inlineUpTo = options.inlineArraysUpTo ?? 8
  const out: Record<string, Leaf> = {}
  const walk = (v: unknown, path: string, key: string | null) => {
    if (v === undefined) return
    if (key !== null && opaque.has(key) && (isObject(v) || Array.isArray(v))) {
      out[path] = `<${key} #${fingerprint(canonicalJson(v))}>`
      return
    }
    if (isScalar(v)) {
      out[path] = typeof v === 'number' && !Number.isFinite(v) ? String(v) : v
      return
    }
    if (Array.isArray(v)) {
      if (v.length === 0) out[path] = '[]'
      else if (inlineUpTo > 0 && v.length <= inlineUpTo && v.every(isScalar)) out[path] = JSON.stringify(v)
      else v.forEach((item, i) => walk(item, `${path}[${i}]`, null))
      return
    }
    if (isObject(v)) {
      const keys = Object.keys(v).filter((k) => v[k] !== undefined)
      if (keys.length === 0 && path) out[path] = '{}'
      for (const k of keys) walk(v[k], path ? `${path}.${k}` : k, k)
      return
    }
    out[path] = String(v) // functions, bigints: not JSON, shown as text
  }
  walk(config, '', null)
  return out
}

export interface ConfigDiffRow {
  readonly path: string
  /** One per config, in input order; undefined where the config lacks the path. */
  readonly values: (Leaf | undefined)[]
  /** True when the values are not all equal (a missing value differs from any present one). */
  readonly differs: boolean
}

export interface ConfigDiff {
  readonly rows: ConfigDiffRow[]
  /** Number of rows that differ (before the differences-only filter). */
  readonly differing: number
  /** Total number of paths (before the filter). */
  readonly total: number
}

export interface ConfigDiffOptions extends FlattenOptions {
  /** Only the rows whose values differ. */
  readonly differencesOnly?: boolean
  /** Leave out paths that start with one of these prefixes (e.g. ['appVersion', 'dataset.split']). */
  readonly ignore?: readonly string[]
}

const sameLeaf = (a: Leaf | undefined, b: Leaf | undefined) => a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))

/**
 * Side-by-side table of two or more configs. Rows are ordered by first appearance (the first config's key order,
 * then paths only later configs have), so related settings stay together. With a single config every row is
 * "same". Equal numbers are equal however they were written (`1e-3` and `0.001`).
 */
export function diffConfigs(configs: readonly unknown[], options: ConfigDiffOptions = {}): ConfigDiff {
  const flats = configs.map((c) => flattenConfig(c, options))
  const ignored = (p: string) => (options.ignore ?? []).some((prefix) => p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`))
  const paths: string[] = []
  const seen = new Set<string>()
  for (const f of flats) {
    for (const p of Object.keys(f)) {
      if (!seen.has(p) && !ignored(p)) {
        seen.add(p)
        paths.push(p)
      }
    }
  }
  const all: ConfigDiffRow[] = paths.map((path) => {
    const values = flats.map((f) => (Object.prototype.hasOwnProperty.call(f, path) ? f[path] : undefined))
    const differs = values.some((v) => !sameLeaf(v, values[0]))
    return { path, values, differs }
  })
  const differing = all.filter((r) => r.differs).length
  return { rows: options.differencesOnly ? all.filter((r) => r.differs) : all, differing, total: all.length }
}
