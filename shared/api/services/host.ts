import { z } from 'zod'
import { defineService, method } from '../contract'

/** What differs between hosts, asked for as capabilities (see AppInfo.capabilities), never by host name. */
export const hostContract = defineService(
  'host',
  {
    /** Native folder picker; resolves to null when cancelled. Refused where `canPickFolder` is false. */
    pickFolder: method<string | null>()(z.object({ title: z.string().max(200).optional() })),
  },
  {
    /** A command chosen from the native menu (Electron), e.g. `project.new`, `view.toggleTheme`. */
    onDidRequestCommand: z.object({ command: z.string() }),
  },
)
