/**
 * The reload state: the run this tab trains is recorded in the tab's sessionStorage (paused by the user or not)
 * until it ends or is stopped, so that the page's first TrainingController.resumeAfterReload() resumes it when the
 * database still says 'running'.
 */

/** The part of the Storage interface the controller uses. */
export type SessionStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/** The session storage key of the run this tab trains: `{ runId, paused }` as JSON. */
export const ACTIVE_RUN_KEY = 'cnn-studio/train/active-run'

export interface ActiveRunRecord {
  readonly runId: number
  /** Paused by the user: a reload leaves it paused (shown interrupted, with Resume), not resumed. */
  readonly paused: boolean
}

/** Reads the tab's record of the run it trains (null when none, or unreadable). */
export function readActiveRun(session: SessionStore | null | undefined): ActiveRunRecord | null {
  if (!session) return null
  try {
    const raw = session.getItem(ACTIVE_RUN_KEY)
    if (raw === null) return null
    const v = JSON.parse(raw) as unknown
    if (typeof v !== 'object' || v === null) return null
    const { runId, paused } = v as { runId?: unknown; paused?: unknown }
    if (typeof runId !== 'number' || !Number.isInteger(runId) || runId <= 0) return null
    return { runId, paused: paused === true }
  } catch {
    return null
  }
}

/** Records the run this tab trains (storage full or blocked: a reload then shows it interrupted, with Resume). */
export function recordActiveRun(session: SessionStore | null | undefined, record: ActiveRunRecord): void {
  try {
    session?.setItem(ACTIVE_RUN_KEY, JSON.stringify(record))
  } catch {
    // see above
  }
}

export function forgetActiveRun(session: SessionStore | null | undefined): void {
  try {
    session?.removeItem(ACTIVE_RUN_KEY)
  } catch {
    // see recordActiveRun
  }
}

/** What resumeAfterReload did: the run it resumed and the checkpoint position it resumed from. */
export interface ReloadResume {
  readonly runId: number
  /** Epochs completed at the checkpoint (0: no checkpoint yet, the run started over). */
  readonly epoch: number
  readonly step: number
  /** Steps of the next epoch already done at the checkpoint (a mid-epoch checkpoint), else 0. */
  readonly stepInEpoch: number
}

/** The notice shown after a reload resumed the run. */
export function reloadNotice(r: ReloadResume): string {
  return r.step === 0
    ? 'Restarted after the reload from the beginning (no checkpoint had been saved yet)'
    : r.stepInEpoch > 0
      ? `Resumed after the reload from the checkpoint at step ${r.step} (epoch ${r.epoch + 1})`
      : `Resumed after the reload from the checkpoint of epoch ${r.epoch}`
}
