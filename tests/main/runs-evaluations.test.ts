import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runsContract, type ApiError } from '@shared/api'
import { classificationReport } from '@shared/compare'
import { pipelineTta, type AugmentPipeline } from '../../shared/augment'
import { evaluate } from '../../shared/train'
import { clientFor, openStudio } from './helpers'
import { CLASSES, dataSource, graph, modelWithWeights, runWithCheckpoint } from './runs-model-fixture'

const cleanups: (() => void)[] = []
afterEach(() => cleanups.splice(0).forEach((c) => c()))
beforeAll(async () => {
  await tf.setBackend('cpu')
})

async function setup(pipeline: AugmentPipeline | null = null) {
  const doc = graph()
  const model = modelWithWeights(doc)
  const s = await runWithCheckpoint(model, doc, pipeline)
  cleanups.push(s.close, () => model.dispose())
  return { ...s, model }
}

describe('evaluations', () => {
  it('stores an evaluation of a checkpoint on the validation split; the confusion matrix sums to the images evaluated', async () => {
    const { runs, run, checkpoint, model } = await setup()
    const data = dataSource(30, 12)
    const result = await evaluate(model, data, 'val')
    expect(result.count).toBe(30)
    const saved = await runs.saveEvaluation({
      runId: run.id,
      checkpointId: checkpoint.id,
      split: 'val',
      count: result.count,
      loss: result.loss,
      accuracy: result.accuracy,
      classes: CLASSES,
      confusion: result.confusion,
      predictions: result.predictions,
    })
    const sum = saved.confusion.flat().reduce((a, b) => a + b, 0)
    expect(sum).toBe(30)
    expect(saved.count).toBe(30)
    expect(saved).toMatchObject({ runId: run.id, checkpointId: checkpoint.id, checkpoint: { kind: 'best', epoch: 2, step: 10 }, split: 'val', classes: CLASSES })
    expect(saved.accuracy).toBeCloseTo(result.accuracy, 12)
    expect(saved.report).toEqual(classificationReport(result.confusion, CLASSES))
    expect(saved.report.accuracy).toBeCloseTo(result.accuracy, 12)
    const wrong = result.predictions.filter((p) => p.label !== p.predicted)
    expect(saved.misclassifiedTotal).toBe(wrong.length)
    expect(saved.misclassified.map((p) => p.index).sort((a, b) => a - b)).toEqual(wrong.map((p) => p.index))
    for (let i = 1; i < saved.misclassified.length; i++) expect(saved.misclassified[i]!.confidence).toBeLessThanOrEqual(saved.misclassified[i - 1]!.confidence)
    for (const p of saved.misclassified) expect(p).toEqual(result.predictions[p.index])

    // The test split, when asked for, is kept apart (marked by its split).
    const test = await evaluate(model, data, 'test', { allowTest: true })
    await runs.saveEvaluation({ runId: run.id, checkpointId: checkpoint.id, split: 'test', count: test.count, loss: test.loss, accuracy: test.accuracy, classes: CLASSES, confusion: test.confusion })
    // Evaluating the same checkpoint and split again replaces the earlier result.
    await runs.saveEvaluation({ runId: run.id, checkpointId: checkpoint.id, split: 'val', count: result.count, classes: CLASSES, confusion: result.confusion })
    const list = await runs.evaluations({ runId: run.id })
    expect(list.map((e) => e.split).sort()).toEqual(['test', 'val'])
    const t = list.find((e) => e.split === 'test')!
    expect(t.count).toBe(12)
    expect(t.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12)
    expect(t.misclassified).toEqual([]) // no predictions sent
    expect(t.misclassifiedTotal).toBe(12 - t.confusion.reduce((a, row, i) => a + row[i]!, 0))
  })

  it('refuses inconsistent results with the field named, and keeps results when the checkpoint is replaced', async () => {
    const { runs, run, checkpoint, model } = await setup()
    const result = await evaluate(model, dataSource(9, 0), 'val')
    const base = { runId: run.id, checkpointId: checkpoint.id, split: 'val' as const, classes: CLASSES }
    const err = async (p: Promise<unknown>) => (await p.catch((e: unknown) => e)) as ApiError
    const sumWrong = await err(runs.saveEvaluation({ ...base, count: 10, confusion: result.confusion }))
    expect(sumWrong.code).toBe('invalid_payload')
    expect(sumWrong.message).toMatch(/sums to 9, but 10 images/)
    expect(sumWrong.issues[0]?.path).toBe('confusion')
    expect((await err(runs.saveEvaluation({ ...base, count: 2, confusion: [[1, 1]] }))).message).toMatch(/square/)
    expect((await err(runs.saveEvaluation({ ...base, count: 9, confusion: result.confusion, predictions: result.predictions.slice(1) }))).issues[0]?.path).toBe('predictions')
    const flipped = result.predictions.map((p) => ({ ...p, predicted: (p.predicted + 1) % 3 }))
    expect((await err(runs.saveEvaluation({ ...base, count: 9, confusion: result.confusion, predictions: flipped }))).message).toMatch(/do not give the confusion matrix/)
    expect((await err(runs.saveEvaluation({ ...base, checkpointId: 777, count: 9, confusion: result.confusion }))).code).toBe('not_found')
    expect(await runs.evaluations({ runId: run.id })).toEqual([])

    await runs.saveEvaluation({ ...base, count: 9, confusion: result.confusion, predictions: result.predictions })
    // A newer 'best' checkpoint replaces the file and the row: the evaluation stays, its checkpoint id cleared.
    const loaded = await runs.loadCheckpoint({ id: checkpoint.id })
    await runs.saveCheckpoint({ runId: run.id, kinds: ['best'], epoch: 3, step: 15, meta: loaded.meta, weights: loaded.weights, optimizer: loaded.optimizer })
    const [kept] = await runs.evaluations({ runId: run.id })
    expect(kept).toMatchObject({ checkpointId: null, checkpoint: { kind: 'best', epoch: 2, step: 10 }, count: 9 })
    await runs.delete({ id: run.id })
    expect(((await err(runs.evaluations({ runId: run.id }))) as ApiError).code).toBe('not_found')
  })

  it("stores the accuracy with and without the pipeline's test-time augmentation side by side", async () => {
    const pipeline: AugmentPipeline = { format: 1, steps: [], tta: { crops: 'full', cropFractions: [1], flip: true } }
    const { runs, run, checkpoint, model, dir } = await setup(pipeline)
    const data = dataSource(60, 0)
    const result = await evaluate(model, data, 'val', { pipeline, tta: pipelineTta(pipeline) })
    expect(result.tta).not.toBeNull()
    // The flip view changes this model's probabilities (its weights are not mirror-symmetric).
    expect(Math.abs(result.tta!.loss - result.loss)).toBeGreaterThan(1e-4)
    const base = { runId: run.id, checkpointId: checkpoint.id, split: 'val' as const, count: result.count, loss: result.loss, accuracy: result.accuracy, classes: CLASSES, confusion: result.confusion }
    const err = async (p: Promise<unknown>) => (await p.catch((e: unknown) => e)) as ApiError
    // The run's pipeline has TTA: an evaluation without its numbers (or over other views) is refused, nothing stored.
    const missing = await err(runs.saveEvaluation(base))
    expect(missing.code).toBe('invalid_payload')
    expect(missing.issues[0]?.path).toBe('tta')
    expect(missing.message).toMatch(/test-time augmentation \(2 views: flip\)/)
    expect((await err(runs.saveEvaluation({ ...base, tta: { views: 10, accuracy: 0.5 } }))).message).toMatch(/over 10 views/)
    expect(await runs.evaluations({ runId: run.id })).toEqual([])

    const saved = await runs.saveEvaluation({ ...base, tta: { views: result.tta!.views, loss: result.tta!.loss, accuracy: result.tta!.accuracy } })
    expect(saved.accuracy).toBeCloseTo(result.accuracy, 12)
    expect(saved.tta).toEqual({ status: 'applied', spec: pipeline.tta, views: 2, description: '2 views: flip', loss: result.tta!.loss, accuracy: result.tta!.accuracy })
    // Both numbers are in the database: another studio on the same folder reads them back.
    const again = openStudio(dir)
    try {
      const [stored] = await clientFor(again, runsContract).evaluations({ runId: run.id })
      expect(stored!.accuracy).toBeCloseTo(result.accuracy, 12)
      expect(stored!.tta).toMatchObject({ status: 'applied', views: 2 })
      expect(stored!.tta.status === 'applied' && stored!.tta.accuracy).toBeCloseTo(result.tta!.accuracy, 12)
      expect(stored!.tta.status === 'applied' && stored!.tta.loss).toBeCloseTo(result.tta!.loss, 12)
    } finally {
      again.close()
    }
  })

  it('a run without test-time augmentation stores "none" and refuses TTA numbers', async () => {
    const { runs, run, checkpoint, model } = await setup()
    const result = await evaluate(model, dataSource(9, 0), 'val')
    const base = { runId: run.id, checkpointId: checkpoint.id, split: 'val' as const, count: result.count, classes: CLASSES, confusion: result.confusion }
    const wrong = (await runs.saveEvaluation({ ...base, tta: { views: 2, accuracy: 0.5 } }).catch((e: unknown) => e)) as ApiError
    expect(wrong.code).toBe('invalid_payload')
    expect(wrong.message).toMatch(/has no test-time augmentation/)
    expect((await runs.saveEvaluation(base)).tta).toEqual({ status: 'none' })
  })

  it('an evaluation stored before migration 4 reads as "TTA unknown", not as "no TTA"', async () => {
    const { runs, run, studio } = await setup()
    // A row as migration 3 wrote it (no tta columns given): the default marks it unknown.
    studio.db
      .prepare(
        `INSERT INTO evaluations (run_id, checkpoint_id, checkpoint_kind, checkpoint_epoch, checkpoint_step, split, count, loss, accuracy, classes, confusion, misclassified, misclassified_total, created_at)
         VALUES (?, NULL, 'best', 2, 10, 'val', 1, 0.5, 1, ?, ?, ?, 0, ?)`,
      )
      .run(run.id, JSON.stringify(CLASSES), JSON.stringify([[1, 0, 0], [0, 0, 0], [0, 0, 0]]), JSON.stringify({ index: [], label: [], predicted: [], confidence: [] }), new Date().toISOString())
    const [old] = await runs.evaluations({ runId: run.id })
    expect(old!.tta).toEqual({ status: 'unknown' })
  })
})
