/**
 * A pop-up menu behind one small button (a table row's actions): the menu is drawn in a portal at the button, so a
 * scrolling or clipping parent (the runs table) does not cut it off. Keyboard: the first item takes focus, arrows
 * move, Escape closes and gives focus back to the button; a click elsewhere, a scroll or a resize closes it.
 */
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import { createPortal } from 'react-dom'

export interface MenuAction {
  readonly label: string
  readonly onSelect: () => void
  readonly danger?: boolean
}

const GAP = 4

export function ActionsMenu({ label, actions, children }: { label: string; actions: readonly MenuAction[]; children: ReactNode }) {
  const [open, setOpen] = useState(false)
  const [place, setPlace] = useState<{ top: number; right: number } | null>(null)
  const button = useRef<HTMLButtonElement>(null)
  const menu = useRef<HTMLDivElement>(null)

  const close = (refocus: boolean) => {
    setOpen(false)
    setPlace(null)
    if (refocus) button.current?.focus()
  }

  // Place the menu under the button, or above it where the window ends first; then focus its first item.
  useLayoutEffect(() => {
    if (!open || !button.current || !menu.current) return
    const b = button.current.getBoundingClientRect()
    const height = menu.current.offsetHeight
    const below = b.bottom + GAP + height <= window.innerHeight
    setPlace({ top: below ? b.bottom + GAP : Math.max(GAP, b.top - GAP - height), right: Math.max(GAP, window.innerWidth - b.right) })
  }, [open])
  // Once placed (a hidden menu cannot take focus), its first item takes the focus.
  useEffect(() => {
    if (place) menu.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus()
  }, [place])

  useEffect(() => {
    if (!open) return
    const onDown = (e: MouseEvent) => {
      const t = e.target as Node
      if (!menu.current?.contains(t) && !button.current?.contains(t)) close(false)
    }
    const onScroll = (e: Event) => {
      if (!menu.current?.contains(e.target as Node)) close(false)
    }
    const onResize = () => close(false)
    window.addEventListener('mousedown', onDown)
    window.addEventListener('scroll', onScroll, true)
    window.addEventListener('resize', onResize)
    return () => {
      window.removeEventListener('mousedown', onDown)
      window.removeEventListener('scroll', onScroll, true)
      window.removeEventListener('resize', onResize)
    }
  }, [open])

  const onKeyDown = (e: KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])]
    const at = items.indexOf(document.activeElement as HTMLButtonElement)
    const move = (k: number) => items[(at + k + items.length) % items.length]?.focus()
    if (e.key === 'Escape') close(true)
    else if (e.key === 'ArrowDown') move(1)
    else if (e.key === 'ArrowUp') move(-1)
    else if (e.key === 'Home') items[0]?.focus()
    else if (e.key === 'End') items.at(-1)?.focus()
    else if (e.key === 'Tab') close(false)
    else return
    e.preventDefault()
  }

  return (
    <>
      <button ref={button} className="icon-btn" title={label} aria-label={label} aria-haspopup="menu" aria-expanded={open} onClick={() => (open ? close(false) : setOpen(true))}>
        {children}
      </button>
      {open &&
        createPortal(
          <div
            ref={menu}
            className="popup-menu"
            role="menu"
            aria-label={label}
            style={place ? { top: place.top, right: place.right } : { visibility: 'hidden', top: 0, right: 0 }}
            onKeyDown={onKeyDown}
          >
            {actions.map((a) => (
              <button
                key={a.label}
                role="menuitem"
                className={`menu-item${a.danger ? ' danger' : ''}`}
                onClick={() => {
                  close(false)
                  a.onSelect()
                }}
              >
                {a.label}
              </button>
            ))}
          </div>,
          document.body,
        )}
    </>
  )
}
