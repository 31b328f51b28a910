/** Evaluation helpers: loss/accuracy/confusion/predictions over a split, and the loss before training. */
import * as tf from '@tensorflow/tfjs'
import { ttaProbabilities, ttaViewList, type AugmentPipeline, type TtaSpec } from '../augment'
import type { DataSource, DataSplit } from './data'
import { logitsFunction, softmaxCrossEntropyPerSample } from './loss'
import type { LogitsFn } from './loss'
import { evalInputs } from './preprocess'

export interface Prediction {
  /** Index of the sample in the split. */
  readonly index: number
  /** True class (argmax of the label). */
  readonly label: number
  readonly predicted: number
  /** Softmax probability of the predicted class. */
  readonly confidence: number
}

export interface EvaluationResult {
  readonly split: DataSplit
  readonly count: number
  /** Mean cross-entropy. */
  readonly loss: number
  readonly accuracy: number
  /** confusion[true][predicted] counts, C x C. */
  readonly confusion: number[][]
  /** Per sample, in index order (empty with `predictions: false`). */
  readonly predictions: Prediction[]
  /** The same images with test-time augmentation (probabilities averaged over the views); null without `tta`. */
  readonly tta: TtaEvaluation | null
}

export interface TtaEvaluation {
  readonly spec: TtaSpec
  /** Views per image. */
  readonly views: number
  /** Mean cross-entropy of the averaged probabilities, -ln p_avg(true class). */
  readonly loss: number
  readonly accuracy: number
  readonly confusion: number[][]
}

export interface EvaluateOptions {
  /** Must be true to read the test split (look at the test score once, at the end). */
  readonly allowTest?: boolean
  readonly batchSize?: number
  /** The run's pipeline: only its normalize steps are applied. */
  readonly pipeline?: AugmentPipeline | null
  /** Collect per-sample predictions (default true). */
  readonly predictions?: boolean
  /** Only the first `limit` samples of the split. */
  readonly limit?: number
  /** Logits function (default: logitsFunction(model)). */
  readonly logits?: LogitsFn
  /**
   * Test-time augmentation to evaluate as well (`pipelineTta(pipeline)` for the run's own): each batch's views
   * (after the normalize steps) go through the model and their softmax probabilities are averaged
   * (ttaProbabilities). The plain numbers stay in the result; the TTA ones are in `result.tta`.
   */
  readonly tta?: TtaSpec | null
  /** Called after each batch with the images done so far and the split's total. */
  readonly onProgress?: (done: number, total: number) => void
}

/** Evaluates `model` (inference mode) on a split. */
export async function evaluate(model: tf.LayersModel, data: DataSource, split: DataSplit, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  if (split === 'test' && options.allowTest !== true) {
    throw new Error('evaluate: the test split is read only with { allowTest: true } (look at the test score once, at the end)')
  }
  const fn = options.logits ?? logitsFunction(model).fn
  const C = data.classes.length
  const count = Math.min(data.count(split), options.limit ?? Infinity)
  const bs = Math.max(1, Math.floor(options.batchSize ?? 128))
  const pipeline = options.pipeline ?? null
  const collect = options.predictions ?? true
  const tta = options.tta ?? null
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0))
  const ttaConfusion = Array.from({ length: C }, () => new Array<number>(C).fill(0))
  const predictions: Prediction[] = []
  let lossSum = 0
  let correct = 0
  let ttaLossSum = 0
  let ttaCorrect = 0
  const indicesOf = (start: number) => Int32Array.from({ length: Math.min(bs, count - start) }, (_, i) => start + i)
  // A prefetch is marked handled at once (its rejection surfaces when awaited, not as an unhandled rejection).
  const fetch = (start: number) => {
    const p = data.batch(split, indicesOf(start))
    p.catch(() => undefined)
    return p
  }
  let pending = count > 0 ? fetch(0) : null
  for (let start = 0; start < count; start += bs) {
    const batch = await (pending as Promise<Awaited<ReturnType<DataSource['batch']>>>)
    pending = start + bs < count ? fetch(start + bs) : null
    const out = tf.tidy(() => {
      const { images, labels } = evalInputs(batch, data.imageShape, C, pipeline)
      const logits = fn(images, false)
      const probs = tf.softmax(logits)
      const plain = [softmaxCrossEntropyPerSample(labels, logits), tf.argMax(probs, -1), tf.max(probs, -1), tf.argMax(labels, -1)]
      if (tta === null) return plain
      const avg = ttaProbabilities((views) => fn(views, false), images, tta)
      const pTrue = tf.sum(tf.mul(avg, labels), -1)
      return [...plain, tf.neg(tf.log(tf.maximum(pTrue, 1e-12))), tf.argMax(avg, -1)]
    })
    const [lossT, predT, confT, trueT, ttaLossT, ttaPredT] = out as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined, tf.Tensor | undefined]
    const [losses, preds, confs, trues] = await Promise.all([lossT.data(), predT.data(), confT.data(), trueT.data()])
    const [ttaLosses, ttaPreds] = ttaLossT && ttaPredT ? await Promise.all([ttaLossT.data(), ttaPredT.data()]) : [null, null]
    tf.dispose(out)
    for (let i = 0; i < losses.length; i++) {
      const p = preds[i] as number
      const y = trues[i] as number
      lossSum += losses[i] as number
      if (p === y) correct++
      ;(confusion[y] as number[])[p] = ((confusion[y] as number[])[p] as number) + 1
      if (collect) predictions.push({ index: start + i, label: y, predicted: p, confidence: confs[i] as number })
      if (ttaLosses && ttaPreds) {
        const q = ttaPreds[i] as number
        ttaLossSum += ttaLosses[i] as number
        if (q === y) ttaCorrect++
        ;(ttaConfusion[y] as number[])[q] = ((ttaConfusion[y] as number[])[q] as number) + 1
      }
    }
    options.onProgress?.(Math.min(start + bs, count), count)
  }
  const mean = (sum: number) => (count > 0 ? sum / count : NaN)
  return {
    split,
    count,
    loss: mean(lossSum),
    accuracy: mean(correct),
    confusion,
    predictions,
    tta: tta === null ? null : { spec: tta, views: ttaViewList(tta).length, loss: mean(ttaLossSum), accuracy: mean(ttaCorrect), confusion: ttaConfusion },
  }
}

export interface InitialLossResult {
  /** Mean cross-entropy over the batches, before any update (inference mode). */
  readonly loss: number
  /** ln(C): the loss of uniform predictions. */
  readonly expected: number
  readonly samples: number
}

/**
 * The loss before training on the first `batches` training batches (in index order, normalize only). Compare
 * with ln(C) (2.3026 for 10 classes): much higher means the initialization or the last layer is off.
 */
export async function initialLoss(
  model: tf.LayersModel,
  data: DataSource,
  batches = 4,
  options: { batchSize?: number; pipeline?: AugmentPipeline | null; logits?: LogitsFn } = {},
): Promise<InitialLossResult> {
  const bs = options.batchSize ?? 64
  const r = await evaluate(model, data, 'train', {
    batchSize: bs,
    limit: Math.max(1, batches) * bs,
    pipeline: options.pipeline ?? null,
    predictions: false,
    ...(options.logits ? { logits: options.logits } : {}),
  })
  return { loss: r.loss, expected: Math.log(data.classes.length), samples: r.count }
}
