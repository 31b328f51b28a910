import { z } from 'zod'
import { defineService, method } from '../contract'

/** What differs between hosts, asked for as capabilities (see AppInfo.capabilities), never by host name. */
export const hostContract = defineService(
  'host',
  {
    /** Native folder picker; resolves to null when cancelled. Refused where `canPickFolder` is false. */
    pickFolder: method<string | null>()(z.object({ title: z.string().max(200).optional() })),
    /**
     * Native save dialog, then the bytes written (atomically) where the user chose; resolves to the path, or null
     * when cancelled. Refused where `canSaveFile` is false (the browser host: the page downloads the file instead).
     */
    saveFile: method<string | null>()(
      z.object({
        title: z.string().max(200).optional(),
        suggestedName: z.string().min(1).max(255).refine((n) => !/[\\/\0]/.test(n), 'must be a file name, not a path'),
        filters: z.array(z.object({ name: z.string().min(1).max(100), extensions: z.array(z.string().regex(/^[a-z0-9]{1,10}$/i)).min(1).max(10) })).max(10).optional(),
        bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array, { error: 'must be binary data (a Uint8Array)' }),
      }),
    ),
  },
  {
    /** A command chosen from the native menu (Electron), e.g. `project.new`, `view.toggleTheme`. */
    onDidRequestCommand: z.object({ command: z.string() }),
  },
)
