/**
 * An in-process transport straight into a ServiceHost: the same validation path both real hosts use (the
 * payload goes through a JSON round trip, as it would over IPC or HTTP). For the CLI and the tests.
 */
import { createClient, type ServiceClient, type ServiceContract, type Transport } from '@shared/api'
import type { ServiceHost } from './service-host'

export function directTransport(host: { readonly services: ServiceHost }): Transport {
  return {
    invoke: (channel, payload) => host.services.call(channel, JSON.parse(JSON.stringify(payload ?? {}))),
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
