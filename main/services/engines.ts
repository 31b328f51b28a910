/**
 * The engines service (shared/api/services/engines.ts): the engine list with the PyTorch probe (main/engines/python.ts,
 * cached until refreshed), the interpreter setting (`settings` table), the PyTorch runner (main/engines/runner.ts) and
 * "Import results..." (main/engines/import.ts).
 */
import { ApiError, enginesContract, type EngineInfo, type ServiceImpl } from '@shared/api'
import { importPytorchFolder, runForFolder, type StudioHandle } from '../engines/import'
import { detectPytorch, INTERPRETER_SETTING, tfjsEngine } from '../engines/python'
import { PytorchRunner } from '../engines/runner'
import type { Emitter } from '../rpc/service-host'
import { checkPathArgument } from '../store/path-guard'

export interface EnginesService extends ServiceImpl<typeof enginesContract> {
  readonly runner: PytorchRunner
  /** The PyTorch runs that no process trains any more, settled once at start (PytorchRunner.settleOrphans). */
  readonly settled: Promise<number[]>
  dispose(): void
}

export function createEnginesService(host: StudioHandle, emit: Emitter<typeof enginesContract>, options: { pollMs?: number; stopGraceMs?: number; settle?: boolean } = {}): EnginesService {
  const { db } = host
  const getSetting = () => (db.prepare('SELECT value FROM settings WHERE key = ?').get(INTERPRETER_SETTING) as { value: string } | undefined)?.value ?? null
  let cached: Promise<EngineInfo> | null = null
  const pytorch = (refresh = false): Promise<EngineInfo> => {
    if (cached === null || refresh) {
      const p = detectPytorch(getSetting())
      cached = p
      p.catch(() => {
        if (cached === p) cached = null
      })
    }
    return cached
  }
  const list = async (refresh = false): Promise<EngineInfo[]> => [tfjsEngine(), await pytorch(refresh)]
  const { settle, ...runnerOptions } = options
  const runner = new PytorchRunner({ host, paths: host.paths, emit, ...runnerOptions })
  // Only when there is something to settle is Python looked for (it takes a second or two).
  const orphans = () => (host.db.prepare("SELECT 1 FROM runs WHERE status IN ('running', 'paused') AND json_extract(config, '$.engine.name') = 'pytorch' LIMIT 1").get() ? true : false)
  const settled = settle && orphans()
    ? pytorch().then(
        (e) => runner.settleOrphans(e.python?.interpreter ?? null),
        () => runner.settleOrphans(null),
      )
    : Promise.resolve([])
  settled.catch((error: unknown) => console.error('Settling PyTorch runs left by a closed studio failed', error))

  return {
    runner,
    settled,
    dispose: () => runner.dispose(),
    async list({ refresh }) {
      const engines = await list(refresh ?? false)
      if (refresh) emit('onDidChangeEngines', { engines })
      return engines
    },
    async setInterpreter({ path }) {
      if (path === null) db.prepare('DELETE FROM settings WHERE key = ?').run(INTERPRETER_SETTING)
      else {
        checkPathArgument(path, 'The Python interpreter', 'path')
        db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(INTERPRETER_SETTING, path)
      }
      const engines = await list(true)
      emit('onDidChangeEngines', { engines })
      return engines
    },
    async startPytorch(input) {
      const engine = await pytorch()
      if (!engine.available || engine.python === null) throw new ApiError('not_found', `The PyTorch engine is not available here. ${engine.reason ?? ''}`.trim())
      return runner.start(input, engine.python)
    },
    async resumePytorch({ runId }) {
      const engine = await pytorch()
      if (!engine.available || engine.python === null) throw new ApiError('not_found', `The PyTorch engine is not available here. ${engine.reason ?? ''}`.trim())
      return runner.resume(runId, engine.python)
    },
    stop: ({ runId }) => runner.stop(runId),
    active: () => runner.active(),
    async importResults({ folder, projectId }) {
      checkPathArgument(folder, 'The PyTorch project folder', 'folder')
      const known = runForFolder(host, folder)
      if (known !== null && runner.isActive(known)) {
        throw new ApiError('conflict', `Run ${known} is training from this folder right now: its results come in by themselves`)
      }
      const engine = await pytorch()
      return importPytorchFolder(host, { folder, ...(projectId !== undefined ? { projectId } : {}), python: engine.python?.interpreter ?? null })
    },
  }
}
