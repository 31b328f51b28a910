/**
 * Sanity checks before a real run (steps 1 and 2 of the lectures' procedure):
 *
 * 1. `checkInitialLoss`: with small random weights a C-class softmax predicts about 1/C for every class, so the
 *    cross-entropy before training is about ln(C) (2.3026 for 10 classes). Tolerance: `max(0.1, 0.05 * ln C)`
 *    (0.115 for 10 classes, 0.1 for fewer than 8 classes), overridable. Within 4x the tolerance is a 'minor'
 *    deviation (a Glorot/He-initialized head on [0, 1] pixels typically gives ln C + 0.1..0.4). Much higher means confident wrong
 *    predictions: the last layer's weights are too large (bad init scale) or the inputs are not normalized;
 *    much lower means the model already "knows" something it should not (labels leak into the inputs, a
 *    single-class split, or it is not untrained). We also report the spread (std) of the logits: well above 1
 *    points at the init scale. Below-ln(C)-from-the-start with a softmax Activation after a ReLU / a squashing
 *    activation before the softmax is reported as a likely cause too (it clips the logits). The inputs are the
 *    run's evaluation-time inputs (its pipeline's normalize steps), in inference mode, as validation sees them.
 *    Outputs that are already probabilities (every row >= 0 and summing to 1: a Softmax at the end of the design
 *    that the loss cannot see through) fail with verdict 'probabilities': the loss would apply a second softmax,
 *    which starts near ln(C) whatever the weights, so the ln(C) test alone cannot catch it.
 * 2. `checkRegularizationRaisesLoss`: the reported loss is data loss + lambda/2 ||W||^2 (coupled L2, biases and
 *    norm parameters excluded, as the engine does): raising lambda must raise it.
 * 3. `overfitTinySubset`: train WITHOUT regularization or augmentation on N (10-100, default 20) training
 *    examples (normalized as the run normalizes them), full batch, until the training loss is < 0.05 (or a step
 *    limit). Its initial loss is the first step's loss (training mode, like every later step). Failing names the likely cause:
 *    loss did not move (LR too low, or nothing reaches the loss), loss blew up (LR too high), identical
 *    images with different labels (data/labels broken), loss went down but stalled (model too small, or LR).
 */
import * as tf from '@tensorflow/tfjs'
import type { AugmentPipeline } from '../augment'
import { evalInputs, evalPipeline, initialLoss, logitsFunction, planParams, softmaxCrossEntropy, TrainOptimizer } from '../train'
import type { DataSource, LogitsFn, OptimizerSpecInput } from '../train'
import { firstStepLoss, fmt, runSteps, SubsetSource, withModel } from './steps'
import type { ModelSource, StepPoint } from './steps'

export interface InitialLossCheck {
  /** Mean cross-entropy over the samples, before any update (inference mode). */
  readonly loss: number
  /** ln(C). */
  readonly expected: number
  readonly difference: number
  readonly tolerance: number
  readonly plausible: boolean
  /** probabilities: the model outputs probabilities where the loss expects logits (a double softmax). */
  readonly verdict: 'ok' | 'too-high' | 'too-low' | 'not-finite' | 'probabilities'
  /** ok: plausible; minor: within 4x the tolerance (e.g. a Glorot/He-scaled head, logit std ~0.5); major: beyond. */
  readonly severity: 'ok' | 'minor' | 'major'
  /** Standard deviation of the logits over the checked samples (about 0 to 1 at a good init). */
  readonly logitStd: number
  readonly samples: number
  readonly classes: number
  /** One paragraph in words. */
  readonly message: string
  /** Likely causes when not plausible (empty when plausible). */
  readonly causes: string[]
}

/** Default tolerance around ln(C): max(0.1, 0.05 ln C). */
export function initialLossTolerance(classes: number): number {
  return Math.max(0.1, 0.05 * Math.log(classes))
}

export interface InitialLossOptions {
  readonly batches?: number
  readonly batchSize?: number
  readonly classes?: number
  readonly tolerance?: number
  /** The run's pipeline: its normalize steps are applied (the inputs validation sees). */
  readonly pipeline?: AugmentPipeline | null
  /** The function from images to what the loss takes as logits (default: logitsFunction(model), as training uses). */
  readonly logits?: LogitsFn
}

/** Outputs [N, K] whose rows are all >= 0 and sum to 1 (within float32 rounding): probabilities, not logits. */
export async function looksLikeProbabilities(outputs: tf.Tensor2D): Promise<boolean> {
  const t = tf.tidy(() => tf.stack([tf.min(outputs), tf.max(tf.abs(tf.sub(tf.sum(outputs, -1), 1)))]))
  const [min, maxDev] = Array.from(await t.data()) as [number, number]
  t.dispose()
  return min >= -1e-6 && maxDev <= 1e-3
}

const DOUBLE_SOFTMAX_FIX =
  'the design ends in a Softmax (layer or activation) that the loss cannot see through, so the loss applies a second softmax to probabilities (a double softmax): the loss then starts near ln(C) whatever the weights, and training barely moves. ' +
  'Fix: end the design with an Output (classifier) node, whose softmax the loss applies itself, or remove the Softmax at the end so the last layer is a linear Dense'

export async function checkInitialLoss(model: tf.LayersModel, data: DataSource, options: InitialLossOptions = {}): Promise<InitialLossCheck> {
  const classes = options.classes ?? data.classes.length
  const batchSize = options.batchSize ?? 64
  const pipeline = options.pipeline ?? null
  const { fn: modelFn, outputIsSoftmax } = logitsFunction(model)
  const fn = options.logits ?? modelFn
  const r = await initialLoss(model, data, options.batches ?? 4, { batchSize, pipeline, logits: fn })
  const expected = Math.log(classes)
  const tolerance = options.tolerance ?? initialLossTolerance(classes)
  // Logit spread on the first batch, and whether the "logits" are probabilities.
  const n = Math.min(batchSize, data.count('train'))
  const batch = await data.batch('train', Int32Array.from({ length: n }, (_, i) => i))
  const z = tf.tidy(() => fn(evalInputs(batch, data.imageShape, data.classes.length, pipeline).images, false))
  const stdT = tf.tidy(() => tf.sqrt(tf.moments(z).variance))
  const logitStd = (await stdT.data())[0] as number
  stdT.dispose()
  const probabilities = await looksLikeProbabilities(z)
  z.dispose()
  const lastAct = lastActivationBeforeSoftmax(model)
  const difference = r.loss - expected
  const finite = Number.isFinite(r.loss)
  const plausible = finite && Math.abs(difference) <= tolerance && !probabilities
  const verdict: InitialLossCheck['verdict'] = !finite ? 'not-finite' : probabilities ? 'probabilities' : plausible ? 'ok' : difference > 0 ? 'too-high' : 'too-low'
  const severity: InitialLossCheck['severity'] = plausible ? 'ok' : verdict !== 'probabilities' && finite && Math.abs(difference) <= 4 * tolerance ? 'minor' : 'major'
  const causes: string[] = []
  if (verdict === 'probabilities') {
    causes.push(DOUBLE_SOFTMAX_FIX)
  } else if (severity === 'minor' && verdict === 'too-high') {
    causes.push(`the logits already spread with std ${fmt(logitStd)}: a Glorot/He-scaled classifier head on unnormalized inputs does this; harmless, or shrink the head's initialization (e.g. normal 0.01) to start at ln(C)`)
  } else if (verdict === 'too-high' || verdict === 'not-finite') {
    if (logitStd > 1) causes.push(`bad initialization scale: the logits spread with std ${fmt(logitStd)} (about 1 or less expected), so the untrained net is confidently wrong; use Kaiming/Xavier init or a smaller scale for the last layer`)
    causes.push('inputs not normalized (pixel values far from zero mean / unit scale blow the logits up)')
    if (!outputIsSoftmax) causes.push('the model output may not be logits (check that the head is a linear layer or a softmax head, not another activation)')
    causes.push('wrong labels (a label encoding that does not match the classes)')
  } else if (verdict === 'too-low') {
    if (lastAct !== null) causes.push(`an activation before the softmax (${lastAct}) squashes the logits`)
    causes.push('the model is not untrained (weights loaded from a trained run)')
    causes.push('wrong labels: most samples share one label, or labels leak into the inputs')
  }
  const where = `${r.samples} training samples, ${classes} classes`
  const message = probabilities
    ? `The model outputs probabilities, not logits: every row of its output is at least 0 and sums to 1 (${where}; loss ${fmt(r.loss)} against ln(${classes}) = ${fmt(expected)}). In words: ${DOUBLE_SOFTMAX_FIX}.`
    : plausible
    ? `Initial loss ${fmt(r.loss)} is within ${fmt(tolerance)} of ln(${classes}) = ${fmt(expected)} (${where}): the untrained model predicts about uniformly, as it should.`
    : !finite
      ? `Initial loss is ${String(r.loss)} (${where}): the forward pass already overflows. Likely: ${causes.join('; ')}.`
      : `Initial loss ${fmt(r.loss)} is ${difference > 0 ? 'above' : 'below'} ln(${classes}) = ${fmt(expected)} by ${fmt(Math.abs(difference))} (tolerance ${fmt(tolerance)}, ${where}). Likely: ${causes.join('; ')}.`
  return { loss: r.loss, expected, difference, tolerance, plausible, verdict, severity, logitStd, samples: r.samples, classes, message, causes }
}

/** Class name of an activation right before a softmax head (Dense with an activation, or an Activation layer), if any. */
function lastActivationBeforeSoftmax(model: tf.LayersModel): string | null {
  const layers = model.layers
  const last = layers[layers.length - 1] as unknown as { getClassName(): string; activation?: { getClassName(): string } } | undefined
  const prev = layers[layers.length - 2] as unknown as { getClassName(): string; activation?: { getClassName(): string } } | undefined
  if (last?.activation?.getClassName() !== 'softmax') return null
  if (last.getClassName() === 'Activation' && prev !== undefined) {
    const a = prev.activation?.getClassName()
    if (a !== undefined && a !== 'linear') return a
  }
  if (prev !== undefined && ['ReLU', 'Activation', 'Softmax'].includes(prev.getClassName()) && last.getClassName() === 'Activation') return prev.getClassName()
  return null
}

export interface RegularizationCheck {
  /** Per weight decay: data loss (the same for all), penalty lambda/2 sum ||W||^2 and their sum. */
  readonly rows: { weightDecay: number; dataLoss: number; penalty: number; loss: number }[]
  /** The total loss increases strictly with lambda. */
  readonly rises: boolean
  readonly message: string
}

/**
 * Loss with L2 regularization at increasing strengths on one training batch (default lambda 0, 1e-3, 1e-1, 1;
 * no update). The penalty covers the same variables the engine decays (not biases or normalization).
 */
export async function checkRegularizationRaisesLoss(
  model: tf.LayersModel,
  data: DataSource,
  options: { weightDecays?: readonly number[]; batchSize?: number; pipeline?: AugmentPipeline | null } = {},
): Promise<RegularizationCheck> {
  const decays = [...(options.weightDecays ?? [0, 1e-3, 1e-1, 1])].sort((a, b) => a - b)
  const n = Math.min(options.batchSize ?? 64, data.count('train'))
  const batch = await data.batch('train', Int32Array.from({ length: n }, (_, i) => i))
  const { fn } = logitsFunction(model)
  const lossT = tf.tidy(() => {
    const t = evalInputs(batch, data.imageShape, data.classes.length, options.pipeline)
    return softmaxCrossEntropy(t.labels, fn(t.images, false))
  })
  const dataLoss = (await lossT.data())[0] as number
  lossT.dispose()
  const plan = planParams(model)
  const rows: RegularizationCheck['rows'] = []
  for (const wd of decays) {
    const opt = new TrainOptimizer(plan.params, { spec: { type: 'sgd', momentum: 0, nesterov: false }, weightDecay: wd, clipGradNorm: null })
    const p = opt.l2Penalty()
    const penalty = (await p.data())[0] as number
    p.dispose()
    opt.dispose()
    rows.push({ weightDecay: wd, dataLoss, penalty, loss: dataLoss + penalty })
  }
  const rises = rows.every((r, i) => i === 0 || r.loss > (rows[i - 1] as { loss: number }).loss)
  const first = rows[0]
  const lastRow = rows[rows.length - 1]
  const message =
    first === undefined || lastRow === undefined
      ? 'No weight decay values given.'
      : rises
        ? `The loss rises with the weight decay, from ${fmt(first.loss)} at lambda ${fmt(first.weightDecay)} to ${fmt(lastRow.loss)} at lambda ${fmt(lastRow.weightDecay)}: the regularization term is wired in.`
        : `The loss does NOT rise with the weight decay (${rows.map((r) => `${fmt(r.weightDecay)}: ${fmt(r.loss)}`).join(', ')}): no decayed weights, or all of them are zero.`
  return { rows, rises, message }
}

export interface OverfitOptions {
  /** Number of training examples (10-100; default 20): the first N of the training split, or `indices`. */
  readonly examples?: number
  readonly indices?: readonly number[]
  /** Step limit (default 300). */
  readonly maxSteps?: number
  /** Default 1e-3 with adam, 1e-2 with sgd. */
  readonly lr?: number
  /** Default adam. No weight decay, no augmentation. */
  readonly optimizer?: OptimizerSpecInput
  /** The run's pipeline: only its normalize steps are applied (no augmentation while overfitting). */
  readonly pipeline?: AugmentPipeline | null
  /** Target training loss (default 0.05). */
  readonly targetLoss?: number
  /** Batch size (default: all examples, full-batch). */
  readonly batchSize?: number
  readonly seed?: number | string
  readonly shouldStop?: () => boolean
  readonly onStep?: (step: number, loss: number) => void
}

export type OverfitCause = 'lr-too-low' | 'lr-too-high' | 'model-too-small' | 'labels-broken' | 'stopped'

export interface OverfitResult {
  readonly success: boolean
  readonly examples: number
  readonly steps: number
  /** The first step's loss before its update (training mode, the same inputs as every step). */
  readonly initialLoss: number
  readonly finalLoss: number
  readonly finalAccuracy: number
  readonly targetLoss: number
  readonly lr: number
  readonly curve: StepPoint[]
  /** Null on success. */
  readonly cause: OverfitCause | null
  readonly message: string
}

/** Pairs of identical images with different labels among `indices` (a sign of broken labels). */
async function conflictingDuplicates(data: DataSource, indices: Int32Array): Promise<number> {
  const batch = await data.batch('train', indices)
  const size = batch.images.length / Math.max(1, indices.length)
  const seen = new Map<string, number>()
  let conflicts = 0
  for (let i = 0; i < indices.length; i++) {
    const img = batch.images.subarray(i * size, (i + 1) * size)
    let h = 2166136261
    for (let k = 0; k < img.length; k++) h = Math.imul(h ^ (img[k] as number), 16777619)
    const key = `${h >>> 0}:${img.length}`
    const label = batch.labels[i] as number
    const prev = seen.get(key)
    if (prev !== undefined && prev !== label) conflicts++
    else seen.set(key, label)
  }
  return conflicts
}

/**
 * Overfits N training examples (no regularization, no augmentation). Trains the model in place (pass a
 * factory to get a fresh model that is disposed afterwards).
 */
export async function overfitTinySubset(source: ModelSource, data: DataSource, options: OverfitOptions = {}): Promise<OverfitResult> {
  const available = data.count('train')
  const indices = Int32Array.from(options.indices ?? Array.from({ length: Math.min(options.examples ?? 20, available) }, (_, i) => i))
  const N = indices.length
  if (N < 1) throw new Error('overfitTinySubset: no training examples')
  const optimizer = options.optimizer ?? { type: 'adam' as const }
  const lr = options.lr ?? (optimizer.type === 'sgd' ? 1e-2 : 1e-3)
  const target = options.targetLoss ?? 0.05
  const maxSteps = options.maxSteps ?? 300
  const subset = new SubsetSource(data, indices)
  const pipeline = evalPipeline(options.pipeline)
  const batchSize = options.batchSize ?? N
  const seed = options.seed ?? 0
  return withModel(source, async (model) => {
    const run = await runSteps(model, subset, {
      steps: maxSteps,
      batchSize,
      lr,
      optimizer,
      weightDecay: 0,
      seed,
      pipeline,
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      onStep: (s, loss) => {
        options.onStep?.(s, loss)
        return loss < target
      },
    })
    const curve = run.points
    // Like with like: the initial loss is step 1's loss before its update, in training mode on the same inputs.
    const startLoss = curve[0]?.dataLoss ?? (await firstStepLoss(model, subset, { batchSize, seed, pipeline }))
    const last = curve[curve.length - 1]
    // The training loss of the last step (training mode, as the engine reports it).
    const finalLoss = last?.loss ?? NaN
    const success = Number.isFinite(finalLoss) && finalLoss < target
    const steps = curve.length
    let cause: OverfitCause | null = null
    let why = ''
    if (!success) {
      const conflicts = await conflictingDuplicates(data, indices)
      const minLoss = Math.min(...curve.map((p) => p.loss).filter(Number.isFinite))
      const i0 = startLoss
      if (run.status === 'stopped' && options.shouldStop?.() === true) {
        cause = 'stopped'
        why = 'stopped before reaching the target'
      } else if (conflicts > 0) {
        cause = 'labels-broken'
        why = `${conflicts} identical image(s) carry different labels: the data or the labels are broken, no model can fit them`
      } else if (run.status === 'diverged' || curve.some((p) => p.loss > 3 * i0)) {
        cause = 'lr-too-high'
        why = `the loss ${run.status === 'diverged' ? 'became NaN/infinite' : `rose above 3x its initial value ${fmt(i0)}`}: the learning rate ${fmt(lr)} is too high`
      } else if (finalLoss > 0.9 * i0) {
        cause = 'lr-too-low'
        why = `the loss barely moved (${fmt(i0)} -> ${fmt(finalLoss)}): the learning rate ${fmt(lr)} is too low (or no gradient reaches the weights, or the labels are random)`
      } else {
        cause = 'model-too-small'
        why = `the loss went down (${fmt(i0)} -> ${fmt(finalLoss)}, best ${fmt(minLoss)}) but not below ${target} in ${steps} steps: the model may be too small, or it needs more steps / a different learning rate`
      }
    }
    const message = success
      ? `Overfit ${N} examples: training loss ${fmt(finalLoss)} < ${target} after ${steps} steps (from ${fmt(startLoss)}). The model and the training loop can learn.`
      : `Could not overfit ${N} examples in ${steps} steps (final loss ${fmt(finalLoss)}, target ${target}): ${why}.`
    return {
      success,
      examples: N,
      steps,
      initialLoss: startLoss,
      finalLoss,
      finalAccuracy: last?.acc ?? NaN,
      targetLoss: target,
      lr,
      curve,
      cause,
      message,
    }
  })
}
