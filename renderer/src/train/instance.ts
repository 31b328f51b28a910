/** The page's one training controller, over the real API and a module worker. */
import { api } from '../api/client'
import { dataFileUrl } from '../api/data-file'
import { useApp } from '../app/store'
import { backendFor, studioBackend } from '../backend/probe'
import { reportError } from '../ui/dialogs'
import { TrainingController, type SessionStore } from './controller'

const createTrainWorker = () => new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'train' })

let instance: TrainingController | null = null

export function trainingController(): TrainingController {
  return (instance ??= new TrainingController({
    api: api(),
    createWorker: createTrainWorker,
    dataFileUrl,
    appVersion: () => useApp.getState().info?.version ?? 'unknown',
    session: tabSession(),
    studioSetting: async () => (await studioBackend()).setting,
    resolveBackend: backendFor,
    ...checkpointEvery(),
  }))
}

/**
 * The mid-epoch checkpoint interval: 30 s, unless localStorage's `cnn-studio/train/checkpoint-every-ms` says
 * otherwise (a positive number of milliseconds; read when the page loads; the e2e tests use it).
 */
function checkpointEvery(): { checkpointEveryMs?: number } {
  try {
    const v = Number(localStorage.getItem('cnn-studio/train/checkpoint-every-ms'))
    return Number.isFinite(v) && v > 0 ? { checkpointEveryMs: v } : {}
  } catch {
    return {}
  }
}

/** This tab's sessionStorage (survives a reload of the tab, not a new tab or another origin), when usable. */
function tabSession(): SessionStore | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage
  } catch {
    return null
  }
}

/**
 * Called when the workspace mounts (top bar pill, Train section): the first call of the page resumes the run this
 * tab was training before a reload (see TrainingController.resumeAfterReload); later calls do nothing.
 */
export function resumeAfterReload(): void {
  trainingController()
    .resumeAfterReload()
    .catch((e: unknown) => reportError(e))
}
