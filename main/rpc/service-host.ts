/**
 * The generic main-side half of the API: services register their contract and implementation once; every
 * transport (Electron IPC, the browser host's HTTP/WebSocket, tests) calls `call(channel, payload)` and
 * listens to `onEvent`. Payloads are validated here with the contract's schema before any service code
 * runs, so a bad payload writes nothing and gets an error naming the field.
 */
import type { z } from 'zod'
import {
  ApiError,
  methodChannel,
  parseChannel,
  type CallResult,
  type FieldIssue,
  type ServiceContract,
  type ServiceEvents,
  type ServiceImpl,
} from '@shared/api'

type Handler = (payload: unknown) => Promise<unknown>
export type EventListener = (channel: string, payload: unknown) => void

export function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
}

export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
}

export type Emitter<C extends ServiceContract> = <K extends keyof C['events'] & string>(
  event: K,
  payload: ServiceEvents<C>[K],
) => void

export class ServiceHost {
  private readonly handlers = new Map<string, Handler>()
  private readonly eventChannels = new Set<string>()
  private readonly listeners = new Set<EventListener>()
  /**
   * `log`: internal errors (not the user's bad input). `explain`: turns an error that is not the studio's own (a
   * full disk, a read-only data folder) into the user's words; null leaves it internal.
   */
  constructor(
    private readonly log: (message: string, error: unknown) => void = (m, e) => console.error(m, e),
    private readonly explain: (error: unknown) => ApiError | null = () => null,
  ) {}

  register<C extends ServiceContract>(contract: C, impl: ServiceImpl<C>): void {
    for (const [name, spec] of Object.entries(contract.methods)) {
      const channel = methodChannel(contract.name, name)
      if (this.handlers.has(channel)) throw new Error(`${channel} is registered twice`)
      const fn = (impl as Record<string, (input: unknown) => unknown>)[name]
      if (typeof fn !== 'function') throw new Error(`${contract.name} implementation lacks method ${name}`)
      this.handlers.set(channel, async (payload) => {
        const parsed = spec.input.safeParse(payload)
        if (!parsed.success) {
          const issues = zodIssues(parsed.error)
          throw new ApiError('invalid_payload', `Invalid request to ${contract.name}.${name}: ${describeIssues(issues)}`, issues)
        }
        return fn.call(impl, parsed.data)
      })
    }
    for (const event of Object.keys(contract.events)) this.eventChannels.add(methodChannel(contract.name, event))
  }

  /** An emitter for one service's events, to hand to its implementation. */
  emitter<C extends ServiceContract>(contract: C): Emitter<C> {
    return (event, payload) => {
      const channel = methodChannel(contract.name, event)
      for (const listener of this.listeners) listener(channel, payload)
    }
  }

  channels(): string[] {
    return [...this.handlers.keys()]
  }

  isEventChannel(channel: string): boolean {
    return this.eventChannels.has(channel)
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async call(channel: unknown, payload: unknown): Promise<CallResult> {
    try {
      if (typeof channel !== 'string' || !parseChannel(channel)) {
        throw new ApiError('unknown_channel', `Refused channel ${JSON.stringify(channel)}: not a studio channel`)
      }
      const handler = this.handlers.get(channel)
      if (!handler) throw new ApiError('unknown_channel', `Unknown API method ${channel}`)
      return { ok: true, value: await handler(payload) }
    } catch (error) {
      if (error instanceof ApiError) return { ok: false, error: error.toJSON() }
      const explained = this.explain(error)
      if (explained) return { ok: false, error: explained.toJSON() }
      this.log(`Internal error in ${String(channel)}`, error)
      const message = error instanceof Error ? error.message : String(error)
      return { ok: false, error: { code: 'internal', message: `Internal error: ${message}` } }
    }
  }
}
