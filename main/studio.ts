/**
 * The studio back end, independent of any host: the database, the data folder and every service registered
 * on one ServiceHost. Electron, the browser host and the tests all start it through here.
 */
import { appContract, projectsContract, type AppInfo, type HostCapabilities, type HostKind } from '@shared/api'
import { ServiceHost } from './rpc/service-host'
import { createAppService } from './services/app'
import { createProjectsService } from './services/projects'
import { latestSchemaVersion, openDatabase, type Db } from './store/db'
import { DataPaths } from './store/files'
import { APP_VERSION } from './version'

export interface StudioOptions {
  readonly dataDir: string
  readonly host: HostKind
  readonly capabilities?: Partial<HostCapabilities>
  readonly nativeBinding?: string
}

export interface Studio {
  readonly services: ServiceHost
  readonly db: Db
  readonly paths: DataPaths
  readonly info: AppInfo
  close(): void
}

export function startStudio(options: StudioOptions): Studio {
  const db = openDatabase(options.dataDir, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  const paths = new DataPaths(options.dataDir)
  const info: AppInfo = {
    name: 'CNN Studio',
    version: APP_VERSION,
    host: options.host,
    hostLabel: options.host === 'electron' ? 'Electron' : 'Browser host',
    dataDir: options.dataDir,
    schemaVersion: latestSchemaVersion,
    capabilities: { canPickFolder: false, canDropFolders: false, ...options.capabilities },
  }
  const services = new ServiceHost()
  services.register(appContract, createAppService(db, info, services.emitter(appContract)))
  services.register(projectsContract, createProjectsService(db, paths, services.emitter(projectsContract)))
  return {
    services,
    db,
    paths,
    info,
    close: () => db.close(),
  }
}
