/**
 * The page's side of a procedure job: gathers what the worker needs (the design's graph, the dataset cache URL
 * and split indices) and runs one worker per job. `useJob` holds a card's job state for React.
 */
import { useCallback, useRef, useState } from 'react'
import type { AugmentPipeline } from '@shared/augment/spec-only'
import type { GraphDocument } from '@shared/graph/types'
import { api } from '../api/client'
import { dataFileUrl } from '../api/data-file'
import type { SplitIndex, WorkerData } from '../train/protocol'
import type { JobResult, ProcedureEvent, ProcedureJob, ProgressPoint } from './protocol'

async function readSplit(datasetId: number, split: 'train' | 'val'): Promise<SplitIndex> {
  const indices: number[] = []
  const labels: number[] = []
  let offset = 0
  for (;;) {
    const page = await api().datasets.readSplit({ id: datasetId, split, offset, limit: 10_000, withImages: false })
    indices.push(...page.indices)
    labels.push(...page.labels)
    offset += page.indices.length
    if (page.indices.length === 0 || offset >= page.total) break
  }
  return { indices: Int32Array.from(indices), labels: Int32Array.from(labels) }
}

/** The dataset as a worker reads it (training split only: the procedure checks never look at validation). */
export async function workerData(datasetId: number): Promise<WorkerData> {
  const d = await api().datasets.get({ id: datasetId })
  if (!d.cachePath) throw new Error(`Dataset “${d.name}” has no image cache yet: wait for its import to finish`)
  const train = await readSplit(datasetId, 'train')
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

export interface JobHandle {
  readonly done: Promise<JobResult>
  cancel(): void
}

export function startJob(job: ProcedureJob, onEvent: (e: ProcedureEvent) => void, transfer: Transferable[] = []): JobHandle {
  const worker = new Worker(new URL('./procedure.worker.ts', import.meta.url), { type: 'module', name: `procedure-${job.kind}` })
  let settle: { resolve: (r: JobResult) => void; reject: (e: Error) => void } | null = null
  const done = new Promise<JobResult>((resolve, reject) => {
    settle = { resolve, reject }
  })
  const end = (fn: (s: NonNullable<typeof settle>) => void) => {
    const s = settle
    settle = null
    worker.terminate()
    if (s) fn(s)
  }
  worker.onmessage = (event: MessageEvent<ProcedureEvent>) => {
    const e = event.data
    if (e.type === 'result') end((s) => s.resolve(e.result))
    else if (e.type === 'error') end((s) => s.reject(new Error(e.message)))
    else onEvent(e)
  }
  worker.onerror = (event) => {
    event.preventDefault()
    end((s) => s.reject(new Error(`The procedure worker crashed: ${event.message || 'see the console'} (out of memory is a common cause with large models)`)))
  }
  worker.postMessage(job, transfer)
  return { done, cancel: () => end((s) => s.reject(new CancelledError())) }
}

export class CancelledError extends Error {
  constructor() {
    super('Cancelled')
  }
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
  const handle = useRef<JobHandle | null>(null)
  const cancelled = useRef(false)
  const run = useCallback(async (prepare: () => Promise<{ job: ProcedureJob; transfer?: Transferable[] }>) => {
    handle.current?.cancel()
    cancelled.current = false
    setState({ ...idle, running: true, text: 'Preparing…' })
    try {
      const { job, transfer } = await prepare()
      if (cancelled.current) throw new CancelledError()
      const h = startJob(
        job,
        (e) => {
          if (e.type === 'backend') setState((s) => ({ ...s, backend: e.backend }))
          else if (e.type === 'progress') setState((s) => ({ ...s, text: e.text, fraction: e.fraction, points: e.points?.length ? [...s.points, ...e.points] : s.points }))
        },
        transfer,
      )
      handle.current = h
      const r = await h.done
      if (r.kind !== kind) throw new Error(`unexpected result ${r.kind}`)
      setState((s) => ({ ...s, running: false, text: '', fraction: 1, result: r.value as JobState<K>['result'] }))
    } catch (e) {
      const msg = e instanceof CancelledError ? 'Cancelled.' : e instanceof Error ? e.message : String((e as { message?: unknown }).message ?? e)
      setState((s) => ({ ...s, running: false, text: '', error: msg }))
    } finally {
      handle.current = null
    }
  }, [kind])
  const cancel = useCallback(() => {
    cancelled.current = true
    handle.current?.cancel()
  }, [])
  return { state, run, cancel }
}
