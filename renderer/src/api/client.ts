import { contracts, createClient, type Contracts, type ServiceClient, type Transport } from '@shared/api'
import { detectTransport } from './transports'

export type Api = { [K in keyof Contracts]: ServiceClient<Contracts[K]> }

export function createApi(transport: Transport): Api {
  const api = {} as Record<string, unknown>
  for (const [key, contract] of Object.entries(contracts)) api[key] = createClient(contract, transport)
  return api as Api
}

let instance: Api | null = null

/** The renderer's one way to the back end. */
export function api(): Api {
  return (instance ??= createApi(detectTransport()))
}
