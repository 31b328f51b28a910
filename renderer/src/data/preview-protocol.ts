/** The preview worker's method (preview.worker.ts), over the one worker protocol (../workers/). */
import type { AugmentPipeline, BatchParams } from '@shared/augment'
import type { BackendName } from '../backend/labels'
import type { Method } from '../workers/protocol'

export interface PreviewRequest {
  /** N*H*W*C uint8, NHWC: the source images in tile-row order. */
  readonly images: Uint8Array
  readonly labels: Int32Array
  readonly imageShape: readonly [number, number, number]
  readonly classCount: number
  /** A valid pipeline document (validated by the caller), or null for none. */
  readonly pipeline: AugmentPipeline | null
  readonly seed: number
  /** The training steps to draw, one column each. */
  readonly steps: readonly number[]
  /** The backend to draw on: the studio's backend setting applied (renderer/src/backend/probe.ts). */
  readonly backend: BackendName
}

export interface PreviewDraw {
  readonly step: number
  /** RGBA per source image. */
  readonly tiles: Uint8ClampedArray<ArrayBuffer>[]
  /** Label row per image after the pipeline (soft after mixup/cutmix). */
  readonly labels: number[][]
  readonly record: BatchParams | null
}

export interface PreviewResult {
  readonly backend: string
  readonly fellBack: boolean
  readonly ms: number
  readonly sources: Uint8ClampedArray<ArrayBuffer>[]
  readonly draws: PreviewDraw[]
}

export type PreviewMethods = {
  preview: Method<PreviewRequest, PreviewResult>
}
