/**
 * The generated train.py's training maths against the studio's, with real PyTorch: a few steps of every optimizer
 * (SGD, momentum, Nesterov, Adam, AdamW; coupled L2 vs decoupled decay, a non-decayed bias with an lr multiplier,
 * clipping) on the same parameters and gradients as shared/train/optimizers.ts; every schedule with warmup against
 * shared/train/schedules.ts; which parameters are decayed (biases, normalization) against shared/train/params.ts;
 * and the per-epoch data order against the trainer's.
 */
import * as tf from '@tensorflow/tfjs'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { augmentPart } from '../../../shared/export/pytorch/augment'
import { dataPart } from '../../../shared/export/pytorch/data'
import { trainPart } from '../../../shared/export/pytorch/train'
import { createRng } from '../../../shared/random'
import type { TrainingConfigInput } from '../../../shared/train/config'
import { TrainOptimizer } from '../../../shared/train/optimizers'
import { planParams } from '../../../shared/train/params'
import { learningRateAt } from '../../../shared/train/schedules'
import type { ScheduleSpecInput } from '../../../shared/train/schedules'
import { epochOrder } from '../../../shared/train/trainer'
import { useCpuBackend } from '../augment/helpers'
import { MODEL_PY } from './pytorch-project'
import { findTorchPython, writeExport } from './torch-python'

const torch = findTorchPython()

interface OptCase {
  readonly name: string
  readonly training: TrainingConfigInput
}

const base = { epochs: 4, batchSize: 8, seed: 3, learningRate: 0.1 }
const OPT_CASES: OptCase[] = [
  { name: 'sgd + L2', training: { ...base, optimizer: { type: 'sgd' }, weightDecay: 0.01 } },
  { name: 'momentum + L2 + clipping', training: { ...base, optimizer: { type: 'sgd', momentum: 0.9 }, weightDecay: 0.01, clipGradNorm: 0.5 } },
  { name: 'nesterov', training: { ...base, optimizer: { type: 'sgd', momentum: 0.8, nesterov: true }, weightDecay: 0.001 } },
  { name: 'adam + L2', training: { ...base, optimizer: { type: 'adam', beta1: 0.8, beta2: 0.99, epsilon: 1e-7 }, weightDecay: 0.01 } },
  { name: 'adamw + decoupled decay + clipping', training: { ...base, optimizer: { type: 'adamw' }, weightDecay: 0.05, clipGradNorm: 1 } },
  { name: 'lion + decoupled decay', training: { ...base, learningRate: 0.01, optimizer: { type: 'lion', beta1: 0.9, beta2: 0.99 }, weightDecay: 0.1 } },
]
const SCHEDULES: ScheduleSpecInput[] = [
  { type: 'constant', warmupEpochs: 1 },
  { type: 'step', everyEpochs: 2, gamma: 0.5, warmupEpochs: 0.5 },
  { type: 'exponential', gamma: 0.9, warmupEpochs: 0 },
  { type: 'cosine', minFactor: 0.1, warmupEpochs: 1.4 },
  { type: 'inverseTime', k: 0.7, warmupEpochs: 0.34 },
  { type: 'sqrt', warmupEpochs: 2 },
]
const STEPS = 5
const LRS = [0.1, 0.08, 0.05, 0.03, 0.2]
const SPE = 3
const EPOCHS = 4
const W_SHAPE = [2, 3]

const rng = createRng('optim-maths')
const w0 = Array.from({ length: 6 }, () => rng.uniform(-1, 1))
const b0 = Array.from({ length: 3 }, () => rng.uniform(-1, 1))
const grads = Array.from({ length: STEPS }, () => ({ w: Array.from({ length: 6 }, () => rng.uniform(-2, 2)), b: Array.from({ length: 3 }, () => rng.uniform(-2, 2)) }))

const SCRIPT = String.raw`
import importlib.util, json, sys
import torch
cases = json.load(open(sys.argv[1]))
out = {"optim": {}, "lr": [], "decay": None, "order": None}

def load(d, name):
    sys.path.insert(0, d)
    spec = importlib.util.spec_from_file_location(name, d + "/train.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    sys.path.remove(d)
    return m

for i, c in enumerate(cases["optim"]):
    t = load(c["dir"], "train_opt_%d" % i)
    w = torch.nn.Parameter(torch.tensor(c["w0"], dtype=torch.float32).view(*c["wShape"]))
    b = torch.nn.Parameter(torch.tensor(c["b0"], dtype=torch.float32))
    planned = [{"name": "w", "param": w, "lr_multiplier": 1, "decay": True}, {"name": "b", "param": b, "lr_multiplier": 0.5, "decay": False}]
    opt = t.make_optimizer(t.param_groups(planned, t.CONFIG["weightDecay"]))
    norms = []
    for g, lr in zip(c["grads"], c["lrs"]):
        w.grad = torch.tensor(g["w"], dtype=torch.float32).view(*c["wShape"])
        b.grad = torch.tensor(g["b"], dtype=torch.float32)
        if t.CONFIG.get("clipGradNorm") is not None:
            norms.append(t.clip_gradients([w, b], t.CONFIG["clipGradNorm"]))
        t.set_learning_rate(opt, lr)
        opt.step()
    out["optim"][c["name"]] = {"w": w.detach().reshape(-1).tolist(), "b": b.detach().tolist(), "norms": norms}

for i, c in enumerate(cases["schedules"]):
    t = load(c["dir"], "train_sched_%d" % i)
    out["lr"].append([t.lr_at(s, c["spe"], c["total"]) for s in range(c["total"])])

t = load(cases["modelDir"], "train_model")
sys.path.insert(0, cases["modelDir"])
import model
planned, frozen = t.plan_params(model.build_model(), t.CONFIG)
out["decay"] = [[p["name"], p["decay"]] for p in planned]
out["order"] = [t.epoch_order(cases["seed"], e, 37) for e in range(2)]
json.dump(out, open(sys.argv[2], "w"))
`

function project(training: TrainingConfigInput): string {
  const input = { snapshot: { training }, graph: {} as never, split: null, run: null }
  return writeExport([augmentPart, dataPart, trainPart].flatMap((p) => p.files(input)), 'pt-optim-')
}

interface Out {
  optim: Record<string, { w: number[]; b: number[]; norms: number[] }>
  lr: number[][]
  decay: [string, boolean][]
  order: number[][]
}

describe.skipIf(torch.python === null)(`train.py's training maths match the studio's (${torch.reason ?? torch.python})`, () => {
  let out: Out

  beforeAll(() => {
    const cases = {
      optim: OPT_CASES.map((c) => ({ name: c.name, dir: project(c.training), w0, b0, wShape: W_SHAPE, grads, lrs: LRS })),
      schedules: SCHEDULES.map((s) => ({ dir: project({ ...base, epochs: EPOCHS, optimizer: { type: 'sgd' }, schedule: s }), spe: SPE, total: SPE * EPOCHS })),
      modelDir: (() => {
        const d = project({ ...base, optimizer: { type: 'sgd' } })
        writeFileSync(join(d, 'model.py'), MODEL_PY)
        return d
      })(),
      seed: base.seed,
    }
    const dir = project({ ...base, optimizer: { type: 'sgd' } })
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases))
    execFileSync(torch.python as string, ['-c', SCRIPT, join(dir, 'cases.json'), join(dir, 'out.json')], { stdio: 'pipe', timeout: 180_000 })
    out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Out
  }, 240_000)

  it.each(OPT_CASES.map((c) => [c.name, c] as const))('%s: same weights as TrainOptimizer after the same steps (1e-6)', async (name, c) => {
    await useCpuBackend()
    const w = tf.variable(tf.tensor2d(w0, W_SHAPE as [number, number]))
    const b = tf.variable(tf.tensor1d(b0))
    const t = c.training
    const opt = new TrainOptimizer(
      [
        { name: 'w', variable: w, lrMultiplier: 1, decay: true },
        { name: 'b', variable: b, lrMultiplier: 0.5, decay: false },
      ],
      { spec: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, momentum: 0, nesterov: false, ...t.optimizer } as never, weightDecay: t.weightDecay ?? 0, clipGradNorm: t.clipGradNorm ?? null },
    )
    const norms: number[] = []
    grads.forEach((g, i) => {
      const norm = opt.apply([tf.tensor2d(g.w, W_SHAPE as [number, number]), tf.tensor1d(g.b)], LRS[i] as number)
      if (norm) norms.push(norm.dataSync()[0] as number)
    })
    const py = out.optim[name]
    if (!py) throw new Error(`no Python result for ${name}`)
    const worst = Math.max(...Array.from(w.dataSync()).map((v, i) => Math.abs(v - (py.w[i] as number))), ...Array.from(b.dataSync()).map((v, i) => Math.abs(v - (py.b[i] as number))))
    console.log(`${name}: max abs weight difference after ${STEPS} steps ${worst.toExponential(2)}`)
    expect(worst).toBeLessThanOrEqual(1e-6)
    // The weights moved (the comparison is not of two untouched copies).
    expect(Math.abs((w.dataSync()[0] as number) - (w0[0] as number))).toBeGreaterThan(1e-3)
    expect(py.norms.length).toBe(norms.length)
    py.norms.forEach((n, i) => expect(Math.abs(n - (norms[i] as number))).toBeLessThanOrEqual(1e-5))
    opt.dispose()
    w.dispose()
    b.dispose()
  })

  it.each(SCHEDULES.map((s, i) => [s.type, i] as const))('%s schedule with warmup: lr_at equals learningRateAt at every step', (_type, i) => {
    const s = SCHEDULES[i] as ScheduleSpecInput
    const expected = Array.from({ length: SPE * EPOCHS }, (_, step) => learningRateAt(step, SPE, SPE * EPOCHS, s, base.learningRate))
    const got = out.lr[i] as number[]
    expect(got.length).toBe(expected.length)
    got.forEach((v, k) => expect(Math.abs(v - (expected[k] as number))).toBeLessThanOrEqual(1e-12))
  })

  it('decays the same parameters as the studio: not biases, not normalization parameters', async () => {
    await useCpuBackend()
    // The same layers as MODEL_PY, in TF.js: conv (kernel, bias), batch norm (gamma, beta), dense (kernel, bias).
    const input = tf.input({ shape: [8, 8, 1] })
    let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor
    x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor
    x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(tf.layers.activation({ activation: 'relu' }).apply(x)) as tf.SymbolicTensor
    const y = tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(x)) as tf.SymbolicTensor
    const studio = planParams(tf.model({ inputs: input, outputs: y })).params.map((p) => p.decay)
    expect(out.decay.map((d) => d[1])).toEqual(studio)
    expect(studio).toContain(false)
    expect(studio).toContain(true)
  })

  it('one process reads the training set in the trainer\'s per-epoch order', () => {
    expect(out.order).toEqual([0, 1].map((e) => Array.from(epochOrder(base.seed, e, 37))))
  })
})
