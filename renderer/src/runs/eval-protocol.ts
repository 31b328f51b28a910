/**
 * Messages between the Runs view and its evaluation worker (eval.worker.ts). Every request carries an id; the
 * worker answers it with one `result` or `error` of the same id. The dataset cache (whole images.u8) and the
 * compiled model of the last checkpoint stay in the worker between requests.
 */
import type { AugmentPipeline } from '@shared/augment'
import type { BackendName } from '../backend/labels'
import type { GraphDocument } from '@shared/graph/types'

export interface ModelSpec {
  /** Cache key (the checkpoint id): the worker compiles and restores again only when it changes. */
  readonly key: number
  readonly graph: GraphDocument
  readonly meta: unknown
  /** float32 weights (transferred). */
  readonly weights: ArrayBuffer
}

export interface CacheSpec {
  readonly url: string
  readonly shape: readonly [number, number, number]
}

export interface SplitRows {
  /** Cache rows of the split's samples. */
  readonly indices: Int32Array
  readonly labels: Int32Array
}

/** Every request names the backend to run on: the studio's backend setting applied (renderer/src/backend/probe.ts). */
export type EvalRequest = { readonly backend: BackendName } & (
  | {
      readonly type: 'evaluate'
      readonly id: number
      readonly model: ModelSpec
      readonly cache: CacheSpec
      readonly classes: readonly string[]
      readonly split: 'val' | 'test'
      readonly rows: SplitRows
      readonly pipeline: AugmentPipeline | null
      readonly allowTest: boolean
    }
  | { readonly type: 'inspect'; readonly id: number; readonly model: ModelSpec }
  | {
      readonly type: 'activations'
      readonly id: number
      readonly model: ModelSpec
      readonly cache: CacheSpec
      readonly row: number
      readonly layer: string
      readonly pipeline: AugmentPipeline | null
      readonly maxChannels: number
    }
  | { readonly type: 'images'; readonly id: number; readonly cache: CacheSpec; readonly rows: readonly number[] }
)

export interface EvaluateResult {
  readonly backend: string
  readonly count: number
  readonly loss: number
  readonly accuracy: number
  readonly confusion: number[][]
  /** Per sample of the split, in split order. */
  readonly predicted: Int32Array
  readonly confidence: Float32Array
  readonly labels: Int32Array
  /** With the pipeline's test-time augmentation (probabilities averaged over its views); null when it has none. */
  readonly tta: { readonly views: number; readonly loss: number; readonly accuracy: number } | null
  readonly ms: number
}

export interface LayerInfo {
  readonly name: string
  readonly className: string
  /** [H, W, C] of the layer's output. */
  readonly shape: [number, number, number]
}

export interface InspectResult {
  /** The first convolution's kernels, [kh, kw, cin, cout] row-major, or null when the model has none. */
  readonly filters: { readonly layer: string; readonly shape: [number, number, number, number]; readonly values: Float32Array } | null
  /** Layers with an image-shaped output (activation maps can be shown). */
  readonly layers: LayerInfo[]
}

export interface ActivationsResult {
  readonly layer: string
  /** [H, W, C] shown (C at most maxChannels), values row-major HWC. */
  readonly shape: [number, number, number]
  readonly channels: number
  readonly values: Float32Array
}

export interface ImagesResult {
  readonly shape: readonly [number, number, number]
  /** rows.length * H*W*C bytes. */
  readonly images: Uint8Array
}

export type EvalResponse =
  | { readonly type: 'result'; readonly id: number; readonly result: EvaluateResult | InspectResult | ActivationsResult | ImagesResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string }
  /** An evaluation's images done so far (after each batch). */
  | { readonly type: 'progress'; readonly id: number; readonly done: number; readonly total: number }
