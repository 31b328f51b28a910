import { useEffect } from 'react'
import { api } from '../api/client'
import { probeBackend } from '../backend/probe'
import { ProjectsView } from '../projects/ProjectsView'
import { Toasts, reportError } from '../ui/dialogs'
import { Workspace } from '../workspace/Workspace'
import { CommandPalette } from './CommandPalette'
import { handleShortcut, runCommand } from './commands'
import { StatusBar } from './StatusBar'
import { useApp } from './store'

export function App() {
  const route = useApp((s) => s.route)
  const paletteOpen = useApp((s) => s.paletteOpen)

  useEffect(() => {
    const { setInfo, setTheme, setBackend, syncFromLocation } = useApp.getState()
    api().app.info({}).then(setInfo, reportError)
    api().app.getPreferences({}).then((p) => setTheme(p.theme), reportError)
    void probeBackend().then(setBackend)
    const offPrefs = api().app.on('onDidChangePreferences', (p) => setTheme(p.theme))
    const offMenu = api().host.on('onDidRequestCommand', ({ command }) => runCommand(command))
    const onKey = (e: KeyboardEvent) => void handleShortcut(e)
    window.addEventListener('keydown', onKey)
    window.addEventListener('popstate', syncFromLocation)
    if (!window.location.hash) window.history.replaceState(null, '', '#/projects')
    return () => {
      offPrefs()
      offMenu()
      window.removeEventListener('keydown', onKey)
      window.removeEventListener('popstate', syncFromLocation)
    }
  }, [])

  return (
    <div className="app">
      <main className="app-body">
        {route.name === 'projects' ? <ProjectsView /> : <Workspace projectId={route.projectId} section={route.section} />}
      </main>
      <StatusBar />
      {paletteOpen && <CommandPalette />}
      <Toasts />
    </div>
  )
}
