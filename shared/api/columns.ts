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
  let numbers = true
  let strings = true
  let objects = true
  let nonNull = 0
  for (const v of values) {
    if (v === null) continue
    nonNull++
    if (typeof v !== 'number') numbers = false
    if (typeof v !== 'string') strings = false
    if (!isPlainObject(v)) objects = false
    if (!numbers && !strings && !objects) break
  }
  if (nonNull > 0 && numbers) {
    const out = new Float64Array(values.length)
    values.forEach((v, i) => (out[i] = v === null || !Number.isFinite(v) ? Number.NaN : (v as number) + 0))
    return { kind: 'number', bytes: new Uint8Array(out.buffer) }
  }
  if (nonNull > 0 && strings) {
    const seen = new Map<string, number>()
    const list: string[] = []
    const index = new Int32Array(values.length)
    values.forEach((v, i) => {
      if (v === null) return void (index[i] = -1)
      let at = seen.get(v as string)
      if (at === undefined) {
        at = list.length
        list.push(v as string)
        seen.set(v as string, at)
      }
      index[i] = at
    })
    return { kind: 'text', strings: list, index: new Uint8Array(index.buffer) }
  }
  // Objects only when none is null: a null object would need its own mark.
  if (nonNull === values.length && nonNull > 0 && objects) return { kind: 'records', records: packRecords(values as Record<string, unknown>[]) }
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
  const keys: string[] = []
  const known = new Set<string>()
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (known.has(k) || (r as Record<string, unknown>)[k] === undefined) continue
      known.add(k)
      keys.push(k)
    }
  }
  const absent: [string, number[]][] = []
  const columns: [string, PackedColumn][] = keys.map((k) => {
    const lacking: number[] = []
    const values = records.map((r, i) => {
      const v = Object.hasOwn(r, k) ? (r as Record<string, unknown>)[k] : undefined
      if (v === undefined) lacking.push(i)
      return v === undefined ? null : v
    })
    if (lacking.length > 0) absent.push([k, lacking])
    return [k, packColumn(values)]
  })
  return { count: records.length, columns, ...(absent.length > 0 ? { absent } : {}) }
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
    return Array.from(a, (v) => (Number.isNaN(v) ? null : v))
  }
  if (c.kind === 'text') {
    const a = view(c.index, 4, count, (b) => new Int32Array(b), field)
    return Array.from(a, (i) => {
      if (i === -1) return null
      const s = c.strings[i]
      if (typeof s !== 'string') throw bad(`column "${field}" points at string ${i} of ${c.strings.length}`)
      return s
    })
  }
  if (c.kind === 'records') return unpackRecords(c.records)
  if (c.kind === 'values' && Array.isArray(c.values) && c.values.length === count) return c.values
  throw bad(`column "${field}" is not a column of ${count} records`)
}

/** The records of `packRecords`, as JSON would have carried them. Throws invalid_payload for a damaged packing. */
export function unpackRecords<T>(packed: Packed<T>): T[] {
  const { count, columns, absent = [] } = packed
  if (!Number.isSafeInteger(count) || count < 0 || !Array.isArray(columns) || !Array.isArray(absent)) throw bad('no count or columns')
  const values = columns.map(([k, c]) => unpackColumn(c, count, k))
  const lacking = new Map(absent.map(([k, at]) => [k, new Set(at)]))
  const missing = columns.map(([k]) => lacking.get(k) ?? null)
  const out: Record<string, unknown>[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const r: Record<string, unknown> = {}
    for (let j = 0; j < columns.length; j++) {
      if (missing[j]?.has(i)) continue
      const k = columns[j]![0]
      // An own field named __proto__ (as JSON.parse makes it), not the prototype.
      if (k === '__proto__') Object.defineProperty(r, k, { value: values[j]![i], enumerable: true, writable: true, configurable: true })
      else r[k] = values[j]![i]
    }
    out[i] = r
  }
  return out as T[]
}
