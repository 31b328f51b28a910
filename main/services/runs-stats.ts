/**
 * Per run and metric name statistics (`run_metric_stats`): count, first/last point, min and max with their steps.
 * appendMetrics merges a batch incrementally when it only appends after the last stored step (the training
 * case); a batch that rewrites earlier steps, and truncateMetrics, recompute the pair from its stored points.
 */
import type Database from 'better-sqlite3'
import { createChunkStore, STRIDE, type PackedPoints } from './metric-chunks'

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

/** Where recomputed statistics read a run's points: metric_chunks by default, the old metrics table in migration 6. */
export interface PointSource {
  /** A run's points of one name as [step, epoch, value, time] quadruples in step order. */
  series(runId: number, nameId: number): PackedPoints
  /** The name ids a run has points of. */
  namesOf(runId: number): number[]
}

export function createStatsStore(db: Db, source: PointSource = createChunkStore(db)) {
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
  const namesOfRun = db.prepare('SELECT name_id AS id FROM run_metric_stats WHERE run_id = ?').pluck()

  const write = (runId: number, nameId: number, s: MetricStats) =>
    put.run(runId, nameId, s.count, s.firstStep, s.lastStep, s.lastEpoch, s.lastValue, s.minValue, s.minStep, s.maxValue, s.maxStep)

  /** Recomputes one pair from its points (removes the row when the run has no such points). */
  const recompute = (runId: number, nameId: number): void => {
    const p = source.series(runId, nameId)
    if (p.length === 0) {
      remove.run(runId, nameId)
      return
    }
    // Points in step order: the first minimum and maximum are those of the lowest step.
    const s = startBatch(p[0] as number, p[1] as number, p[2] as number)
    for (let i = STRIDE; i < p.length; i += STRIDE) addToBatch(s, p[i] as number, p[i + 1] as number, p[i + 2] as number)
    write(runId, nameId, s)
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
    /** Recomputes the given names of a run (after a truncation touched them). */
    recomputeNames(runId: number, nameIds: readonly number[]): void {
      for (const id of nameIds) recompute(runId, id)
    },
    /** Every name the run has points of (backfill of runs recorded before the stats existed). */
    rebuildRun(runId: number): void {
      for (const id of source.namesOf(runId)) recompute(runId, id)
    },
  }
}
