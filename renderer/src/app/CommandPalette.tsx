import { useMemo, useState } from 'react'
import { Modal } from '../ui/dialogs'
import { commands } from './commands'
import { useApp } from './store'

export function CommandPalette() {
  const setOpen = useApp((s) => s.setPaletteOpen)
  const [query, setQuery] = useState('')
  const [index, setIndex] = useState(0)
  const visible = useMemo(
    () => commands.filter((c) => (!c.when || c.when()) && c.title.toLowerCase().includes(query.trim().toLowerCase())),
    [query],
  )
  const close = () => setOpen(false)
  const run = (i: number) => {
    const command = visible[i]
    if (!command) return
    close()
    command.run()
  }
  return (
    <Modal title="Commands" onClose={close} footer={null}>
      <input
        autoFocus
        className="palette-input"
        placeholder="Type a command"
        aria-label="Command"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value)
          setIndex(0)
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setIndex((i) => Math.min(i + 1, visible.length - 1))
          if (e.key === 'ArrowUp') setIndex((i) => Math.max(i - 1, 0))
          if (e.key === 'Enter') run(index)
        }}
      />
      <ul className="palette-list" role="listbox">
        {visible.map((c, i) => (
          <li key={c.id} role="option" aria-selected={i === index} className={i === index ? 'selected' : ''} onMouseDown={() => run(i)}>
            <span>{c.title}</span>
            {c.shortcut && <kbd>{c.shortcut}</kbd>}
          </li>
        ))}
        {visible.length === 0 && <li className="muted">No command matches</li>}
      </ul>
    </Modal>
  )
}
