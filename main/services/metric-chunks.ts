/**
 * Metric points stored as chunks (`metric_chunks`, migration 9): per run and metric name, runs of points packed in
 * one blob each instead of one table row per point (a row per point cost two B-tree entries, ~68 bytes and ~10 us
 * each; ingest stayed under 100,000 points/s). A chunk's blob holds its points in step order as little-endian
 * float64 quadruples [step, epoch, value, time] (32 bytes a point). The chunks of one run and name cover disjoint,
 * increasing step ranges (first_step..last_step), steps strictly increasing inside each, so a step's point is in
 * the chunk with the greatest first_step at or below it.
 *
 * Writing: a batch whose steps all come after the name's last stored step (the training case) is appended, to the
 * last chunk while it holds fewer than CHUNK_POINTS points (SQL `CAST(data || ? AS BLOB)`: byte for byte in a UTF-8 database; no read back), else as new chunks. Any
 * other batch (steps rewritten, out of order, repeated) rewrites the name's chunks with the merged points (a later
 * point replaces an earlier one of the same step, as the old INSERT OR REPLACE did).
 *
 * No events, no statistics (runs-stats.ts keeps run_metric_stats from these points in the same transaction).
 */
import type Database from 'better-sqlite3'

// The database handle (store/db.ts's Db), named here without importing store/db: migration 9 runs this code.
type Db = Database.Database

/** Points a chunk grows to by appends (8 KB of blob); a rewrite packs chunks of this size too. */
export const CHUNK_POINTS = 256
/** Float64 values per point: step, epoch, value, time. */
export const STRIDE = 4

/** The points of a blob as float64 quadruples (a copy when the blob's bytes are not 8-byte aligned). */
export function decodeChunk(data: Uint8Array): Float64Array {
  if (data.byteOffset % 8 === 0) return new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8)
  return new Float64Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
}

const encode = (points: Float64Array): Buffer => Buffer.from(points.buffer, points.byteOffset, points.byteLength)

/** Quadruples [step, epoch, value, time] of one name, in the order given. */
export type PackedPoints = Float64Array

/** Index of the last point with step <= `step` in packed points sorted by step (-1: none). */
export function lastAtOrBefore(p: PackedPoints, step: number): number {
  let lo = 0
  let hi = p.length / STRIDE - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if ((p[mid * STRIDE] as number) <= step) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

/**
 * The point (of packed points sorted by step) with the greatest epoch at or below `epoch`, ties to the greatest
 * step (`byEpoch`), or the greatest step whose epoch is at or below it (`byStep`); -1 when none.
 */
export function atEpochIndex(p: PackedPoints, epoch: number, order: 'byEpoch' | 'byStep'): number {
  let best = -1
  for (let i = 0, n = p.length / STRIDE; i < n; i++) {
    const e = p[i * STRIDE + 1] as number
    if (e > epoch) continue
    if (best < 0 || order === 'byStep' || e >= (p[best * STRIDE + 1] as number)) best = i
  }
  return best
}

/** Packed points as columnar arrays (the API's series). */
export function unpack(p: PackedPoints): { step: number[]; epoch: number[]; value: number[]; time: number[] } {
  const n = p.length / STRIDE
  const s = { step: new Array<number>(n), epoch: new Array<number>(n), value: new Array<number>(n), time: new Array<number>(n) }
  for (let i = 0, k = 0; i < n; i++, k += STRIDE) {
    s.step[i] = p[k] as number
    s.epoch[i] = p[k + 1] as number
    s.value[i] = p[k + 2] as number
    s.time[i] = p[k + 3] as number
  }
  return s
}

export type ChunkStore = ReturnType<typeof createChunkStore>

export function createChunkStore(db: Db) {
  const lastChunk = db.prepare('SELECT id, last_step AS lastStep, count FROM metric_chunks WHERE run_id = ? AND name_id = ? ORDER BY first_step DESC LIMIT 1')
  const extend = db.prepare('UPDATE metric_chunks SET data = CAST(data || ? AS BLOB), last_step = ?, min_epoch = min(min_epoch, ?), max_epoch = max(max_epoch, ?), count = count + ? WHERE id = ?')
  const insert = db.prepare('INSERT INTO metric_chunks (run_id, name_id, first_step, last_step, min_epoch, max_epoch, count, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  const chunksOf = db.prepare('SELECT data FROM metric_chunks WHERE run_id = ? AND name_id = ? ORDER BY first_step').pluck()
  const chunkAt = db.prepare('SELECT data FROM metric_chunks WHERE run_id = ? AND name_id = ? AND first_step <= ? ORDER BY first_step DESC LIMIT 1').pluck()
  const chunksToEpoch = db.prepare('SELECT data FROM metric_chunks WHERE run_id = ? AND name_id = ? AND min_epoch <= ? ORDER BY first_step').pluck()
  const removeName = db.prepare('DELETE FROM metric_chunks WHERE run_id = ? AND name_id = ?')
  const names = db.prepare('SELECT DISTINCT name_id FROM metric_chunks WHERE run_id = ?').pluck()
  const lastSteps = db.prepare('SELECT name_id, MAX(last_step) FROM metric_chunks WHERE run_id = ? GROUP BY name_id').raw()
  const straddling = db.prepare('SELECT name_id FROM metric_chunks WHERE run_id = ? AND last_step > ? GROUP BY name_id').pluck()

  /** New chunks of CHUNK_POINTS from points sorted by step (strictly increasing). */
  const insertChunks = (runId: number, nameId: number, p: PackedPoints): void => {
    const n = p.length / STRIDE
    for (let start = 0; start < n; start += CHUNK_POINTS) {
      const end = Math.min(n, start + CHUNK_POINTS)
      const part = p.subarray(start * STRIDE, end * STRIDE)
      const [lo, hi] = epochRange(part)
      insert.run(runId, nameId, part[0], part[(end - start - 1) * STRIDE], lo, hi, end - start, encode(part))
    }
  }

  /** Every point of a name, merged with `p` (its points replace stored ones of the same step; later wins), rewritten. */
  const rewrite = (runId: number, nameId: number, p: PackedPoints): void => {
    const stored = series(runId, nameId)
    const pick: { src: PackedPoints; at: number }[] = [] // the points kept: their array and offset
    const byStep = new Map<number, number>() // step -> index in pick
    const place = (src: PackedPoints, at: number) => {
      const step = src[at] as number
      const k = byStep.get(step)
      if (k === undefined) {
        byStep.set(step, pick.length)
        pick.push({ src, at })
      } else pick[k] = { src, at }
    }
    for (let i = 0; i < stored.length; i += STRIDE) place(stored, i)
    for (let i = 0; i < p.length; i += STRIDE) place(p, i)
    pick.sort((a, b) => (a.src[a.at] as number) - (b.src[b.at] as number))
    const out = new Float64Array(pick.length * STRIDE)
    pick.forEach((x, i) => out.set(x.src.subarray(x.at, x.at + STRIDE), i * STRIDE))
    removeName.run(runId, nameId)
    insertChunks(runId, nameId, out)
  }

  /** All points of a run's name in step order (empty when none). */
  const series = (runId: number, nameId: number): PackedPoints => {
    const blobs = chunksOf.all(runId, nameId) as Buffer[]
    if (blobs.length === 1) return decodeChunk(blobs[0] as Buffer)
    const out = new Float64Array(blobs.reduce((a, b) => a + b.byteLength, 0) / 8)
    let at = 0
    for (const b of blobs) {
      out.set(decodeChunk(b), at)
      at += b.byteLength / 8
    }
    return out
  }

  return {
    /** Writes points sorted by step (strictly increasing) of a name that has none yet (migration 9). */
    insertSorted: insertChunks,

    /**
     * Writes one name's points of a batch (in the batch's order). Returns true when they were appended after the
     * stored points in step order (the statistics can be merged), false when the name's points were rewritten.
     */
    write(runId: number, nameId: number, p: PackedPoints): boolean {
      const n = p.length / STRIDE
      let ordered = true
      for (let i = 1; i < n && ordered; i++) if ((p[i * STRIDE] as number) <= (p[(i - 1) * STRIDE] as number)) ordered = false
      const last = lastChunk.get(runId, nameId) as { id: number; lastStep: number; count: number } | undefined
      if (!ordered || (last && (p[0] as number) <= last.lastStep)) {
        rewrite(runId, nameId, p)
        return false
      }
      let from = 0
      if (last && last.count < CHUNK_POINTS) {
        const take = Math.min(n, CHUNK_POINTS - last.count)
        const part = p.subarray(0, take * STRIDE)
        const [lo, hi] = epochRange(part)
        extend.run(encode(part), part[(take - 1) * STRIDE], lo, hi, take, last.id)
        from = take
      }
      if (from < n) insertChunks(runId, nameId, p.subarray(from * STRIDE))
      return true
    },

    series,

    /** The names (ids) a run has points of. */
    namesOf: (runId: number): number[] => names.all(runId) as number[],

    /** The last stored step per name id of a run. */
    lastSteps: (runId: number): Map<number, number> => new Map(lastSteps.all(runId) as [number, number][]),

    /** The last point at or before a step: [step, epoch, value], or undefined. */
    atStep(runId: number, nameId: number, step: number): [number, number, number] | undefined {
      const blob = chunkAt.get(runId, nameId, step) as Buffer | undefined
      if (!blob) return undefined
      const p = decodeChunk(blob)
      const i = lastAtOrBefore(p, step)
      return i < 0 ? undefined : [p[i * STRIDE] as number, p[i * STRIDE + 1] as number, p[i * STRIDE + 2] as number]
    },

    /** The point at an epoch (atEpochIndex's orders): [step, epoch, value], or undefined. */
    atEpoch(runId: number, nameId: number, epoch: number, order: 'byEpoch' | 'byStep'): [number, number, number] | undefined {
      const blobs = chunksToEpoch.all(runId, nameId, epoch) as Buffer[]
      if (blobs.length === 0) return undefined
      const p = blobs.length === 1 ? decodeChunk(blobs[0] as Buffer) : series(runId, nameId)
      const i = atEpochIndex(p, epoch, order)
      return i < 0 ? undefined : [p[i * STRIDE] as number, p[i * STRIDE + 1] as number, p[i * STRIDE + 2] as number]
    },

    /** Removes a run's points after a step; returns how many. The names touched, for their statistics. */
    truncate(runId: number, afterStep: number): { removed: number; names: number[] } {
      const touched = straddling.all(runId, afterStep) as number[]
      let removed = 0
      for (const nameId of touched) {
        const p = series(runId, nameId)
        const keep = lastAtOrBefore(p, afterStep) + 1
        removed += p.length / STRIDE - keep
        removeName.run(runId, nameId)
        if (keep > 0) insertChunks(runId, nameId, p.slice(0, keep * STRIDE))
      }
      return { removed, names: touched }
    },
  }
}

function epochRange(p: PackedPoints): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 1; i < p.length; i += STRIDE) {
    const e = p[i] as number
    if (e < lo) lo = e
    if (e > hi) hi = e
  }
  return [lo, hi]
}
