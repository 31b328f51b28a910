/**
 * Service contracts: one description per service (method input schemas + event payload schemas), from which
 * both transports (Electron IPC and the browser host's HTTP/WebSocket) and the typed client are derived
 * generically. Adding a method to a contract touches neither transport.
 *
 * Channel names: `studio:<service>.<method>` for calls, `studio:<service>.<event>` for events.
 */
import { z } from 'zod'

export const CHANNEL_PREFIX = 'studio:'

/** A method: its input schema and (documentation-only) output type. */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O = unknown> {
  readonly input: I
  /** Phantom: carries the output type for the typed client. */
  readonly output?: O
}

export interface ServiceContract<
  N extends string = string,
  M extends Record<string, MethodSpec> = Record<string, MethodSpec>,
  E extends Record<string, z.ZodType> = Record<string, z.ZodType>,
> {
  readonly name: N
  readonly methods: M
  readonly events: E
}

/** Declare a method whose input is validated by `input` and whose result is `O`. */
export function method<O>() {
  return <I extends z.ZodType>(input: I): MethodSpec<I, O> => ({ input })
}

export function defineService<
  N extends string,
  M extends Record<string, MethodSpec>,
  E extends Record<string, z.ZodType> = Record<never, z.ZodType>,
>(name: N, methods: M, events?: E): ServiceContract<N, M, E> {
  return { name, methods, events: (events ?? {}) as E }
}

export type MethodInput<S extends MethodSpec> = z.input<S['input']>
export type MethodOutput<S extends MethodSpec> = S extends MethodSpec<z.ZodType, infer O> ? O : never

/** The service as its implementation (main side) sees it: parsed input in, result (or promise) out. */
export type ServiceImpl<C extends ServiceContract> = {
  [K in keyof C['methods']]: (
    input: z.output<C['methods'][K]['input']>,
  ) => MethodOutput<C['methods'][K]> | Promise<MethodOutput<C['methods'][K]>>
}

/** Event names in the `onDidX` style and their payloads. */
export type ServiceEvents<C extends ServiceContract> = {
  [K in keyof C['events']]: z.output<C['events'][K]>
}

/** The service as the renderer sees it: every method async; events as subscriptions. */
export type ServiceClient<C extends ServiceContract> = {
  [K in keyof C['methods']]: (input: MethodInput<C['methods'][K]>) => Promise<MethodOutput<C['methods'][K]>>
} & {
  on<K extends keyof C['events'] & string>(event: K, listener: (payload: ServiceEvents<C>[K]) => void): () => void
}

export function methodChannel(service: string, methodName: string): string {
  return `${CHANNEL_PREFIX}${service}.${methodName}`
}

export function parseChannel(channel: string): { service: string; member: string } | null {
  if (!channel.startsWith(CHANNEL_PREFIX)) return null
  const rest = channel.slice(CHANNEL_PREFIX.length)
  const dot = rest.indexOf('.')
  if (dot <= 0 || dot === rest.length - 1) return null
  const service = rest.slice(0, dot)
  const member = rest.slice(dot + 1)
  if (!/^[A-Za-z][\w]*$/.test(service) || !/^[A-Za-z][\w]*$/.test(member)) return null
  return { service, member }
}
