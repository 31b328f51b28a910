/** The parts every procedure card is built from: the card frame, a job's progress, fields, verdicts and figures. */
import { BACKEND_LABELS } from '../backend/labels'
import type { JobState } from './client'

/** Series colors for up to 8 curves (theme-aware through CSS variables, with fallbacks). */
export function palette(): string[] {
  const css = getComputedStyle(document.documentElement)
  return ['--pc-1', '--pc-2', '--pc-3', '--pc-4', '--pc-5', '--pc-6', '--pc-7', '--pc-8'].map((v, i) => css.getPropertyValue(v).trim() || ['#e5484d', '#f5a524', '#3ecf8e', '#4c8dff', '#a78bfa', '#ec4899', '#14b8a6', '#94a3b8'][i]!)
}

export function Card(props: { id: string; step?: string; title: string; lecture: string; wide?: boolean; children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <section className={`proc-card${props.wide ? ' wide' : ''}`} data-testid={`proc-${props.id}`} aria-label={props.title}>
      <header className="proc-card-head">
        <div>
          <h3>
            {props.step && <span className="proc-step">{props.step}</span>}
            {props.title}
          </h3>
          <p className="proc-lecture">{props.lecture}</p>
        </div>
        {props.actions && <div className="proc-card-actions">{props.actions}</div>}
      </header>
      <div className="proc-card-body">{props.children}</div>
    </section>
  )
}

/** Progress bar, status text and Cancel while a job runs; the error when it failed. */
export function JobStatus({ state, onCancel, testId }: { state: Pick<JobState<never>, 'running' | 'text' | 'fraction' | 'backend' | 'error'>; onCancel: () => void; testId?: string }) {
  if (state.running) {
    return (
      <div className="proc-progress" data-testid={testId ?? 'job-progress'}>
        <div className="proc-bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={state.fraction === null ? undefined : Math.round(state.fraction * 100)}>
          <div className={state.fraction === null ? 'indeterminate' : ''} style={state.fraction === null ? undefined : { width: `${Math.max(2, state.fraction * 100)}%` }} />
        </div>
        <span className="proc-progress-text">
          {state.text}
          {state.backend ? ` · ${BACKEND_LABELS[state.backend as keyof typeof BACKEND_LABELS] ?? state.backend}` : ''}
        </span>
        <button className="btn btn-small" onClick={onCancel} data-testid="job-cancel">
          Cancel
        </button>
      </div>
    )
  }
  if (state.error) {
    return (
      <p className={state.error === 'Cancelled.' ? 'proc-note' : 'field-error'} role={state.error === 'Cancelled.' ? undefined : 'alert'}>
        {state.error}
      </p>
    )
  }
  return null
}

export function Field({ label, value, onChange, width, testId }: { label: string; value: string; onChange: (v: string) => void; width?: number; testId?: string }) {
  return (
    <label className="proc-field" style={width ? { width } : undefined}>
      <span>{label}</span>
      <input aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
    </label>
  )
}

export function Verdict({ kind, children, testId }: { kind: 'ok' | 'warn' | 'bad' | 'info'; children: React.ReactNode; testId?: string }) {
  return (
    <div className={`proc-verdict ${kind}`} data-testid={testId}>
      {children}
    </div>
  )
}

export function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="proc-figure">
      <span>{label}</span>
      <strong data-testid={testId}>{value}</strong>
    </div>
  )
}
