import { useEffect } from 'react'
import { api } from '../api/client'
import { refreshBackend } from '../backend/probe'
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
    const { setInfo, setTheme, syncFromLocation } = useApp.getState()
    api().app.info({}).then(setInfo, reportError)
    api()
      .app.getPreferences({})
      .then((p) => {
        setTheme(p.theme)
        return refreshBackend(p)
      })
      .catch(reportError)
    const offPrefs = api().app.on('onDidChangePreferences', (p) => {
      setTheme(p.theme)
      // The setting changed in another window: apply it here too.
      const shown = useApp.getState().backend
      if (shown && shown.setting !== p.backend) void refreshBackend(p)
    })
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
