/**
 * The one run recorder (shared/train/recorder.ts) on a recording sink: its write rules (metric batches, the
 * checkpoint kinds, the duration without pauses) and the summary keys every host gets.
 */
import { describe, expect, it } from 'vitest'
import type { CheckpointMeta, TrainMessage } from '../../../shared/train/messages'
import { checkpointKinds, RunRecorder, SUMMARY_KEYS, type CheckpointRecord, type RecordSink, type RunUpdate } from '../../../shared/train/recorder'
import type { MetricPoint } from '../../../shared/train/metrics'

type Write = { kind: 'update'; fields: RunUpdate } | { kind: 'metrics'; points: MetricPoint[] } | { kind: 'checkpoint'; record: CheckpointRecord }

function setup(options: { flushEverySteps?: number; keepEvery?: number; failMetrics?: number } = {}) {
  let t = 0
  let failures = options.failMetrics ?? 0
  const writes: Write[] = []
  const sink: RecordSink = {
    update: async (fields) => void writes.push({ kind: 'update', fields }),
    appendMetrics: async (points) => {
      if (failures-- > 0) throw new Error('disk full')
      writes.push({ kind: 'metrics', points })
    },
    saveCheckpoint: async (record) => void writes.push({ kind: 'checkpoint', record }),
  }
  const errors: unknown[] = []
  const rec = new RunRecorder({ sink, keepEvery: options.keepEvery ?? 0, now: () => t, flushEveryMs: 1000, flushEverySteps: options.flushEverySteps ?? 50, onWrite: (e) => void (e !== null && errors.push(e)) })
  const post = (m: TrainMessage) => rec.post(m)
  const step = (s: number, epoch = 1) => post({ type: 'step', step: s, epoch, loss: 1 / s, dataLoss: 1 / s, acc: 0.5, lr: 0.01, imagesPerSec: 100, time: s })
  const meta = (step: number, epoch: number) => ({ step, epoch, stepInEpoch: step % 4 }) as unknown as CheckpointMeta
  const checkpoint = (step: number, epoch: number, best: boolean, requested = false): TrainMessage => ({ type: 'checkpoint', epoch, step, best, keep: false, ...(requested ? { requested } : {}), meta: meta(step, epoch), weights: new ArrayBuffer(4), optimizerState: new ArrayBuffer(0), time: step })
  const advance = (ms: number) => void (t += ms)
  const metricSteps = () => writes.filter((w) => w.kind === 'metrics').map((w) => [...new Set((w as { points: MetricPoint[] }).points.map((p) => p.step))])
  return { rec, post, step, checkpoint, advance, writes, metricSteps, errors }
}

const started = (startStep = 0): TrainMessage => ({ type: 'started', startStep, startEpoch: 0, totalSteps: 8, stepsPerEpoch: 4, epochs: 2, updatedVariables: 2, frozenVariables: 0, time: 0 })
const epoch = (e: number, valAcc: number): TrainMessage => ({ type: 'epoch', epoch: e, step: e * 4, trainLoss: 0.5 / e, trainAcc: 0.6, valLoss: 0.4, valAcc, lr: 0.01, seconds: 1, time: e * 4 })

describe('RunRecorder', () => {
  it('writes metrics every flushEverySteps steps or flushEveryMs, and always at an epoch end, before a checkpoint and at a pause', async () => {
    const r = setup({ flushEverySteps: 3 })
    r.post(started())
    r.step(1)
    r.step(2)
    expect(r.metricSteps()).toEqual([])
    r.step(3) // 3 steps buffered
    r.advance(1000)
    r.step(4) // a second passed
    r.post(epoch(1, 0.5))
    r.post(r.checkpoint(4, 1, true))
    r.step(5, 2)
    r.post({ type: 'paused', step: 5, epoch: 2, time: 5 })
    r.advance(5000)
    r.post({ type: 'resumed', step: 5, epoch: 2, time: 6 })
    r.step(6, 2)
    r.rec.tick() // not a second since the last write
    r.advance(1000)
    r.rec.tick()
    await r.rec.settled()
    expect(r.metricSteps()).toEqual([[1, 2, 3], [4], [4], [5], [6]])
    const at = r.writes.findIndex((w) => w.kind === 'checkpoint')
    expect(r.writes.slice(0, at).filter((w) => w.kind === 'metrics').flatMap((w) => (w as { points: MetricPoint[] }).points.map((p) => p.name))).toContain('val/acc')
    // Paused time is not training time.
    expect(r.rec.durationMs).toBe(2000)
  })

  it('saves a checkpoint once with all its kinds: last, best, periodic every keepEvery epochs; a requested one is last only', async () => {
    expect(checkpointKinds({ epoch: 2, best: true }, 2)).toEqual(['last', 'best', 'periodic'])
    expect(checkpointKinds({ epoch: 3, best: false }, 2)).toEqual(['last'])
    expect(checkpointKinds({ epoch: 2, best: true, requested: true }, 2)).toEqual(['last'])
    const r = setup({ keepEvery: 1 })
    r.post(started())
    for (let s = 1; s <= 2; s++) r.step(s)
    r.post(r.checkpoint(2, 0, false, true))
    for (let s = 3; s <= 4; s++) r.step(s)
    r.post(epoch(1, 0.7))
    r.post(r.checkpoint(4, 1, true))
    await r.rec.settled()
    const saved = r.writes.filter((w) => w.kind === 'checkpoint').map((w) => (w as { record: CheckpointRecord }).record)
    expect(saved.map((c) => [c.step, c.kinds, c.metrics ?? null])).toEqual([
      [2, ['last'], null],
      [4, ['last', 'best', 'periodic'], { train_loss: 0.5, train_acc: 0.6, val_loss: 0.4, val_acc: 0.7 }],
    ])
    // A stop checkpoint where the last one already is adds nothing.
    r.rec.saveLast({ meta: { step: 4, epoch: 1 } as CheckpointMeta, weights: new ArrayBuffer(4), optimizerState: new ArrayBuffer(0) })
    await r.rec.settled()
    expect(r.writes.filter((w) => w.kind === 'checkpoint')).toHaveLength(2)
  })

  it('writes the end with the summary keys, best epoch and final loss; a failed metric write is retried with the next', async () => {
    const r = setup({ failMetrics: 1 })
    r.rec.note({ params: 123, trainCount: 16, valCount: 4, timings: { dataMs: 5 } })
    r.post(started())
    for (let s = 1; s <= 4; s++) r.step(s)
    r.post(epoch(1, 0.6)) // this write fails
    r.post(r.checkpoint(4, 1, true))
    for (let s = 5; s <= 8; s++) r.step(s, 2)
    r.post(epoch(2, 0.5))
    r.post({ type: 'done', reason: 'Finished 2 epochs (8 steps)', step: 8, epoch: 2, time: 9 })
    await r.rec.finish()
    expect(r.errors).toHaveLength(1)
    expect([...new Set(r.metricSteps().flat())].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    const end = r.writes.at(-1) as { kind: 'update'; fields: RunUpdate }
    expect(end.fields).toMatchObject({ status: 'completed', bestValAccuracy: 0.6, bestEpoch: 1, finalLoss: 0.25 })
    expect(end.fields.endedAt).toBeDefined()
    const summary = end.fields.summary as Record<string, unknown>
    for (const k of SUMMARY_KEYS) expect(summary, k).toHaveProperty(k)
    expect(summary).toMatchObject({ status: 'completed', message: 'Finished 2 epochs (8 steps)', steps: 8, totalSteps: 8, epochsDone: 2, bestValAcc: 0.6, bestEpoch: 1, params: 123, lastCheckpoint: { epoch: 1, step: 4 }, lastEpoch: { trainLoss: 0.25 } })
    expect(summary.timings).toMatchObject({ dataMs: 5, firstStepMs: 0 })
  })
})
