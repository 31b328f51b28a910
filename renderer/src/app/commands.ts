import { api } from '../api/client'
import { editorCommands } from '../architecture/commands'
import type { Command } from '../ui/command'
import { reportError } from '../ui/dialogs'
import { SECTIONS, useApp, type Section } from './store'

const inWorkspace = () => useApp.getState().route.name === 'workspace'

const goTo = (section: Section) => () => {
  const route = useApp.getState().route
  if (route.name === 'workspace') useApp.getState().navigate({ ...route, section })
}

/** Views listen for commands they own (e.g. the project list opens its New dialog). */
export function broadcast(command: string): void {
  window.dispatchEvent(new CustomEvent('studio-command', { detail: command }))
}

/** Every app command, reachable from shortcuts, the command palette and the native menu. */
export const commands: Command[] = [
  {
    id: 'project.new',
    title: 'New project…',
    shortcut: 'Ctrl+N',
    run: () => {
      useApp.getState().navigate({ name: 'projects' })
      setTimeout(() => broadcast('project.new'))
    },
  },
  { id: 'project.list', title: 'Go to all projects', shortcut: 'Ctrl+Shift+O', run: () => useApp.getState().navigate({ name: 'projects' }) },
  ...SECTIONS.map(
    (section, i): Command => ({
      id: `view.${section}`,
      title: `Go to ${section[0]?.toUpperCase()}${section.slice(1)}`,
      shortcut: `Ctrl+${i + 1}`,
      when: inWorkspace,
      run: goTo(section),
    }),
  ),
  {
    id: 'view.toggleTheme',
    title: 'Toggle dark / light theme',
    shortcut: 'Ctrl+Shift+L',
    run: () => {
      const theme = useApp.getState().theme === 'dark' ? 'light' : 'dark'
      useApp.getState().setTheme(theme)
      api().app.setPreferences({ theme }).catch(reportError)
    },
  },
  { id: 'view.commandPalette', title: 'Show all commands', shortcut: 'Ctrl+K', run: () => useApp.getState().setPaletteOpen(true) },
  ...editorCommands,
]

export function runCommand(id: string): void {
  const command = commands.find((c) => c.id === id)
  if (command && (!command.when || command.when())) command.run()
}

function matches(event: KeyboardEvent, shortcut: string): boolean {
  const parts = shortcut.split('+')
  const key = parts[parts.length - 1]?.toLowerCase()
  const mod = event.ctrlKey || event.metaKey
  return (
    mod === parts.includes('Ctrl') &&
    event.shiftKey === parts.includes('Shift') &&
    event.altKey === parts.includes('Alt') &&
    event.key.toLowerCase() === key
  )
}

export function handleShortcut(event: KeyboardEvent): boolean {
  for (const command of commands) {
    if (command.shortcut && matches(event, command.shortcut) && (!command.when || command.when())) {
      event.preventDefault()
      command.run()
      return true
    }
  }
  return false
}
