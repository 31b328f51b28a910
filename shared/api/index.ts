export * from './contract'
export * from './errors'
export * from './transport'
export * from './client'
export * from './services/app'
export * from './services/projects'

import { appContract } from './services/app'
import { projectsContract } from './services/projects'

/** Every service the studio exposes; both hosts serve exactly this list. */
export const contracts = { app: appContract, projects: projectsContract } as const
export type Contracts = typeof contracts
