/**
 * Editor commands: reachable from the command palette (Ctrl+K) and as shortcuts while the architecture editor
 * is shown and the focus is not in a text field (so Ctrl+Z in an inspector field stays the field's own undo).
 */
import { useApp } from '../app/store'
import type { Command } from '../ui/command'
import { editor, useSession } from './session'
import { canvasView, layoutNow } from './view'

function editable(el: Element | null): boolean {
  if (!el) return false
  const tag = el.tagName
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (el as HTMLElement).isContentEditable
}

/** The editor is on screen with a design, no dialog is open and the focus is not in a text field. */
export function editorActive(): boolean {
  const route = useApp.getState().route
  if (route.name !== 'workspace' || route.section !== 'architecture') return false
  if (useSession.getState().gallery || useSession.getState().current === null) return false
  if (document.querySelector('.modal-backdrop')) return false
  return !editable(document.activeElement)
}

const textSelected = () => (window.getSelection()?.toString() ?? '') !== ''

const cmd = (id: string, title: string, shortcut: string | undefined, run: () => void, when: () => boolean = editorActive): Command => ({
  id,
  title,
  ...(shortcut ? { shortcut } : {}),
  when,
  run,
})

export const editorCommands: Command[] = [
  cmd('architecture.undo', 'Architecture: Undo', 'Ctrl+Z', () => editor.undo()),
  cmd('architecture.redo', 'Architecture: Redo', 'Ctrl+Shift+Z', () => editor.redo()),
  cmd('architecture.redoY', 'Architecture: Redo', 'Ctrl+Y', () => editor.redo()),
  cmd('architecture.copy', 'Architecture: Copy selected layers', 'Ctrl+C', () => editor.copy(), () => editorActive() && !textSelected()),
  cmd('architecture.paste', 'Architecture: Paste layers', 'Ctrl+V', () => editor.paste()),
  cmd('architecture.duplicate', 'Architecture: Duplicate selected layers', 'Ctrl+D', () => editor.duplicate()),
  cmd('architecture.selectAll', 'Architecture: Select all', 'Ctrl+A', () => editor.selectAll()),
  cmd('architecture.group', 'Architecture: Group selection into a block', 'Ctrl+G', () => editor.groupSelection()),
  cmd('architecture.ungroup', 'Architecture: Ungroup the selected block', 'Ctrl+Shift+G', () => {
    const s = editor.getState()
    const id = s.selectedNodes[0]
    if (s.selectedNodes.length === 1 && id && s.doc.nodes.find((n) => n.id === id)?.kind === 'Block') editor.ungroup(id)
  }),
  cmd('architecture.delete', 'Architecture: Delete selection', 'Delete', () => editor.deleteSelection()),
  cmd('architecture.deleteBackspace', 'Architecture: Delete selection', 'Backspace', () => editor.deleteSelection()),
  cmd('architecture.layout', 'Architecture: Auto-layout', 'Ctrl+Shift+A', layoutNow),
  cmd('architecture.fit', 'Architecture: Fit view', 'Ctrl+0', () => canvasView.fit()),
  cmd('architecture.deselect', 'Architecture: Clear the selection', 'Escape', () => editor.select([])),
  cmd('architecture.layers', 'Architecture: Toggle layer table', undefined, () => useSession.setState((s) => ({ layersOpen: !s.layersOpen }))),
]
