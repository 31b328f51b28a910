/**
 * A run's settings fingerprint (pure): its config snapshot without the seed and without what records the run
 * rather than configures it (the app version, the writer, a search trial's round and id), as canonical JSON
 * (object keys sorted), hashed to 16 hex digits (two 32-bit FNV-1a lanes). Runs whose snapshots differ only in
 * the seed have the same key: what "group by everything except the seed" compares beyond the table's facts.
 */

/**
 * Paths left out of the fingerprint; `seed` at the root and under `training` are the run's seed. `params` at the
 * root is older CLI snapshots' parameter count: derived from the architecture (which the fingerprint holds), not a
 * setting of its own.
 */
const NOT_SETTINGS: readonly (readonly string[])[] = [['seed'], ['training', 'seed'], ['appVersion'], ['origin'], ['params'], ['trial', 'id'], ['trial', 'round'], ['trial', 'search']]

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function canonical(v: unknown, path: readonly string[]): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, [...path, '#'])).join(',')}]`
  if (isObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined && !NOT_SETTINGS.some((p) => p.length === path.length + 1 && p.every((s, i) => (i < path.length ? path[i] === s : s === k))))
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k], [...path, k])}`).join(',')}}`
  }
  return JSON.stringify(v ?? null)
}

function fnv1a(text: string, basis: number): string {
  let h = basis >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

/** The fingerprint of a config snapshot's settings; null for a snapshot that is not an object. */
export function settingsKey(config: unknown): string | null {
  if (!isObject(config)) return null
  const text = canonical(config, [])
  return fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x01000193 ^ 0x5bd1e995)
}
