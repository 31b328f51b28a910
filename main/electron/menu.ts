import { Menu, type MenuItemConstructorOptions } from 'electron'

/** The native menu. App commands are forwarded to the renderer, which owns their behaviour. */
export function installMenu(send: (command: string) => void): void {
  const isMac = process.platform === 'darwin'
  const item = (label: string, command: string, accelerator?: string): MenuItemConstructorOptions => ({
    label,
    ...(accelerator ? { accelerator } : {}),
    click: () => send(command),
  })
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        item('New Project…', 'project.new', 'CmdOrCtrl+N'),
        item('All Projects', 'project.list', 'CmdOrCtrl+Shift+O'),
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        item('Command Palette…', 'view.commandPalette', 'CmdOrCtrl+K'),
        item('Toggle Dark/Light Theme', 'view.toggleTheme', 'CmdOrCtrl+Shift+L'),
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
