/**
 * The browser host's security, checked against a real host on 127.0.0.1 (and, for the cross-origin case, from a
 * real Chromium page served by this test on another port): where it listens, which requests need the token and
 * where the token may travel, the Host and Origin checks.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import NodeWebSocket from 'ws'
import { WEB_HOST } from '../../shared/api/transport'
import { startTestHost } from './helpers'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const temps: (() => void | Promise<void>)[] = []
afterEach(async () => {
  for (const c of temps.splice(0).reverse()) await c()
})

async function host() {
  const { web, studio, dataDir } = await startTestHost(temps)
  mkdirSync(join(dataDir, 'datasets', '3'), { recursive: true })
  writeFileSync(join(dataDir, 'datasets', '3', 'images.u8'), Buffer.from([7, 8, 9]))
  const projectCount = async () => {
    const result = await studio.services.call('studio:projects.list', {})
    if (!result.ok) throw new Error(result.error.message)
    return (result.value as unknown[]).length
  }
  return { web, studio, dataDir, projectCount }
}

const api = (web: { url: string }, channel: string, headers: Record<string, string>, body = '{}') =>
  fetch(new URL(`${WEB_HOST.apiPrefix}${encodeURIComponent(channel)}`, web.url), { method: 'POST', headers, body })

/** Opens the event socket; resolves with the HTTP status it was refused with, or 101 and the first message. */
function events(port: number, protocols: string[], options: { query?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; socket?: NodeWebSocket }>((resolve, reject) => {
    const ws = new NodeWebSocket(`ws://127.0.0.1:${port}${WEB_HOST.eventsPath}${options.query ?? ''}`, protocols, { headers: options.headers })
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 })
      ws.terminate()
    })
    ws.on('open', () => resolve({ status: 101, socket: ws }))
    ws.on('error', (error) => reject(error))
  })
}
const tokenProtocols = (token: string) => [WEB_HOST.eventsProtocol, `${WEB_HOST.eventsTokenProtocolPrefix}${token}`]

function tryConnect(address: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port }, () => {
      socket.destroy()
      resolve('connected')
    })
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
  })
}

describe('browser host: where it listens', () => {
  it('binds 127.0.0.1 only: other loopback addresses, IPv6 and the network interfaces are refused', async () => {
    const { web } = await host()
    expect(await tryConnect('127.0.0.1', web.port)).toBe('connected')
    const others = ['127.0.0.2', '::1']
    for (const list of Object.values(networkInterfaces())) {
      for (const entry of list ?? []) if (!entry.internal) others.push(entry.address.split('%')[0]!)
    }
    for (const address of others) {
      expect({ address, result: await tryConnect(address, web.port) }).not.toEqual({ address, result: 'connected' })
    }
  })
})

describe('browser host: the token', () => {
  it('every API channel refuses a call without the token, or with a wrong one', async () => {
    const { web, studio } = await host()
    const channels = studio.services.channels()
    expect(channels.length).toBeGreaterThan(20)
    const wrong = 'x'.repeat(web.token.length)
    for (const channel of channels) {
      const none = await api(web, channel, {})
      const bad = await api(web, channel, { [WEB_HOST.tokenHeader]: wrong })
      expect({ channel, none: none.status, bad: bad.status }).toEqual({ channel, none: 401, bad: 401 })
    }
    // The token in the query string is not a token.
    const query = await fetch(new URL(`/api/studio%3Aprojects.list?token=${web.token}`, web.url), { method: 'POST', body: '{}' })
    expect(query.status).toBe(401)
    expect((await api(web, 'studio:projects.list', { [WEB_HOST.tokenHeader]: web.token })).status).toBe(200)
  })

  it('data files need the token in the header; a token in the query string is refused', async () => {
    const { web } = await host()
    const file = new URL('/files/datasets/3/images.u8', web.url)
    expect((await fetch(file)).status).toBe(401)
    expect((await fetch(`${file.href}?token=${web.token}`)).status).toBe(401)
    const ok = await fetch(file, { headers: { [WEB_HOST.tokenHeader]: web.token } })
    expect(ok.status).toBe(200)
    expect([...new Uint8Array(await ok.arrayBuffer())]).toEqual([7, 8, 9])
  })

  it('the event socket takes the token as a subprotocol, never from the query string, and never echoes it', async () => {
    const { web } = await host()
    expect((await events(web.port, [WEB_HOST.eventsProtocol])).status).toBe(401)
    expect((await events(web.port, [WEB_HOST.eventsProtocol], { query: `?token=${web.token}` })).status).toBe(401)
    expect((await events(web.port, tokenProtocols('x'.repeat(web.token.length)))).status).toBe(401)
    const { status, socket } = await events(web.port, tokenProtocols(web.token))
    expect(status).toBe(101)
    expect(socket!.protocol).toBe(WEB_HOST.eventsProtocol)
    const message = new Promise<string>((resolve) => socket!.once('message', (data: Buffer) => resolve(data.toString())))
    expect((await api(web, 'studio:projects.create', { [WEB_HOST.tokenHeader]: web.token }, '{"name":"Digits"}')).status).toBe(200)
    expect(JSON.parse(await message)).toMatchObject({ payload: { kind: 'created' } })
    socket!.close()
  })
})

describe('browser host: Host and Origin', () => {
  it('refuses another Host name (DNS rebinding) on every route', async () => {
    const { web } = await host()
    // fetch cannot set Host; a raw request can.
    const status = (target: string, method = 'GET') =>
      new Promise<number>((resolve, reject) => {
        const socket = connect(web.port, '127.0.0.1', () =>
          socket.write(`${method} ${target} HTTP/1.1\r\nHost: attacker.example:${web.port}\r\n${WEB_HOST.tokenHeader}: ${web.token}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`),
        )
        let data = ''
        socket.on('data', (chunk: Buffer) => (data += chunk.toString()))
        socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1])))
        socket.on('error', reject)
      })
    expect(await status('/')).toBe(421)
    expect(await status('/api/studio%3Aprojects.list', 'POST')).toBe(421)
    expect(await status('/files/datasets/3/images.u8')).toBe(421)
    expect((await events(web.port, tokenProtocols(web.token), { headers: { Host: `attacker.example:${web.port}` } })).status).toBe(421)
  })

  it('refuses, even with the right token, a request a browser marks as coming from another origin', async () => {
    const { web, projectCount } = await host()
    const token = { [WEB_HOST.tokenHeader]: web.token }
    const foreign: Record<string, string>[] = [
      { Origin: 'http://127.0.0.1:1' },
      { Origin: 'http://attacker.example' },
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'same-site' },
      { 'Sec-Fetch-Site': 'cross-site' },
    ]
    for (const headers of foreign) {
      const call = await api(web, 'studio:projects.create', { ...token, ...headers }, '{"name":"Stolen"}')
      const file = await fetch(new URL('/files/datasets/3/images.u8', web.url), { headers: { ...token, ...headers } })
      const socket = await events(web.port, tokenProtocols(web.token), { headers })
      expect({ headers, call: call.status, file: file.status, socket: socket.status }).toEqual({ headers, call: 403, file: 403, socket: 403 })
    }
    expect(await projectCount()).toBe(0)
    // Our own origin, as the studio page sends it, is accepted.
    const own = { Origin: `http://127.0.0.1:${web.port}`, 'Sec-Fetch-Site': 'same-origin' }
    expect((await api(web, 'studio:projects.create', { ...token, ...own }, '{"name":"Mine"}')).status).toBe(200)
    expect((await events(web.port, tokenProtocols(web.token), { headers: own })).status).toBe(101)
    expect(await projectCount()).toBe(1)
  })
})

describe('browser host: a page of another origin, in Chromium', () => {
  let browser: Browser
  let attacker: Server
  let attackerUrl: string
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'] })
    attacker = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>another site</body></html>'))
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => attacker?.close(resolve))
  })

  /** Every way a page could try to reach the host; even handed the token, each must fail. */
  const attempts = async ({ base, token, wsUrl }: { base: string; token: string; wsUrl: string }) => {
    const outcome = async (run: () => Promise<string>) => {
      try {
        return await run()
      } catch (error) {
        return `failed: ${String(error)}`
      }
    }
    const header = { 'x-studio-token': token }
    return {
      call: await outcome(async () => {
        const r = await fetch(`${base}api/studio%3Aprojects.create`, { method: 'POST', headers: { ...header, 'Content-Type': 'application/json' }, body: '{"name":"Stolen"}' })
        return `${r.status} ${await r.text()}`
      }),
      simpleCall: await outcome(async () => {
        const r = await fetch(`${base}api/studio%3Aprojects.create?token=${token}`, { method: 'POST', mode: 'no-cors', body: '{"name":"Stolen"}' })
        return `opaque ${r.type}`
      }),
      list: await outcome(async () => {
        const r = await fetch(`${base}api/studio%3Aprojects.list`, { method: 'POST', headers: header, body: '{}' })
        return `${r.status} ${await r.text()}`
      }),
      file: await outcome(async () => {
        const r = await fetch(`${base}files/datasets/3/images.u8`, { headers: header })
        return `${r.status} ${[...new Uint8Array(await r.arrayBuffer())].join(',')}`
      }),
      index: await outcome(async () => {
        const r = await fetch(base)
        return `${r.status} ${await r.text()}`
      }),
      socket: await new Promise<string>((resolve) => {
        const ws = new WebSocket(wsUrl, ['studio-events', `studio-token.${token}`])
        ws.onopen = () => {
          ws.close()
          resolve('opened')
        }
        ws.onerror = () => resolve('failed')
      }),
    }
  }

  it('cannot call the API, read data files or the token, or open the event socket, even knowing the token', async () => {
    const { web, projectCount } = await host()
    const page = await browser.newPage()
    try {
      const args = { base: web.url, token: web.token, wsUrl: `ws://127.0.0.1:${web.port}/events` }
      await page.goto(attackerUrl)
      const foreign = await page.evaluate(attempts, args)
      for (const [what, result] of Object.entries(foreign)) {
        expect({ what, refused: result.startsWith('failed') || result.startsWith('opaque') || /^40[13] /.test(result) }).toEqual({ what, refused: true })
      }
      expect(foreign.file).not.toContain('7,8,9')
      expect(foreign.index).not.toContain(web.token)
      expect(await projectCount()).toBe(0)

      // The control: the same attempts from the host's own page succeed, so the refusals above are the host's doing.
      await page.goto(web.url)
      const own = await page.evaluate(attempts, args)
      expect(own.call).toMatch(/^200 .*"ok":true/)
      expect(own.file).toBe('200 7,8,9')
      expect(own.socket).toBe('opened')
      expect(own.index).toContain(web.token)
      expect(await projectCount()).toBe(1)
    } finally {
      await page.close()
    }
  }, 60_000)
})
