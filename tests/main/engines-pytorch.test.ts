/**
 * The PyTorch engine from the main side, with real PyTorch (the first Python with torch: $PYTHON, PATH, Debian's
 * /usr/bin/python3) and a real data folder (500 MNIST digits, real SQLite): detection, the runner (a short
 * `python train.py` streamed into the run, Stop with last.pt, a crashing child, torchrun with 2 processes) and the
 * idempotent import of a folder (twice, then after more points were appended). Skipped, with the reason printed,
 * when no Python imports torch.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runsContract, type Run } from '@shared/api'
import { runCli } from '../../main/cli/index'
import { processAlive } from '../../main/store/files'
import { clientFor, openStudio } from './helpers'
import { expectContiguous, probe, python, pytorchStudio } from './pytorch-fixture'
import { capture, tinyGraphJson } from './cli-train-fixtures'

const f = pytorchStudio('the PyTorch engine tests', 'engines', { seed: 7 })

describe.skipIf(python === null)('the PyTorch engine (real PyTorch)', () => {
  it('lists TF.js and PyTorch with its python, torch and device; a set interpreter without torch says why and how to install', async () => {
    const { engines } = f.api()
    const list = await engines.list({})
    expect(list.map((e) => e.id)).toEqual(['tfjs', 'pytorch'])
    expect(list[0]!.label).toBe('TF.js (in the app)')
    const pt = list[1]!
    expect(pt.available).toBe(true)
    expect(pt.label).toMatch(/^PyTorch \(python \d+\.\d+, torch \d+\.\d+, (CPU|CUDA: .+)\)$/)
    expect(pt.python?.interpreter).toBe(python)
    const missing = join(f.tmp('no-python-'), 'python3')
    const after = await engines.setInterpreter({ path: missing })
    expect(after[1]).toMatchObject({ available: false, label: 'PyTorch (not found)', interpreterSetting: missing })
    expect(after[1]!.reason).toContain(missing)
    expect(after[1]!.reason).toContain('apt-get install python3-torch')
    expect(after[1]!.reason).toContain('pip install torch')
    await expect(engines.startPytorch({ projectId: f.projectId, config: f.snapshot({ epochs: 1, batchSize: 32 }), datasetId: f.dataset.id })).rejects.toThrow(/not available/)
    const back = await engines.setInterpreter({ path: null })
    expect(back[1]!.available).toBe(true)
  }, 120_000)

  let completed: { run: Run; folder: string } | null = null

  it('trains a short run with python train.py, streams its points into the run while it trains, ends completed with checkpoints that load', async () => {
    const { runs } = f.api()
    const appended: number[] = []
    const whileTraining: number[] = []
    const off = f.studio.services.onEvent((channel, payload) => {
      if (channel !== 'studio:runs.onDidAppendMetrics') return
      appended.push((payload as { lastStep: number }).lastStep)
      // Whether train.py was still running when these points came in (the final import comes after it exited).
      const pid = f.studio.engines.runner.active()[0]?.pid
      if (typeof pid === 'number' && processAlive(pid)) whileTraining.push((payload as { lastStep: number }).lastStep)
    })
    const s = await f.start({ epochs: 2, batchSize: 32 })
    expect(s.command.slice(1, 2)).toEqual(['train.py'])
    const ended = await s.done
    off()
    expect(ended.status, JSON.stringify(ended.summary)).toBe('completed')
    const summary = ended.summary as Record<string, unknown>
    const total = summary.totalSteps as number
    expect(total).toBeGreaterThan(10)
    expect(summary.steps).toBe(total)
    expect(summary.epochsDone).toBe(2)
    expect(summary.imagesPerSec).toBeGreaterThan(0)
    expect(summary.engine).toMatchObject({ name: 'pytorch', worldSize: 1, device: 'cpu' })
    // Streamed while it trained: points written while train.py still ran, before its last step.
    expect(whileTraining.length).toBeGreaterThanOrEqual(1)
    expect(Math.min(...whileTraining)).toBeLessThan(total)
    expect(appended.length).toBeGreaterThanOrEqual(2)
    const metrics = await runs.metrics({ runId: ended.id })
    expectContiguous(metrics['train/loss'], total)
    expectContiguous(metrics.images_per_sec, total)
    expect(metrics['val/acc']?.epoch).toEqual([1, 2])
    expect(ended.bestValAccuracy).toBe(Math.max(...metrics['val/acc']!.value))
    expect(ended.durationMs).toBeGreaterThan(0)
    expect(ended.backend).toBe('pytorch-cpu')
    const config = ended.config as Record<string, unknown>
    expect(config.engine).toMatchObject({ name: 'pytorch', worldSize: 1, device: 'cpu', torchVersion: probe.python!.torch, deviceNames: [expect.stringMatching(/^CPU/)] })
    const cps = await runs.checkpoints({ runId: ended.id })
    expect(cps.map((c) => c.kind).sort()).toEqual(['best', 'last'])
    expect(cps.find((c) => c.kind === 'last')).toMatchObject({ step: total, epoch: 2 })
    // The studio rebuilds the model and restores the converted weights (what evaluation and the TF.js export do).
    const out = join(f.tmp('pt-tfjs-'), 'model')
    const exported = await runs.exportModel({ checkpointId: cps.find((c) => c.kind === 'best')!.id, folder: out })
    expect(exported.files).toContain('model.json')
    expect(exported.outputShape).toEqual([10])
    completed = { run: ended, folder: s.folder }
  }, 240_000)

  it('Stop mid-run ends stopped with last.pt imported as the last checkpoint', async () => {
    const { engines, runs } = f.api()
    const s = await f.start({ epochs: 30, batchSize: 32 })
    const t0 = Date.now()
    for (;;) {
      const m = await runs.metrics({ runId: s.run.id, names: ['train/loss'] })
      if ((m['train/loss']?.step.length ?? 0) >= 3) break
      if (Date.now() - t0 > 90_000) throw new Error('no steps recorded within 90 s')
      await new Promise((r) => setTimeout(r, 200))
    }
    expect((await engines.active({})).map((a) => a.runId)).toContain(s.run.id)
    const stopped = await engines.stop({ runId: s.run.id })
    expect(stopped.status, JSON.stringify(stopped.summary)).toBe('stopped')
    const runJson = JSON.parse(readFileSync(join(s.folder, 'run.json'), 'utf8')) as { pytorchRun: { step: number; status: string } }
    expect(runJson.pytorchRun.status).toBe('stopped')
    const last = (await runs.checkpoints({ runId: s.run.id })).find((c) => c.kind === 'last')
    expect(last?.step).toBe(runJson.pytorchRun.step)
    expect((stopped.summary as { message: string }).message).toMatch(/Stopped by SIGTERM/)
    expectContiguous((await runs.metrics({ runId: s.run.id, names: ['train/loss'] }))['train/loss'], runJson.pytorchRun.step)
    expect(await engines.active({})).toEqual([])
    await expect(engines.stop({ runId: s.run.id })).rejects.toThrow(/not training on the PyTorch engine/)
  }, 240_000)

  it('a child that crashes marks the run failed with the tail of its stderr', async () => {
    const images = join(f.dataDir, 'datasets', String(f.dataset.id), 'images.u8')
    const saved = readFileSync(images)
    writeFileSync(images, saved.subarray(0, 1000)) // a damaged cache: data.py refuses it
    try {
      const s = await f.start({ epochs: 1, batchSize: 32 })
      const ended = await s.done
      expect(ended.status).toBe('failed')
      const message = (ended.summary as { message: string }).message
      expect(message).toMatch(/^train\.py exited with code 2: /)
      expect(message).toContain('The dataset cache is damaged')
    } finally {
      writeFileSync(images, saved)
    }
  }, 120_000)

  it('imports a folder idempotently: twice, then after more points were appended, without duplicates or gaps', async () => {
    expect(completed).not.toBeNull()
    const { engines, runs } = f.api()
    const src = completed!.folder
    const folder = join(f.tmp('pt-import-'), 'project')
    cpSync(src, folder, { recursive: true })
    const fullMetrics = readFileSync(join(folder, 'metrics.jsonl'), 'utf8')
    const fullRunJson = readFileSync(join(folder, 'run.json'), 'utf8')
    const lines = fullMetrics.trimEnd().split('\n')
    const total = (completed!.run.summary as { totalSteps: number }).totalSteps
    // Part way: the first half of the lines and a half-written line, run.json still says running.
    const half = Math.floor(lines.length / 2)
    writeFileSync(join(folder, 'metrics.jsonl'), lines.slice(0, half).join('\n') + '\n' + lines[half]!.slice(0, 10))
    const running = JSON.parse(fullRunJson) as { pytorchRun: Record<string, unknown> }
    writeFileSync(join(folder, 'run.json'), JSON.stringify({ ...running, pytorchRun: { ...running.pytorchRun, status: 'running', endedAt: undefined } }))
    rmSync(join(folder, 'best.pt'))
    rmSync(join(folder, 'last.pt'))

    const first = await engines.importResults({ folder, projectId: f.projectId })
    expect(first.created).toBe(true)
    expect(first.points).toBe(half)
    expect(first.status).toBe('running')
    expect(first.checkpoints).toEqual([])
    const again = await engines.importResults({ folder })
    expect(again).toMatchObject({ created: false, points: 0, checkpoints: [] })
    expect(again.run.id).toBe(first.run.id)
    const count = async () => Object.values(await clientFor(f.studio, runsContract).metrics({ runId: first.run.id })).reduce((n, s) => n + s.step.length, 0)
    expect(await count()).toBe(half)

    // The rest of the run arrives: only the new points are written, and the checkpoints.
    writeFileSync(join(folder, 'metrics.jsonl'), fullMetrics)
    writeFileSync(join(folder, 'run.json'), fullRunJson)
    cpSync(join(src, 'best.pt'), join(folder, 'best.pt'))
    cpSync(join(src, 'last.pt'), join(folder, 'last.pt'))
    const rest = await engines.importResults({ folder })
    expect(rest.created).toBe(false)
    expect(rest.points).toBe(lines.length - half)
    expect(rest.status).toBe('completed')
    expect(rest.checkpoints.length).toBeGreaterThan(0)
    expect(await count()).toBe(lines.length)
    const m = await runs.metrics({ runId: first.run.id })
    expectContiguous(m['train/loss'], total)
    expect(m['train/loss']!.value).toEqual((await runs.metrics({ runId: completed!.run.id }))['train/loss']!.value)
    expect(rest.run.bestValAccuracy).toBe(completed!.run.bestValAccuracy)
    expect((rest.run.config as { engine: unknown }).engine).toMatchObject({ name: 'pytorch', folder, worldSize: 1 })

    // Once more through the CLI: nothing new.
    f.studio.close()
    const io = capture()
    try {
      expect(await runCli(['runs', 'import', folder, '--data-dir', f.dataDir], io), io.err).toBe(0)
      expect(io.out).toContain(`run ${first.run.id}`)
      expect(io.out).toContain('0 new points')
    } finally {
      f.studio = openStudio(f.dataDir)
    }
    expect(await count()).toBe(lines.length)
    const cps = await clientFor(f.studio, runsContract).checkpoints({ runId: first.run.id })
    expect(cps.map((c) => c.kind).sort()).toEqual(['best', 'last'])
  }, 240_000)

  it('torchrun --standalone --nproc_per_node 2 (gloo, CPU) trains and imports back with world size 2', async () => {
    const s = await f.start({ epochs: 1, batchSize: 32 }, 2)
    expect(s.command.slice(1, 5)).toEqual(['torchrun_compat.py', '--standalone', '--nproc_per_node', '2'])
    const ended = await s.done
    expect(ended.status, JSON.stringify(ended.summary)).toBe('completed')
    expect((ended.summary as { engine: unknown }).engine).toMatchObject({ name: 'pytorch', worldSize: 2, distributedBackend: 'gloo' })
    expect(((ended.summary as { engine: { deviceNames: string[] } }).engine.deviceNames)).toHaveLength(2)
    expect((ended.config as { engine: unknown }).engine).toMatchObject({ worldSize: 2 })
    const m = await clientFor(f.studio, runsContract).metrics({ runId: ended.id, names: ['train/loss', 'val/acc'] })
    expectContiguous(m['train/loss'], (ended.summary as { totalSteps: number }).totalSteps)
    expect(m['val/acc']?.step.length).toBe(1)
    expect(existsSync(join(s.folder, 'last.pt'))).toBe(true)
    expect((await clientFor(f.studio, runsContract).checkpoints({ runId: ended.id })).length).toBe(2)
  }, 240_000)

  it('studio train --engine pytorch trains through the runner and records the run', async () => {
    const graph = join(f.tmp('pt-cli-'), 'tiny.json')
    writeFileSync(graph, tinyGraphJson())
    f.studio.close()
    const io = capture()
    try {
      const code = await runCli(['train', '--engine', 'pytorch', '--graph', graph, '--dataset', String(f.dataset.id), '--epochs', '1', '--batch', '32', '--device', 'cpu', '--project', String(f.projectId), '--data-dir', f.dataDir, '--json'], io)
      expect(code, io.err).toBe(0)
    } finally {
      f.studio = openStudio(f.dataDir)
    }
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines[0]).toMatchObject({ type: 'start', engine: 'pytorch', worldSize: 1 })
    expect(lines.at(-1)).toMatchObject({ type: 'summary', status: 'completed', engine: 'pytorch' })
    const run = await clientFor(f.studio, runsContract).get({ id: lines[0]!.runId as number })
    expect(run).toMatchObject({ status: 'completed', backend: 'pytorch-cpu', projectId: f.projectId })
    expect((run.config as { origin: string; engine: { name: string } }).engine.name).toBe('pytorch')
    expect(await runCli(['train', '--engine', 'pytorch', '--backend', 'wasm', '--template', 'x', '--dataset', '1'], capture())).toBe(2)
    expect(await runCli(['train', '--processes', '2', '--template', 'x', '--dataset', '1'], capture())).toBe(2)
  }, 240_000)
})
