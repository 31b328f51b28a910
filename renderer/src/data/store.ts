/**
 * Data section state: the project's datasets, the selection, and import jobs. Jobs live here (not in a
 * component) so an import keeps reporting while the user works elsewhere in the app.
 */
import { create } from 'zustand'
import type { DatasetDetail, DatasetSummary, ImportPhase } from '@shared/api'
import { api } from '../api/client'
import { setSubPath, subPath } from '../app/store'
import { reportError, useToasts } from '../ui/dialogs'

export const DATA_TABS = ['samples', 'statistics', 'augmentations'] as const
export type DataTab = (typeof DATA_TABS)[number]

export interface ImportJob {
  readonly jobId: string
  readonly datasetId: number
  readonly name: string
  readonly phase: ImportPhase | 'starting'
  readonly done: number
  readonly total: number
  readonly status: 'running' | 'cancelling' | 'failed'
  readonly message?: string
}

interface DataState {
  projectId: number | null
  datasets: DatasetSummary[]
  loaded: boolean
  selectedId: number | null
  tab: DataTab
  jobs: ImportJob[]
  /** Dataset whose import report (skipped files) should open once, after its import finished. */
  reportFor: number | null
  details: Record<number, DatasetDetail>
  load(projectId: number): Promise<void>
  select(id: number | null): void
  setTab(tab: DataTab): void
  addJob(job: { jobId: string; datasetId: number; name: string }): void
  cancel(jobId: string): Promise<void>
  dismissJob(jobId: string): void
  clearReport(): void
  detail(id: number): Promise<DatasetDetail>
}

export const PHASE_LABELS: Record<ImportJob['phase'], string> = {
  starting: 'Starting',
  scanning: 'Scanning folders',
  decoding: 'Decoding images',
  statistics: 'Computing statistics',
  writing: 'Writing the cache',
}

let subscribed = false
/**
 * Events can arrive before the call that started the job has answered (a tiny folder imports at once): keep
 * them for addJob. Finished jobs are remembered by id; the latest progress of a job not yet added too.
 */
const early = { finished: new Map<string, { status: string; message?: string | undefined }>(), progress: new Map<string, { phase: ImportPhase; done: number; total: number }>() }

function subscribe() {
  if (subscribed) return
  subscribed = true
  const set = useData.setState
  const get = useData.getState
  api().datasets.on('onDidProgress', (e) => {
    if (!useData.getState().jobs.some((j) => j.jobId === e.jobId)) early.progress.set(e.jobId, { phase: e.phase, done: e.done, total: e.total })
    set((s) => ({ jobs: s.jobs.map((j) => (j.jobId === e.jobId ? { ...j, phase: e.phase, done: e.done, total: e.total } : j)) }))
  })
  api().datasets.on('onDidFinish', (e) => {
    const job = get().jobs.find((j) => j.jobId === e.jobId)
    if (!job) early.finished.set(e.jobId, { status: e.status, message: e.message })
    early.progress.delete(e.jobId)
    if (e.status === 'failed') {
      set((s) => ({ jobs: s.jobs.map((j) => (j.jobId === e.jobId ? { ...j, status: 'failed', message: e.message ?? 'The import failed' } : j)) }))
      return
    }
    set((s) => ({ jobs: s.jobs.filter((j) => j.jobId !== e.jobId) }))
    if (e.status === 'cancelled') {
      useToasts.getState().toast('info', `${job?.name ?? 'Import'}: ${e.message ?? 'cancelled'}`)
      return
    }
    const { projectId } = get()
    if (projectId !== null) {
      void get()
        .load(projectId)
        .then(() => {
          if (get().datasets.some((d) => d.id === e.datasetId)) set({ selectedId: e.datasetId, reportFor: e.datasetId })
        })
    }
    useToasts.getState().toast('info', `${job?.name ?? 'Dataset'}: ${e.message ?? 'imported'}`)
  })
  api().datasets.on('onDidChange', () => {
    const { projectId } = get()
    if (projectId !== null) void get().load(projectId)
  })
}

export const useData = create<DataState>((set, get) => ({
  projectId: null,
  datasets: [],
  loaded: false,
  selectedId: null,
  tab: 'samples',
  jobs: [],
  reportFor: null,
  details: {},
  async load(projectId) {
    subscribe()
    if (get().projectId !== projectId) {
      // A reload comes back to the dataset and tab that were open (`#/p/1/data/<dataset id>/<tab>`).
      const [id, tab] = subPath('data')
      set({ projectId, datasets: [], loaded: false, selectedId: id !== undefined && /^\d+$/.test(id) ? Number(id) : null, ...((DATA_TABS as readonly string[]).includes(tab ?? '') ? { tab: tab as DataTab } : {}) })
    }
    try {
      const datasets = await api().datasets.list({ projectId })
      if (get().projectId !== projectId) return
      const selected = get().selectedId
      set({
        datasets,
        loaded: true,
        selectedId: selected !== null && datasets.some((d) => d.id === selected) ? selected : (datasets[0]?.id ?? null),
      })
    } catch (e) {
      reportError(e)
    }
  },
  select: (id) => {
    setSubPath('data', id === null ? [] : [id, get().tab])
    set({ selectedId: id })
  },
  setTab: (tab) => {
    const id = get().selectedId
    if (id !== null) setSubPath('data', [id, tab])
    set({ tab })
  },
  addJob: ({ jobId, datasetId, name }) => {
    subscribe()
    const finished = early.finished.get(jobId)
    early.finished.delete(jobId)
    if (finished && finished.status !== 'failed') return
    const progress = early.progress.get(jobId)
    early.progress.delete(jobId)
    const job: ImportJob = finished
      ? { jobId, datasetId, name, phase: 'starting', done: 0, total: 0, status: 'failed', message: finished.message ?? 'The import failed' }
      : { jobId, datasetId, name, phase: progress?.phase ?? 'starting', done: progress?.done ?? 0, total: progress?.total ?? 0, status: 'running' }
    set((s) => ({ jobs: [...s.jobs, job] }))
  },
  async cancel(jobId) {
    set((s) => ({ jobs: s.jobs.map((j) => (j.jobId === jobId ? { ...j, status: 'cancelling' } : j)) }))
    try {
      await api().datasets.cancel({ jobId })
    } catch (e) {
      reportError(e)
    }
  },
  dismissJob: (jobId) => set((s) => ({ jobs: s.jobs.filter((j) => j.jobId !== jobId) })),
  clearReport: () => set({ reportFor: null }),
  async detail(id) {
    const cached = get().details[id]
    if (cached) return cached
    const d = await api().datasets.get({ id })
    set((s) => ({ details: { ...s.details, [id]: d } }))
    return d
  },
}))
