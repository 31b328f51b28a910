import { methodChannel, type ServiceClient, type ServiceContract } from './contract'
import { ApiError } from './errors'
import type { Transport } from './transport'

/** A typed client for one service over any transport. Payloads are validated again on the main side. */
export function createClient<C extends ServiceContract>(contract: C, transport: Transport): ServiceClient<C> {
  const client: Record<string, unknown> = {
    on(event: string, listener: (payload: unknown) => void) {
      if (!(event in contract.events)) throw new Error(`${contract.name} has no event "${event}"`)
      return transport.subscribe(methodChannel(contract.name, event), listener)
    },
  }
  for (const name of Object.keys(contract.methods)) {
    client[name] = async (input: unknown) => {
      const result = await transport.invoke(methodChannel(contract.name, name), input ?? {})
      if (result.ok) return result.value
      throw ApiError.from(result.error)
    }
  }
  return client as ServiceClient<C>
}
