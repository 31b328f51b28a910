/**
 * The Train form of the open project, outside React so it stays as typed while the user is in another section.
 * It is loaded from the studio's database (`workspace.getTrainForm`) and saved back shortly after each change
 * (one save at a time, the latest form wins), so it survives a restart of either host. A form an earlier version
 * kept in this browser's localStorage is moved into the database once. A save that fails is shown to the user.
 */
import { create } from 'zustand'
import { api } from '../api/client'
import { DEFAULT_FORM, formFromStored, legacyForm, legacyFormKey, type TrainForm } from './form'

export interface TrainFormState {
  readonly projectId: number | null
  readonly form: TrainForm
  /** 'ready' once the project's saved form is in (only then is the form saved back). */
  readonly status: 'idle' | 'loading' | 'ready' | 'failed'
  readonly loadError: string | null
  readonly saveError: string | null
}

export const useTrainForm = create<TrainFormState>(() => ({ projectId: null, form: { ...DEFAULT_FORM }, status: 'idle', loadError: null, saveError: null }))

/** How long after the last change the form is saved. */
export const SAVE_DELAY_MS = 300

let timer: ReturnType<typeof setTimeout> | null = null
/** The form waiting to be saved (project and fields), null when the database has the latest. */
let pending: { projectId: number; form: TrainForm } | null = null
let saving: Promise<void> | null = null
/** The newest form not yet confirmed saved: kept in sessionStorage if the page goes away first (a reload). */
let unsaved: { projectId: number; form: TrainForm } | null = null
const UNSAVED_KEY = 'cnn-studio/train/unsaved-form'

if (typeof window !== 'undefined') {
  window.addEventListener('pagehide', () => {
    if (!unsaved) return
    try {
      sessionStorage.setItem(UNSAVED_KEY, JSON.stringify({ projectId: unsaved.projectId, form: JSON.stringify(unsaved.form) }))
    } catch {
      // storage disabled: the last few hundred milliseconds of typing are lost, as without this copy
    }
  })
}

/** The form a reload interrupted before it was saved (taken once), for this project. */
function takeUnsaved(projectId: number): TrainForm | null {
  try {
    const text = sessionStorage.getItem(UNSAVED_KEY)
    if (!text) return null
    const saved = JSON.parse(text) as { projectId?: unknown; form?: unknown }
    if (saved.projectId !== projectId || typeof saved.form !== 'string') return null
    sessionStorage.removeItem(UNSAVED_KEY)
    return legacyForm(saved.form)
  } catch {
    return null
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String((e as { message?: unknown } | null)?.message ?? e))

function readLegacy(projectId: number): TrainForm | null {
  try {
    return legacyForm(localStorage.getItem(legacyFormKey(projectId)))
  } catch {
    return null // storage disabled: nothing to move
  }
}

function dropLegacy(projectId: number): void {
  try {
    localStorage.removeItem(legacyFormKey(projectId))
  } catch {
    // storage disabled: there was nothing to remove
  }
}

/** Saves what is pending, one save at a time; a failure stays pending and is shown until a save succeeds. */
async function drain(): Promise<void> {
  while (pending) {
    const job = pending
    pending = null
    try {
      await api().workspace.saveTrainForm({ projectId: job.projectId, form: job.form })
      if (unsaved === job) unsaved = null
      if (useTrainForm.getState().projectId === job.projectId) useTrainForm.setState({ saveError: null })
    } catch (e) {
      pending ??= job
      useTrainForm.setState({
        saveError: `The training form could not be saved (${message(e)}). Your settings are kept in this window only: check that CNN Studio is still running, then press Save again.`,
      })
      return
    }
  }
}

/** Saves the pending form now (before leaving the section, or when the user presses Save again). */
export function flushTrainForm(): Promise<void> {
  if (timer) clearTimeout(timer)
  timer = null
  saving ??= drain().finally(() => {
    saving = null
  })
  return saving
}

function schedule(projectId: number, form: TrainForm): void {
  pending = { projectId, form }
  unsaved = pending
  if (timer) clearTimeout(timer)
  timer = setTimeout(() => void flushTrainForm(), SAVE_DELAY_MS)
}

/** Loads the project's form (once per project; coming back to Train keeps the form as it was left). */
export async function loadTrainForm(projectId: number, options: { force?: boolean } = {}): Promise<void> {
  const s = useTrainForm.getState()
  if (!options.force && s.projectId === projectId && (s.status === 'ready' || s.status === 'loading')) return
  if (pending) await flushTrainForm()
  useTrainForm.setState({ projectId, form: { ...DEFAULT_FORM }, status: 'loading', loadError: null, saveError: null })
  const stale = () => useTrainForm.getState().projectId !== projectId
  try {
    const record = await api().workspace.getTrainForm({ projectId })
    if (stale()) return
    // A reload within moments of typing: the copy kept when the page went away is newer than the database's.
    const interrupted = takeUnsaved(projectId)
    if (interrupted) {
      useTrainForm.setState({ form: interrupted, status: 'ready' })
      dropLegacy(projectId)
      schedule(projectId, interrupted)
      await flushTrainForm()
      return
    }
    if (record) {
      useTrainForm.setState({ form: formFromStored(record.form), status: 'ready' })
      dropLegacy(projectId)
      return
    }
    const legacy = readLegacy(projectId)
    useTrainForm.setState({ form: legacy ?? { ...DEFAULT_FORM }, status: 'ready' })
    if (legacy) {
      pending = { projectId, form: legacy }
      await flushTrainForm()
      if (!pending) dropLegacy(projectId)
    }
  } catch (e) {
    if (stale()) return
    useTrainForm.setState({
      status: 'failed',
      loadError: `The saved training form could not be loaded (${message(e)}). Check that CNN Studio is still running, then press Try again.`,
    })
  }
}

/** Changes the form (a patch or a function of the form) and saves it shortly after. */
export function updateTrainForm(change: Partial<TrainForm> | ((form: TrainForm) => TrainForm)): void {
  const s = useTrainForm.getState()
  const form = typeof change === 'function' ? change(s.form) : { ...s.form, ...change }
  useTrainForm.setState({ form })
  if (s.status === 'ready' && s.projectId !== null) schedule(s.projectId, form)
}
