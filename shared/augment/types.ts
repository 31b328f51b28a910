/**
 * Core types of the augmentation pipeline.
 *
 * Design (Albumentations / torchvision v2 style): every kind has a pure `sample(rng, params, ctx)` that draws
 * the random parameters of ONE sample as plain JSON, and a batched `apply(...)` that turns a whole batch of
 * recorded parameters into tensor ops. The recorded parameters (`BatchParams`) are the replay log: applying
 * the same record to the same images gives the same pixels.
 *
 * TF.js-free: only a type import of TF.js (erased at build time). See spec-only.ts for the layout.
 */
import type * as tf from '@tensorflow/tfjs'
import type { z } from 'zod'
import type { Rng } from '../random'

/** Shape of the batch being augmented. Images are [batchSize, height, width, channels]. */
export interface AugmentContext {
  readonly height: number
  readonly width: number
  readonly channels: number
  readonly batchSize: number
}

/** Context of one sample's draw: the batch context plus the sample's index in the batch. */
export interface SampleContext extends AugmentContext {
  readonly index: number
}

/** Images [N,H,W,C] float32 (in [0,1] before normalize) and labels [N,K] one-hot or soft. */
export interface AugmentTensors {
  images: tf.Tensor4D
  labels: tf.Tensor2D
}

/** One sample's record for one step: `applied` from the probability coin, plus the drawn parameters. */
export type SampleRecord<S extends object = object> = { readonly applied: false } | ({ readonly applied: true } & S)

/** Pixel box, integer, in image coordinates: rows [top, top+height), columns [left, left+width). */
export interface PixelBox {
  readonly top: number
  readonly left: number
  readonly height: number
  readonly width: number
}

/** `kindList`: a subset of `options`, which are kind names (RandAugment's ops; the UI shows their labels). */
export type ParamDocType = 'range' | 'number' | 'integer' | 'enum' | 'numberList' | 'kindList'

/** What the UI needs to render one parameter control. */
export interface ParamDoc {
  readonly name: string
  readonly label: string
  readonly type: ParamDocType
  readonly doc: string
  readonly min?: number
  readonly max?: number
  readonly step?: number
  readonly unit?: string
  readonly options?: readonly string[]
}

/**
 * What a step is for. `augment`: random, training only. `preprocess`: deterministic, part of the model's input at
 * evaluation too (normalize): evaluation, the checks and exported models apply these steps only, new ones go
 * last in the editor, and its probability is fixed at 1.
 */
export type AugmentRole = 'augment' | 'preprocess'

/** Per-channel statistics of the training set (dataset detail, stats.ts). */
export interface ChannelMoments {
  readonly mean: readonly number[]
  readonly std: readonly number[]
}

/**
 * The pure part of a kind (no TF.js): everything validation, the UI and sampling need. Lives in kinds/<x>.ts and
 * is listed in spec-registry.ts; importable from the UI thread and the main process without loading TF.js.
 */
export interface AugmentKindSpec<K extends string = string, P extends object = object, S extends object = object> {
  readonly kind: K
  /** Human label, also the prefix of every validation message for this kind. */
  readonly label: string
  readonly description: string
  /** Default probability for a new step of this kind. */
  readonly defaultP: number
  readonly defaults: P
  readonly paramDocs: readonly ParamDoc[]
  /** Strict zod schema of the params, with range checks whose messages quote the received value. */
  readonly schema: z.ZodType<P>
  /** True when the step changes labels (mixup, cutmix). */
  readonly mixesLabels: boolean
  readonly role: AugmentRole
  /** Its result depends on pixel values being in [0, 1] (fill values, clipping): warned about after a preprocess step. */
  readonly expectsUnitRange: boolean
  /** Params from the training set's statistics (the editor's "fill from the dataset" and a new step's defaults). */
  readonly paramsFromStats?: (stats: ChannelMoments) => P
  /** How the previewer undoes this step to draw a recognisable picture (x * std + mean). Display only. */
  readonly displayInverse?: (params: P) => { mean: number[]; std: number[] }
  /**
   * The params of this kind at strength m in [0, 1] (0 = gentle, 1 = strongest): kinds that have it can be
   * drawn by a composition kind (RandAugment's ops at magnitude M).
   */
  readonly atMagnitude?: (m: number) => P
  /** Extra rule on the step probability (normalize must be 1); returns a message or null. */
  readonly checkP?: (p: number) => string | null
  /** Checks that need the image shape (e.g. normalize mean length = channels). Messages without label. */
  readonly checkContext?: (params: P, ctx: AugmentContext) => string[]
  /** Draws the parameters of one sample. Pure: only `rng` supplies randomness. */
  readonly sample: (rng: Rng, params: P, ctx: SampleContext) => S
}

/** Applies one step to the whole batch; samples has one record per image. Called inside tf.tidy. */
export type AugmentApplyFn<P extends object = object, S extends object = object> = (
  batch: AugmentTensors,
  params: P,
  samples: readonly SampleRecord<S>[],
  ctx: AugmentContext,
) => AugmentTensors

/** A kind's spec plus its batched TF.js `apply` (apply/<x>.ts); listed in registry.ts. */
export interface AugmentKindDef<K extends string = string, P extends object = object, S extends object = object>
  extends AugmentKindSpec<K, P, S> {
  readonly apply: AugmentApplyFn<P, S>
}
