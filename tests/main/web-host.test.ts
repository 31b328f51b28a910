import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startTestHost } from './helpers'

const temps: (() => void | Promise<void>)[] = []
afterEach(async () => {
  for (const c of temps.splice(0).reverse()) await c()
})

const host = () => startTestHost(temps)

describe('browser host', () => {
  it('serves index.html with the token, cross-origin isolation and a CSP', async () => {
    const { web } = await host()
    const res = await fetch(web.url)
    const html = await res.text()
    expect(html).toContain(`<meta name="studio-token" content="${web.token}">`)
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
  })

  it('serves the favicons index.html links, from the packaged resources/ (copied to the renderer root by the build)', async () => {
    const { web, rendererDir } = await host()
    // What the build does with resources/ (electron.vite.config.ts: the renderer's publicDir).
    for (const name of readdirSync('resources')) copyFileSync(join('resources', name), join(rendererDir, name))
    const links = [...readFileSync('renderer/index.html', 'utf8').matchAll(/<link rel="icon" type="([^"]+)"[^>]* href="\/([^"]+)"/g)]
    expect(links.map((m) => m[2])).toEqual(['icon.svg', 'icon-256.png'])
    for (const [, type, name] of links) {
      const res = await fetch(new URL(`/${name}`, web.url))
      expect(res.status, name).toBe(200)
      expect(res.headers.get('content-type')).toBe(type)
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join('resources', name!)))).toBe(true)
    }
    // The path guard still holds next to them.
    expect((await fetch(new URL('/..%2Fresources%2Ficon.svg', web.url))).status).toBe(404)
  })

  it('answers API calls only with the token, and validates payloads', async () => {
    const { web } = await host()
    const call = (token: string | null, body: string) =>
      fetch(new URL('/api/studio%3Aprojects.create', web.url), { method: 'POST', headers: token ? { 'X-Studio-Token': token } : {}, body })
    expect((await call(null, '{"name":"x"}')).status).toBe(401)
    expect((await call('wrong'.padEnd(web.token.length, 'x'), '{"name":"x"}')).status).toBe(401)
    expect(await (await call(web.token, '{not json')).json()).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    expect(await (await call(web.token, '{"name":""}')).json()).toMatchObject({ ok: false, error: { issues: [{ path: 'name' }] } })
    expect(await (await call(web.token, '{"name":"Digits"}')).json()).toMatchObject({ ok: true, value: { name: 'Digits' } })
  })

  it('serves dataset cache files to the token holder only, and nothing else from the data folder', async () => {
    const { web, dataDir } = await host()
    mkdirSync(join(dataDir, 'datasets', '3'), { recursive: true })
    writeFileSync(join(dataDir, 'datasets', '3', 'images.u8'), Buffer.from([1, 2, 3]))
    const get = (path: string, token: string | null = web.token) =>
      fetch(new URL(`/files/${path}`, web.url), { headers: token ? { 'X-Studio-Token': token } : {} })
    const ok = await get('datasets/3/images.u8')
    expect(ok.status).toBe(200)
    expect([...new Uint8Array(await ok.arrayBuffer())]).toEqual([1, 2, 3])
    expect((await get('datasets/3/images.u8', null)).status).toBe(401)
    expect((await get('studio.db')).status).toBe(404)
    expect((await get('datasets/3/..%2F..%2Fstudio.db')).status).toBe(404)
    expect((await get('datasets/4/images.u8')).status).toBe(404)
  })
})

/** A raw HTTP/1.1 request (fetch would normalise or refuse the malformed targets these tests send). */
function rawRequest(port: number, target: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const lines = [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
      socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    })
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (data += chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data)
      if (!match) reject(new Error(`No HTTP response to ${target}: ${JSON.stringify(data.slice(0, 200))}`))
      else resolve({ status: Number(match[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) })
    })
  })
}

describe('browser host: malformed requests', () => {
  it('answers a malformed percent-escape with 400 and keeps serving', async () => {
    const { web } = await host()
    expect((await rawRequest(web.port, '/%E0%A4%A')).status).toBe(400)
    const after = await fetch(web.url)
    expect(after.status).toBe(200)
    expect(await after.text()).toContain('studio')
  })

  it('answers 400 to every malformed target, on every route, and keeps serving', async () => {
    const { web } = await host()
    const targets = ['/%', '/%zz', '/assets/%E0%A4%A.js', '/files/%E0%A4%A', '/files/datasets/1/images.u8%00', '/api/%E0%A4%A', '/a%00b', '//[', '//', '*']
    for (const target of targets) {
      const res = await rawRequest(web.port, target, { 'X-Studio-Token': web.token })
      expect({ target, status: res.status }).toEqual({ target, status: 400 })
    }
    expect((await rawRequest(web.port, '/events?token=x', { Upgrade: 'websocket', Connection: 'Upgrade' })).status).toBe(401)
    expect((await fetch(web.url)).status).toBe(200)
  })

  it('a request that fails inside the host gets 500 with the reason logged, and the host keeps serving', async () => {
    // A service layer that throws where it should answer: the fault no client input should be able to cause.
    const { web } = await startTestHost(temps, {
      services: (studio) => {
        const services = Object.create(studio.services) as typeof studio.services
        services.call = () => {
          throw new Error('disk on fire')
        }
        return services
      },
    })
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    temps.push(() => logged.mockRestore())
    const res = await fetch(new URL('/api/studio%3Aprojects.list', web.url), { method: 'POST', headers: { 'X-Studio-Token': web.token }, body: '{}' })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringContaining('disk on fire') } })
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('disk on fire'))
    expect((await fetch(web.url)).status).toBe(200)
  })
})
