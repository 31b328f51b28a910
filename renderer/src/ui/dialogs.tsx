import { useEffect, useRef, useState, type ReactNode } from 'react'
import { create } from 'zustand'

/** Modal dialogs and toasts, driven from anywhere through small stores (no prop drilling). */
interface Toast {
  id: number
  kind: 'error' | 'info'
  text: string
}

interface DialogState {
  toasts: Toast[]
  toast(kind: Toast['kind'], text: string): void
  dismiss(id: number): void
}

let nextToast = 1
export const useToasts = create<DialogState>((set) => ({
  toasts: [],
  toast(kind, text) {
    const id = nextToast++
    set((s) => ({ toasts: [...s.toasts, { id, kind, text }] }))
    setTimeout(() => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })), kind === 'error' ? 9000 : 4000)
  },
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
}))

export function reportError(error: unknown): void {
  useToasts.getState().toast('error', error instanceof Error ? error.message : String(error))
}

export function Toasts() {
  const { toasts, dismiss } = useToasts()
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} onClick={() => dismiss(t.id)}>
          {t.text}
        </div>
      ))}
    </div>
  )
}

export function Modal({ title, children, onClose, footer }: { title: string; children: ReactNode; onClose: () => void; footer: ReactNode }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title}>
        <h2>{title}</h2>
        <div className="modal-body">{children}</div>
        <div className="modal-footer">{footer}</div>
      </div>
    </div>
  )
}

/** A one-field form dialog (new project, rename) with validation shown under the field. */
export function PromptDialog(props: {
  title: string
  label: string
  initial: string
  confirmLabel: string
  onSubmit: (value: string) => Promise<void>
  onClose: () => void
}) {
  const [value, setValue] = useState(props.initial)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => input.current?.select(), [])
  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      await props.onSubmit(value)
      props.onClose()
    } catch (e) {
      const issues = (e as { issues?: { message: string }[] }).issues
      setError(issues?.[0]?.message ?? (e instanceof Error ? e.message : String(e)))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <button className="btn" onClick={props.onClose}>Cancel</button>
          <button className="btn btn-primary" disabled={busy} onClick={() => void submit()}>{props.confirmLabel}</button>
        </>
      }
    >
      <label className="field">
        <span>{props.label}</span>
        <input
          ref={input}
          value={value}
          aria-invalid={error ? true : undefined}
          onChange={(e) => setValue(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && void submit()}
        />
        {error && <span className="field-error" role="alert">{error}</span>}
      </label>
    </Modal>
  )
}

export function ConfirmDialog(props: {
  title: string
  message: ReactNode
  confirmLabel: string
  danger?: boolean
  onConfirm: () => Promise<void>
  onClose: () => void
}) {
  const [busy, setBusy] = useState(false)
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <button className="btn" onClick={props.onClose} autoFocus>Cancel</button>
          <button
            className={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`}
            disabled={busy}
            onClick={() => {
              setBusy(true)
              props.onConfirm().then(props.onClose, (e: unknown) => {
                setBusy(false)
                reportError(e)
              })
            }}
          >
            {props.confirmLabel}
          </button>
        </>
      }
    >
      {props.message}
    </Modal>
  )
}
