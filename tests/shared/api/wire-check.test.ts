/**
 * What no transport carries faithfully is refused before it is sent (checkWireValue: the preload bridge and the
 * envelope encoder), naming where it sits in the payload.
 */
import { describe, expect, it } from 'vitest'
import { ApiError, checkWireValue, encodeEnvelope } from '@shared/api'

describe('checkWireValue', () => {
  it('refuses functions, symbols, bigints, other binary types and deep nesting, naming the place', () => {
    expect(() => checkWireValue({ a: [1, 'x', { f: () => 1 }] })).toThrow('payload.a.2.f is a function, which cannot be sent')
    expect(() => checkWireValue({ list: ['a', Symbol('s')] })).toThrow('payload.list.1 is a symbol')
    expect(() => checkWireValue([1n])).toThrow('payload.0 is a bigint')
    expect(() => checkWireValue({ w: new Float32Array(2) }, 'input')).toThrow('input.w is binary data that is not a Uint8Array')
    expect(() => checkWireValue({ b: new ArrayBuffer(4) })).toThrow(ApiError)
    let deep: unknown = 1
    for (let i = 0; i < 70; i++) deep = [deep]
    expect(() => checkWireValue(deep)).toThrow('is nested too deeply')
    expect(() => encodeEnvelope({ rows: [{ at: () => 0 }] })).toThrow('payload.rows.0.at is a function')
  })

  it('lets through what the transports carry: numbers, strings, null, booleans, Uint8Arrays, nested plain data', () => {
    expect(() => checkWireValue({ n: [1, 2.5, null, true, 'a'], bytes: new Uint8Array(3), nested: { a: [{ b: [] }] } })).not.toThrow()
  })
})
