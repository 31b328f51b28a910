/**
 * The exported train.py with real PyTorch on a tiny dataset: one process (metrics.jsonl with the studio's names and
 * learning rates, run.json, checkpoints), torchrun with 2 processes on gloo/CPU (world size 2 recorded, one writer,
 * validation reduced over both ranks), and a clean stop on SIGTERM with a last checkpoint.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EPOCH_METRICS, STEP_METRICS } from '../../../shared/train/metrics'
import { learningRateAt } from '../../../shared/train/schedules'
import { SPLIT, TRAINING, tinyProject } from './pytorch-project'
import type { MetricPoint } from './pytorch-project'
import { findTorchPython } from './torch-python'
import { readJsonlLines } from '../../jsonl'

const torch = findTorchPython()
const python = torch.python as string

function metrics(dir: string): MetricPoint[] {
  return readJsonlLines<MetricPoint>(join(dir, 'metrics.jsonl')) // whole lines: train.py may be writing
}

function runJson(dir: string): { engine: Record<string, unknown>; pytorchRun: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { engine: Record<string, unknown>; pytorchRun: Record<string, unknown> }
}

/** torchrun, or on torch 1.13 + Python 3.11 (torchrun broken there) the export's torchrun_compat.py. */
function torchrunCommand(dir: string): string[] {
  try {
    execFileSync(python, ['-c', 'import sys\nfrom torch.distributed.elastic.multiprocessing.api import Std\nsys.exit(1 if Std.from_str("0") is None else 0)'], { stdio: 'ignore' })
    return ['-m', 'torch.distributed.run']
  } catch {
    console.log('torch.distributed.run is broken on this torch + Python (Std.from_str returns None): using the export\'s torchrun_compat.py')
    return [join(dir, 'torchrun_compat.py')]
  }
}

/** Validation loss and accuracy of last.pt over the whole val split, in one process. */
function evaluateCheckpoint(dir: string): { loss: number; acc: number } {
  const script = [
    'import json, sys, torch',
    `sys.path.insert(0, ${JSON.stringify(dir)})`,
    'import train, model, data, augment',
    'm = model.build_model()',
    `m.load_state_dict(torch.load(${JSON.stringify(join(dir, 'last.pt'))})["model"])`,
    `d = data.StudioData(${JSON.stringify(dir)})`,
    'ds = data.StudioDataset(d, "val")',
    'snap = json.load(open(' + JSON.stringify(join(dir, 'run.json')) + '))',
    'loss, acc = train.evaluate(m, ds, list(range(len(ds))), 8, augment.eval_pipeline(snap["pipeline"]["document"]), 3, torch.device("cpu"), 1, 0)',
    'print(json.dumps({"loss": loss, "acc": acc}))',
  ].join('\n')
  return JSON.parse(execFileSync(python, ['-c', script], { encoding: 'utf8' }).trim().split('\n').pop() as string) as { loss: number; acc: number }
}

describe.skipIf(torch.python === null)(`train.py trains the export with PyTorch (${torch.reason ?? torch.python})`, () => {
  it('one process: metrics.jsonl with the studio\'s metric names and schedule, run.json, best.pt and last.pt', () => {
    const dir = tinyProject()
    execFileSync(python, [join(dir, 'train.py'), '--device', 'cpu', '--test'], { cwd: dir, stdio: 'pipe', timeout: 240_000 })
    const points = metrics(dir)
    const names = new Set(points.map((p) => p.name))
    for (const n of [...STEP_METRICS, ...EPOCH_METRICS, 'test/loss', 'test/acc']) expect(names, n).toContain(n)
    const spe = Math.ceil(SPLIT.train / (TRAINING.batchSize as number))
    const total = spe * (TRAINING.epochs as number)
    const losses = points.filter((p) => p.name === 'train/loss')
    expect(losses.map((p) => p.step)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(losses.map((p) => p.epoch)).toEqual(Array.from({ length: total }, (_, i) => Math.floor(i / spe) + 1))
    for (const p of points.filter((q) => q.name === 'lr')) {
      expect(p.value).toBeCloseTo(learningRateAt(p.step - 1, spe, total, TRAINING.schedule ?? { type: 'constant' }, TRAINING.learningRate), 12)
    }
    expect(points.filter((p) => p.name === 'val/acc').map((p) => [p.step, p.epoch])).toEqual([[spe, 1], [total, 2]])
    for (const p of points) expect(Number.isFinite(p.value) && p.time > 1.7e12 && p.wall >= 0).toBe(true)
    const run = runJson(dir)
    expect(run.engine).toMatchObject({ name: 'pytorch', device: 'cpu', worldSize: 1, distributedBackend: null })
    expect(run.engine.torch).toMatch(/^\d+\.\d+/)
    expect(run.engine.deviceNames).toHaveLength(1)
    expect(run.pytorchRun).toMatchObject({ status: 'completed', step: total, epoch: 2, evaluatedOnTest: true })
    expect(existsSync(join(dir, 'last.pt')) && existsSync(join(dir, 'best.pt'))).toBe(true)
  }, 300_000)

  it('torchrun, 2 processes on gloo/CPU: world size 2 recorded, only rank 0 wrote, validation reduced over both ranks', () => {
    const dir = tinyProject()
    execFileSync(python, [...torchrunCommand(dir), '--standalone', '--nproc_per_node', '2', join(dir, 'train.py'), '--device', 'cpu'], { cwd: dir, stdio: 'pipe', timeout: 300_000 })
    const run = runJson(dir)
    expect(run.engine).toMatchObject({ name: 'pytorch', worldSize: 2, distributedBackend: 'gloo', device: 'cpu' })
    expect(run.engine.deviceNames).toHaveLength(2)
    expect(run.pytorchRun.status).toBe('completed')
    const points = metrics(dir)
    // One writer: every (metric, step) once.
    const keys = points.map((p) => `${p.name}@${p.step}`)
    expect(new Set(keys).size).toBe(keys.length)
    // DistributedSampler: 30 samples over 2 ranks = 15 each, 4 per rank per step.
    const spe = Math.ceil(SPLIT.train / 2 / ((TRAINING.batchSize as number) / 2))
    expect(points.filter((p) => p.name === 'train/loss').length).toBe(spe * (TRAINING.epochs as number))
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    // The recorded validation is over the whole val split (both ranks' halves), with the model last.pt holds.
    const last = points.filter((p) => p.name === 'val/loss').pop() as MetricPoint
    const lastAcc = points.filter((p) => p.name === 'val/acc').pop() as MetricPoint
    const single = evaluateCheckpoint(dir)
    expect(Math.abs(last.value - single.loss)).toBeLessThan(1e-6)
    expect(lastAcc.value).toBeCloseTo(single.acc, 12)
  }, 400_000)

  it('a missing dataset cache: exit code 2, the reason on stderr and in run.json', () => {
    const dir = tinyProject()
    let failure: { status: number | null; stderr: string } | null = null
    try {
      execFileSync(python, [join(dir, 'train.py'), '--device', 'cpu', '--data', join(dir, 'nowhere')], { cwd: dir, stdio: 'pipe', timeout: 240_000 })
    } catch (e) {
      const err = e as { status: number | null; stderr: Buffer }
      failure = { status: err.status, stderr: err.stderr.toString() }
    }
    expect(failure?.status).toBe(2)
    expect(failure?.stderr).toMatch(/The dataset cache file .*nowhere\/images\.u8 is missing/)
    expect(runJson(dir).pytorchRun).toMatchObject({ status: 'failed' })
    expect(String(runJson(dir).pytorchRun.reason)).toMatch(/DataError: The dataset cache file/)
  }, 300_000)

  it('stops cleanly on SIGTERM: status stopped, last.pt written at the step it stopped', async () => {
    const dir = tinyProject()
    const child = spawn(python, [join(dir, 'train.py'), '--device', 'cpu', '--epochs', '100000'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const deadline = Date.now() + 200_000
    while (!(existsSync(join(dir, 'metrics.jsonl')) && metrics(dir).some((p) => p.name === 'train/loss'))) {
      if (Date.now() > deadline) throw new Error(`train.py wrote no step in time: ${stderr}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    child.kill('SIGTERM')
    expect(await exited, stderr).toBe(0)
    const run = runJson(dir)
    expect(run.pytorchRun.status).toBe('stopped')
    expect(String(run.pytorchRun.reason)).toMatch(/SIGTERM/)
    const lastStep = metrics(dir).filter((p) => p.name === 'train/loss').pop()?.step
    expect(run.pytorchRun.step).toBe(lastStep)
    expect(existsSync(join(dir, 'last.pt'))).toBe(true)
    const saved = execFileSync(python, ['-c', `import torch; print(torch.load(${JSON.stringify(join(dir, 'last.pt'))})["step"])`], { encoding: 'utf8' }).trim()
    expect(Number(saved)).toBe(lastStep)
  }, 300_000)
})
