/**
 * An in-process transport straight into a ServiceHost: the same validation path both real hosts use (the
 * payload goes through the browser host's encoding: JSON, or the binary envelope when it carries bytes, so
 * Uint8Array fields arrive as Uint8Array). For the CLI and the tests.
 */
import { createClient, decodeEnvelope, encodeEnvelope, hasBytes, joinParts, type ServiceClient, type ServiceContract, type Transport } from '@shared/api'
import type { ServiceHost } from './service-host'

export function directTransport(host: { readonly services: ServiceHost }): Transport {
  return {
    invoke: (channel, payload) =>
      host.services.call(channel, hasBytes(payload) ? decodeEnvelope(joinParts(encodeEnvelope(payload))) : JSON.parse(JSON.stringify(payload ?? {}))),
    subscribe: (channel, listener) =>
      host.services.onEvent((c, payload) => {
        if (c === channel) listener(payload)
      }),
  }
}

/** A typed client for one service of an in-process studio (e.g. `clientFor(studio, runsContract)`). */
export function clientFor<C extends ServiceContract>(host: { readonly services: ServiceHost }, contract: C): ServiceClient<C> {
  return createClient(contract, directTransport(host))
}
