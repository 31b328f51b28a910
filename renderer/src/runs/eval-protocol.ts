/**
 * The methods of the Runs view's evaluation worker (eval.worker.ts), over the one worker protocol (../workers/).
 * The dataset cache (whole images.u8) and the compiled model of the last checkpoint stay in the worker between
 * requests.
 */
import type { AugmentPipeline } from '@shared/augment'
import type { GraphDocument } from '@shared/graph/types'
import type { BackendName } from '../backend/labels'
import type { SplitRows } from '../api/splits'
import type { Method } from '../workers/protocol'

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

export type { SplitRows } from '../api/splits'

/** Every request names the backend to run on: the studio's backend setting applied (renderer/src/backend/probe.ts). */
interface OnBackend {
  readonly backend: BackendName
}

export interface EvaluateRequest extends OnBackend {
  readonly model: ModelSpec
  readonly cache: CacheSpec
  readonly classes: readonly string[]
  readonly split: 'val' | 'test'
  readonly rows: SplitRows
  readonly pipeline: AugmentPipeline | null
  readonly allowTest: boolean
}

export interface ActivationsRequest extends OnBackend {
  readonly model: ModelSpec
  readonly cache: CacheSpec
  readonly row: number
  readonly layer: string
  readonly pipeline: AugmentPipeline | null
  readonly maxChannels: number
}

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

export type EvalMethods = {
  /** Progress: the images done so far (after each batch). */
  evaluate: Method<EvaluateRequest, EvaluateResult, { readonly done: number; readonly total: number }>
  inspect: Method<OnBackend & { readonly model: ModelSpec }, InspectResult>
  activations: Method<ActivationsRequest, ActivationsResult>
  images: Method<OnBackend & { readonly cache: CacheSpec; readonly rows: readonly number[] }, ImagesResult>
}
