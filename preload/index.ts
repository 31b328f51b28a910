/**
 * The only bridge between the sandboxed renderer and the main process: a generic invoke/subscribe that
 * refuses any channel without the studio prefix. Everything typed lives in shared/api.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import { CHANNEL_PREFIX } from '../shared/api/contract'
import { checkWireValue } from '../shared/api/wire'

function checkChannel(channel: unknown): string {
  if (typeof channel !== 'string' || !channel.startsWith(CHANNEL_PREFIX)) {
    throw new Error(`Refused channel ${JSON.stringify(channel)}: only ${CHANNEL_PREFIX}* channels cross the bridge`)
  }
  return channel
}

const bridge = {
  host: 'electron' as const,
  invoke(channel: string, payload: unknown): Promise<unknown> {
    try {
      const name = checkChannel(channel)
      // Structured clone carries Uint8Array (checkpoint bytes) as it is; what it would mangle is refused here.
      checkWireValue(payload)
      return ipcRenderer.invoke(name, payload)
    } catch (error) {
      return Promise.reject(error)
    }
  },
  /** The file-system path of a File dropped on the window (a dataset folder dragged onto the Data view). */
  pathForFile(file: File): string {
    return webUtils.getPathForFile(file)
  },
  subscribe(channel: string, listener: (payload: unknown) => void): () => void {
    const name = checkChannel(channel)
    const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload)
    ipcRenderer.on(name, handler)
    return () => ipcRenderer.removeListener(name, handler)
  },
}

export type StudioBridge = typeof bridge

contextBridge.exposeInMainWorld('studioBridge', bridge)
