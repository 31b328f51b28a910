/**
 * Per run and metric name statistics (`run_metric_stats`): count, first/last point, min and max with their steps.
 * appendMetrics merges a batch incrementally when it only appends after the last stored step (the training
 * case); a batch that rewrites earlier steps, and truncateMetrics, recompute the pair from the metrics table.
 */
import type Database from 'better-sqlite3'

// The database handle (store/db.ts's Db), named here without importing store/db: migration 6 runs this code.
type Db = Database.Database

export interface MetricStats {
  count: number
  firstStep: number
  lastStep: number
  lastEpoch: number
  lastValue: number
  minValue: number
  minStep: number
  maxValue: number
  maxStep: number
}

/** Running statistics of one batch for one name, plus whether its steps were strictly increasing. */
export interface BatchStats extends MetricStats {
  ordered: boolean
}

export function startBatch(step: number, epoch: number, value: number): BatchStats {
  return { count: 1, firstStep: step, lastStep: step, lastEpoch: epoch, lastValue: value, minValue: value, minStep: step, maxValue: value, maxStep: step, ordered: true }
}

export function addToBatch(b: BatchStats, step: number, epoch: number, value: number): void {
  if (step <= b.lastStep) b.ordered = false
  b.count++
  if (step > b.lastStep) {
    b.lastStep = step
    b.lastEpoch = epoch
    b.lastValue = value
  }
  if (step < b.firstStep) b.firstStep = step
  if (value < b.minValue) {
    b.minValue = value
    b.minStep = step
  }
  if (value > b.maxValue) {
    b.maxValue = value
    b.maxStep = step
  }
}

export function createStatsStore(db: Db) {
  const get = db.prepare(
    `SELECT count, first_step AS firstStep, last_step AS lastStep, last_epoch AS lastEpoch, last_value AS lastValue,
            min_value AS minValue, min_step AS minStep, max_value AS maxValue, max_step AS maxStep
     FROM run_metric_stats WHERE run_id = ? AND name_id = ?`,
  )
  const put = db.prepare(
    `INSERT OR REPLACE INTO run_metric_stats (run_id, name_id, count, first_step, last_step, last_epoch, last_value, min_value, min_step, max_value, max_step)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const remove = db.prepare('DELETE FROM run_metric_stats WHERE run_id = ? AND name_id = ?')
  const span = db.prepare('SELECT COUNT(*) AS n, MIN(step) AS first, MAX(step) AS last FROM metrics WHERE run_id = ? AND name_id = ?')
  const at = db.prepare('SELECT epoch, value FROM metrics WHERE run_id = ? AND name_id = ? AND step = ?')
  const lowest = db.prepare('SELECT step, value FROM metrics WHERE run_id = ? AND name_id = ? ORDER BY value ASC, step ASC LIMIT 1')
  const highest = db.prepare('SELECT step, value FROM metrics WHERE run_id = ? AND name_id = ? ORDER BY value DESC, step ASC LIMIT 1')
  const namesOfRun = db.prepare('SELECT name_id AS id FROM run_metric_stats WHERE run_id = ?').pluck()
  const namesInMetrics = db.prepare('SELECT DISTINCT name_id FROM metrics WHERE run_id = ?').pluck()

  const write = (runId: number, nameId: number, s: MetricStats) =>
    put.run(runId, nameId, s.count, s.firstStep, s.lastStep, s.lastEpoch, s.lastValue, s.minValue, s.minStep, s.maxValue, s.maxStep)

  /** Recomputes one pair from the metrics table (removes the row when the run has no such points). */
  const recompute = (runId: number, nameId: number): void => {
    const s = span.get(runId, nameId) as { n: number; first: number | null; last: number | null }
    if (s.n === 0 || s.first === null || s.last === null) {
      remove.run(runId, nameId)
      return
    }
    const last = at.get(runId, nameId, s.last) as { epoch: number; value: number }
    const lo = lowest.get(runId, nameId) as { step: number; value: number }
    const hi = highest.get(runId, nameId) as { step: number; value: number }
    write(runId, nameId, { count: s.n, firstStep: s.first, lastStep: s.last, lastEpoch: last.epoch, lastValue: last.value, minValue: lo.value, minStep: lo.step, maxValue: hi.value, maxStep: hi.step })
  }

  return {
    /** After a batch was written: merge it, or recompute when it rewrote earlier steps. Call inside the batch's transaction. */
    merge(runId: number, nameId: number, b: BatchStats): void {
      const old = get.get(runId, nameId) as MetricStats | undefined
      if (!b.ordered || (old && b.firstStep <= old.lastStep)) {
        recompute(runId, nameId)
        return
      }
      if (!old) {
        write(runId, nameId, b)
        return
      }
      write(runId, nameId, {
        count: old.count + b.count,
        firstStep: old.firstStep,
        lastStep: b.lastStep,
        lastEpoch: b.lastEpoch,
        lastValue: b.lastValue,
        minValue: b.minValue < old.minValue ? b.minValue : old.minValue,
        minStep: b.minValue < old.minValue ? b.minStep : old.minStep,
        maxValue: b.maxValue > old.maxValue ? b.maxValue : old.maxValue,
        maxStep: b.maxValue > old.maxValue ? b.maxStep : old.maxStep,
      })
    },
    /** Every name of a run, from the stats rows (after a truncation). */
    recomputeRun(runId: number): void {
      for (const id of namesOfRun.all(runId) as number[]) recompute(runId, id)
    },
    /** Every name found in the metrics table (backfill of runs recorded before the stats existed). */
    rebuildRun(runId: number): void {
      for (const id of namesInMetrics.all(runId) as number[]) recompute(runId, id)
    },
  }
}
