/**
 * The binary envelope: how a payload or a result that carries bytes (`Uint8Array` fields, e.g. checkpoint
 * weights) crosses a transport that only moves bytes (the browser host's HTTP body, both ways). No base64: the
 * bytes travel as they are, so their size is bounded by memory, not by V8's maximum string length.
 *
 * Layout (all integers little-endian):
 *   "CSE1"                      4 bytes, magic and version
 *   header length H             u32
 *   header                      H bytes of UTF-8 JSON: { value, bytes: [{ path, length }] } where `value` is the
 *                               payload with null at every place a Uint8Array was, `path` that place (keys and
 *                               indices) and `length` its byte count
 *   the byte parts              back to back, in the order of `bytes`
 *
 * The total length must be exactly 8 + H + the sum of the lengths: a truncated or padded envelope is refused.
 * Electron's IPC needs none of this (structured clone carries Uint8Array as it is).
 */
import { ApiError } from './errors'

/** Content-Type of an envelope body; a body of `application/json` carries no bytes. */
export const ENVELOPE_CONTENT_TYPE = 'application/octet-stream'

// Both hosts (Node, browsers) have these; shared/ compiles without DOM or Node types, so their shape is named here.
declare const TextEncoder: new () => { encode(text: string): Uint8Array }
declare const TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(bytes: Uint8Array): string }

const MAGIC = [0x43, 0x53, 0x45, 0x31] // "CSE1"
const PREFIX = 8
/** JSON in the header stays small (the bytes are outside it); this bounds what a client can make us parse. */
export const MAX_ENVELOPE_HEADER = 256 * 1024 * 1024

type Key = string | number
interface BytesEntry {
  readonly path: Key[]
  readonly length: number
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** Whether a value holds a Uint8Array anywhere (then it needs the envelope, not JSON). */
export function hasBytes(value: unknown, depth = 0): boolean {
  if (value instanceof Uint8Array) return true
  if (typeof value !== 'object' || value === null || depth > 64) return false
  if (Array.isArray(value)) return value.some((v) => hasBytes(v, depth + 1))
  for (const k in value) if (hasBytes((value as Record<string, unknown>)[k], depth + 1)) return true
  return false
}

/**
 * Refuses what no transport carries faithfully: binary data that is not a Uint8Array (ArrayBuffer, other typed
 * arrays, Node/DOM objects) and functions. Used by the preload bridge and by the envelope encoder.
 */
export function checkWireValue(value: unknown, where = 'payload', depth = 0): void {
  checkAt(value, () => where, depth)
}

// The place is said only when something is refused: building it for every element was most of the check's time.
function checkAt(value: unknown, where: () => string, depth: number): void {
  if (value === null || value instanceof Uint8Array) return
  const t = typeof value
  if (t === 'function' || t === 'symbol' || t === 'bigint') throw new ApiError('invalid_payload', `${where()} is a ${t}, which cannot be sent`)
  if (t !== 'object') return
  if (depth > 64) throw new ApiError('invalid_payload', `${where()} is nested too deeply`)
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    throw new ApiError('invalid_payload', `${where()} is binary data that is not a Uint8Array (wrap it: new Uint8Array(buffer))`)
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i]
      if (v !== null && typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol' && typeof v !== 'bigint') continue
      checkAt(v, () => `${where()}.${i}`, depth + 1)
    }
    return
  }
  for (const k in value) checkAt((value as Record<string, unknown>)[k], () => `${where()}.${k}`, depth + 1)
}

/**
 * The envelope of `value` as parts to send one after another (first the prefix and header, then each Uint8Array
 * as it is, not copied): hand them to a Blob, a stream or a writev.
 */
export function encodeEnvelope(value: unknown): Uint8Array[] {
  checkWireValue(value)
  const parts: Uint8Array[] = []
  const bytes: BytesEntry[] = []
  const strip = (v: unknown, path: Key[]): unknown => {
    if (v instanceof Uint8Array) {
      parts.push(v)
      bytes.push({ path, length: v.byteLength })
      return null
    }
    if (typeof v !== 'object' || v === null) return v
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v
    // A path is made only for what can hold bytes (not for each of 10,000 strings in a column).
    if (Array.isArray(v)) return v.map((x: unknown, i) => (typeof x !== 'object' || x === null ? x : strip(x, [...path, i])))
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v)) out[k] = strip((v as Record<string, unknown>)[k], [...path, k])
    return out
  }
  const header = new TextEncoder().encode(JSON.stringify({ value: strip(value, []) ?? null, bytes }))
  const prefix = new Uint8Array(PREFIX + header.byteLength)
  prefix.set(MAGIC, 0)
  new DataView(prefix.buffer).setUint32(4, header.byteLength, true)
  prefix.set(header, PREFIX)
  return [prefix, ...parts]
}

/** The total byte length of encoded parts. */
export const envelopeLength = (parts: readonly Uint8Array[]): number => parts.reduce((n, p) => n + p.byteLength, 0)

/** One buffer of the parts (for transports that need a single buffer; copies the bytes once). */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(envelopeLength(parts))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.byteLength
  }
  return out
}

const bad = (what: string) => new ApiError('invalid_payload', `The binary body (envelope) is damaged: ${what}`)

/**
 * The value of an envelope, its Uint8Array fields as views into `body` (not copied). Throws invalid_payload naming
 * what is wrong: bad magic, a truncated header or part, bytes left over, a header that is not the envelope's JSON.
 */
export function decodeEnvelope(body: Uint8Array): unknown {
  if (body.byteLength < PREFIX) throw bad(`${body.byteLength} bytes is shorter than the 8-byte envelope prefix`)
  if (MAGIC.some((b, i) => body[i] !== b)) throw bad('it does not start with the envelope magic "CSE1"')
  const headerLength = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(4, true)
  if (headerLength > MAX_ENVELOPE_HEADER) throw bad(`its header claims ${headerLength} bytes (at most ${MAX_ENVELOPE_HEADER})`)
  if (PREFIX + headerLength > body.byteLength) throw bad(`truncated: the header needs ${headerLength} bytes, ${body.byteLength - PREFIX} are there`)
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(PREFIX, PREFIX + headerLength)))
  } catch {
    throw bad('its header is not valid UTF-8 JSON')
  }
  if (typeof header !== 'object' || header === null || !('value' in header) || !Array.isArray((header as { bytes?: unknown }).bytes)) {
    throw bad('its header has no value and bytes list')
  }
  const { value, bytes } = header as { value: unknown; bytes: unknown[] }
  let offset = PREFIX + headerLength
  const placed: { path: Key[]; part: Uint8Array }[] = []
  bytes.forEach((entry, i) => {
    const e = entry as Partial<BytesEntry> | null
    if (typeof e !== 'object' || e === null || !Array.isArray(e.path) || typeof e.length !== 'number' || !Number.isSafeInteger(e.length) || e.length < 0) {
      throw bad(`byte part ${i} is not described by a path and a length`)
    }
    if (offset + e.length > body.byteLength) throw bad(`truncated: byte part ${i} (${e.path.join('.') || 'the value'}) needs ${e.length} bytes, ${body.byteLength - offset} are left`)
    placed.push({ path: e.path, part: body.subarray(offset, offset + e.length) })
    offset += e.length
  })
  if (offset !== body.byteLength) throw bad(`${body.byteLength - offset} bytes follow the last part`)
  let root = value
  for (const { path, part } of placed) {
    if (path.length === 0) {
      if (root !== null) throw bad('a byte part replaces a value that is not null')
      root = part
      continue
    }
    let at: unknown = root
    for (let i = 0; i < path.length; i++) {
      const key = path[i]
      const container = at as Record<Key, unknown> | null
      const ok =
        typeof container === 'object' && container !== null && !(container instanceof Uint8Array) &&
        (typeof key === 'string' ? !FORBIDDEN_KEYS.has(key) && !Array.isArray(container) && Object.hasOwn(container, key) : Number.isInteger(key) && Array.isArray(container) && (key as number) >= 0 && (key as number) < container.length)
      if (!ok) throw bad(`byte part path ${JSON.stringify(path)} does not lead to a place in the value`)
      if (i === path.length - 1) {
        if (container[key as Key] !== null) throw bad(`byte part path ${JSON.stringify(path)} points at a value that is not null`)
        container[key as Key] = part
      } else at = container[key as Key]
    }
  }
  return root
}

/** The bytes as an ArrayBuffer of their own (what TF.js and the workers take): the buffer itself when they fill it. */
export function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer
  return new Uint8Array(bytes).buffer // a copy (also for a Node Buffer, whose slice() would not copy)
}
