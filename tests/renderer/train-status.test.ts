import { describe, expect, it } from 'vitest'
import type { MetricSeries } from '@shared/api'
import { etaMs, liveActivity, type LiveRun } from '../../renderer/src/train/controller'
import { seriesFromMetrics, type EpochRow } from '../../renderer/src/train/series'

const row = (epoch: number, step: number): EpochRow => ({ epoch, step, trainLoss: 1, trainAcc: 0.5, valLoss: 1, valAcc: 0.5 })

/** A running 2-epoch run of 10 steps per epoch, at `step`, with the epoch rows that arrived. */
function live(step: number, rows: EpochRow[], phase: LiveRun['phase'] = 'running'): LiveRun {
  return { phase, step, totalSteps: 20, stepsPerEpoch: 10, epoch: Math.max(1, Math.ceil(step / 10)), epochRows: rows, msPerStep: 100 } as unknown as LiveRun
}

describe('what a running run does between steps', () => {
  it("says 'validating' after an epoch's last step until its row arrives, 'finishing' after the last one", () => {
    expect(liveActivity(live(7, []))).toBeNull()
    expect(liveActivity(live(10, []))).toBe('validating')
    expect(liveActivity(live(10, [row(1, 10)]))).toBeNull()
    expect(liveActivity(live(15, [row(1, 10)]))).toBeNull()
    expect(liveActivity(live(20, [row(1, 10)]))).toBe('validating')
    expect(liveActivity(live(20, [row(1, 10), row(2, 20)]))).toBe('finishing')
    // Paused or stopping at an epoch end: the phase says so.
    expect(liveActivity(live(10, [], 'paused'))).toBeNull()
    expect(liveActivity(live(0, []))).toBeNull()
  })

  it('has no ETA once no steps are left and the run validates or saves (not "00:00:00")', () => {
    expect(etaMs(live(15, [row(1, 10)]))).toBe(500)
    expect(etaMs(live(20, [row(1, 10)]))).toBeNull()
    expect(etaMs(live(20, [row(1, 10), row(2, 20)]))).toBeNull()
  })
})

describe('stored series', () => {
  it('give the epoch of the last step: a run stopped in its first epoch is in epoch 1, not 0', () => {
    const s = (step: number[], epoch: number[]): MetricSeries => ({ step, epoch, value: step.map(() => 1), time: step.map(() => 0) }) as unknown as MetricSeries
    const stopped = seriesFromMetrics({ 'train/loss': s([1, 2, 3], [1, 1, 1]) })
    expect(stopped.epochs).toEqual([])
    expect(stopped.stepEpoch).toBe(1)
    const second = seriesFromMetrics({ 'train/loss': s([1, 2, 3, 4], [1, 1, 2, 2]), 'epoch/train_loss': s([2], [1]) })
    expect(second.stepEpoch).toBe(2)
    expect(second.epochs.map((e) => e.epoch)).toEqual([1])
    expect(seriesFromMetrics({}).stepEpoch).toBe(0)
  })
})
