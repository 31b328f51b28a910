/** Messages of the backend probe worker (./probe.worker.ts). */
import type { BackendFacts } from './auto'
import type { BackendName } from './labels'

export type ProbeRequest = { readonly type: 'facts' } | { readonly type: 'bench'; readonly backend: BackendName; readonly steps: number; readonly budgetMs: number }

export type ProbeReply =
  | {
      readonly type: 'facts'
      readonly facts: BackendFacts
      readonly wasmThreads: number | null
      readonly tried: { readonly backend: BackendName; readonly error: string | null }[]
    }
  | { readonly type: 'bench'; readonly backend: BackendName; readonly msPerStep: number | null; readonly error: string | null }
