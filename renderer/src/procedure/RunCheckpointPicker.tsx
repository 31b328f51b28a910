import { useEffect, useState } from 'react'
import type { CheckpointInfo, RunSummary } from '@shared/api'
import { api } from '../api/client'

/** A run's checkpoints, loaded when the run changes, with one preselected (`prefer` kind first). */
export function useRunCheckpoints(runId: number | null, prefer: CheckpointInfo['kind']) {
  const [checkpoints, setCheckpoints] = useState<CheckpointInfo[]>([])
  const [checkpointId, setCheckpointId] = useState<number | null>(null)
  useEffect(() => {
    setCheckpoints([])
    setCheckpointId(null)
    if (runId === null) return
    let live = true
    void api()
      .runs.checkpoints({ runId })
      .then((c) => {
        if (!live) return
        setCheckpoints(c)
        setCheckpointId(c.find((x) => x.kind === prefer)?.id ?? c[0]?.id ?? null)
      }, () => undefined)
    return () => {
      live = false
    }
  }, [runId, prefer])
  return { checkpoints, checkpointId, setCheckpointId }
}

/** Run and checkpoint selects (the init lab after training, the transfer source). */
export function RunCheckpointPicker(props: {
  runs: readonly Pick<RunSummary, 'id' | 'name'>[]
  runId: number | null
  setRunId: (id: number | null) => void
  checkpoints: readonly CheckpointInfo[]
  checkpointId: number | null
  setCheckpointId: (id: number | null) => void
  runLabel: string
  ariaPrefix: string
}) {
  const { runs, runId, checkpoints, checkpointId } = props
  return (
    <>
      <label className="proc-field">
        <span>{props.runLabel}</span>
        <select aria-label={`${props.ariaPrefix} run`} value={runId ?? ''} onChange={(e) => props.setRunId(e.target.value ? Number(e.target.value) : null)}>
          <option value="">Choose a run…</option>
          {runs.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
      </label>
      <label className="proc-field">
        <span>Checkpoint</span>
        <select
          aria-label={`${props.ariaPrefix} checkpoint`}
          value={checkpointId ?? ''}
          onChange={(e) => props.setCheckpointId(e.target.value ? Number(e.target.value) : null)}
          disabled={checkpoints.length === 0}
        >
          {checkpoints.length === 0 && <option value="">{runId === null ? '—' : 'no checkpoints'}</option>}
          {checkpoints.map((c) => (
            <option key={c.id} value={c.id}>
              {c.kind} · epoch {c.epoch} · step {c.step}
              {c.metrics?.val_acc !== undefined ? ` · val ${(c.metrics.val_acc * 100).toFixed(1)}%` : ''}
            </option>
          ))}
        </select>
      </label>
    </>
  )
}
