import { useEffect, useRef, useState } from 'react'
import { BACKEND_SETTINGS, backendStatusText, type BackendSetting } from '../backend/auto'
import { BACKEND_LABELS } from '../backend/labels'
import { changeBackendSetting } from '../backend/probe'
import { reportError } from '../ui/dialogs'
import { useApp } from './store'
import { Icon } from '../ui/icons'

const SETTING_LABELS: Record<BackendSetting, string> = {
  auto: 'Auto (the fastest here)',
  ...BACKEND_LABELS,
}

/** The backend in the status bar: what the studio trains, evaluates and previews on, why, and a menu to change it. */
function BackendControl() {
  const backend = useApp((s) => s.backend)
  const [open, setOpen] = useState(false)
  const box = useRef<HTMLSpanElement>(null)
  useEffect(() => {
    if (!open) return
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !box.current?.contains(e.target as Node)) setOpen(false)
    }
    window.addEventListener('mousedown', close)
    window.addEventListener('keydown', close)
    return () => {
      window.removeEventListener('mousedown', close)
      window.removeEventListener('keydown', close)
    }
  }, [open])
  const text = !backend ? 'Detecting TF.js backend…' : backendStatusText(backend)
  const title = backend ? [text, ...backend.tried.map((t) => `${BACKEND_LABELS[t.backend]}: ${t.error ?? 'ok'}`)].join('\n') : undefined
  const choose = (setting: BackendSetting) => {
    setOpen(false)
    changeBackendSetting(setting).catch(reportError)
  }
  return (
    <span className="status-backend" ref={box}>
      <button type="button" className="status-backend-button" data-testid="status-backend" title={title} aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <Icon name="gpu" size={14} /> {text}
      </button>
      {open && backend && (
        <div className="status-backend-menu" role="dialog" aria-label="Where the studio computes">
          <fieldset>
            <legend>Train, evaluate and preview on</legend>
            {BACKEND_SETTINGS.map((s) => (
              <label key={s}>
                <input type="radio" name="studio-backend" value={s} checked={backend.setting === s} onChange={() => choose(s)} />
                {SETTING_LABELS[s]}
              </label>
            ))}
          </fieldset>
          <p className="muted">Auto never picks a software WebGPU adapter (it runs on the CPU, far slower than WASM); on a real GPU it times a few training steps on each once and keeps the faster. A run&apos;s own Backend field in the Train form overrides this.</p>
        </div>
      )}
    </span>
  )
}

export function StatusBar() {
  const info = useApp((s) => s.info)
  const theme = useApp((s) => s.theme)
  return (
    <footer className="status-bar">
      <span data-testid="status-host" title={info ? `Data folder: ${info.dataDir}` : undefined}>
        <Icon name="host" size={14} /> {info?.hostLabel ?? '…'}
      </span>
      <BackendControl />
      <span className="spacer" />
      {info && <span className="muted">{info.dataDir}</span>}
      <span className="muted">{theme === 'dark' ? 'Dark' : 'Light'} theme</span>
      {info && <span className="muted">v{info.version}</span>}
    </footer>
  )
}
