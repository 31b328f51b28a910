/**
 * The studio back end, independent of any host: the database, the data folder and every service registered
 * on one ServiceHost. Electron, the browser host and the tests all start it through here.
 */
import { ApiError, appContract, architecturesContract, datasetsContract, enginesContract, exportsContract, hostContract, modelsContract, pipelinesContract, projectsContract, runsContract, workspaceContract, type AppInfo, type HostCapabilities, type HostKind } from '@shared/api'
import { ServiceHost } from './rpc/service-host'
import { createAppService } from './services/app'
import { createArchitecturesService } from './services/architectures'
import { createDatasetsService } from './services/datasets'
import { createExportsService } from './services/exports'
import { createEnginesService, type EnginesService } from './services/engines'
import { createModelsService } from './services/models'
import { createPipelinesService } from './services/pipelines'
import { createProjectsService } from './services/projects'
import { createRunsService } from './services/runs'
import { createWorkspaceService } from './services/workspace'
import { latestSchemaVersion, openDatabase, type Db } from './store/db'
import { DataPaths, storageProblem, sweepOrphanTemps, writeFileAtomic } from './store/files'
import { checkPathArgument } from './store/path-guard'
import { APP_VERSION } from './version'

export interface StudioOptions {
  readonly dataDir: string
  readonly host: HostKind
  readonly capabilities?: Partial<HostCapabilities>
  readonly nativeBinding?: string
  /** The host's native folder picker, where it has one. */
  readonly pickFolder?: (title?: string) => Promise<string | null>
  /** The host's native save dialog, where it has one: the chosen file's path, or null when cancelled. */
  readonly pickSaveFile?: (options: { title?: string; suggestedName: string; filters?: { name: string; extensions: string[] }[] }) => Promise<string | null>
  /**
   * Settle the PyTorch runs a closed studio left "running" (PytorchRunner.settleOrphans), once, at start: the app's
   * hosts do; a CLI command, which opens the data folder for moments, does not.
   */
  readonly settleEngineRuns?: boolean
  /** How often the PyTorch runner reads a training folder (ms; 500 by default; tests that watch streaming go faster). */
  readonly enginePollMs?: number
}

export interface Studio {
  readonly services: ServiceHost
  readonly db: Db
  readonly paths: DataPaths
  readonly info: AppInfo
  /** The engines service (its PyTorch runner: the CLI waits on a run it started). */
  readonly engines: EnginesService
  close(): void
}

export function startStudio(options: StudioOptions): Studio {
  checkPathArgument(options.dataDir, 'The data folder', 'dataDir')
  const db = openDatabase(options.dataDir, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  const paths = new DataPaths(options.dataDir)
  // Temporary files of writes a killed process never finished (a checkpoint, a dataset cache) go first.
  sweepOrphanTemps(options.dataDir)
  const info: AppInfo = {
    name: 'CNN Studio',
    version: APP_VERSION,
    host: options.host,
    hostLabel: options.host === 'electron' ? 'Electron' : 'Browser host',
    dataDir: options.dataDir,
    schemaVersion: latestSchemaVersion,
    capabilities: { canPickFolder: Boolean(options.pickFolder), canDropFolders: false, canSaveFile: Boolean(options.pickSaveFile), ...options.capabilities },
  }
  const services = new ServiceHost(undefined, (error) => {
    const problem = storageProblem(error, options.dataDir)
    return problem ? new ApiError('storage', problem) : null
  })
  services.register(appContract, createAppService(db, info, services.emitter(appContract)))
  services.register(hostContract, {
    pickFolder: ({ title }) => {
      if (!options.pickFolder) {
        throw new ApiError('not_found', 'This host has no folder picker: type or paste the folder path instead.')
      }
      return options.pickFolder(title)
    },
    saveFile: async ({ bytes, ...dialog }) => {
      if (!options.pickSaveFile) throw new ApiError('not_found', 'This host has no save dialog: the page downloads the file instead.')
      const path = await options.pickSaveFile(dialog)
      if (path === null) return null
      writeFileAtomic(checkPathArgument(path, 'The file to save', 'path'), bytes)
      return path
    },
  })
  services.register(projectsContract, createProjectsService(db, paths, services.emitter(projectsContract)))
  services.register(architecturesContract, createArchitecturesService(db, services.emitter(architecturesContract)))
  services.register(pipelinesContract, createPipelinesService(db, services.emitter(pipelinesContract)))
  services.register(runsContract, createRunsService(db, paths, services.emitter(runsContract)))
  const datasets = createDatasetsService(db, paths, services.emitter(datasetsContract))
  services.register(datasetsContract, datasets)
  services.register(modelsContract, createModelsService({ services }))
  services.register(workspaceContract, createWorkspaceService(db, services.emitter(workspaceContract)))
  services.register(exportsContract, createExportsService({ services }, paths))
  const engines = createEnginesService({ services, db, paths }, services.emitter(enginesContract), { settle: options.settleEngineRuns ?? false, ...(options.enginePollMs !== undefined ? { pollMs: options.enginePollMs } : {}) })
  services.register(enginesContract, engines)
  return {
    services,
    db,
    paths,
    info,
    engines,
    close: () => {
      engines.dispose()
      datasets.dispose()
      db.close()
    },
  }
}
