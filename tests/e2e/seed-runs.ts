/**
 * Seeds a data folder with runs through the real services (no training): `tsx tests/e2e/seed-runs.ts <dataDir>`.
 * Project "Scale": 10,000 runs (5 learning rates, 3 seeds, val/acc over 5 epochs). Project "Seeds": three seeds
 * each of two learning rates, val/acc over 5 epochs with known maxima (SEED_RUNS, seed-runs-data.ts). Project "Fit":
 * runs with every table column filled as real training fills it (FIT_RUNS: long names, tags, both engines, hours-long
 * durations), for the width of the table. Prints the project ids as JSON.
 */
import { methodChannel, type CallResult } from '../../shared/api/index'
import { startStudio } from '../../main/studio'
import { FIT_RUNS, SEED_RUNS } from './seed-runs-data'

const snapshot = (lr: number, seed: number) => ({ dataset: { name: 'MNIST' }, training: { learningRate: lr, batchSize: 32, epochs: 5, seed, optimizer: { type: 'adam' } }, seed })
const curve = (best: number) => [1, 2, 3, 4, 5].map((e) => ({ name: 'val/acc', step: e * 10, epoch: e, value: e === 4 ? best : best - 0.1 / e, time: e }))

async function main(dataDir: string, count: number) {
  const studio = startStudio({ dataDir, host: 'browser' })
  const call = async <T>(service: string, method: string, payload: unknown): Promise<T> => {
    const r: CallResult = await studio.services.call(methodChannel(service, method), payload)
    if (!r.ok) throw new Error(`${service}.${method}: ${r.error.message}`)
    return r.value as T
  }
  try {
    const seeds = await call<{ id: number }>('projects', 'create', { name: 'Seeds' })
    for (const r of SEED_RUNS) {
      const run = await call<{ id: number }>('runs', 'create', { projectId: seeds.id, name: `lr ${r.lr} seed ${r.seed}`, config: snapshot(r.lr, r.seed) })
      await call('runs', 'appendMetrics', { runId: run.id, points: curve(r.best) })
      await call('runs', 'update', { id: run.id, status: 'completed' })
    }
    const fit = await call<{ id: number }>('projects', 'create', { name: 'Fit' })
    for (const r of FIT_RUNS) {
      const config = {
        dataset: { name: r.dataset },
        architecture: { name: r.architecture, version: r.version },
        params: r.params,
        engine: r.engine,
        training: { learningRate: r.lr, batchSize: r.batch, epochs: r.epochs, seed: r.seed, optimizer: { type: r.optimizer } },
        seed: r.seed,
      }
      const run = await call<{ id: number }>('runs', 'create', { projectId: fit.id, name: r.name, config })
      const points = Array.from({ length: r.epochs }, (_, k) => [
        { name: 'val/acc', step: (k + 1) * 250, epoch: k + 1, value: r.best - 0.02 * (r.epochs - 1 - k), time: k + 1 },
        { name: 'train/loss', step: (k + 1) * 250, epoch: k + 1, value: r.loss * (1 + 0.1 * (r.epochs - 1 - k)), time: k + 1 },
      ]).flat()
      await call('runs', 'appendMetrics', { runId: run.id, points })
      await call('runs', 'update', { id: run.id, status: 'completed', backend: r.backend, durationMs: r.durationMs, finalLoss: r.loss, bestValAccuracy: r.best, bestEpoch: r.epochs, tags: [...r.tags] })
    }
    const scale = await call<{ id: number }>('projects', 'create', { name: 'Scale' })
    // One transaction around the many calls (each service call's own becomes a savepoint): one sync to disk.
    studio.db.exec('BEGIN')
    for (let i = 0; i < count; i++) {
      const lr = [0.1, 0.03, 0.01, 0.003, 0.001][Math.floor(i / 3) % 5] as number
      const run = await call<{ id: number }>('runs', 'create', { projectId: scale.id, name: `scale ${i}`, config: snapshot(lr, i % 3) })
      await call('runs', 'appendMetrics', { runId: run.id, points: curve(0.5 + (i % 97) / 200) })
    }
    studio.db.exec('COMMIT')
    console.log(JSON.stringify({ seeds: seeds.id, fit: fit.id, scale: scale.id }))
  } finally {
    studio.close()
  }
}

if (process.argv[2]) {
  main(process.argv[2], Number(process.argv[3] ?? 10_000)).catch((e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
