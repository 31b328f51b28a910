/**
 * The training worker's one method on the shared worker protocol (../workers/protocol.ts): `train` is sent a
 * TrainRequest, streams TrainEvents as its progress, is steered with TrainControls (pause / resume / stop /
 * checkpoint) while it runs, and answers when the worker is done (nothing follows): with no value, or with the
 * error of a setup that failed before the engine started (no backend, data, incompatible design). The events are
 * the engine's own messages (`TrainMessage`, see shared/train/messages.ts), forwarded unchanged, and a few of the
 * worker's around them (setup phases, backend chosen, transfer, ready, the checkpoint taken when a run is stopped).
 */
import type { AugmentPipeline } from '@shared/augment'
import type { GraphDocument } from '@shared/graph/types'
import type { FreezePlan, FreezeSpec, TransferReport } from '@shared/procedure/transfer'
import type { CheckpointMeta, TrainCommand, TrainMessage } from '@shared/train/messages'
import type { TrainingConfigInput } from '@shared/train/config'
import type { SplitRows } from '../api/splits'
import type { Method } from '../workers/protocol'
import type { BackendName } from '../backend/labels'

export type BackendChoice = BackendName | 'auto'

/** A split's cache rows and labels (the one reader: ../api/splits.ts). */
export type SplitIndex = SplitRows

export interface WorkerData {
  /** URL of the whole dataset cache (N*H*W*C uint8, channels-last). */
  readonly url: string
  readonly classes: readonly string[]
  readonly shape: readonly [number, number, number]
  readonly train: SplitIndex
  readonly val: SplitIndex
}

export interface CheckpointPayload {
  readonly meta: CheckpointMeta
  readonly weights: ArrayBuffer
  readonly optimizerState: ArrayBuffer
}

/**
 * Transfer learning: start from a checkpoint of another run. The worker compiles the target graph, copies the
 * matching layers from `source` (shared/procedure transferWeights: same name and shapes; the head is
 * re-initialized), and puts freezePlan's groups in front of the config's own `groups` (first match wins). Without
 * `source` (a transfer run being resumed: its weights come from `resume`) only the freeze plan is applied.
 */
export interface TransferInit {
  readonly source?: { readonly graph: GraphDocument; readonly checkpoint: CheckpointPayload }
  readonly freeze: FreezeSpec
  readonly pretrainedLrMultiplier: number
  /** Seed of the head's re-initialization. */
  readonly seed: number | string
}

export interface TrainRequest {
  readonly config: TrainingConfigInput
  readonly graph: GraphDocument
  readonly pipeline: AugmentPipeline | null
  readonly data: WorkerData
  readonly backend: BackendChoice
  readonly resume?: CheckpointPayload
  readonly init?: TransferInit
}

/**
 * Take a checkpoint at the next step boundary (Trainer.requestCheckpoint: a 'checkpoint' message with
 * `requested: true`, saved as 'last'), so that an interrupted run replays less. Ignored while paused or during setup.
 */
export interface CheckpointCommand {
  readonly type: 'checkpoint'
}

/** What the page tells a running `train` call (the engine's commands, and a checkpoint request). */
export type TrainControl = TrainCommand | CheckpointCommand

export type SetupPhase = 'backend' | 'data' | 'compile'

export type TrainEvent =
  | TrainMessage
  | { readonly type: 'phase'; readonly phase: SetupPhase; readonly time: number }
  | {
      readonly type: 'backend'
      readonly backend: BackendName
      /** Why this backend: Auto's rule, the user's choice, or the fallback after the chosen one failed. */
      readonly reason: string
      readonly adapter: string | null
      readonly tried: readonly { readonly backend: BackendName; readonly error: string | null }[]
      readonly wasmThreads: number | null
      /** The page's cross-origin isolation; null outside a browser. */
      readonly crossOriginIsolated: boolean | null
      readonly ms: number
    }
  /** What a transfer start did (before 'ready'): the layers copied / re-initialized and the freeze plan applied. */
  | { readonly type: 'transfer'; readonly report: TransferReport | null; readonly plan: FreezePlan; readonly time: number }
  | {
      readonly type: 'ready'
      readonly dataMs: number
      readonly compileMs: number
      readonly params: number
      readonly trainCount: number
      readonly valCount: number
      /** The loss before training (null for a resumed run). */
      readonly initialLoss: { readonly loss: number; readonly expected: number; readonly samples: number } | null
      readonly time: number
    }
  /** A checkpoint of the position where a stopped run ended (mid-epoch), so it can resume from there. */
  | ({ readonly type: 'stop-checkpoint' } & CheckpointPayload)
  /** The checkpoint where a stopped run ended could not be taken (the engine failed making it): why. */
  | { readonly type: 'stop-checkpoint-failed'; readonly reason: string }

export type TrainMethods = {
  train: Method<TrainRequest, void, TrainEvent, TrainControl>
}
