import { afterEach, describe, expect, it } from 'vitest'
import { workerClient, type WorkerLike } from '../../renderer/src/workers/client'
import { CancelledError, TimeoutError, type Method } from '../../renderer/src/workers/protocol'
import { serve, type Handlers } from '../../renderer/src/workers/serve'
import { channelWorker } from './worker-stand-ins'

// The page's and the worker's side of the one worker protocol, joined by a real MessageChannel (structured clone
// and transfer lists as between a page and a worker).
type TestMethods = {
  echo: Method<{ text: string; delayMs?: number }, string>
  fail: Method<{ why: string }, never>
  sum: Method<{ values: Float32Array }, { total: number; values: Float32Array }, { done: number }>
  wait: Method<Record<string, never>, 'aborted'>
  /** A long job steered while it runs: echoes each control as progress until told 'stop', answers with them all. */
  steer: Method<{ listenAfterMs: number }, string[], string, string>
}

const closers: (() => void)[] = []
afterEach(() => {
  for (const close of closers.splice(0)) close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A worker stand-in: `serve` runs on one end of a MessageChannel, the client talks to the other. */
function fakeWorker(handlers: Handlers<TestMethods>, sequential = false) {
  const worker = channelWorker((port) => serve<TestMethods>(handlers, { port, sequential }))
  closers.push(() => worker.terminate())
  return worker
}

const aborted: string[] = []
const handlers: Handlers<TestMethods> = {
  async echo({ text, delayMs }) {
    if (delayMs) await sleep(delayMs)
    return text
  },
  fail({ why }) {
    throw new Error(why)
  },
  async sum({ values }, ctx) {
    let total = 0
    for (let i = 0; i < values.length; i++) {
      total += values[i]!
      if (i % 2 === 1) ctx.progress({ done: i + 1 })
    }
    await sleep(1)
    ctx.transfer(values.buffer)
    return { total, values }
  },
  async steer({ listenAfterMs }, ctx) {
    await sleep(listenAfterMs)
    const heard: string[] = []
    return new Promise((resolve) =>
      ctx.onControl((control) => {
        heard.push(control)
        ctx.progress(`heard ${control}`)
        if (control === 'stop') resolve(heard)
      }),
    )
  },
  wait(_request, ctx) {
    return new Promise((resolve) => ctx.signal.addEventListener('abort', () => {
      aborted.push('wait')
      resolve('aborted')
    }))
  },
}

describe('worker request/reply', () => {
  it('answers each call by its id, in any order', async () => {
    const created: ReturnType<typeof fakeWorker>[] = []
    const client = workerClient<TestMethods>(() => (created.push(fakeWorker(handlers)), created.at(-1)!), { crashed: (d) => `crashed: ${d}` })
    const slow = client.call('echo', { text: 'slow', delayMs: 30 })
    const fast = client.call('echo', { text: 'fast' })
    expect(await Promise.race([slow, fast])).toBe('fast')
    expect(await slow).toBe('slow')
    expect(created).toHaveLength(1)
  })

  it("rejects with the worker's error message", async () => {
    const client = workerClient<TestMethods>(() => fakeWorker(handlers), { crashed: (d) => d })
    await expect(client.call('fail', { why: 'The design outputs 3 values but the dataset has 10 classes' })).rejects.toThrow('The design outputs 3 values but the dataset has 10 classes')
    // The worker keeps serving after a failed call.
    expect(await client.call('echo', { text: 'still here' })).toBe('still here')
  })

  it('delivers progress before the result and moves transferred buffers', async () => {
    const client = workerClient<TestMethods>(() => fakeWorker(handlers), { crashed: (d) => d })
    const values = Float32Array.from([1, 2, 3, 4])
    const progress: number[] = []
    const result = await client.call('sum', { values }, { transfer: [values.buffer], onProgress: (p) => progress.push(p.done) })
    expect(values.byteLength).toBe(0) // moved to the worker, not copied
    expect(result.total).toBe(10)
    expect([...result.values]).toEqual([1, 2, 3, 4])
    expect(progress).toEqual([2, 4])
  })

  it('cancels: the call rejects at once and the worker sees its signal abort', async () => {
    const client = workerClient<TestMethods>(() => fakeWorker(handlers), { crashed: (d) => d })
    const abort = new AbortController()
    const call = client.call('wait', {}, { signal: abort.signal })
    await sleep(5)
    abort.abort()
    await expect(call).rejects.toBeInstanceOf(CancelledError)
    await sleep(5)
    expect(aborted).toEqual(['wait'])
    await expect(client.call('echo', { text: 'x' }, { signal: abort.signal })).rejects.toBeInstanceOf(CancelledError)
  })

  it('one worker per call: ended with its call, on a timeout too', async () => {
    const created: ReturnType<typeof fakeWorker>[] = []
    const client = workerClient<TestMethods>(() => (created.push(fakeWorker(handlers)), created.at(-1)!), { perCall: true, crashed: (d) => d })
    expect(await client.call('echo', { text: 'a' })).toBe('a')
    await expect(client.call('echo', { text: 'b', delayMs: 200 }, { timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError)
    expect(created.map((w) => w.terminated)).toEqual([true, true])
  })

  it('a crash fails the calls in flight with the crash message; the next call gets a fresh worker', async () => {
    const created: ReturnType<typeof fakeWorker>[] = []
    const client = workerClient<TestMethods>(() => (created.push(fakeWorker(handlers)), created.at(-1)!), { crashed: (d) => `The evaluation worker crashed: ${d}` })
    const inFlight = client.call('echo', { text: 'never', delayMs: 50 })
    await sleep(5)
    created[0]!.crash('out of memory')
    await expect(inFlight).rejects.toThrow('The evaluation worker crashed: out of memory')
    expect(await client.call('echo', { text: 'again' })).toBe('again')
    expect(created).toHaveLength(2)
    expect(created[0]!.terminated).toBe(true)
  })

  it('sequential: one call at a time, in the order sent', async () => {
    const order: string[] = []
    const client = workerClient<TestMethods>(
      () =>
        fakeWorker(
          {
            ...handlers,
            async echo({ text, delayMs }) {
              order.push(`start ${text}`)
              await sleep(delayMs ?? 0)
              order.push(`end ${text}`)
              return text
            },
          },
          true,
        ),
      { crashed: (d) => d },
    )
    await Promise.all([client.call('echo', { text: 'a', delayMs: 20 }), client.call('echo', { text: 'b' })])
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b'])
  })

  it('a running call hears the page\'s controls in order, those sent before it listened too, and none after it ended', async () => {
    const created: ReturnType<typeof fakeWorker>[] = []
    const client = workerClient<TestMethods>(() => (created.push(fakeWorker(handlers)), created.at(-1)!), { crashed: (d) => d })
    const progress: string[] = []
    const call = client.open('steer', { listenAfterMs: 20 }, { onProgress: (p) => progress.push(p) })
    call.send('pause') // before the handler listens: kept for it
    await sleep(40)
    call.send('resume')
    call.send('stop')
    expect(await call.result).toEqual(['pause', 'resume', 'stop'])
    expect(progress).toEqual(['heard pause', 'heard resume', 'heard stop'])
    // Ended: a late control is not posted at all.
    const posted: unknown[] = []
    const post = created[0]!.postMessage
    created[0]!.postMessage = (m, t) => (posted.push(m), post(m, t))
    call.send('pause')
    expect(posted).toEqual([])
  })

  it('controls go to their own call: two steered calls on one worker', async () => {
    const client = workerClient<TestMethods>(() => fakeWorker(handlers), { crashed: (d) => d })
    const a = client.open('steer', { listenAfterMs: 0 })
    const b = client.open('steer', { listenAfterMs: 0 })
    b.send('b1')
    a.send('a1')
    b.send('stop')
    a.send('stop')
    expect(await a.result).toEqual(['a1', 'stop'])
    expect(await b.result).toEqual(['b1', 'stop'])
  })
})
