/**
 * `runs.curves`: the Compare view's curves of many runs, reduced next to the database so that only what a chart
 * draws crosses to the renderer (a 200-run group of 5,000-point series is a few thousand numbers, not a million).
 * Reads each asked run's points once, aligns them on the asked axis (the batch size comes from the run facts),
 * smooths where asked, and reduces them with shared/compare/curves: per run by min/max per pixel column (two
 * values a column), per group by the mean, std, min and max of the runs' resampled curves (one value a column),
 * every curve packed as float32 bytes (packCurve). 200 runs of 5,000 points in two groups are ~32 KB on 320 columns
 * in the browser host's envelope (the x as JSON, the curves as bytes)
 * (tests/main/runs-curves.test.ts).
 */
import { ApiError, type MethodOutput, type runsContract } from '@shared/api'
import { alignX, emaSmooth, gridOver, gridSlots, minMaxPerColumn, packCurve, packGroupCurve, perColumn, resampleOnGrid } from '@shared/compare'
import type { z } from 'zod'
import type { Db } from '../store/db'
import { createChunkStore, decodeChunk, unpack } from './metric-chunks'

type Methods = (typeof runsContract)['methods']
type Input = z.output<Methods['curves']['input']>
type Output = MethodOutput<Methods['curves']>

export function createCurvesQuery(db: Db): (q: Input) => Output {
  const nameIdOf = db.prepare('SELECT id FROM metric_names WHERE name = ?').pluck()
  const chunks = createChunkStore(db)
  // The run's start: the earliest time among its points of its first step (each such chunk begins with one).
  const firstChunks = db.prepare('SELECT data FROM metric_chunks WHERE run_id = ? AND first_step = (SELECT MIN(first_step) FROM metric_chunks WHERE run_id = ?)').pluck()
  const startOf = (runId: number): number | null => {
    let t: number | null = null
    for (const b of firstChunks.all(runId, runId) as Buffer[]) {
      const time = decodeChunk(b)[3] as number
      if (t === null || time < t) t = time
    }
    return t
  }

  return ({ runIds, names, axis, columns, runs: withRuns, groups = [], smooth }) => {
    const ids = [...new Set(runIds)]
    const found = new Map<number, number | null>()
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      const rows = db.prepare(`SELECT id, batch_size AS batchSize FROM runs WHERE id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as { id: number; batchSize: number | null }[]
      for (const r of rows) found.set(r.id, r.batchSize)
    }
    const missing = ids.filter((id) => !found.has(id))
    if (missing.length > 0) throw new ApiError('not_found', `Run${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} not found`)
    for (const g of groups) {
      const stray = g.runIds.find((id) => !found.has(id))
      if (stray !== undefined) throw new ApiError('invalid_payload', `Group "${g.key}" names run ${stray}, which is not among runIds`)
    }
    const uniqueNames = [...new Set(names)]
    const nameIds = uniqueNames.map((n) => [n, nameIdOf.get(n) as number | undefined] as const)
    const smoothed = new Set(smooth && smooth.weight > 0 ? smooth.names : [])

    // Each run's aligned points per name.
    let points = 0
    const unaligned: number[] = []
    const aligned = new Map<number, Map<string, { xs: number[]; ys: (number | null)[] }>>()
    for (const runId of ids) {
      const batchSize = found.get(runId) ?? null
      const startTime = axis === 'time' ? (startOf(runId) ?? 0) : 0
      const per = new Map<string, { xs: number[]; ys: (number | null)[] }>()
      let placed = true
      for (const [name, id] of nameIds) {
        if (id === undefined) continue
        const packed = chunks.series(runId, id)
        if (packed.length === 0) continue
        const { value: values, ...s } = unpack(packed)
        points += values.length
        const xs = alignX(s, axis, { batchSize, startTime })
        if (xs === null) {
          placed = false
          break
        }
        const ys = smoothed.has(name) ? emaSmooth(values, (smooth as { weight: number }).weight) : values
        // Epoch and wall-time x need not be ascending by step (a resumed run); resampling needs them sorted.
        let sorted = true
        for (let i = 1; i < xs.length && sorted; i++) if ((xs[i] as number) < (xs[i - 1] as number)) sorted = false
        if (sorted) per.set(name, { xs, ys })
        else {
          const order = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number))
          per.set(name, { xs: order.map((i) => xs[i] as number), ys: order.map((i) => ys[i] ?? null) })
        }
      }
      if (!placed) unaligned.push(runId)
      else aligned.set(runId, per)
    }

    const grid = gridOver(
      (function* () {
        for (const per of aligned.values()) for (const s of per.values()) yield s.xs
      })(),
      columns,
    )
    if (grid === null) return { axis, x: [], runs: [], groups: [], unaligned, points }
    const runs = withRuns
      ? [...aligned].map(([runId, per]) => {
          const series: Record<string, Uint8Array> = {}
          for (const [name, s] of per) series[name] = packCurve(minMaxPerColumn(s.xs, s.ys, grid))
          return { runId, series }
        })
      : []

    const resampled = new Map<string, (number | null)[]>() // `${runId}:${name}` per column, computed once per run and name
    const resampledOf = (runId: number, name: string) => {
      const key = `${runId}:${name}`
      let r = resampled.get(key)
      if (r === undefined) {
        const s = aligned.get(runId)?.get(name)
        r = s ? perColumn(resampleOnGrid(s.xs, s.ys, grid)) : new Array<number | null>(columns).fill(null)
        resampled.set(key, r)
      }
      return r
    }
    const groupResults = groups.map((g) => {
      const members = [...new Set(g.runIds)].filter((id) => aligned.has(id))
      const series: Output['groups'][number]['series'] = {}
      for (const name of uniqueNames) {
        const curves = members.filter((id) => aligned.get(id)?.has(name)).map((id) => resampledOf(id, name))
        if (curves.length > 0) series[name] = packGroupCurve(curves, columns)
      }
      return { key: g.key, runIds: members, series }
    })
    return { axis, x: gridSlots(grid), runs, groups: groupResults, unaligned, points }
  }
}
