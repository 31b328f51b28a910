/**
 * "Export as PyTorch project...": a run (run detail, runs table) or what the Train view would start (the current
 * design, pipeline and form) written as a self-contained PyTorch project through the exports service. Where the
 * host has a folder picker (Electron) it opens first; elsewhere (the browser host) the folder is typed, suggested
 * under the data folder's exports/. The dialog ends with where the files went and the command that trains them.
 */
import { useEffect, useState } from 'react'
import type { PytorchProjectExport } from '@shared/api'
import { api } from '../api/client'
import { useApp } from '../app/store'
import { Modal } from '../ui/dialogs'

export type PytorchExportTarget =
  | { readonly kind: 'run'; readonly runId: number; readonly name: string }
  /** The Train view's current design + pipeline + form: `snapshot` builds the snapshot its run would record. */
  | { readonly kind: 'design'; readonly name: string; readonly snapshot: () => Promise<Record<string, unknown>> }

function errorText(e: unknown): string {
  const issues = (e as { issues?: { message: string }[] }).issues
  const message = e instanceof Error ? e.message : String((e as { message?: unknown }).message ?? e)
  return issues?.[0] && !message ? issues[0].message : message
}

export function ExportPytorchDialog({ target, onClose }: { target: PytorchExportTarget; onClose: () => void }) {
  const canPick = useApp((s) => s.info?.capabilities.canPickFolder ?? false)
  const [folder, setFolder] = useState('')
  const [overwrite, setOverwrite] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<PytorchProjectExport | null>(null)

  const write = async (to: string, replace: boolean) => {
    setBusy(true)
    setError(null)
    try {
      const r =
        target.kind === 'run'
          ? await api().exports.pytorchRun({ runId: target.runId, folder: to, overwrite: replace })
          : await api().exports.pytorchDesign({ snapshot: await target.snapshot(), folder: to, overwrite: replace })
      setDone(r)
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  const pick = async () => {
    const picked = await api().host.pickFolder({ title: `Choose a folder for the PyTorch project of “${target.name}”` })
    if (picked === null) return false
    setFolder(picked)
    await write(picked, overwrite)
    return true
  }

  useEffect(() => {
    let live = true
    if (canPick) {
      // The folder dialog first; cancelling it closes the export.
      void pick().then((chosen) => live && !chosen && onClose(), (e: unknown) => live && setError(errorText(e)))
    } else {
      api()
        .exports.suggestFolder({ name: target.name })
        .then(
          (f) => live && setFolder((current) => current || f),
          () => undefined,
        )
    }
    return () => {
      live = false
    }
  }, [])

  if (done) {
    return (
      <Modal title="PyTorch project written" onClose={onClose} footer={<button className="btn btn-primary" onClick={onClose}>Close</button>}>
        <p role="status" data-testid="pytorch-export-done">
          Wrote {done.files.length} files to <code data-testid="pytorch-export-folder">{done.folder}</code>
        </p>
        <p className="muted small">{done.files.join(', ')}</p>
        <p className="small">
          Train it with PyTorch, in that folder: <code data-testid="pytorch-export-command">{done.trainCommand}</code>. README.md there has every
          command (torchrun on several processes or machines, checkpoint conversion, importing the results back).
        </p>
        {done.notes.map((n) => (
          <p key={n} className="muted small">
            {n}
          </p>
        ))}
      </Modal>
    )
  }
  return (
    <Modal
      title="Export as PyTorch project"
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          {canPick && (
            <button className="btn" disabled={busy} onClick={() => void pick().catch((e: unknown) => setError(errorText(e)))}>
              Choose folder…
            </button>
          )}
          <button className="btn btn-primary" disabled={busy || !folder.trim()} onClick={() => void write(folder.trim(), overwrite)} data-testid="pytorch-export-write">
            {busy ? 'Writing…' : 'Export'}
          </button>
        </>
      }
    >
      <p className="muted small">
        Writes {target.kind === 'run' ? `run “${target.name}”` : `the design, pipeline and settings of the form (“${target.name}”)`} as a PyTorch project:
        model.py, train.py, data.py, augment.py, convert.py, run.json, split.json, README.md and requirements.txt.
      </p>
      <label className="field">
        <span>Folder (absolute path on this computer; created if missing)</span>
        <input
          autoFocus
          placeholder="/home/me/exports/lenet"
          value={folder}
          aria-invalid={error ? true : undefined}
          onChange={(e) => setFolder(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && folder.trim() && !busy && void write(folder.trim(), overwrite)}
          data-testid="pytorch-export-folder-input"
        />
        {error && (
          <span className="field-error" role="alert">
            {error}
          </span>
        )}
      </label>
      <label className="check">
        <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} /> Replace files already there
      </label>
    </Modal>
  )
}
