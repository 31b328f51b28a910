/** The methods of the backend probe worker (./probe.worker.ts), over the one worker protocol (../workers/). */
import type { Method } from '../workers/protocol'
import type { BackendFacts } from './auto'
import type { BackendName } from './labels'

export interface FactsReply {
  readonly facts: BackendFacts
  readonly wasmThreads: number | null
  readonly tried: { readonly backend: BackendName; readonly error: string | null }[]
}

export interface BenchReply {
  readonly backend: BackendName
  readonly msPerStep: number | null
  readonly error: string | null
}

export type ProbeMethods = {
  facts: Method<Record<string, never>, FactsReply>
  bench: Method<{ readonly backend: BackendName; readonly steps: number; readonly budgetMs: number }, BenchReply>
}
