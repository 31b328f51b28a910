import { useEffect, useRef, useState, type ReactNode } from 'react'
import { GraphDocumentError, parseGraphDocument, serializeGraphDocument } from '@shared/graph'
import { ConfirmDialog, PromptDialog, reportError } from '../ui/dialogs'
import { formatRelativeTime } from '../ui/format'
import { Glyph, type GlyphName } from './glyphs'
import { editor, session, useEditor, useSession } from './session'
import { canvasView, layoutNow } from './view'

function Menu({ label, title, children, testId }: { label: ReactNode; title: string; children: (close: () => void) => ReactNode; testId?: string }) {
  const [open, setOpen] = useState(false)
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!open) return
    const onDown = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false)
    }
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false)
    window.addEventListener('mousedown', onDown)
    window.addEventListener('keydown', onKey)
    return () => {
      window.removeEventListener('mousedown', onDown)
      window.removeEventListener('keydown', onKey)
    }
  }, [open])
  return (
    <div className="menu" ref={ref}>
      <button className="tb-menu-btn" title={title} aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} data-testid={testId}>
        {label}
        <Glyph name="chevronDown" size={12} />
      </button>
      {open && (
        <div className="menu-pop" role="menu">
          {children(() => setOpen(false))}
        </div>
      )}
    </div>
  )
}

function ToolButton({ icon, label, shortcut, onClick, disabled }: { icon: GlyphName; label: string; shortcut?: string; onClick: () => void; disabled?: boolean }) {
  return (
    <button className="tb-btn" title={shortcut ? `${label} (${shortcut})` : label} aria-label={label} onClick={onClick} disabled={disabled}>
      <Glyph name={icon} size={15} />
    </button>
  )
}

function SaveStatus() {
  const state = useEditor((s) => s.saveState)
  const error = useEditor((s) => s.saveError)
  const readOnly = useEditor((s) => s.readOnly)
  if (readOnly) return <span className="save-status ro">Version {readOnly.version} · read-only</span>
  const text = { idle: 'Saved', pending: 'Unsaved changes', saving: 'Saving…', saved: 'Saved', error: 'Save failed' }[state]
  return (
    <span className={`save-status ${state}`} data-testid="save-status" title={error ?? 'Changes are saved automatically'}>
      {text}
    </span>
  )
}

export function importGraphFile(file: File): void {
  void file.text().then(async (text) => {
    try {
      const doc = parseGraphDocument(text)
      await session.create(file.name.replace(/\.json$/i, '') || 'Imported design', doc)
    } catch (e) {
      if (e instanceof GraphDocumentError || e instanceof SyntaxError) {
        editor.notify(`Cannot import “${file.name}”: ${e.message}`)
      } else reportError(e)
    }
  })
}

function exportDesign(name: string): void {
  const blob = new Blob([serializeGraphDocument(editor.getState().doc)], { type: 'application/json' })
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = `${name.replace(/[^\w.-]+/g, '_') || 'design'}.json`
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}

export function Toolbar() {
  const designs = useSession((s) => s.designs)
  const current = useSession((s) => s.current)
  const versions = useSession((s) => s.versions)
  const readOnly = useEditor((s) => s.readOnly)
  const history = useEditor((s) => s.history)
  const selected = useEditor((s) => s.selectedNodes)
  const doc = useEditor((s) => s.doc)
  const clipboard = useEditor((s) => s.clipboard)
  const [dialog, setDialog] = useState<null | 'rename' | 'version' | 'delete'>(null)
  const file = useRef<HTMLInputElement>(null)
  const ro = readOnly !== null
  const none = selected.length === 0
  const selectedBlock = selected.length === 1 && doc.nodes.find((n) => n.id === selected[0])?.kind === 'Block' ? selected[0] : undefined
  return (
    <>
      <div className="arch-toolbar" role="toolbar" aria-label="Design">
        <Menu label={<span className="design-name" data-testid="design-name">{current?.name ?? 'No design'}</span>} title="Designs of this project" testId="design-picker">
          {(close) => (
            <>
              <div className="menu-head">Designs</div>
              {designs.map((d) => (
                <button key={d.id} role="menuitem" className={`menu-item${d.id === current?.id ? ' active' : ''}`} onClick={() => (close(), void session.openDesign(d.id).catch(reportError))}>
                  <span>{d.name}</span>
                  <span className="muted">{formatRelativeTime(d.updatedAt)}</span>
                </button>
              ))}
              <div className="menu-sep" />
              <button role="menuitem" className="menu-item" onClick={() => (close(), useSession.setState({ gallery: true }))}>
                <span>New design…</span>
              </button>
              <button role="menuitem" className="menu-item" disabled={!current} onClick={() => (close(), setDialog('rename'))}>
                <span>Rename…</span>
              </button>
              <button role="menuitem" className="menu-item" onClick={() => (close(), file.current?.click())}>
                <span>Import JSON…</span>
              </button>
              <button role="menuitem" className="menu-item" disabled={!current} onClick={() => (close(), exportDesign(current?.name ?? 'design'))}>
                <span>Export JSON</span>
              </button>
              <button role="menuitem" className="menu-item danger" disabled={!current} onClick={() => (close(), setDialog('delete'))}>
                <span>Delete design…</span>
              </button>
            </>
          )}
        </Menu>
        <SaveStatus />
        <Menu label={<span>{readOnly ? `v${readOnly.version}` : current ? `v${current.latestVersion}` : 'History'}</span>} title="Version history" testId="history-menu">
          {(close) => (
            <>
              <div className="menu-head">Versions (newest first)</div>
              {[...versions].reverse().map((v) => (
                <button
                  key={v.id}
                  role="menuitem"
                  className={`menu-item${(readOnly?.version ?? current?.latestVersion) === v.version ? ' active' : ''}`}
                  onClick={() => (close(), current && void session.openDesign(current.id, v.version).catch(reportError))}
                >
                  <span>
                    v{v.version} {v.label ? <strong>{v.label}</strong> : <span className="muted">autosave</span>}
                  </span>
                  <span className="muted">{formatRelativeTime(v.createdAt)}</span>
                </button>
              ))}
              {versions.length === 0 && <div className="menu-empty">No versions yet</div>}
            </>
          )}
        </Menu>
        <button className="tb-text-btn" disabled={!current || ro} onClick={() => setDialog('version')} title="Save a named version of this design">
          <Glyph name="tag" size={14} /> Save version
        </button>
        <span className="tb-sep" />
        <ToolButton icon="undo" label="Undo" shortcut="Ctrl+Z" disabled={ro || history.past.length === 0} onClick={() => editor.undo()} />
        <ToolButton icon="redo" label="Redo" shortcut="Ctrl+Shift+Z / Ctrl+Y" disabled={ro || history.future.length === 0} onClick={() => editor.redo()} />
        <span className="tb-sep" />
        <ToolButton icon="copy" label="Copy" shortcut="Ctrl+C" disabled={none} onClick={() => editor.copy()} />
        <ToolButton icon="paste" label="Paste" shortcut="Ctrl+V" disabled={ro || !clipboard} onClick={() => editor.paste()} />
        <ToolButton icon="duplicate" label="Duplicate" shortcut="Ctrl+D" disabled={ro || none} onClick={() => editor.duplicate()} />
        <ToolButton icon="trash" label="Delete" shortcut="Delete" disabled={ro || (none && editor.getState().selectedEdges.length === 0)} onClick={() => editor.deleteSelection()} />
        <span className="tb-sep" />
        <ToolButton icon="group" label="Group into block" shortcut="Ctrl+G" disabled={ro || none} onClick={() => editor.groupSelection()} />
        <ToolButton icon="ungroup" label="Ungroup block" shortcut="Ctrl+Shift+G" disabled={ro || !selectedBlock} onClick={() => selectedBlock && editor.ungroup(selectedBlock)} />
        <span className="tb-sep" />
        <ToolButton icon="layout" label="Auto-layout" shortcut="Ctrl+Shift+A" disabled={ro} onClick={layoutNow} />
        <ToolButton icon="fit" label="Fit view (the selection, if any)" shortcut="Ctrl+0" onClick={() => canvasView.fit()} />
        <span className="tb-spacer" />
        <ToolButton icon="import" label="Import JSON" onClick={() => file.current?.click()} />
        <ToolButton icon="export" label="Export JSON" disabled={!current} onClick={() => exportDesign(current?.name ?? 'design')} />
        <input
          ref={file}
          type="file"
          accept=".json,application/json"
          hidden
          aria-label="Import graph JSON file"
          data-testid="import-file"
          onChange={(e) => {
            const f = e.target.files?.[0]
            if (f) importGraphFile(f)
            e.target.value = ''
          }}
        />
      </div>
      {readOnly && (
        <div className="ro-banner" role="status">
          <span>
            Viewing version {readOnly.version} of “{current?.name}” (read-only).
          </span>
          <button className="btn btn-sm btn-primary" onClick={() => void session.restore().catch(reportError)}>
            Restore as newest version
          </button>
          <button className="btn btn-sm" onClick={() => current && void session.openDesign(current.id).catch(reportError)}>
            Back to latest
          </button>
        </div>
      )}
      {dialog === 'rename' && current && (
        <PromptDialog title="Rename design" label="Design name" initial={current.name} confirmLabel="Rename" onSubmit={(v) => session.rename(v)} onClose={() => setDialog(null)} />
      )}
      {dialog === 'version' && (
        <PromptDialog title="Save named version" label="Version name" initial="" confirmLabel="Save version" onSubmit={(v) => session.saveVersion(v)} onClose={() => setDialog(null)} />
      )}
      {dialog === 'delete' && current && (
        <ConfirmDialog
          title="Delete design"
          message={<p>Delete “{current.name}” and all its versions? This cannot be undone.</p>}
          confirmLabel="Delete"
          danger
          onConfirm={() => session.remove()}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  )
}
