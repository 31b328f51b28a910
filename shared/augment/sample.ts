/**
 * Sampling a pipeline (pure, no TF.js): the random parameters of every enabled step for one batch, as plain
 * JSON (BatchParams, the replay record). Applying the record is pipeline.ts (TF.js).
 *
 * Random streams (see shared/random): the stream of sample i in step S of batch b is
 *   createRng(seed).fork(`batch:${b}`).fork(`step:${S.id}`).fork(`sample:${i}`)
 * and inside it `fork('p')` draws the probability coin and `fork('params')` the parameters. Streams are keyed by
 * step id, not position, so adding, removing, reordering or re-tuning one step never changes what another step
 * draws, and changing `p` never changes the parameters drawn for samples that stay applied.
 */
import { createRng } from '../random'
import type { Rng, Seed } from '../random'
import type { AugmentContext, SampleRecord } from './types'
import { getKindSpec } from './spec-registry'
import type { AugmentKind, AugmentStep } from './spec-registry'
import { assertValidPipeline } from './spec'
import type { AugmentPipeline } from './spec'

export const BATCH_PARAMS_FORMAT = 1 as const

/** The record of one step for one batch: one entry per sample. */
export interface StepRecord {
  readonly id: string
  readonly kind: AugmentKind
  readonly samples: readonly SampleRecord[]
}

/** Replayable record of all random choices for one batch (plain JSON). Disabled steps are absent. */
export interface BatchParams {
  readonly format: typeof BATCH_PARAMS_FORMAT
  readonly seed: Seed
  readonly batchIndex: number
  readonly ctx: AugmentContext
  readonly steps: readonly StepRecord[]
}

function checkContext(ctx: AugmentContext): void {
  for (const key of ['height', 'width', 'channels', 'batchSize'] as const) {
    const v = ctx[key]
    if (!Number.isInteger(v) || v < 1) throw new Error(`Augmentation context: ${key} must be a positive integer, received ${String(v)}`)
  }
}

/** The random stream of one step in one batch (before the per-sample forks). */
export function stepStream(seed: Seed, batchIndex: number, stepId: string): Rng {
  return createRng(seed).fork(`batch:${batchIndex}`).fork(`step:${stepId}`)
}

/**
 * Draws one step's record for the batch: per sample, the probability coin (`applied`) and, when applied, the
 * kind's parameters. `rng` is the step's stream (see stepStream); each sample forks its own stream from it.
 */
export function sampleStep(rng: Rng, step: AugmentStep, ctx: AugmentContext): StepRecord {
  const def = getKindSpec(step.kind)
  const samples: SampleRecord[] = []
  for (let index = 0; index < ctx.batchSize; index++) {
    const sampleRng = rng.fork(`sample:${index}`)
    const applied = step.p >= 1 || (step.p > 0 && sampleRng.fork('p').float() < step.p)
    samples.push(applied ? { ...def.sample(sampleRng.fork('params'), step.params, { ...ctx, index }), applied: true } : { applied: false })
  }
  return { id: step.id, kind: step.kind, samples }
}

/**
 * Draws the random parameters of every enabled step for one batch. Pure and deterministic:
 * same (seed, pipeline, ctx, batchIndex) -> same record. Throws AugmentValidationError on an invalid pipeline.
 */
export function samplePipeline(seed: Seed, pipeline: AugmentPipeline, ctx: AugmentContext, batchIndex = 0): BatchParams {
  checkContext(ctx)
  if (!Number.isInteger(batchIndex) || batchIndex < 0) throw new Error(`Augmentation batch index must be an integer >= 0, received ${batchIndex}`)
  const valid = assertValidPipeline(pipeline, ctx)
  const root = createRng(seed).fork(`batch:${batchIndex}`)
  const steps = valid.steps.filter((s) => s.enabled).map((s) => sampleStep(root.fork(`step:${s.id}`), s, ctx))
  return { format: BATCH_PARAMS_FORMAT, seed, batchIndex, ctx: { ...ctx }, steps }
}
