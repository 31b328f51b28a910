/**
 * One home for the PyTorch engine tests' setup (engines-pytorch, engines-resume): the first Python with torch, a
 * studio over a real data folder of 500 MNIST digits and a project, the Train view's snapshot of the tiny design,
 * a started run with its end, and temporary folders removed after the file. `python` is null (and the reason
 * printed) where no Python imports torch: the files skip then.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect } from 'vitest'
import { datasetsContract, enginesContract, projectsContract, runsContract, type DatasetDetail, type MetricSeries } from '@shared/api'
import { parseGraphDocument } from '@shared/graph'
import { assertTrainingConfig } from '../../shared/train/config'
import { buildRunSnapshot } from '../../shared/train/run-snapshot'
import { detectPytorch } from '../../main/engines/python'
import type { Studio } from '../../main/studio'
import { clientFor, openStudio } from './helpers'
import { mnistDataDir, tinyGraphJson } from './cli-train-fixtures'

/** What the detection found (its `reason` says why there is no torch). */
export const probe = await detectPytorch(null)
/** The interpreter with torch, or null. */
export const python = probe.python?.interpreter ?? null

/** Every stored step of a series is there once: 1..n without a gap. */
export function expectContiguous(s: MetricSeries | undefined, n: number) {
  expect(s?.step).toEqual(Array.from({ length: n }, (_, i) => i + 1))
}

/**
 * Registers the file's beforeAll/afterAll and returns the live setup: `project` names the project, `training`
 * holds the settings every snapshot of the file shares (a call's own override them).
 */
export function pytorchStudio(what: string, project: string, training: Record<string, unknown>) {
  if (python === null) console.warn(`SKIPPED: ${what} need a Python with torch: ${probe.reason}`)
  const temps: string[] = []
  let cleanup = () => {}
  const f = {
    dataDir: '',
    studio: undefined as unknown as Studio,
    projectId: 0,
    dataset: undefined as unknown as DatasetDetail,
    api: () => ({ engines: clientFor(f.studio, enginesContract), runs: clientFor(f.studio, runsContract) }),
    /** The Train view's snapshot of the tiny design on the dataset. */
    snapshot: (overrides: Record<string, unknown>): Record<string, unknown> =>
      buildRunSnapshot({
        architecture: { id: null, name: 'tiny', versionId: null, version: null, document: parseGraphDocument(tinyGraphJson()) },
        dataset: f.dataset,
        pipeline: null,
        training: assertTrainingConfig({ optimizer: { type: 'adam' }, learningRate: 0.002, ...training, ...overrides }),
        backendRequested: 'auto',
        appVersion: 'test',
        origin: 'app',
      }) as unknown as Record<string, unknown>,
    /** Starts a PyTorch run on the CPU; `done` settles when its child has ended. */
    start: async (overrides: Record<string, unknown>, processes = 1) => {
      const started = await f.api().engines.startPytorch({ projectId: f.projectId, config: f.snapshot(overrides), datasetId: f.dataset.id, processes, device: 'cpu' })
      return { ...started, done: f.studio.engines.runner.finished(started.run.id)! }
    },
    /** A temporary folder, removed after the file. */
    tmp: (prefix: string) => {
      const d = mkdtempSync(join(tmpdir(), prefix))
      temps.push(d)
      return d
    },
  }
  beforeAll(async () => {
    if (python === null) return
    ;({ dir: f.dataDir, cleanup } = await mnistDataDir())
    // Read the folder every 100 ms (the app: 500), so a short run on a busy machine is still seen mid-training.
    f.studio = openStudio(f.dataDir, { enginePollMs: 100 })
    f.projectId = (await clientFor(f.studio, projectsContract).create({ name: project })).id
    f.dataset = await clientFor(f.studio, datasetsContract).get({ id: 1 })
  }, 180_000)
  afterAll(() => {
    f.studio?.close()
    for (const t of temps) rmSync(t, { recursive: true, force: true })
    cleanup()
  })
  return f
}
