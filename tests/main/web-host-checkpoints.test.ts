/**
 * Checkpoints through the real browser host over HTTP, with the renderer's own web transport and typed client
 * (Node has fetch and Blob): the bytes travel in the binary envelope (shared/api/wire), never as base64. A 96 MiB
 * checkpoint round-trips byte for byte here (STUDIO_TEST_CHECKPOINT_MIB=420 makes it one whose base64 would be
 * longer than V8's longest string: passes in about 80 s on 2 shared cores); the VGG-16 + Adam size (about
 * 1.66 GB) is `npm run bench:checkpoint`. A truncated or corrupt envelope gets 400 naming what is wrong, and
 * nothing is written.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { constants } from 'node:buffer'
import { describe, expect, it, afterEach } from 'vitest'
import { createClient, encodeEnvelope, joinParts, projectsContract, runsContract, WEB_HOST } from '@shared/api'
import { webTransport } from '../../renderer/src/api/transports'
import { startTestHost } from './helpers'

const temps: (() => void | Promise<void>)[] = []
afterEach(async () => {
  for (const c of temps.splice(0).reverse()) await c()
})

/** Bytes that differ everywhere (a shifted or dropped chunk shows), made fast: xorshift32 words. */
function pattern(bytes: number, seed: number): Uint8Array {
  const words = new Uint32Array(bytes / 4)
  let x = seed >>> 0 || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  return new Uint8Array(words.buffer)
}

const MiB = 1024 * 1024
const SIZE_MIB = Number(process.env.STUDIO_TEST_CHECKPOINT_MIB ?? 96)

async function setup() {
  const { web, dataDir } = await startTestHost(temps)
  const transport = webTransport(web.token, web.url)
  const project = await createClient(projectsContract, transport).create({ name: 'big' })
  const runs = createClient(runsContract, transport)
  const run = await runs.create({ projectId: project.id, config: {} })
  return { web, dataDir, runs, run, runDir: join(dataDir, 'projects', String(project.id), 'runs', String(run.id)) }
}

describe('checkpoints through the browser host', () => {
  it(`a ${SIZE_MIB} MiB checkpoint saves (all kinds in one call) and loads back byte-identical, as bytes`, { timeout: 300_000 }, async () => {
    const weights = pattern(Math.round((SIZE_MIB * 2) / 3) * MiB, 1)
    const optimizer = pattern(Math.round(SIZE_MIB / 3) * MiB, 2)
    const { runs, run, runDir } = await setup()
    // Whether its base64 (what the API carried before) would be longer than any string V8 can make.
    const overStringLimit = Math.ceil((weights.byteLength + optimizer.byteLength) / 3) * 4 > constants.MAX_STRING_LENGTH
    expect(overStringLimit).toBe(SIZE_MIB >= 420)
    const meta = { format: 1, epoch: 3, step: 300, names: ['conv1/kernel'] }
    const saved = await runs.saveCheckpoint({ runId: run.id, kinds: ['last', 'best'], epoch: 3, step: 300, meta, weights, optimizer })
    expect(saved.map((c) => c.kind)).toEqual(['last', 'best'])
    expect(saved[0]!.bytes).toBeGreaterThan(weights.byteLength + optimizer.byteLength)
    expect(readdirSync(runDir).sort()).toEqual(['checkpoint-best.ckpt', 'checkpoint-last.ckpt'])
    const loaded = await runs.loadCheckpoint({ id: saved[1]!.id })
    expect(loaded).toMatchObject({ kind: 'best', epoch: 3, step: 300, meta })
    expect(loaded.weights).toBeInstanceOf(Uint8Array)
    expect(loaded.weights.byteLength).toBe(weights.byteLength)
    expect(Buffer.from(loaded.weights.buffer, loaded.weights.byteOffset, loaded.weights.byteLength).equals(weights)).toBe(true)
    expect(Buffer.from(loaded.optimizer.buffer, loaded.optimizer.byteOffset, loaded.optimizer.byteLength).equals(optimizer)).toBe(true)
  })

  it('a truncated or corrupt envelope gets 400 naming what is wrong, and nothing is written', async () => {
    const { web, runs, run, runDir } = await setup()
    const payload = { runId: run.id, kinds: ['last'], epoch: 1, step: 10, meta: {}, weights: pattern(64 * 1024, 3), optimizer: pattern(1024, 4) }
    const good = joinParts(encodeEnvelope(payload))
    const post = async (body: Uint8Array) => {
      const res = await fetch(new URL(`${WEB_HOST.apiPrefix}studio%3Aruns.saveCheckpoint`, web.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', [WEB_HOST.tokenHeader]: web.token },
        body: body as Uint8Array<ArrayBuffer>,
      })
      return { status: res.status, body: (await res.json()) as { ok: boolean; error?: { code: string; message: string } } }
    }
    const headerLength = new DataView(good.buffer).getUint32(4, true)
    const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + headerLength))) as { value: Record<string, unknown>; bytes: { path: unknown[]; length: number }[] }
    const withHeader = (h: unknown, rest = good.subarray(8 + headerLength)) => {
      const text = new TextEncoder().encode(JSON.stringify(h))
      const out = new Uint8Array(8 + text.byteLength + rest.byteLength)
      out.set(good.subarray(0, 4))
      new DataView(out.buffer).setUint32(4, text.byteLength, true)
      out.set(text, 8)
      out.set(rest, 8 + text.byteLength)
      return out
    }
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated in the last part', good.subarray(0, good.byteLength - 100), /truncated: byte part 1 \(optimizer\) needs 1024 bytes, 924 are left/],
      ['truncated in the header', good.subarray(0, 20), /truncated: the header needs/],
      ['bytes after the last part', joinParts([good, new Uint8Array(3)]), /3 bytes follow the last part/],
      ['no magic', joinParts([new Uint8Array([1, 2, 3, 4]), good.subarray(4)]), /envelope magic/],
      ['shorter than the prefix', good.subarray(0, 5), /shorter than the 8-byte envelope prefix/],
      ['a header that is not JSON', joinParts([good.subarray(0, 4), new Uint8Array([4, 0, 0, 0]), new TextEncoder().encode('{{{{')]), /not valid UTF-8 JSON/],
      ['a part aimed at the prototype', withHeader({ ...header, bytes: [{ path: ['__proto__'], length: 64 * 1024 }, header.bytes[1]] }), /does not lead to a place in the value/],
      ['a part aimed at a value that is there', withHeader({ ...header, bytes: [{ path: ['epoch'], length: 64 * 1024 }, header.bytes[1]] }), /not null/],
    ]
    for (const [what, body, message] of cases) {
      const r = await post(body)
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status: 400, code: 'invalid_payload' })
      expect(r.body.error!.message).toMatch(/^The binary body \(envelope\) is damaged: /)
      expect({ what, message: r.body.error!.message }).toEqual({ what, message: expect.stringMatching(message) })
    }
    expect(await runs.checkpoints({ runId: run.id })).toEqual([])
    expect(existsSync(runDir)).toBe(false)
    // The same envelope whole is accepted.
    const ok = await post(good)
    expect(ok).toMatchObject({ status: 200, body: { ok: true } })
    expect((await runs.checkpoints({ runId: run.id })).map((c) => c.kind)).toEqual(['last'])
  })
})
