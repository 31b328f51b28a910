/** Evaluation results per run, checkpoint and split (table `evaluations`, migration 3; test-time augmentation, migration 4). */
import { ApiError, MAX_STORED_MISCLASSIFIED, type CheckpointKind, type EvaluationRecord, type EvaluationSplit, type EvaluationTta, type MethodOutput, type runsContract } from '@shared/api'
import { describeTta, pipelineTta, ttaSpecSchema, ttaViewList, type TtaSpec } from '@shared/augment/spec-only'
import { checkConfusion, classificationReport, confusionFromPredictions, confusionTotal, fromColumnar, misclassified, toColumnar, type ColumnarPredictions } from '@shared/compare'
import type { z } from 'zod'
import type { Db } from '../store/db'

type Methods = (typeof runsContract)['methods']
type Input<K extends keyof Methods> = z.output<Methods[K]['input']>

interface EvaluationRow {
  id: number
  run_id: number
  checkpoint_id: number | null
  checkpoint_kind: CheckpointKind | null
  checkpoint_epoch: number | null
  checkpoint_step: number | null
  split: EvaluationSplit
  count: number
  loss: number | null
  accuracy: number | null
  classes: string
  confusion: string
  misclassified: string
  misclassified_total: number
  tta_state: 'applied' | 'none' | 'unknown'
  tta_spec: string | null
  tta_views: number | null
  tta_loss: number | null
  tta_accuracy: number | null
  created_at: string
}

function ttaOfRow(r: EvaluationRow): EvaluationTta {
  if (r.tta_state !== 'applied' || r.tta_spec === null) return { status: r.tta_state === 'none' ? 'none' : 'unknown' }
  const spec = JSON.parse(r.tta_spec) as TtaSpec
  return { status: 'applied', spec, views: r.tta_views ?? ttaViewList(spec).length, description: describeTta(spec), loss: r.tta_loss, accuracy: r.tta_accuracy }
}

/** The TTA the run's pipeline (in its config snapshot) asks for, or null; a snapshot spec that does not parse is an error. */
function runTta(config: string, runId: number): TtaSpec | null {
  const tta = (JSON.parse(config) as { pipeline?: { document?: { tta?: unknown } } | null } | null)?.pipeline?.document?.tta
  if (tta === undefined) return null
  const parsed = ttaSpecSchema.safeParse(tta)
  if (!parsed.success) throw new ApiError('conflict', `Run ${runId}'s pipeline has a test-time augmentation that cannot be read: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
  return pipelineTta({ tta: parsed.data })
}

const toRecord = (r: EvaluationRow): EvaluationRecord => {
  const classes = JSON.parse(r.classes) as string[]
  const confusion = JSON.parse(r.confusion) as number[][]
  return {
    id: r.id,
    runId: r.run_id,
    checkpointId: r.checkpoint_id,
    checkpoint: r.checkpoint_kind !== null ? { kind: r.checkpoint_kind, epoch: r.checkpoint_epoch ?? 0, step: r.checkpoint_step ?? 0 } : null,
    split: r.split,
    count: r.count,
    loss: r.loss,
    accuracy: r.accuracy,
    classes,
    confusion,
    report: classificationReport(confusion, classes),
    misclassified: fromColumnar(JSON.parse(r.misclassified) as ColumnarPredictions),
    misclassifiedTotal: r.misclassified_total,
    tta: ttaOfRow(r),
    createdAt: r.created_at,
  }
}

const invalid = (path: string, message: string) => new ApiError('invalid_payload', `Invalid evaluation: ${message}`, [{ path, message }])

export function createEvaluations(db: Db, changed: (runId: number) => void) {
  return {
    saveEvaluation(input: Input<'saveEvaluation'>): MethodOutput<Methods['saveEvaluation']> {
      const { runId, checkpointId, split, count, classes, confusion } = input
      const ckpt = db.prepare('SELECT run_id, kind, epoch, step FROM checkpoints WHERE id = ?').get(checkpointId) as
        | { run_id: number; kind: CheckpointKind; epoch: number; step: number }
        | undefined
      const runRow = db.prepare('SELECT config FROM runs WHERE id = ?').get(runId) as { config: string } | undefined
      if (!runRow) throw new ApiError('not_found', `Run ${runId} does not exist (it may have been deleted)`)
      if (!ckpt) throw new ApiError('not_found', `Checkpoint ${checkpointId} does not exist (it may have been replaced by a newer one)`)
      if (ckpt.run_id !== runId) throw invalid('checkpointId', `checkpoint ${checkpointId} belongs to run ${ckpt.run_id}, not to run ${runId}`)
      try {
        checkConfusion(confusion)
      } catch (e) {
        throw invalid('confusion', (e as Error).message)
      }
      if (confusion.length !== classes.length) throw invalid('confusion', `the matrix is ${confusion.length} x ${confusion.length} but there are ${classes.length} classes`)
      const total = confusionTotal(confusion)
      if (total !== count) throw invalid('confusion', `the matrix sums to ${total}, but ${count} images were evaluated`)
      // The numbers with test-time augmentation belong to the run's own pipeline TTA: required when it has one.
      const spec = runTta(runRow.config, runId)
      const tta = input.tta ?? null
      if (spec !== null && tta === null) {
        throw invalid('tta', `the run's pipeline has test-time augmentation (${describeTta(spec)}): send the accuracy with it as well`)
      }
      if (spec === null && tta !== null) throw invalid('tta', "the run's pipeline has no test-time augmentation, but numbers with it were sent")
      if (spec !== null && tta !== null && tta.views !== ttaViewList(spec).length) {
        throw invalid('tta', `the run's pipeline has ${describeTta(spec)}, but the numbers sent are over ${tta.views} views`)
      }
      let wrong: ReturnType<typeof misclassified> = []
      let wrongTotal = total - confusion.reduce((a, row, i) => a + (row[i] as number), 0)
      if (input.predictions) {
        const preds = input.predictions
        if (preds.length !== count) throw invalid('predictions', `${preds.length} predictions for ${count} evaluated images`)
        let fromPreds: number[][]
        try {
          fromPreds = confusionFromPredictions(preds, classes.length)
        } catch (e) {
          throw invalid('predictions', (e as Error).message)
        }
        if (JSON.stringify(fromPreds) !== JSON.stringify(confusion)) throw invalid('predictions', 'the predictions do not give the confusion matrix sent with them')
        const all = misclassified(preds)
        wrongTotal = all.length
        wrong = all.slice(0, MAX_STORED_MISCLASSIFIED)
      }
      const t = new Date().toISOString()
      const id = db
        .transaction(() => {
          db.prepare('DELETE FROM evaluations WHERE run_id = ? AND checkpoint_id = ? AND split = ?').run(runId, checkpointId, split)
          return Number(
            db
              .prepare(
                `INSERT INTO evaluations (run_id, checkpoint_id, checkpoint_kind, checkpoint_epoch, checkpoint_step, split, count, loss, accuracy, classes, confusion, misclassified, misclassified_total,
                                          tta_state, tta_spec, tta_views, tta_loss, tta_accuracy, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              )
              .run(
                runId,
                checkpointId,
                ckpt.kind,
                ckpt.epoch,
                ckpt.step,
                split,
                count,
                input.loss ?? null,
                input.accuracy ?? (count > 0 ? (count - wrongTotal) / count : null),
                JSON.stringify(classes),
                JSON.stringify(confusion),
                JSON.stringify(toColumnar(wrong)),
                wrongTotal,
                spec !== null ? 'applied' : 'none',
                spec !== null ? JSON.stringify(spec) : null,
                tta?.views ?? null,
                tta?.loss ?? null,
                tta?.accuracy ?? null,
                t,
              ).lastInsertRowid,
          )
        })
        .immediate()
      changed(runId)
      return toRecord(db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as EvaluationRow)
    },

    evaluations({ runId }: Input<'evaluations'>): EvaluationRecord[] {
      if (!db.prepare('SELECT 1 FROM runs WHERE id = ?').get(runId)) throw new ApiError('not_found', `Run ${runId} does not exist (it may have been deleted)`)
      return (db.prepare('SELECT * FROM evaluations WHERE run_id = ? ORDER BY created_at DESC, id DESC').all(runId) as EvaluationRow[]).map(toRecord)
    },
  }
}
