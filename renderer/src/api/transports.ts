import { ApiError, decodeEnvelope, encodeEnvelope, ENVELOPE_CONTENT_TYPE, hasBytes, WEB_HOST, type CallResult, type Transport } from '@shared/api'

interface StudioBridge {
  readonly host: 'electron'
  invoke(channel: string, payload: unknown): Promise<unknown>
  subscribe(channel: string, listener: (payload: unknown) => void): () => void
  pathForFile?(file: File): string
}

declare global {
  interface Window {
    studioBridge?: StudioBridge
  }
}

/** Electron: through the preload bridge (IPC). */
export function bridgeTransport(bridge: StudioBridge): Transport {
  return {
    invoke: (channel, payload) => bridge.invoke(channel, payload) as Promise<CallResult>,
    subscribe: (channel, listener) => bridge.subscribe(channel, listener),
  }
}

/**
 * Browser host: HTTP POST per call, one WebSocket for all events (reconnecting). A payload with bytes (a
 * checkpoint) goes as the binary envelope (shared/api/wire), and a result with bytes comes back as one.
 */
export function webTransport(token: string, base = window.location.origin): Transport {
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  let socket: WebSocket | null = null
  let retry = 250

  const connect = () => {
    const url = new URL(WEB_HOST.eventsPath, base)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    // A browser WebSocket cannot send headers: the token goes as an offered subprotocol, never in the URL.
    socket = new WebSocket(url, [WEB_HOST.eventsProtocol, `${WEB_HOST.eventsTokenProtocolPrefix}${token}`])
    socket.onopen = () => {
      retry = 250
    }
    socket.onmessage = (message) => {
      const { channel, payload } = JSON.parse(String(message.data)) as { channel: string; payload: unknown }
      for (const listener of listeners.get(channel) ?? []) listener(payload)
    }
    socket.onclose = () => {
      socket = null
      if (listeners.size) setTimeout(connect, (retry = Math.min(retry * 2, 5000)))
    }
  }

  return {
    async invoke(channel, payload) {
      let response: Response
      try {
        const binary = hasBytes(payload)
        response = await fetch(new URL(`${WEB_HOST.apiPrefix}${encodeURIComponent(channel)}`, base), {
          method: 'POST',
          headers: { 'Content-Type': binary ? ENVELOPE_CONTENT_TYPE : 'application/json', [WEB_HOST.tokenHeader]: token },
          // A Blob of the parts: the bytes are not joined into one more buffer, nor ever made a string.
          body: binary ? new Blob(encodeEnvelope(payload) as BlobPart[]) : JSON.stringify(payload ?? {}),
        })
      } catch (error) {
        if (error instanceof ApiError) return { ok: false, error: error.toJSON() }
        const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
        return {
          ok: false,
          error: { code: 'internal', message: `The studio host is not reachable (${cause}). Is \`npm run start:web\` still running?` },
        }
      }
      return readResult(response)
    },
    subscribe(channel, listener) {
      let set = listeners.get(channel)
      if (!set) listeners.set(channel, (set = new Set()))
      set.add(listener)
      if (!socket) connect()
      return () => {
        set.delete(listener)
        if (!set.size) listeners.delete(channel)
      }
    },
  }
}

/** A call's answer: JSON, or the binary envelope when it carries bytes. */
async function readResult(response: Response): Promise<CallResult> {
  try {
    if ((response.headers.get('content-type') ?? '').startsWith(ENVELOPE_CONTENT_TYPE)) {
      return decodeEnvelope(new Uint8Array(await response.arrayBuffer())) as CallResult
    }
    return (await response.json()) as CallResult
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return { ok: false, error: { code: 'internal', message: `The studio host's answer (HTTP ${response.status}) could not be read: ${reason}` } }
  }
}

export function detectTransport(): Transport {
  if (window.studioBridge) return bridgeTransport(window.studioBridge)
  const token = document.querySelector<HTMLMetaElement>('meta[name="studio-token"]')?.content
  if (!token) {
    throw new Error('This page was not served by the CNN Studio host. Start it with `npm run start:web` and open the address it prints.')
  }
  return webTransport(token)
}
