import { BACKEND_LABELS } from '../backend/labels'
import { useApp } from './store'
import { Icon } from '../ui/icons'

export function StatusBar() {
  const info = useApp((s) => s.info)
  const backend = useApp((s) => s.backend)
  const theme = useApp((s) => s.theme)
  const backendText = !backend
    ? 'Detecting TF.js backend…'
    : backend.backend
      ? `TF.js ${BACKEND_LABELS[backend.backend]}${backend.adapter ? ` · ${backend.adapter}` : ''}`
      : 'No TF.js backend available'
  const backendTitle = backend?.tried.map((t) => `${BACKEND_LABELS[t.backend]}: ${t.error ?? 'ok'}`).join('\n')
  return (
    <footer className="status-bar">
      <span data-testid="status-host" title={info ? `Data folder: ${info.dataDir}` : undefined}>
        <Icon name="host" size={14} /> {info?.hostLabel ?? '…'}
      </span>
      <span data-testid="status-backend" title={backendTitle}>
        <Icon name="gpu" size={14} /> {backendText}
      </span>
      <span className="spacer" />
      {info && <span className="muted">{info.dataDir}</span>}
      <span className="muted">{theme === 'dark' ? 'Dark' : 'Light'} theme</span>
      {info && <span className="muted">v{info.version}</span>}
    </footer>
  )
}
