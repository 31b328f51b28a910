/**
 * The browser host: the very same studio services, served to a browser over HTTP (calls) and a WebSocket
 * (events), on 127.0.0.1 only. Every API call and the event socket need the per-launch random token, which
 * only the page served by this host knows (it is written into index.html; other origins cannot read it),
 * and requests must name this host in their Host header (no DNS rebinding).
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { extname, join, normalize, relative, isAbsolute } from 'node:path'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { CallResult } from '@shared/api'
import { CONTENT_SECURITY_POLICY, ISOLATION_HEADERS, MIME_TYPES } from '../host/renderer-headers'
import { resolveServedFile } from '../host/served-files'
import type { ServiceHost } from '../rpc/service-host'

export const API_PREFIX = '/api/'
export const EVENTS_PATH = '/events'
export const FILES_PREFIX = '/files/'
export const TOKEN_HEADER = 'x-studio-token'
const MAX_BODY_BYTES = 256 * 1024 * 1024


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

  const allowedHost = (req: IncomingMessage) => {
    const host = req.headers.host ?? ''
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`
  }
  const tokenOk = (given: string | undefined | null) => {
    if (!given) return false
    const a = Buffer.from(given)
    const b = Buffer.from(token)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  const send = (res: ServerResponse, status: number, body: CallResult) => {
    res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
    res.end(JSON.stringify(body))
  }

  const handleApi = async (req: IncomingMessage, res: ServerResponse, channel: string) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { ...BASE_HEADERS, Allow: 'POST' }).end()
      return
    }
    if (!tokenOk(req.headers[TOKEN_HEADER] as string | undefined)) {
      send(res, 401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong studio token: this API only answers the page served by this host.' } })
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY_BYTES) {
        send(res, 413, { ok: false, error: { code: 'invalid_payload', message: `Request larger than ${MAX_BODY_BYTES} bytes` } })
        req.destroy()
        return
      }
      chunks.push(chunk as Buffer)
    }
    let payload: unknown
    try {
      const text = Buffer.concat(chunks).toString('utf8')
      payload = text.length ? JSON.parse(text) : {}
    } catch {
      send(res, 400, { ok: false, error: { code: 'invalid_payload', message: 'The request body is not valid JSON' } })
      return
    }
    const result = await options.services.call(channel, payload)
    send(res, 200, result)
  }

  const serveDataFile = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (!tokenOk((req.headers[TOKEN_HEADER] as string | undefined) ?? url.searchParams.get('token'))) {
      res.writeHead(401, { ...BASE_HEADERS, 'Content-Type': MIME_TYPES['.txt'] }).end('Missing or wrong studio token')
      return
    }
    const file = resolveServedFile(options.dataDir, decodeURIComponent(url.pathname.slice(FILES_PREFIX.length)))
    if (!file) {
      res.writeHead(404, { ...BASE_HEADERS, 'Content-Type': MIME_TYPES['.txt'] }).end('Not found')
      return
    }
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store', 'Content-Length': statSync(file).size })
    createReadStream(file).pipe(res)
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
    const file = normalize(join(options.rendererDir, decodeURIComponent(pathname)))
    const rel = relative(options.rendererDir, file)
    if (rel.startsWith('..') || isAbsolute(rel) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...BASE_HEADERS, 'Content-Type': MIME_TYPES['.txt'] }).end('Not found')
      return
    }
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Cache-Control': rel.startsWith('assets') ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
    if (req.method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
  }

  const server: Server = createServer((req, res) => {
    if (!allowedHost(req)) {
      res.writeHead(421, { 'Content-Type': MIME_TYPES['.txt'] }).end('Misdirected request: use http://127.0.0.1')
      return
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    if (url.pathname.startsWith(API_PREFIX)) {
      handleApi(req, res, decodeURIComponent(url.pathname.slice(API_PREFIX.length))).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { ok: false, error: { code: 'internal', message: String(error) } })
      })
      return
    }
    if (url.pathname.startsWith(FILES_PREFIX)) {
      serveDataFile(req, res, url)
      return
    }
    serveStatic(req, res, url.pathname)
  })

  const sockets = new Set<WebSocket>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const origin = req.headers.origin
    const originOk = !origin || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
    if (url.pathname !== EVENTS_PATH || !allowedHost(req) || !originOk || !tokenOk(url.searchParams.get('token'))) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
    })
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
