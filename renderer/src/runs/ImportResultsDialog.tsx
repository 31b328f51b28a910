/**
 * "Import results...": a PyTorch project folder trained elsewhere (run.json, metrics.jsonl, best.pt / last.pt)
 * into a run of this project through the engines service (`importResults`: idempotent; importing again appends
 * only the new points). The folder comes from the host's picker where it has one, else it is typed.
 */
import { useState } from 'react'
import type { ImportedResults } from '@shared/api'
import { api } from '../api/client'
import { useApp } from '../app/store'
import { Modal } from '../ui/dialogs'

export function ImportResultsDialog(props: { projectId: number; onOpen: (runId: number) => void; onClose: () => void }) {
  const canPick = useApp((s) => s.info?.capabilities.canPickFolder ?? false)
  const [folder, setFolder] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<ImportedResults | null>(null)

  const importFrom = async (from: string) => {
    setBusy(true)
    setError(null)
    try {
      setDone(await api().engines.importResults({ folder: from, projectId: props.projectId }))
    } catch (e) {
      const issues = (e as { issues?: { message: string }[] }).issues
      setError(e instanceof Error && e.message ? e.message : (issues?.[0]?.message ?? String(e)))
    } finally {
      setBusy(false)
    }
  }
  const pick = async () => {
    const picked = await api().host.pickFolder({ title: 'Choose the PyTorch project folder (run.json, metrics.jsonl)' })
    if (picked) {
      setFolder(picked)
      await importFrom(picked)
    }
  }

  if (done) {
    const points = done.points === 0 ? 'no new metric points' : `${done.points.toLocaleString('en-US')} metric points`
    const checkpoints = done.checkpoints.length === 0 ? 'no new checkpoint' : `${done.checkpoints.length} checkpoint${done.checkpoints.length === 1 ? '' : 's'}`
    return (
      <Modal
        title="Results imported"
        onClose={props.onClose}
        footer={
          <>
            <button className="btn" onClick={props.onClose}>Close</button>
            <button className="btn btn-primary" onClick={() => (props.onOpen(done.run.id), props.onClose())}>
              Open the run
            </button>
          </>
        }
      >
        <p role="status" data-testid="import-results-done">
          {done.created ? 'Created' : 'Updated'} run “{done.run.name}” ({done.status}) from {done.folder}: {points}, {checkpoints}.
        </p>
      </Modal>
    )
  }
  return (
    <Modal
      title="Import results"
      onClose={props.onClose}
      footer={
        <>
          <button className="btn" onClick={props.onClose}>Cancel</button>
          {canPick && (
            <button className="btn" disabled={busy} onClick={() => void pick().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))}>
              Choose folder…
            </button>
          )}
          <button className="btn btn-primary" disabled={busy || !folder.trim()} onClick={() => void importFrom(folder.trim())} data-testid="import-results-go">
            {busy ? 'Importing…' : 'Import'}
          </button>
        </>
      }
    >
      <p className="muted small">
        A PyTorch project exported from the studio and trained elsewhere (<code>python train.py</code> or torchrun): its metrics.jsonl, run.json and best.pt /
        last.pt become a run here, with the same charts, checkpoints and evaluation. Importing the same folder again adds only what is new.
      </p>
      <label className="field">
        <span>Project folder (absolute path on this computer)</span>
        <input autoFocus placeholder="/home/me/exports/lenet" value={folder} aria-invalid={error ? true : undefined} onChange={(e) => setFolder(e.target.value)} data-testid="import-results-folder" />
        {error && (
          <span className="field-error" role="alert">
            {error}
          </span>
        )}
      </label>
    </Modal>
  )
}
