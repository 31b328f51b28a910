/**
 * The PyTorch export's model and conversion against the studio, with real PyTorch (a python3 child process):
 * for every template and for designs using every layer kind, the parameter counts are the studio's; with the
 * weights of a real studio checkpoint (written by the runs service) converted by convert.py, the eval-mode
 * logits on a fixture batch equal the studio's (tfjs) within 1e-4; and back: a changed torch state_dict
 * converted to a studio checkpoint gives tfjs the torch logits. All designs run in one python process.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectsContract, runsContract } from '@shared/api'
import { analyzeGraph, listLayers, type GraphDocument } from '@shared/graph'
import { exportPytorchProject, PYTORCH_EXPORT_PARTS } from '@shared/export/pytorch'
import { planPytorchModel } from '@shared/export/pytorch/model'
import { createRng } from '@shared/random'
import { compileGraph } from '../../../shared/tfjs/compile'
import { captureCheckpoint, restoreCheckpoint, TrainOptimizer, type CheckpointMeta } from '../../../shared/train'
import { logitsFunction } from '../../../shared/train/loss'
import { decodeCheckpoint } from '../../../main/store/checkpoint-files'
import { clientFor, openStudio, tempDataDir } from '../helpers'
import { kindDesigns, templateDesigns, type Design } from './pytorch-designs'

/** $PYTHON when set (only it), else python3 on PATH, else Debian's: the first that imports torch. */
function findTorch(): { python: string; version: string } | { reason: string } {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3']
  for (const p of candidates) {
    const r = spawnSync(p, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' })
    if (r.status === 0) return { python: p, version: r.stdout.trim() }
  }
  return { reason: `none of ${candidates.join(', ')} can import torch (install python3-torch, or pip install torch, or set $PYTHON)` }
}

const torch = findTorch()
if ('reason' in torch) console.warn(`SKIPPED: the PyTorch export parity tests need PyTorch: ${torch.reason}`)

const TOL = 1e-4
const BATCH = 3

interface Prepared {
  design: Design
  dir: string
  studio: { trainable: number; nonTrainable: number }
  outputIsSoftmax: boolean
  studioLogitsAreSoftmaxInput: boolean
  logits: Float32Array
}

interface PyResult {
  name: string
  trainable: number
  non_trainable: number
  error?: string
}

const RUNNER = `
import importlib.util, json, sys, traceback
import torch
torch.set_num_threads(1)

def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod

def read(path, shape):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape)

def write(path, t):
    with open(path, "wb") as f:
        f.write(t.detach().contiguous().to(torch.float32).numpy().tobytes())

results = []
for i, job in enumerate(json.load(open(sys.argv[1]))):
    d = job["dir"]
    out = {"name": job["name"]}
    try:
        model = load(d + "/model.py", f"model_{i}")
        convert = load(d + "/convert.py", f"convert_{i}")
        m = model.build_model()
        out["trainable"] = sum(p.numel() for p in m.parameters())
        out["non_trainable"] = sum(b.numel() for n, b in m.named_buffers() if not n.endswith("num_batches_tracked"))
        if not job["logits"]:
            results.append(out)
            continue
        sd, meta = convert.load_studio_checkpoint(job["checkpoint"])
        m.load_state_dict(sd, strict=True)
        m.eval()
        x = read(d + "/input.bin", job["input_shape"])
        if x.dim() == 4:
            x = x.permute(0, 3, 1, 2)
        with torch.no_grad():
            write(d + "/torch_logits.bin", m(x))
            # Back: change every weight, convert to a studio checkpoint (the model's own variable order).
            g = torch.Generator().manual_seed(7)
            changed = {}
            for k, v in m.state_dict().items():
                if v.is_floating_point():
                    v = v * (1 + 0.2 * torch.randn(v.shape, generator=g)) + 0.02 * torch.randn(v.shape, generator=g)
                    if k.endswith("running_var"):
                        v = v.abs() + 0.1
                changed[k] = v
            m.load_state_dict(changed)
            write(d + "/torch_back_logits.bin", m(x))
        convert.save_studio_checkpoint(m.state_dict(), d + "/back.ckpt")
        del m, sd, changed
    except Exception:
        out["error"] = traceback.format_exc()
    results.append(out)
    print(json.dumps(out), flush=True)
json.dump(results, open(sys.argv[2], "w"))
`

/**
 * Weights of a sensible scale that are not the trivial initial ones: every weight up to 100k values (biases,
 * BatchNorm gamma/beta/moving statistics, norms, small kernels, the head) seeded uniform; larger kernels keep
 * their seeded initializer (drawing millions of values in JS is what made this test slow).
 */
function setWeights(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed)
  for (const w of model.weights) {
    const shape = w.shape as number[]
    const n = shape.reduce((a, b) => a * b, 1)
    if (n > 100_000) continue
    const leaf = w.originalName.slice(w.originalName.lastIndexOf('/') + 1)
    const fanIn = shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1
    const limit = Math.sqrt(6 / fanIn)
    const gen =
      shape.length >= 2 && leaf !== 'gamma' && leaf !== 'beta'
        ? () => rng.uniform(-limit, limit)
        : leaf === 'moving_variance'
          ? () => rng.uniform(1.5, 2.5) // about the variance a He-initialized conv gives: deep nets stay O(1)
          : leaf === 'gamma'
            ? () => rng.uniform(0.7, 1.3)
            : () => rng.uniform(-0.3, 0.3)
    w.write(tf.tensor(Float32Array.from({ length: n }, gen), shape))
  }
}

function fixtureBatch(doc: GraphDocument, seed: number): tf.Tensor {
  const a = analyzeGraph(doc)
  const shape = a.nodes[a.inputIds[0]!]!.outputShape!
  const rng = createRng(seed)
  const n = BATCH * shape.reduce((x, y) => x * y, 1)
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal(0, 1)), [BATCH, ...shape])
}

function studioLogits(model: tf.LayersModel, x: tf.Tensor): { logits: Float32Array; softmaxInput: boolean } {
  const { fn, outputIsSoftmax } = logitsFunction(model)
  return { logits: tf.tidy(() => fn(x, false).dataSync() as Float32Array), softmaxInput: outputIsSoftmax }
}

const maxAbs = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}
const readF32 = (path: string) => {
  const b = readFileSync(path)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

describe('the layer registry has a PyTorch emitter for every kind', () => {
  it('every registered kind has toPytorch, and the parity designs use every kind', () => {
    const missing = listLayers().filter((d) => typeof (d as { toPytorch?: unknown }).toPytorch !== 'function').map((d) => d.kind)
    expect(missing).toEqual([])
    const used = new Set([...templateDesigns(), ...kindDesigns()].flatMap((d) => analyzeGraph(d.doc).flat.nodes.map((n) => n.kind)))
    expect(listLayers().map((d) => d.kind).filter((k) => !used.has(k))).toEqual([])
  })
})

describe.skipIf('reason' in torch)(`PyTorch export parity (${'reason' in torch ? 'skipped: no PyTorch' : `${torch.python}, torch ${torch.version}`})`, () => {
  const python = 'python' in torch ? torch.python : ''
  const temp = tempDataDir('pytorch-export-')
  const studio = openStudio(temp.dir)
  const designs = [...templateDesigns(), ...kindDesigns()]
  const prepared: Prepared[] = []
  const results = new Map<string, PyResult>()

  const MODEL_PARTS = PYTORCH_EXPORT_PARTS.filter((p) => p.id === 'model' || p.id === 'convert')
  beforeAll(async () => {
    const project = await clientFor(studio, projectsContract).create({ name: 'export' })
    const runs = clientFor(studio, runsContract)
    const jobs: unknown[] = []
    for (const [i, design] of designs.entries()) {
      const dir = join(temp.dir, 'export', String(i))
      mkdirSync(dir, { recursive: true })
      // The model's parts only (model.py, convert.py): these designs have no training config or dataset.
      for (const f of exportPytorchProject({ snapshot: {}, graph: design.doc, split: null, run: null }, MODEL_PARTS)) writeFileSync(join(dir, f.path), f.text)
      const totals = analyzeGraph(design.doc).totals
      const base = { design, dir, studio: { trainable: totals.trainableParams, nonTrainable: totals.nonTrainableParams }, outputIsSoftmax: planPytorchModel(design.doc).outputIsSoftmax }
      if (!design.logits) {
        prepared.push({ ...base, studioLogitsAreSoftmaxInput: base.outputIsSoftmax, logits: new Float32Array(0) })
        jobs.push({ name: design.name, dir, logits: false })
        continue
      }
      const { model } = compileGraph(design.doc, { seed: i })
      setWeights(model, 100 + i)
      const run = await runs.create({ projectId: project.id, config: { kind: 'cnn-studio/train', architecture: { name: design.name, document: design.doc } } })
      const opt = new TrainOptimizer([], { spec: { type: 'sgd', momentum: 0, nesterov: false }, weightDecay: 0, clipGradNorm: null })
      const ckpt = await captureCheckpoint(model, opt, {
        step: 4, epoch: 1, stepInEpoch: 0, stepsPerEpoch: 4, totalSteps: 8, seed: i, dataOrder: 'rng-fork-per-epoch', nextLr: 0.01,
        epochAccum: { lossSum: 0, correct: 0, samples: 0, steps: 0 }, best: { valAcc: null, trainLoss: null, epoch: null }, metrics: null,
      })
      await runs.saveCheckpoint({
        runId: run.id, kinds: ['best'], epoch: 1, step: 4, meta: ckpt.meta,
        weights: new Uint8Array(ckpt.weights), optimizer: new Uint8Array(ckpt.optimizerState),
      })
      const x = fixtureBatch(design.doc, 200 + i)
      writeFileSync(join(dir, 'input.bin'), Buffer.from((x.dataSync() as Float32Array).buffer))
      const s = studioLogits(model, x)
      prepared.push({ ...base, studioLogitsAreSoftmaxInput: s.softmaxInput, logits: s.logits })
      jobs.push({
        name: design.name,
        dir,
        logits: true,
        checkpoint: join(temp.dir, 'projects', String(project.id), 'runs', String(run.id), 'checkpoint-best.ckpt'),
        input_shape: x.shape,
      })
      x.dispose()
      model.dispose()
    }
    writeFileSync(join(temp.dir, 'jobs.json'), JSON.stringify(jobs))
    writeFileSync(join(temp.dir, 'runner.py'), RUNNER)
    execFileSync(python, [join(temp.dir, 'runner.py'), join(temp.dir, 'jobs.json'), join(temp.dir, 'results.json')], { stdio: ['ignore', 'ignore', 'inherit'] })
    for (const r of JSON.parse(readFileSync(join(temp.dir, 'results.json'), 'utf8')) as PyResult[]) results.set(r.name, r)
  }, 600_000)

  afterAll(() => {
    studio.close()
    temp.cleanup()
  })

  it.each(designs.map((d) => [d.name]))('%s: parameter counts equal the studio\'s', (name) => {
    const p = prepared.find((q) => q.design.name === name)!
    const r = results.get(name)!
    expect(r.error ?? null).toBeNull()
    expect({ trainable: r.trainable, nonTrainable: r.non_trainable }).toEqual(p.studio)
  })

  it.each(designs.filter((d) => d.logits).map((d) => [d.name]))('%s: logits from the converted checkpoint equal the studio\'s, and back', (name) => {
    const p = prepared.find((q) => q.design.name === name)!
    expect(results.get(name)!.error ?? null).toBeNull()
    expect(p.outputIsSoftmax).toBe(p.studioLogitsAreSoftmaxInput)
    expect(maxAbs(readF32(join(p.dir, 'torch_logits.bin')), p.logits)).toBeLessThan(TOL)

    // Back: the checkpoint convert.py wrote restores into a fresh studio model, which then gives torch's logits.
    const { meta, weights, optimizer } = decodeCheckpoint(readFileSync(join(p.dir, 'back.ckpt')), 'back.ckpt')
    const { model } = compileGraph(p.design.doc)
    try {
      restoreCheckpoint(model, null, { meta: meta as CheckpointMeta, weights: new Uint8Array(weights).buffer, optimizerState: new Uint8Array(optimizer).buffer })
      const x = fixtureBatch(p.design.doc, 200 + designs.indexOf(p.design))
      const back = studioLogits(model, x)
      x.dispose()
      const torchBack = readF32(join(p.dir, 'torch_back_logits.bin'))
      expect(maxAbs(torchBack, p.logits)).toBeGreaterThan(1e-3) // the weights did change
      expect(maxAbs(back.logits, torchBack)).toBeLessThan(TOL)
    } finally {
      model.dispose()
    }
  })
})
