/**
 * Records as columns (shared/api/columns): what unpacking gives back is what JSON would have carried, for any
 * records (property-based), also after the binary envelope put the bytes at odd offsets; a damaged packing is
 * refused naming the column.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ApiError, decodeEnvelope, encodeEnvelope, joinParts, packRecords, unpackRecords, type PackedRecords } from '@shared/api'

const viaJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown
const viaEnvelope = (p: PackedRecords) => decodeEnvelope(joinParts(encodeEnvelope({ pad: 'x', p }))) as { p: PackedRecords }

const leaf = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e-300, 2 ** 53),
  fc.string(),
  fc.constantFrom('adam', 'sgd', '__proto__'),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.string(), { maxLength: 3 }),
)
const record = fc.dictionary(fc.constantFrom('id', 'name', 'lr', 'tags', 'starred', '__proto__', 'x y'), fc.oneof(leaf, fc.dictionary(fc.constantFrom('a', 'b'), leaf)), { maxKeys: 7 })

describe('records as columns', () => {
  it('unpack(pack(records)) is what JSON carries, directly and through the binary envelope', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), (records) => {
        const packed = packRecords(records)
        const expected = viaJson(records)
        expect(unpackRecords(packed)).toEqual(expected)
        expect(unpackRecords(viaEnvelope(packed).p)).toEqual(expected)
        // The same keys (toEqual ignores their order; like records keep it, see below).
        expect(unpackRecords(packed).map((r) => Object.keys(r as object).sort())).toEqual((expected as object[]).map((r) => Object.keys(r).sort()))
      }),
      { numRuns: 300 },
    )
  })

  it('numbers and strings travel as bytes and a string table, not as JSON per record', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, name: `run ${i}`, optimizer: i % 2 ? 'adam' : 'sgd', lr: i % 3 ? 0.001 : null, extra: { 'metric:val/acc:best': i / 1000, seed: i % 3 } }))
    const packed = packRecords(rows)
    const kinds = Object.fromEntries(packed.columns.map(([k, c]) => [k, c.kind]))
    expect(kinds).toEqual({ id: 'number', name: 'text', optimizer: 'text', lr: 'number', extra: 'records' })
    const optimizer = packed.columns.find(([k]) => k === 'optimizer')![1]
    expect(optimizer.kind === 'text' && optimizer.strings).toEqual(['sgd', 'adam'])
    const parts = encodeEnvelope(packed)
    // The JSON header holds the names and the string table only: far below the rows' own JSON.
    expect(parts[0]!.byteLength).toBeLessThan(JSON.stringify(rows).length / 4)
    expect(unpackRecords(viaEnvelope(packed).p)).toEqual(rows)
    expect(unpackRecords<object>(packed).map((r) => JSON.stringify(r))).toEqual(rows.map((r) => JSON.stringify(r))) // keys in their order
  })

  it('a field named __proto__ comes back as an own field, not as the prototype', () => {
    const [r] = unpackRecords(packRecords([JSON.parse('{"__proto__": {"polluted": 1}}') as Record<string, unknown>]))
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype)
    expect(Object.hasOwn(r!, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('a damaged packing is refused, naming the column', () => {
    const packed = packRecords([{ id: 1, name: 'a' }, { id: 2, name: 'b' }])
    const cut = { ...packed, columns: packed.columns.map(([k, c]) => [k, c.kind === 'number' ? { ...c, bytes: c.bytes.subarray(0, 8) } : c]) } as PackedRecords
    expect(() => unpackRecords(cut)).toThrow(ApiError)
    expect(() => unpackRecords(cut)).toThrow('column "id" has 8 bytes for 2 records of 8 bytes')
    const far = { ...packed, columns: packed.columns.map(([k, c]) => [k, c.kind === 'text' ? { ...c, strings: ['a'] } : c]) } as PackedRecords
    expect(() => unpackRecords(far)).toThrow('column "name" points at string 1 of 1')
    expect(() => unpackRecords({ count: 2, columns: [['x', { kind: 'values', values: [1] }]] })).toThrow('column "x" is not a column of 2 records')
  })
})
