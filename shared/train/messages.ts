/**
 * Messages between the training engine and its host (a Web Worker's port, or a Node caller), as zod schemas
 * with their TypeScript discriminated unions. Everything is plain JSON except the checkpoint message, whose two
 * ArrayBuffers are structured-cloneable and transferable (post them with a transfer list from a worker).
 *
 * Conventions: `step` counts optimizer updates done (the first update is step 1); `epoch` is 1-based (the epoch
 * a step belongs to, or the epoch just finished); `time` is wall-clock milliseconds (Date.now()).
 */
import { z } from 'zod'
import { OPTIMIZER_TYPES } from './optimizer-kinds'

const metric = z.number().nullable()

export const startedMessageSchema = z.object({
  type: z.literal('started'),
  /** Step and epoch counters already done (0 for a fresh run; > 0 when resumed). */
  startStep: z.number(),
  startEpoch: z.number(),
  totalSteps: z.number(),
  stepsPerEpoch: z.number(),
  epochs: z.number(),
  /** Number of variables updated / frozen, for the run log. */
  updatedVariables: z.number(),
  frozenVariables: z.number(),
  time: z.number(),
})

export const stepMessageSchema = z.object({
  type: z.literal('step'),
  step: z.number(),
  epoch: z.number(),
  /** Mean cross-entropy over the batch plus the coupled L2 penalty (sgd/adam with weight decay). */
  loss: z.number(),
  /** Mean cross-entropy over the batch alone. */
  dataLoss: z.number(),
  /** Batch accuracy (argmax of the prediction vs argmax of the (soft) label). */
  acc: z.number(),
  /** Learning rate used for this step (before group multipliers). */
  lr: z.number(),
  /** Images per second over this step, data wait included. */
  imagesPerSec: z.number(),
  /** Global gradient norm before clipping (only when clipping is on). */
  gradNorm: z.number().optional(),
  time: z.number(),
})

export const epochMessageSchema = z.object({
  type: z.literal('epoch'),
  epoch: z.number(),
  step: z.number(),
  /** Mean over the epoch's training steps (augmented data, training mode). */
  trainLoss: z.number(),
  trainAcc: z.number(),
  /** Validation (no augmentation; normalize only), null when there is no validation split. */
  valLoss: metric,
  valAcc: metric,
  lr: z.number(),
  /** Seconds this epoch took (training + validation). */
  seconds: z.number(),
  time: z.number(),
})

export const checkpointMetaSchema = z.object({
  format: z.literal(1),
  /** Steps and epochs completed. */
  step: z.number(),
  epoch: z.number(),
  /** Position inside the current epoch (0 at an epoch boundary). */
  stepInEpoch: z.number(),
  stepsPerEpoch: z.number(),
  totalSteps: z.number(),
  seed: z.union([z.number(), z.string()]),
  /** How the data order is derived: createRng(seed).fork('data-order').fork(`epoch:${e}`) permutes train indices. */
  dataOrder: z.literal('rng-fork-per-epoch'),
  /** Learning rate of the next step. */
  nextLr: z.number(),
  /** Running sums of the epoch in progress (so a mid-epoch resume reports the same epoch metrics). */
  epochAccum: z.object({ lossSum: z.number(), correct: z.number(), samples: z.number(), steps: z.number() }),
  best: z.object({ valAcc: metric, trainLoss: metric, epoch: z.number().nullable() }),
  metrics: z
    .object({ epoch: z.number(), trainLoss: z.number(), trainAcc: z.number(), valLoss: metric, valAcc: metric })
    .nullable(),
  /** Every model weight (trainable and not, model order), float32, concatenated in this order. */
  variables: z.array(z.object({ name: z.string(), shape: z.array(z.number()), dtype: z.string(), trainable: z.boolean() })),
  optimizer: z.object({
    /** A registered optimizer kind (./optimizer-kinds); its slots are the kind's `slots` for the run's spec. */
    type: z.enum(OPTIMIZER_TYPES),
    t: z.number(),
    /** Slots concatenated in this order into optimizerState (float32). */
    slots: z.array(z.object({ variable: z.string(), slot: z.string(), length: z.number() })),
  }),
})
export type CheckpointMeta = z.infer<typeof checkpointMetaSchema>

export const checkpointMessageSchema = z.object({
  type: z.literal('checkpoint'),
  epoch: z.number(),
  step: z.number(),
  /** Best so far by validation accuracy (by training loss when there is no validation split). */
  best: z.boolean(),
  /** Keep this one permanently (checkpoint.keepEvery policy, and the final epoch). */
  keep: z.boolean(),
  /**
   * Taken on Trainer.requestCheckpoint() at a step boundary inside an epoch (not an epoch's end): saved as 'last'
   * only, so an interrupted run replays less. `best` and `keep` are false.
   */
  requested: z.boolean().optional(),
  /** The caller always replaces its "last" checkpoint with this one. */
  meta: checkpointMetaSchema,
  weights: z.instanceof(ArrayBuffer),
  optimizerState: z.instanceof(ArrayBuffer),
  time: z.number(),
})

export const pausedMessageSchema = z.object({ type: z.literal('paused'), step: z.number(), epoch: z.number(), time: z.number() })
export const resumedMessageSchema = z.object({ type: z.literal('resumed'), step: z.number(), epoch: z.number(), time: z.number() })

const endFields = { reason: z.string(), step: z.number(), epoch: z.number(), time: z.number() }
export const doneMessageSchema = z.object({ type: z.literal('done'), ...endFields })
export const stoppedMessageSchema = z.object({ type: z.literal('stopped'), ...endFields })
export const failedMessageSchema = z.object({
  type: z.literal('failed'),
  ...endFields,
  /** 'nan' for a non-finite loss, 'error' for an exception. */
  cause: z.enum(['nan', 'error']),
  /** Epoch of the last checkpoint message sent (null when none). */
  lastCheckpointEpoch: z.number().nullable(),
})

export const trainMessageSchema = z.discriminatedUnion('type', [
  startedMessageSchema,
  stepMessageSchema,
  epochMessageSchema,
  checkpointMessageSchema,
  pausedMessageSchema,
  resumedMessageSchema,
  doneMessageSchema,
  stoppedMessageSchema,
  failedMessageSchema,
])

export type StartedMessage = z.infer<typeof startedMessageSchema>
export type StepMessage = z.infer<typeof stepMessageSchema>
export type EpochMessage = z.infer<typeof epochMessageSchema>
export type CheckpointMessage = z.infer<typeof checkpointMessageSchema>
export type PausedMessage = z.infer<typeof pausedMessageSchema>
export type ResumedMessage = z.infer<typeof resumedMessageSchema>
export type DoneMessage = z.infer<typeof doneMessageSchema>
export type StoppedMessage = z.infer<typeof stoppedMessageSchema>
export type FailedMessage = z.infer<typeof failedMessageSchema>
export type TrainMessage = z.infer<typeof trainMessageSchema>

/** Commands to a running trainer (checked between steps). */
export const trainCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('stop'), reason: z.string().optional() }),
])
export type TrainCommand = z.infer<typeof trainCommandSchema>

/** A port-like channel. `transfer` lists the ArrayBuffers a worker may transfer instead of copying. */
export interface TrainEventSink {
  post(message: TrainMessage, transfer?: ArrayBuffer[]): void
}
