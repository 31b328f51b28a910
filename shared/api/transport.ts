import type { CallResult } from './errors'

/**
 * The one thing a host provides to the renderer: call a channel, subscribe to a channel's events.
 * Electron implements it through the preload bridge; the browser host over HTTP + WebSocket.
 */
export interface Transport {
  invoke(channel: string, payload: unknown): Promise<CallResult>
  subscribe(channel: string, listener: (payload: unknown) => void): () => void
}
