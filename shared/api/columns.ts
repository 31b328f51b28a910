/**
 * Records as columns: how a long list of like records (the runs table's 10,000 rows, its groups) crosses a
 * transport without naming every field in every record. Each field becomes one column:
 *   - numbers (and nulls): float64 bytes, little-endian, null as NaN;
 *   - strings (and nulls): each distinct string once, then one int32 index a record (-1 for null);
 *   - plain objects: records as columns again (a row's `extra`, a group's `stats`);
 *   - anything else (booleans, arrays, a mix of kinds): the values as they are.
 * The bytes are Uint8Arrays, so the browser host sends them in its binary envelope (shared/api/wire) and Electron's
 * IPC clones them as they are. `unpackRecords(packRecords(rs))` equals what JSON would have carried: the same keys
 * (in the order they first appear: a list of like records keeps its order), non-finite numbers as null (as JSON.stringify writes them), -0 as 0, undefined fields absent.
 */
import { ApiError } from './errors'

export type PackedColumn =
  | { readonly kind: 'number'; readonly bytes: Uint8Array }
  | { readonly kind: 'text'; readonly strings: string[]; readonly index: Uint8Array }
  | { readonly kind: 'records'; readonly records: PackedRecords }
  | { readonly kind: 'values'; readonly values: unknown[] }

export interface PackedRecords {
  readonly count: number
  /** Field name and its column, in the order of first appearance. */
  readonly columns: [string, PackedColumn][]
  /** The fields some records lack, with those records' indices. */
  readonly absent?: [string, number[]][]
}

/** Packed records of a known type (the optional field is never there: it only carries T for unpackRecords). */
export interface Packed<T> extends PackedRecords {
  readonly __records?: T
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

function packColumn(values: unknown[]): PackedColumn {
  const n = values.length
  let numbers = true
  let strings = true
  let objects = true
  let nonNull = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v === null) continue
    nonNull++
    const t = typeof v
    if (t !== 'number') numbers = false
    if (t !== 'string') strings = false
    if (objects && !isPlainObject(v)) objects = false
    if (!numbers && !strings && !objects) break
  }
  if (nonNull > 0 && numbers) {
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const v = values[i] as number | null
      out[i] = v === null || !Number.isFinite(v) ? Number.NaN : v + 0
    }
    return { kind: 'number', bytes: new Uint8Array(out.buffer) }
  }
  if (nonNull > 0 && strings) {
    const seen = new Map<string, number>()
    const list: string[] = []
    const index = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const v = values[i] as string | null
      if (v === null) {
        index[i] = -1
        continue
      }
      let at = seen.get(v)
      if (at === undefined) {
        at = list.length
        list.push(v)
        seen.set(v, at)
      }
      index[i] = at
    }
    return { kind: 'text', strings: list, index: new Uint8Array(index.buffer) }
  }
  // Objects only when none is null: a null object would need its own mark.
  if (nonNull === n && nonNull > 0 && objects) return { kind: 'records', records: packRecords(values as Record<string, unknown>[]) }
  return { kind: 'values', values: values.map(jsonLike) }
}

/** A value as JSON carries it: non-finite numbers null, -0 as 0, undefined object fields left out. */
function jsonLike(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v + 0 : null
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : jsonLike(x)))
  if (!isPlainObject(v)) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue
    if (k === '__proto__') Object.defineProperty(out, k, { value: jsonLike(x), enumerable: true, writable: true, configurable: true })
    else out[k] = jsonLike(x)
  }
  return out
}

/** Records (plain objects) as columns; see the module's comment. */
export function packRecords<T extends object>(records: readonly T[]): Packed<T> {
  return (sameKeys(records as readonly object[]) as Packed<T> | null) ?? anyKeys(records as readonly object[])
}

/** The common case, in one pass: every record has the first one's keys and no other (else null). */
function sameKeys(records: readonly object[]): PackedRecords | null {
  const n = records.length
  if (n === 0) return null
  const keys = Object.keys(records[0]!)
  const width = keys.length
  const values = keys.map(() => new Array<unknown>(n))
  const lacking = keys.map((): number[] => [])
  for (let i = 0; i < n; i++) {
    const r = records[i] as Record<string, unknown>
    // The record's keys in order (for-in: own and inherited), each the first record's at the same place: the values
    // are read through for-in's key (V8's fastest keyed read). Anything else takes the general path.
    let j = 0
    for (const k in r) {
      if (j === width || k !== keys[j]) return null
      const v = r[k]
      if (v === undefined) {
        lacking[j]!.push(i)
        values[j]![i] = null
      } else values[j]![i] = v
      j++
    }
    if (j !== width) return null
  }
  return finish(n, keys, values, lacking)
}

/** Any records: the union of their keys, in the order they first appear. */
function anyKeys(records: readonly object[]): PackedRecords {
  const n = records.length
  const keys: string[] = []
  const known = new Set<string>()
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (known.has(k) || (r as Record<string, unknown>)[k] === undefined) continue
      known.add(k)
      keys.push(k)
    }
  }
  const values = keys.map(() => new Array<unknown>(n))
  const lacking = keys.map((): number[] => [])
  keys.forEach((k, j) => {
    for (let i = 0; i < n; i++) {
      const r = records[i] as Record<string, unknown>
      const v = Object.hasOwn(r, k) ? r[k] : undefined
      if (v === undefined) lacking[j]!.push(i)
      values[j]![i] = v === undefined ? null : v
    }
  })
  return finish(n, keys, values, lacking)
}

function finish(count: number, keys: string[], values: unknown[][], lacking: number[][]): PackedRecords {
  const absent: [string, number[]][] = []
  const columns: [string, PackedColumn][] = keys.map((k, j) => {
    if (lacking[j]!.length > 0) absent.push([k, lacking[j]!])
    return [k, packColumn(values[j]!)]
  })
  return { count, columns, ...(absent.length > 0 ? { absent } : {}) }
}

const bad = (what: string) => new ApiError('invalid_payload', `The packed records are damaged: ${what}`)

/** Bytes as a typed array of their own (a transport may hand over a view at any offset; typed arrays need alignment). */
function view<A>(bytes: Uint8Array, width: number, count: number, make: (buffer: ArrayBuffer) => A, field: string): A {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== width * count) {
    throw bad(`column "${field}" has ${bytes instanceof Uint8Array ? bytes.byteLength : 'no'} bytes for ${count} records of ${width} bytes`)
  }
  return make(new Uint8Array(bytes).buffer)
}

function unpackColumn(c: PackedColumn, count: number, field: string): unknown[] {
  if (c.kind === 'number') {
    const a = view(c.bytes, 8, count, (b) => new Float64Array(b), field)
    const out = new Array<unknown>(count)
    for (let i = 0; i < count; i++) {
      const v = a[i]!
      out[i] = v !== v ? null : v // NaN: null
    }
    return out
  }
  if (c.kind === 'text') {
    const a = view(c.index, 4, count, (b) => new Int32Array(b), field)
    const strings = c.strings
    const out = new Array<unknown>(count)
    for (let i = 0; i < count; i++) {
      const at = a[i]!
      if (at === -1) {
        out[i] = null
        continue
      }
      const s = strings[at]
      if (typeof s !== 'string') throw bad(`column "${field}" points at string ${at} of ${strings.length}`)
      out[i] = s
    }
    return out
  }
  if (c.kind === 'records') return unpackRecords(c.records)
  if (c.kind === 'values' && Array.isArray(c.values) && c.values.length === count) return c.values
  throw bad(`column "${field}" is not a column of ${count} records`)
}

/** The records of `packRecords`, as JSON would have carried them. Throws invalid_payload for a damaged packing. */
export function unpackRecords<T>(packed: Packed<T>): T[] {
  const { count, columns, absent = [] } = packed
  if (!Number.isSafeInteger(count) || count < 0 || !Array.isArray(columns) || !Array.isArray(absent)) throw bad('no count or columns')
  const width = columns.length
  const keys = columns.map(([k]) => k)
  const values = columns.map(([k, c]) => unpackColumn(c, count, k))
  const lacking = new Map(absent.map(([k, at]) => [k, new Set(at)]))
  const missing = keys.map((k) => lacking.get(k) ?? null)
  // Each record starts as a copy of one template with every field (a spread copies its shape at once; setting
  // fields that exist is several times faster than adding them one by one), then gets its values.
  const template: Record<string, unknown> = {}
  // An own field named __proto__ (as JSON.parse makes it), not the prototype.
  for (const k of keys) Object.defineProperty(template, k, { value: null, enumerable: true, writable: true, configurable: true })
  const anyMissing = missing.some((m) => m !== null)
  const out = new Array<T>(count)
  for (let i = 0; i < count; i++) {
    const r: Record<string, unknown> = { ...template }
    for (let j = 0; j < width; j++) r[keys[j]!] = values[j]![i]
    if (anyMissing) for (let j = 0; j < width; j++) if (missing[j]?.has(i)) delete r[keys[j]!]
    out[i] = r as T
  }
  return out
}
