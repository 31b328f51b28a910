/** The top bar's global training status: which run trains, where it is, and a way back to it. */
import { useEffect } from 'react'
import { useApp } from '../app/store'
import { useTraining } from './controller'
import { resumeAfterReload } from './instance'

export function TrainingPill() {
  const live = useTraining((s) => s.live)
  // The pill is in every workspace: a reload of this tab mid-run resumes the run wherever the user was.
  useEffect(() => resumeAfterReload(), [])
  const navigate = useApp((s) => s.navigate)
  if (!live || live.phase === 'ended') return <span className="pill" data-testid="training-pill">No run in progress</span>
  const pct = live.totalSteps > 0 ? Math.floor((100 * live.step) / live.totalSteps) : 0
  const what =
    live.phase === 'paused'
      ? 'paused'
      : live.phase === 'stopping'
        ? 'stopping'
        : live.phase === 'running'
          ? `epoch ${Math.min(live.epochs, live.epoch || 1)}/${live.epochs} · ${pct}%`
          : 'starting'
  return (
    <button
      className={`pill pill-live${live.phase === 'paused' ? ' paused' : ''}`}
      data-testid="training-pill"
      title="Open the training run"
      onClick={() => navigate({ name: 'workspace', projectId: live.projectId, section: 'train' })}
    >
      <span className="pill-dot" />
      {live.name} · {what}
    </button>
  )
}
