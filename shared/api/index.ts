export * from './contract'
export * from './errors'
export * from './transport'
export * from './client'
export * from './wire'
export * from './columns'
export * from './services/app'
export * from './services/projects'
export * from './services/host'
export * from './services/architectures'
export * from './services/datasets'
export * from './services/runs'
export * from './services/pipelines'
export * from './services/versioned'
export * from './services/models'
export * from './services/workspace'
export * from './services/exports'
export * from './services/engines'

import { appContract } from './services/app'
import { projectsContract } from './services/projects'
import { hostContract } from './services/host'
import { architecturesContract } from './services/architectures'
import { datasetsContract } from './services/datasets'
import { runsContract } from './services/runs'
import { pipelinesContract } from './services/pipelines'
import { modelsContract } from './services/models'
import { workspaceContract } from './services/workspace'
import { exportsContract } from './services/exports'
import { enginesContract } from './services/engines'

/** Every service the studio exposes; both hosts serve exactly this list. */
export const contracts = {
  app: appContract,
  host: hostContract,
  projects: projectsContract,
  architectures: architecturesContract,
  datasets: datasetsContract,
  runs: runsContract,
  pipelines: pipelinesContract,
  models: modelsContract,
  workspace: workspaceContract,
  exports: exportsContract,
  engines: enginesContract,
} as const
export type Contracts = typeof contracts
