/**
 * The Train form's engine choice, next to the backend: "TF.js (in the app)" or PyTorch as the engines service
 * found it ("PyTorch (python 3.11, torch 1.13, CPU)"), offered disabled with why and how to install it when no
 * Python with torch was found. "Python interpreter…" sets the interpreter once (kept in the app's settings), or
 * goes back to searching PATH.
 */
import { useState } from 'react'
import type { EngineId, EngineInfo } from '@shared/api'
import { api } from '../api/client'
import { Modal } from '../ui/dialogs'
import { changes, useLive } from '../ui/live'

export const TFJS_ENGINE_LABEL = 'TF.js (in the app)'

/** The engines, fresh through `onDidChangeEngines`; null until the first answer, 'error' when it failed. */
export function useEngines(): EngineInfo[] | null | 'error' {
  const [failed, setFailed] = useState(false)
  const live = useLive(() => api().engines.list({}), [], { on: [changes(api().engines, 'onDidChangeEngines')], onError: () => setFailed(true) })
  return live.value ?? (failed ? 'error' : null)
}

export function EngineField(props: { value: EngineId; disabled: boolean; onChange: (engine: EngineId) => void }) {
  const engines = useEngines()
  const [asking, setAsking] = useState(false)
  const pytorch = Array.isArray(engines) ? (engines.find((e) => e.id === 'pytorch') ?? null) : null
  const pytorchLabel = pytorch ? pytorch.label : engines === 'error' ? 'PyTorch (the studio could not look for it)' : 'PyTorch (looking for Python…)'
  return (
    <>
      <div className="tf-row">
      <label className="tf-field">
        <span className="tf-label">Engine</span>
        <select aria-label="Engine" value={props.value} disabled={props.disabled} onChange={(e) => props.onChange(e.target.value as EngineId)} data-testid="engine-select">
          <option value="tfjs">{TFJS_ENGINE_LABEL}</option>
          <option value="pytorch" disabled={!pytorch?.available}>
            {pytorchLabel}
          </option>
        </select>
      </label>
      </div>
      <p className="tf-hint" data-testid="engine-hint">
        {pytorch && !pytorch.available ? `${pytorch.reason ?? 'PyTorch was not found.'} ` : pytorch?.python ? `PyTorch runs ${pytorch.python.interpreter} in the run’s folder. ` : ''}
        <button type="button" className="link" onClick={() => setAsking(true)} data-testid="set-interpreter">
          Python interpreter…
        </button>
      </p>
      {asking && <InterpreterDialog current={pytorch?.interpreterSetting ?? null} found={pytorch?.python?.interpreter ?? null} onClose={() => setAsking(false)} />}
    </>
  )
}

function InterpreterDialog(props: { current: string | null; found: string | null; onClose: () => void }) {
  const [path, setPath] = useState(props.current ?? '')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const save = async (value: string | null) => {
    setBusy(true)
    setError(null)
    try {
      const engines = await api().engines.setInterpreter({ path: value })
      const pytorch = engines.find((e) => e.id === 'pytorch')
      if (value !== null && pytorch && !pytorch.available) setError(pytorch.reason ?? `${value} cannot train with PyTorch`)
      else props.onClose()
    } catch (e) {
      const issues = (e as { issues?: { message: string }[] }).issues
      setError(issues?.[0]?.message ?? (e instanceof Error ? e.message : String(e)))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal
      title="Python interpreter for PyTorch"
      onClose={props.onClose}
      footer={
        <>
          <button className="btn" onClick={props.onClose}>Cancel</button>
          {props.current !== null && (
            <button className="btn" disabled={busy} onClick={() => void save(null)}>
              Search PATH again
            </button>
          )}
          <button className="btn btn-primary" disabled={busy || !path.trim()} onClick={() => void save(path.trim())} data-testid="interpreter-save">
            Use this Python
          </button>
        </>
      }
    >
      <p className="muted small">
        The Python whose torch trains PyTorch runs. {props.found ? `Now: ${props.found}.` : 'None with torch was found on PATH or at /usr/bin/python3.'} Install PyTorch with{' '}
        <code>apt install python3-torch</code> (Debian/Ubuntu) or <code>pip install torch numpy</code>.
      </p>
      <label className="field">
        <span>Interpreter (absolute path)</span>
        <input autoFocus placeholder="/usr/bin/python3" value={path} aria-invalid={error ? true : undefined} onChange={(e) => setPath(e.target.value)} data-testid="interpreter-input" />
        {error && (
          <span className="field-error" role="alert">
            {error}
          </span>
        )}
      </label>
    </Modal>
  )
}
