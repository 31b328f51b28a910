/**
 * The browser host: the very same studio services, served to a browser over HTTP (calls) and a WebSocket
 * (events), on 127.0.0.1 only. Every API call, data file and the event socket need the per-launch random token,
 * which only the page served by this host knows (it is written into index.html; other origins cannot read it),
 * always in a header (X-Studio-Token; for the WebSocket, which cannot send one, a Sec-WebSocket-Protocol entry),
 * never in the URL. Requests must name this host in their Host header (no DNS rebinding), and a request a
 * browser marks as coming from another origin (Origin, Sec-Fetch-Site) is refused even with the token.
 * A call's body is JSON, or the binary envelope (shared/api/wire, `application/octet-stream`) when it carries
 * bytes (a checkpoint's weights); a result that carries bytes is answered as an envelope too.
 * A malformed request gets 400 and a failing one 500 with the reason logged: nothing a client sends can end
 * the process (and with it a running training).
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { extname, join, relative } from 'node:path'
import type { AddressInfo } from 'node:net'
import { constants as bufferConstants } from 'node:buffer'
import { pipeline, type Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { ApiError, decodeEnvelope, encodeEnvelope, envelopeLength, ENVELOPE_CONTENT_TYPE, hasBytes, WEB_HOST, type CallResult } from '@shared/api'
import { CONTENT_SECURITY_POLICY, ISOLATION_HEADERS, MIME_TYPES } from '../host/renderer-headers'
import { decodeRequestPath, resolveRendererFile, resolveServedFile } from '../host/served-files'
import type { ServiceHost } from '../rpc/service-host'

const API_PREFIX = WEB_HOST.apiPrefix
const EVENTS_PATH = WEB_HOST.eventsPath
const FILES_PREFIX = WEB_HOST.filesPrefix
const TOKEN_HEADER = WEB_HOST.tokenHeader
const EVENTS_PROTOCOL = WEB_HOST.eventsProtocol
const EVENTS_TOKEN_PROTOCOL_PREFIX = WEB_HOST.eventsTokenProtocolPrefix
/** A JSON body (no bytes in it). */
const MAX_BODY_BYTES = 256 * 1024 * 1024
/** A binary envelope (a checkpoint: VGG-16 with Adam state is about 1.7 GB): what one Node buffer holds. */
const MAX_ENVELOPE_BYTES = Math.min(bufferConstants.MAX_LENGTH, 4 * 1024 ** 3) - 1

const contentTypeOf = (req: IncomingMessage) => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()

/**
 * The decoded path of a request target, or null when it is malformed: not a path (`*`, `//host`, absolute form),
 * a bad percent-escape, or a NUL byte. The WHATWG parser resolves `.` and `..` segments (also `%2e%2e`).
 */
export function parseRequestPath(target: string | undefined): string | null {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return null
  try {
    return decodeRequestPath(new URL(target, 'http://127.0.0.1').pathname)
  } catch {
    return null
  }
}

/** Cross-origin isolation (needed by the WASM backend's threads) and the usual hardening. */
const BASE_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  ...ISOLATION_HEADERS,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
}

export interface WebHostOptions {
  readonly services: ServiceHost
  /** The data folder, for the dataset cache files served under /files/. */
  readonly dataDir: string
  readonly rendererDir: string
  readonly port?: number
  readonly token?: string
}

export interface WebHost {
  readonly url: string
  readonly port: number
  readonly token: string
  close(): Promise<void>
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const indexFile = join(options.rendererDir, 'index.html')
  if (!existsSync(indexFile)) {
    throw new Error(`The renderer is not built: ${indexFile} is missing. Run "npm run build" first.`)
  }
  const indexHtml = readFileSync(indexFile, 'utf8').replace(
    '</head>',
    `<meta name="studio-host" content="browser"><meta name="studio-token" content="${token}"></head>`,
  )
  let port = options.port ?? 0

  const ownOrigins = () => [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
  const allowedHost = (req: IncomingMessage) => {
    const host = req.headers.host ?? ''
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`
  }
  /**
   * False when a browser says the request comes from a page of another origin: its Origin (sent with every
   * cross-origin fetch, every POST and every WebSocket) is not ours, or Sec-Fetch-Site is not same-origin (or
   * none: typed by the user). Clients that are not browsers send neither; they still need the token.
   */
  const sameOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin
    if (origin !== undefined && !ownOrigins().includes(origin)) return false
    const site = req.headers['sec-fetch-site']
    return site === undefined || site === 'same-origin' || site === 'none'
  }
  const tokenOk = (given: string | undefined | null) => {
    if (!given) return false
    const a = Buffer.from(given)
    const b = Buffer.from(token)
    return a.length === b.length && timingSafeEqual(a, b)
  }
  const headerToken = (req: IncomingMessage) => {
    const value = req.headers[TOKEN_HEADER]
    return typeof value === 'string' ? value : undefined
  }

  const send = (res: ServerResponse, status: number, body: CallResult) => {
    res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
    res.end(JSON.stringify(body))
  }
  const sendText = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': MIME_TYPES['.txt'], 'Cache-Control': 'no-store' }).end(text)
  }
  /** Streams a file; a read error (the file removed meanwhile, a disk error) ends this response, not the host. */
  const sendFile = (res: ServerResponse, file: string) => {
    pipeline(createReadStream(file), res, (error) => {
      if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') console.error(`Browser host: could not send ${file}: ${error.message}`)
    })
  }

  const refusedOrigin = 'Refused: this request comes from a page of another origin; only the studio page served by this host may call it.'
  const unauthorized = 'Missing or wrong studio token: this API only answers the page served by this host.'

  const handleApi = async (req: IncomingMessage, res: ServerResponse, channel: string) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { ...BASE_HEADERS, Allow: 'POST' }).end()
      return
    }
    if (!sameOrigin(req)) {
      send(res, 403, { ok: false, error: { code: 'unauthorized', message: refusedOrigin } })
      return
    }
    if (!tokenOk(headerToken(req))) {
      send(res, 401, { ok: false, error: { code: 'unauthorized', message: unauthorized } })
      return
    }
    const envelope = contentTypeOf(req) === ENVELOPE_CONTENT_TYPE
    const body = await readBody(req, res, envelope ? MAX_ENVELOPE_BYTES : MAX_BODY_BYTES)
    if (!body) return
    let payload: unknown
    if (envelope) {
      try {
        payload = decodeEnvelope(body)
      } catch (error) {
        send(res, 400, { ok: false, error: error instanceof ApiError ? error.toJSON() : { code: 'invalid_payload', message: String(error) } })
        return
      }
    } else {
      try {
        const text = body.toString('utf8')
        payload = text.length ? JSON.parse(text) : {}
      } catch {
        send(res, 400, { ok: false, error: { code: 'invalid_payload', message: 'The request body is not valid JSON' } })
        return
      }
    }
    const result = await options.services.call(channel, payload)
    if (result.ok && hasBytes(result.value)) sendEnvelope(res, result)
    else send(res, 200, result)
  }

  /**
   * The whole request body, at most `limit` bytes (413 beyond). With a Content-Length the buffer is allocated
   * once (a checkpoint of a GB is not held twice); a body shorter than declared gets 400. Null when answered.
   */
  const readBody = async (req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | null> => {
    const tooLarge = () => {
      send(res, 413, { ok: false, error: { code: 'invalid_payload', message: `Request larger than ${limit} bytes` } })
      req.destroy()
      return null
    }
    const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length'])
    if (declared !== null && declared > limit) return tooLarge()
    if (declared !== null && Number.isSafeInteger(declared)) {
      const body = Buffer.allocUnsafe(declared)
      let size = 0
      for await (const chunk of req) {
        const c = chunk as Buffer
        if (size + c.length > declared) {
          send(res, 400, { ok: false, error: { code: 'invalid_payload', message: `The request body is longer than its Content-Length (${declared} bytes)` } })
          req.destroy()
          return null
        }
        c.copy(body, size)
        size += c.length
      }
      if (size !== declared) {
        send(res, 400, { ok: false, error: { code: 'invalid_payload', message: `The request body ended after ${size} of its ${declared} bytes` } })
        return null
      }
      return body
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > limit) return tooLarge()
      chunks.push(chunk as Buffer)
    }
    return Buffer.concat(chunks)
  }

  /** A result that carries bytes, as the binary envelope: its parts written as they are (no joined copy). */
  const sendEnvelope = (res: ServerResponse, result: CallResult) => {
    const parts = encodeEnvelope(result)
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': ENVELOPE_CONTENT_TYPE, 'Content-Length': envelopeLength(parts), 'Cache-Control': 'no-store' })
    for (const p of parts) res.write(p)
    res.end()
  }

  const serveDataFile = (req: IncomingMessage, res: ServerResponse, relativePath: string) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...BASE_HEADERS, Allow: 'GET, HEAD' }).end()
      return
    }
    if (!sameOrigin(req)) {
      sendText(res, 403, refusedOrigin)
      return
    }
    // Header only: a token in the URL would end up in logs, history and Referer headers.
    if (!tokenOk(headerToken(req))) {
      sendText(res, 401, `Missing or wrong studio token (send it in the ${TOKEN_HEADER} header)`)
      return
    }
    const file = resolveServedFile(options.dataDir, relativePath)
    if (!file) {
      sendText(res, 404, 'Not found')
      return
    }
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store', 'Content-Length': statSync(file).size })
    if (req.method === 'HEAD') res.end()
    else sendFile(res, file)
  }

  const serveStatic = (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, BASE_HEADERS).end()
      return
    }
    if (pathname === '/' || pathname === '/index.html') {
      res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': MIME_TYPES['.html'], 'Cache-Control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : indexHtml)
      return
    }
    const file = resolveRendererFile(options.rendererDir, pathname)
    if (!file) {
      sendText(res, 404, 'Not found')
      return
    }
    const rel = relative(options.rendererDir, file)
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Cache-Control': rel.startsWith('assets') ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
    if (req.method === 'HEAD') res.end()
    else sendFile(res, file)
  }

  const handleRequest = async (req: IncomingMessage, res: ServerResponse) => {
    if (!allowedHost(req)) {
      res.writeHead(421, { 'Content-Type': MIME_TYPES['.txt'] }).end('Misdirected request: use http://127.0.0.1')
      return
    }
    const target = parseRequestPath(req.url)
    if (!target) {
      sendText(res, 400, 'Bad request: the address is not a valid path (malformed percent-escape, NUL byte or not a path)')
      return
    }
    if (target.startsWith(API_PREFIX)) await handleApi(req, res, target.slice(API_PREFIX.length))
    else if (target.startsWith(FILES_PREFIX)) serveDataFile(req, res, target.slice(FILES_PREFIX.length))
    else serveStatic(req, res, target)
  }

  /** Whatever goes wrong in one request ends that request with 500 and a logged reason, never the process. */
  const failRequest = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`Browser host: ${req.method ?? '?'} ${req.url ?? '?'} failed: ${reason}`)
    if (!res.headersSent) send(res, 500, { ok: false, error: { code: 'internal', message: `The studio host could not answer: ${reason}` } })
    else res.destroy()
  }

  const server: Server = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => failRequest(req, res, error))
  })
  // An idle kept-alive connection is closed after a minute, not Node's 5 s: a client that spends seconds building a
  // large body (a checkpoint) would otherwise send it on a socket the host is closing (ECONNRESET).
  server.keepAliveTimeout = 60_000
  // Node ends a request not received within 5 minutes; a checkpoint of gigabytes on a busy machine may take longer.
  server.requestTimeout = 30 * 60_000
  server.on('clientError', (error, socket) => {
    // Node's parser refused the request (bad request line, oversized headers): 400, as Node does by default.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })

  /** The token offered as a `studio-token.<token>` subprotocol (a browser WebSocket cannot send headers). */
  const protocolToken = (req: IncomingMessage) =>
    (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith(EVENTS_TOKEN_PROTOCOL_PREFIX))
      ?.slice(EVENTS_TOKEN_PROTOCOL_PREFIX.length)

  const sockets = new Set<WebSocket>()
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    // Answer with the plain protocol name: the token is never echoed back.
    handleProtocols: (protocols) => (protocols.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  })
  wss.on('error', (error) => console.error(`Browser host: event socket server error: ${error.message}`))
  const refuseUpgrade = (socket: Duplex, status: string) => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`)
  }
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    try {
      const target = parseRequestPath(req.url)
      if (!target) return refuseUpgrade(socket, '400 Bad Request')
      if (target !== EVENTS_PATH) return refuseUpgrade(socket, '404 Not Found')
      if (!allowedHost(req)) return refuseUpgrade(socket, '421 Misdirected Request')
      if (!sameOrigin(req)) return refuseUpgrade(socket, '403 Forbidden')
      if (!tokenOk(protocolToken(req))) return refuseUpgrade(socket, '401 Unauthorized')
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws)
        ws.on('error', (error) => console.error(`Browser host: event socket closed on error: ${error.message}`))
        ws.on('close', () => sockets.delete(ws))
      })
    } catch (error) {
      console.error(`Browser host: event socket upgrade failed: ${error instanceof Error ? error.message : String(error)}`)
      socket.destroy()
    }
  })
  const offEvents = options.services.onEvent((channel, payload) => {
    const message = JSON.stringify({ channel, payload })
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(message)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is already in use on 127.0.0.1. Choose another with --port, or omit it to use a free one.`)
          : error,
      )
    })
    server.listen(port, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        offEvents()
        for (const ws of sockets) ws.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
