/**
 * `runs.curves`: the Compare view's curves of many runs, reduced next to the database so that only what a chart
 * draws crosses to the renderer (a 200-run group of 5,000-point series is a few thousand numbers, not a million).
 * Reads each asked run's points once, aligns them on the asked axis (the batch size comes from the run facts),
 * smooths where asked, and reduces them with shared/compare/curves: per run by min/max per pixel column (two
 * values a column), per group by the mean, std, min and max of the runs' resampled curves (one value a column),
 * every value to 6 significant digits. 200 runs of 5,000 points in two groups are ~58 KB of JSON on 320 columns
 * (tests/main/runs-curves.test.ts).
 */
import { ApiError, type MethodOutput, type runsContract } from '@shared/api'
import { alignX, chartValue, emaSmooth, gridOver, gridSlots, groupCurve, minMaxPerColumn, perColumn, resampleOnGrid } from '@shared/compare'
import type { z } from 'zod'
import type { Db } from '../store/db'

type Methods = (typeof runsContract)['methods']
type Input = z.output<Methods['curves']['input']>
type Output = MethodOutput<Methods['curves']>

export function createCurvesQuery(db: Db): (q: Input) => Output {
  const nameIdOf = db.prepare('SELECT id FROM metric_names WHERE name = ?').pluck()
  const seriesOf = db.prepare('SELECT step, epoch, value, time FROM metrics WHERE run_id = ? AND name_id = ? ORDER BY step').raw()
  const startOf = db.prepare('SELECT MIN(time) FROM metrics WHERE run_id = ? AND step = (SELECT MIN(step) FROM metrics WHERE run_id = ?)').pluck()

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
      const startTime = axis === 'time' ? ((startOf.get(runId, runId) as number | null) ?? 0) : 0
      const per = new Map<string, { xs: number[]; ys: (number | null)[] }>()
      let placed = true
      for (const [name, id] of nameIds) {
        if (id === undefined) continue
        const rows = seriesOf.all(runId, id) as [number, number, number, number][]
        if (rows.length === 0) continue
        points += rows.length
        const s = { step: rows.map((r) => r[0]), epoch: rows.map((r) => r[1]), time: rows.map((r) => r[3]) }
        const xs = alignX(s, axis, { batchSize, startTime })
        if (xs === null) {
          placed = false
          break
        }
        const values = rows.map((r) => r[2])
        const ys = smoothed.has(name) ? emaSmooth(values, (smooth as { weight: number }).weight) : values
        // Epoch and wall-time x need not be ascending by step (a resumed run); resampling needs them sorted.
        const order = xs.map((_, i) => i)
        if (xs.some((x, i) => i > 0 && x < (xs[i - 1] as number))) order.sort((a, b) => (xs[a] as number) - (xs[b] as number))
        per.set(name, { xs: order.map((i) => xs[i] as number), ys: order.map((i) => ys[i] ?? null) })
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
          const series: Record<string, (number | null)[]> = {}
          for (const [name, s] of per) series[name] = minMaxPerColumn(s.xs, s.ys, grid).map(chartValue)
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
        if (curves.length > 0) series[name] = groupCurve(curves, columns)
      }
      return { key: g.key, runIds: members, series }
    })
    return { axis, x: gridSlots(grid), runs, groups: groupResults, unaligned, points }
  }
}
