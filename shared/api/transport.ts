import type { CallResult } from './errors'

/**
 * The one thing a host provides to the renderer: call a channel, subscribe to a channel's events.
 * Electron implements it through the preload bridge; the browser host over HTTP + WebSocket.
 */
export interface Transport {
  invoke(channel: string, payload: unknown): Promise<CallResult>
  subscribe(channel: string, listener: (payload: unknown) => void): () => void
}

/**
 * The browser host's wire names, shared by the host (main/web/server.ts) and the renderer's web transport.
 * The token always travels in a header: X-Studio-Token for calls and data files, and for the event WebSocket
 * (which a browser cannot give headers) as a second offered subprotocol `studio-token.<token>` next to
 * `studio-events`, the one the host answers with.
 */
export const WEB_HOST = {
  apiPrefix: '/api/',
  eventsPath: '/events',
  filesPrefix: '/files/',
  tokenHeader: 'x-studio-token',
  eventsProtocol: 'studio-events',
  eventsTokenProtocolPrefix: 'studio-token.',
} as const
