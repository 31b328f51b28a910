/**
 * The page's side of a procedure job: gathers what the worker needs (the design's graph, the dataset cache URL
 * and split indices) and runs one worker per job. `useJob` holds a card's job state for React.
 */
import { useCallback, useRef, useState } from 'react'
import type { AugmentPipeline } from '@shared/augment/spec-only'
import type { GraphDocument } from '@shared/graph/types'
import { api } from '../api/client'
import { dataFileUrl } from '../api/data-file'
import { readSplit } from '../api/splits'
import type { WorkerData } from '../train/protocol'
import { workerClient } from '../workers/client'
import { CancelledError } from '../workers/protocol'
import type { JobResult, ProcedureJob, ProcedureMethods, ProcedureProgress, ProgressPoint } from './protocol'

/** The dataset as a worker reads it (training split only: the procedure checks never look at validation). */
export async function workerData(datasetId: number): Promise<WorkerData> {
  const d = await api().datasets.get({ id: datasetId })
  if (!d.cachePath) throw new Error(`Dataset “${d.name}” has no image cache yet: wait for its import to finish`)
  const train = await readSplit(api().datasets, datasetId, 'train')
  if (train.indices.length === 0) throw new Error(`Dataset “${d.name}” has no training images`)
  return {
    url: dataFileUrl(d.cachePath),
    classes: [...d.classes],
    shape: [d.size.height, d.size.width, d.channels],
    train,
    val: { indices: new Int32Array(0), labels: new Int32Array(0) },
  }
}

/** The Train form's augmentation pipeline document (its latest version), or null when the form has none. */
export async function runPipeline(pipelineId: number | null): Promise<AugmentPipeline | null> {
  if (pipelineId === null) return null
  return (await api().pipelines.get({ id: pipelineId })).version.document
}

export async function designGraph(architectureId: number): Promise<{ name: string; document: GraphDocument }> {
  const a = await api().architectures.get({ id: architectureId })
  return { name: a.architecture.name, document: a.version.document }
}

const procedureWorker = workerClient<ProcedureMethods>((_method, job) => new Worker(new URL('./procedure.worker.ts', import.meta.url), { type: 'module', name: `procedure-${(job as ProcedureJob).kind}` }), {
  // One worker per job: cancelling terminates it (the engine cannot stop between its steps otherwise).
  perCall: true,
  crashed: (detail) => `The procedure worker crashed: ${detail} (out of memory is a common cause with large models)`,
})

export function startJob(job: ProcedureJob, onProgress: (e: ProcedureProgress) => void, options: { transfer?: Transferable[]; signal?: AbortSignal } = {}): Promise<JobResult> {
  return procedureWorker.call('run', job, { ...options, onProgress })
}

export interface JobState<K extends JobResult['kind']> {
  readonly running: boolean
  readonly text: string
  readonly fraction: number | null
  readonly backend: string | null
  readonly points: ProgressPoint[]
  readonly result: Extract<JobResult, { kind: K }>['value'] | null
  readonly error: string | null
}

const idle = { running: false, text: '', fraction: null, backend: null, points: [], result: null, error: null }

/** One card's job: run (prepare the job, then the worker), cancel, and its state. */
export function useJob<K extends JobResult['kind']>(kind: K) {
  const [state, setState] = useState<JobState<K>>(idle)
  const abort = useRef<AbortController | null>(null)
  const run = useCallback(async (prepare: () => Promise<{ job: ProcedureJob; transfer?: Transferable[] }>) => {
    abort.current?.abort()
    const mine = new AbortController()
    abort.current = mine
    setState({ ...idle, running: true, text: 'Preparing…' })
    try {
      const { job, transfer } = await prepare()
      if (mine.signal.aborted) throw new CancelledError()
      const r = await startJob(
        job,
        (e) => {
          if (e.type === 'backend') setState((s) => ({ ...s, backend: e.backend }))
          else setState((s) => ({ ...s, text: e.text, fraction: e.fraction, points: e.points?.length ? [...s.points, ...e.points] : s.points }))
        },
        { transfer: transfer ?? [], signal: mine.signal },
      )
      if (r.kind !== kind) throw new Error(`unexpected result ${r.kind}`)
      setState((s) => ({ ...s, running: false, text: '', fraction: 1, result: r.value as JobState<K>['result'] }))
    } catch (e) {
      const msg = e instanceof CancelledError ? 'Cancelled.' : e instanceof Error ? e.message : String((e as { message?: unknown }).message ?? e)
      setState((s) => ({ ...s, running: false, text: '', error: msg }))
    } finally {
      if (abort.current === mine) abort.current = null
    }
  }, [kind])
  const cancel = useCallback(() => {
    abort.current?.abort()
  }, [])
  return { state, run, cancel }
}
