/**
 * Runs a hyperparameter search's trials one after another as ordinary runs through the Train section's
 * controller (so every trial is recorded, charted and comparable like any run), applying the lecture's early stop
 * (a step loss above 3x the first one, or NaN), and saves the search in the studio's database (`workspace`
 * service) after every trial, so it survives a reload or a restart of either host and resumes with the next
 * pending trial. A search an earlier version kept in this browser's localStorage is moved into the database once.
 */
import { create } from 'zustand'
import { nextRound, parseSearch, runSearch, type TrialResult } from '@shared/procedure'
import type { SearchRecord, StoredSearch } from '@shared/api'
import { api } from '../api/client'
import { useTraining } from '../train/controller'
import { trainingController } from '../train/instance'
import type { BackendChoice } from '../train/protocol'
import { trialDesign, variesDesign } from './design-variants'
import { parseSaved, searchStorageKey, trialConfig, trialMetric, trialRunName, type SavedSearch } from './logic'

export interface SearchRuntime {
  readonly projectId: number | null
  readonly saved: SavedSearch | null
  /** The project's saved search is being read from the database. */
  readonly loading: boolean
  readonly running: boolean
  /** Pause requested: stops after the current trial. */
  readonly pausing: boolean
  readonly current: { readonly trialId: number; readonly round: number; readonly runId: number | null } | null
  readonly error: string | null
  /** Reading or saving the search failed: what failed and what to do. */
  readonly loadError: string | null
  readonly saveError: string | null
}

export const useSearch = create<SearchRuntime>(() => ({ projectId: null, saved: null, loading: false, running: false, pausing: false, current: null, error: null, loadError: null, saveError: null }))

const CANCEL_NOTE = 'stopped by the user'

const message = (e: unknown) => (e instanceof Error ? e.message : String((e as { message?: unknown } | null)?.message ?? e))

/** The search as the API keeps it (its setup and base configuration are plain JSON there). */
const toStored = (s: SavedSearch): StoredSearch => s as unknown as StoredSearch

/** A search read back from the API (a JSON transport turns Infinity metrics into null: the state schema restores them). */
const fromRecord = (r: SearchRecord): SavedSearch => ({ ...(r.search as unknown as SavedSearch), state: parseSearch(r.search.state) })

/** The search waiting to be saved (the latest state wins), null when the database has it. */
let unsaved: { projectId: number; saved: SavedSearch } | null = null
let saving: Promise<void> | null = null

async function drain(): Promise<void> {
  while (unsaved) {
    const job = unsaved
    unsaved = null
    try {
      await api().workspace.saveSearch({ projectId: job.projectId, search: toStored(job.saved) })
      useSearch.setState({ saveError: null })
    } catch (e) {
      unsaved ??= job
      useSearch.setState({
        saveError: `The search could not be saved (${message(e)}). Its trials are still recorded as runs, but after a restart it would resume from its last saved state: check that CNN Studio is still running, then press Save again.`,
      })
      return
    }
  }
}

/** Saves the latest state of the search (one save at a time); a failure is shown and kept for Save again. */
export function flushSearch(): Promise<void> {
  saving ??= drain().finally(() => {
    saving = null
  })
  return saving
}

function persist(saved: SavedSearch, projectId: number): Promise<void> {
  unsaved = { projectId, saved }
  return flushSearch()
}

function readLegacy(projectId: number): SavedSearch | null {
  try {
    return parseSaved(localStorage.getItem(searchStorageKey(projectId)))
  } catch {
    return null // storage disabled: nothing to move
  }
}

function dropLegacy(projectId: number): void {
  try {
    localStorage.removeItem(searchStorageKey(projectId))
  } catch {
    // storage disabled: nothing to remove
  }
}

/** Loads the project's saved search (once per project; a running search of this page is kept). */
export async function loadSearch(projectId: number, options: { force?: boolean } = {}): Promise<void> {
  const s = useSearch.getState()
  if (!options.force && s.projectId === projectId && s.loadError === null) return
  if (s.running) return
  useSearch.setState({ projectId, saved: null, loading: true, pausing: false, current: null, error: null, loadError: null, saveError: null })
  const stale = () => useSearch.getState().projectId !== projectId
  try {
    const record = await api().workspace.getSearch({ projectId })
    if (stale()) return
    if (record) {
      useSearch.setState({ saved: fromRecord(record), loading: false })
      dropLegacy(projectId)
      return
    }
    const legacy = readLegacy(projectId)
    useSearch.setState({ saved: legacy, loading: false })
    if (legacy) {
      await persist(legacy, projectId)
      if (!unsaved) dropLegacy(projectId)
    }
  } catch (e) {
    if (stale()) return
    useSearch.setState({ loading: false, loadError: `The saved search could not be loaded (${message(e)}). Check that CNN Studio is still running, then press Try again.` })
  }
}

export function setSaved(saved: SavedSearch): void {
  const { projectId } = useSearch.getState()
  if (projectId === null) return
  useSearch.setState({ saved, error: null })
  void persist(saved, projectId)
}

export function refine(trials: number, epochs: number): void {
  const { saved } = useSearch.getState()
  if (!saved) return
  const state = nextRound(saved.state, { trials, topK: 3, shrink: 0.5 })
  setSaved({ ...saved, state, epochsByRound: [...saved.epochsByRound, epochs] })
}

export function pauseSearch(): void {
  if (useSearch.getState().running) useSearch.setState({ pausing: true })
}

/** Stops the current trial now (it goes back to the queue) and pauses. */
export function stopTrial(): void {
  const s = useSearch.getState()
  if (!s.running) return
  useSearch.setState({ pausing: true })
  trainingController().stop(`Search paused: ${CANCEL_NOTE}`)
}

async function runTrial(saved: SavedSearch, projectId: number, params: Record<string, number | string | boolean>, info: { id: number; round: number }): Promise<TrialResult> {
  const ctl = trainingController()
  if (ctl.active) throw new Error('Another run is training in this window')
  const epochs = saved.epochsByRound[info.round] ?? saved.epochsByRound.at(-1) ?? 1
  useSearch.setState({ current: { trialId: info.id, round: info.round, runId: null } })
  // A trial that varies the width or the dropout trains its own copy of the design (recorded in the run's snapshot).
  const modified = variesDesign(params)
  const document = modified ? trialDesign((await api().architectures.get({ id: saved.architectureId })).version.document, params) : undefined
  const run = await ctl.start({
    ...(document ? { document } : {}),
    trial: { search: saved.key, round: info.round, id: info.id, params: { ...params }, designModified: modified },
    projectId,
    architectureId: saved.architectureId,
    datasetId: saved.datasetId,
    pipelineId: saved.pipelineId,
    config: trialConfig(saved.base, params, epochs),
    backend: saved.backend as BackendChoice,
    name: trialRunName(saved.key, info.round, info.id),
  })
  useSearch.setState({ current: { trialId: info.id, round: info.round, runId: run.id } })
  void api()
    .runs.tag({ runIds: [run.id], tags: [`search ${saved.key}`, `stage ${info.round + 1}`] })
    .catch(() => undefined)
  let early: { at: number; loss: number; initial: number } | null = null
  let cancelled = false
  await new Promise<void>((resolve) => {
    let checked = 0
    const check = (live: ReturnType<typeof useTraining.getState>['live']) => {
      if (!live || live.runId !== run.id) return
      const losses = live.steps.loss
      const first = losses[0]
      for (let i = Math.max(1, checked); i < losses.length && early === null && first !== undefined; i++) {
        const l = losses[i] as number
        if (!Number.isFinite(l) || l > 3 * first) {
          early = { at: live.steps.step[i] as number, loss: l, initial: first }
          ctl.stop(`Early stop: loss ${Number.isFinite(l) ? l.toFixed(3) : String(l)} > 3x the initial ${first.toFixed(3)} (search rule)`)
        }
      }
      checked = losses.length
      if (live.phase === 'stopping' && early === null && useSearch.getState().pausing) cancelled = true
      if (live.phase === 'ended') {
        if (live.outcome === 'stopped' && early === null) cancelled = true
        off()
        resolve()
      }
    }
    const off = useTraining.subscribe((s) => check(s.live))
    check(useTraining.getState().live)
  })
  await ctl.settled()
  const live = useTraining.getState().live
  const last = live?.epochRows.at(-1)
  const lastLoss = live?.steps.loss.at(-1) ?? null
  const extra = { runId: run.id, valLoss: last?.valLoss ?? null, valAcc: last?.valAcc ?? null, trainLoss: last?.trainLoss ?? lastLoss, steps: live?.step ?? 0 }
  if (early !== null) {
    const e = early as { at: number; loss: number; initial: number }
    return { metric: Math.max(Number.isFinite(e.loss) ? e.loss : Infinity, 3 * e.initial), status: 'early-stopped', extra, note: `stopped at step ${e.at}: loss > 3x the initial ${e.initial.toFixed(3)}` }
  }
  if (cancelled) return { metric: Infinity, status: 'failed', extra, note: CANCEL_NOTE }
  if (live?.outcome === 'failed') throw new Error(live.message ?? 'the run failed')
  return { metric: trialMetric(saved.setup.metric, { valLoss: extra.valLoss, valAcc: extra.valAcc, trainLoss: extra.trainLoss }), status: 'done', extra }
}

/** Runs the pending trials until done or paused. */
export async function runPending(): Promise<void> {
  const s = useSearch.getState()
  if (s.running || !s.saved || s.projectId === null) return
  const projectId = s.projectId
  const start = { ...s.saved, paused: false }
  useSearch.setState({ running: true, pausing: false, error: null })
  setSaved(start)
  try {
    const outcome = await runSearch(start.state, (params, info) => runTrial(useSearch.getState().saved ?? start, projectId, params, info), {
      shouldPause: () => useSearch.getState().pausing,
      onState: (state) => {
        // A trial the user stopped goes back to the front of the queue.
        const lastDone = state.done.at(-1)
        const fixed =
          lastDone && lastDone.status === 'failed' && lastDone.note === CANCEL_NOTE
            ? { ...state, done: state.done.slice(0, -1), pending: [{ id: lastDone.id, round: lastDone.round, params: lastDone.params }, ...state.pending] }
            : state
        const cur = useSearch.getState().saved ?? start
        setSaved({ ...cur, state: fixed })
      },
    })
    const cur = useSearch.getState().saved ?? start
    // runSearch's own state may still hold a cancelled trial as done: the saved one (fixed in onState) wins.
    setSaved({ ...cur, paused: outcome.status === 'paused' })
  } catch (e) {
    useSearch.setState({ error: e instanceof Error ? e.message : String(e) })
  } finally {
    useSearch.setState({ running: false, pausing: false, current: null })
  }
}
