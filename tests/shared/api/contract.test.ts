import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ApiError, contracts, createClient, defineService, method, methodChannel, parseChannel, type CallResult, type Transport } from '@shared/api'

describe('channels', () => {
  it('names every method studio:<service>.<method> and parses it back', () => {
    for (const contract of Object.values(contracts)) {
      for (const name of Object.keys(contract.methods)) {
        const channel = methodChannel(contract.name, name)
        expect(channel.startsWith('studio:')).toBe(true)
        expect(parseChannel(channel)).toEqual({ service: contract.name, member: name })
      }
    }
  })
  it.each(['projects.list', 'other:projects.list', 'studio:', 'studio:projects', 'studio:.list', 'studio:projects.', 'studio:pro jects.list', 'studio:a.b.c'])(
    'refuses %s',
    (channel) => expect(parseChannel(channel)).toBeNull(),
  )
})

describe('createClient', () => {
  const demo = defineService('demo', { echo: method<{ text: string }>()(z.object({ text: z.string() })) }, { onDidPing: z.object({ n: z.number() }) })

  it('sends calls on the method channel and unwraps results and errors', async () => {
    const calls: [string, unknown][] = []
    let answer: CallResult = { ok: true, value: { text: 'hi' } }
    const transport: Transport = {
      invoke: async (channel, payload) => {
        calls.push([channel, payload])
        return answer
      },
      subscribe: () => () => {},
    }
    const client = createClient(demo, transport)
    expect(await client.echo({ text: 'hi' })).toEqual({ text: 'hi' })
    expect(calls).toEqual([['studio:demo.echo', { text: 'hi' }]])
    answer = { ok: false, error: { code: 'invalid_payload', message: 'bad', issues: [{ path: 'text', message: 'Required' }] } }
    const error = await client.echo({ text: '' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).issues).toEqual([{ path: 'text', message: 'Required' }])
  })

  it('subscribes to declared events only', () => {
    const subscribed: string[] = []
    const client = createClient(demo, { invoke: async () => ({ ok: true, value: null }), subscribe: (c) => (subscribed.push(c), () => {}) })
    client.on('onDidPing', () => {})
    expect(subscribed).toEqual(['studio:demo.onDidPing'])
    expect(() => client.on('onDidNothing' as 'onDidPing', () => {})).toThrow(/no event/)
  })
})
