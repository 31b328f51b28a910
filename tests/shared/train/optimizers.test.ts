import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { planParams, TrainOptimizer } from '../../../shared/train'
import type { OptimizerHyper, OptimizerParam, OptimizerSpec } from '../../../shared/train'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const W0 = [0.5, -1.0, 2.0]
const B0 = [0.1, -0.2]
/** Gradients per step for w and b (hand-chosen). */
const GW = [
  [0.1, -0.2, 0.3],
  [-0.4, 0.5, 0.05],
  [0.2, 0.2, -0.1],
]
const GB = [
  [1.0, -0.5],
  [0.25, 0.75],
  [-0.5, 0.5],
]

interface Setup {
  opt: TrainOptimizer
  w: tf.Variable
  b: tf.Variable
  run(lrs: readonly number[]): { w: number[]; b: number[] }
}

function setup(spec: OptimizerSpec, extra: Partial<OptimizerHyper> = {}, mult = { w: 1, b: 1 }): Setup {
  const w = tf.variable(tf.tensor1d(W0))
  const b = tf.variable(tf.tensor1d(B0))
  const params: OptimizerParam[] = [
    { name: 'dense/kernel', variable: w, lrMultiplier: mult.w, decay: true },
    { name: 'dense/bias', variable: b, lrMultiplier: mult.b, decay: false },
  ]
  const opt = new TrainOptimizer(params, { spec, weightDecay: 0, clipGradNorm: null, ...extra })
  return {
    opt,
    w,
    b,
    run(lrs) {
      lrs.forEach((lr, i) => {
        const gs = [tf.tensor1d(GW[i] as number[]), tf.tensor1d(GB[i] as number[])]
        opt.apply(gs, lr)?.dispose()
        tf.dispose(gs)
      })
      return { w: Array.from(w.dataSync()), b: Array.from(b.dataSync()) }
    },
  }
}

function dispose(s: Setup): void {
  s.opt.dispose()
  s.w.dispose()
  s.b.dispose()
}

function expectClose(actual: number[], expected: number[], tol = 1e-6): void {
  expect(actual).toHaveLength(expected.length)
  actual.forEach((a, i) => expect(Math.abs(a - (expected[i] as number))).toBeLessThan(tol))
}

/** Reference implementation in float64 over one variable. */
function reference(
  kind: 'sgd' | 'momentum' | 'nesterov' | 'adam' | 'adamw',
  w0: number[],
  grads: number[][],
  lrs: number[],
  o: { mu?: number; wd?: number; decay?: boolean; b1?: number; b2?: number; eps?: number } = {},
): number[] {
  const w = [...w0]
  const v = w.map(() => 0)
  const m = w.map(() => 0)
  const { mu = 0.9, wd = 0, decay = false, b1 = 0.9, b2 = 0.999, eps = 1e-8 } = o
  lrs.forEach((lr, t) => {
    for (let i = 0; i < w.length; i++) {
      let g = (grads[t] as number[])[i] as number
      const wi = w[i] as number
      if (decay && kind !== 'adamw') g += wd * wi
      if (kind === 'sgd') w[i] = wi - lr * g
      else if (kind === 'momentum' || kind === 'nesterov') {
        v[i] = mu * (v[i] as number) + g
        w[i] = wi - lr * (kind === 'nesterov' ? g + mu * (v[i] as number) : (v[i] as number))
      } else {
        m[i] = b1 * (m[i] as number) + (1 - b1) * g
        v[i] = b2 * (v[i] as number) + (1 - b2) * g * g
        const mh = (m[i] as number) / (1 - b1 ** (t + 1))
        const vh = (v[i] as number) / (1 - b2 ** (t + 1))
        w[i] = wi - lr * (mh / (Math.sqrt(vh) + eps)) - (decay && kind === 'adamw' ? lr * wd * wi : 0)
      }
    }
  })
  return w
}

const LRS = [0.1, 0.05, 0.2]

describe('TrainOptimizer vs hand-computed updates', () => {
  it('SGD', () => {
    const s = setup({ type: 'sgd', momentum: 0, nesterov: false })
    const r = s.run(LRS)
    expectClose(r.w, reference('sgd', W0, GW, LRS))
    expectClose(r.b, reference('sgd', B0, GB, LRS))
    // first step by hand: 0.5 - 0.1 * 0.1 = 0.49
    dispose(s)
    const one = setup({ type: 'sgd', momentum: 0, nesterov: false })
    expectClose(one.run([0.1]).w, [0.49, -0.98, 1.97])
    dispose(one)
  })

  it('SGD + momentum', () => {
    const s = setup({ type: 'sgd', momentum: 0.9, nesterov: false })
    const r = s.run(LRS)
    expectClose(r.w, reference('momentum', W0, GW, LRS))
    expectClose(r.b, reference('momentum', B0, GB, LRS))
    // two steps by hand, w[0]: v1 = 0.1, w = 0.49; v2 = 0.09 - 0.4 = -0.31, w = 0.49 + 0.05 * 0.31 = 0.5055
    dispose(s)
    const two = setup({ type: 'sgd', momentum: 0.9, nesterov: false })
    expect(two.run([0.1, 0.05]).w[0]).toBeCloseTo(0.5055, 6)
    dispose(two)
  })

  it('SGD + Nesterov momentum', () => {
    const s = setup({ type: 'sgd', momentum: 0.9, nesterov: true })
    const r = s.run(LRS)
    expectClose(r.w, reference('nesterov', W0, GW, LRS))
    expectClose(r.b, reference('nesterov', B0, GB, LRS))
    dispose(s)
  })

  it('Adam (bias-corrected)', () => {
    const s = setup({ type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 })
    const r = s.run(LRS)
    expectClose(r.w, reference('adam', W0, GW, LRS))
    expectClose(r.b, reference('adam', B0, GB, LRS))
    // Adam's first step moves every weight by ~lr * sign(g)
    dispose(s)
    const one = setup({ type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 })
    expectClose(one.run([0.1]).w, [0.4, -0.9, 1.9], 1e-5)
    expect(one.opt.iterations).toBe(1)
    dispose(one)
  })

  it('coupled L2 weight decay: lambda * w added to the gradient, biases excluded', () => {
    const s = setup({ type: 'sgd', momentum: 0.9, nesterov: false }, { weightDecay: 0.01 })
    const r = s.run(LRS)
    expectClose(r.w, reference('momentum', W0, GW, LRS, { wd: 0.01, decay: true }))
    expectClose(r.b, reference('momentum', B0, GB, LRS)) // bias: no decay
    // the penalty reported with the loss: lambda/2 ||w||^2 over decayed variables only
    const pen = s.opt.l2Penalty()
    expect(pen.dataSync()[0]).toBeCloseTo((0.01 / 2) * r.w.reduce((a, x) => a + x * x, 0), 6)
    pen.dispose()
    dispose(s)
    const adam = setup({ type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, { weightDecay: 0.1 })
    expectClose(adam.run(LRS).w, reference('adam', W0, GW, LRS, { wd: 0.1, decay: true }))
    dispose(adam)
  })

  it('AdamW: decay decoupled from the adaptive update, biases excluded', () => {
    const wd = 0.1
    const s = setup({ type: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, { weightDecay: wd })
    const r = s.run(LRS)
    const expected = reference('adamw', W0, GW, LRS, { wd, decay: true })
    expectClose(r.w, expected)
    // differs from coupled L2 Adam and from plain Adam
    const coupled = reference('adam', W0, GW, LRS, { wd, decay: true })
    const plain = reference('adam', W0, GW, LRS)
    expect(Math.abs((r.w[2] as number) - (coupled[2] as number))).toBeGreaterThan(1e-3)
    expect(Math.abs((r.w[2] as number) - (plain[2] as number))).toBeGreaterThan(1e-3)
    expectClose(r.b, reference('adam', B0, GB, LRS)) // bias: plain Adam
    // decoupled decay is not part of the loss
    const pen = s.opt.l2Penalty()
    expect(pen.dataSync()[0]).toBe(0)
    pen.dispose()
    dispose(s)
  })

  it('per-variable learning-rate multipliers', () => {
    const s = setup({ type: 'sgd', momentum: 0, nesterov: false }, {}, { w: 1, b: 0.1 })
    const r = s.run(LRS)
    expectClose(r.w, reference('sgd', W0, GW, LRS))
    expectClose(
      r.b,
      reference(
        'sgd',
        B0,
        GB,
        LRS.map((l) => l * 0.1),
      ),
    )
    dispose(s)
  })

  it('clips by global norm over all variables', () => {
    // step-0 gradients: ||G|| = sqrt(0.01 + 0.04 + 0.09 + 1 + 0.25) = sqrt(1.39)
    const s = setup({ type: 'sgd', momentum: 0, nesterov: false }, { clipGradNorm: 0.5 })
    const gs = [tf.tensor1d(GW[0] as number[]), tf.tensor1d(GB[0] as number[])]
    const norm = s.opt.apply(gs, 1)
    expect(norm?.dataSync()[0]).toBeCloseTo(Math.sqrt(1.39), 6)
    const f = 0.5 / Math.sqrt(1.39)
    expectClose(Array.from(s.w.dataSync()), W0.map((w, i) => w - f * ((GW[0] as number[])[i] as number)))
    tf.dispose([norm as tf.Tensor, ...gs])
    dispose(s)
    // below the threshold: unchanged gradients
    const t = setup({ type: 'sgd', momentum: 0, nesterov: false }, { clipGradNorm: 10 })
    expectClose(t.run([0.1]).w, [0.49, -0.98, 1.97])
    dispose(t)
  })

  it('state round-trips: continuing from a restored state equals continuing in place, bit for bit', async () => {
    const spec: OptimizerSpec = { type: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
    const a = setup(spec, { weightDecay: 0.05 })
    a.run([0.1, 0.05])
    const state = await a.opt.getState()
    expect(state.t).toBe(2)
    expect(Object.keys(state.slots)).toEqual(['dense/kernel', 'dense/bias'])
    expect(state.slots['dense/kernel']?.['m']).toBeInstanceOf(Float32Array)
    const b = setup(spec, { weightDecay: 0.05 })
    b.w.assign(a.w)
    b.b.assign(a.b)
    b.opt.setState(state)
    const gs = [tf.tensor1d(GW[2] as number[]), tf.tensor1d(GB[2] as number[])]
    a.opt.apply(gs, 0.2)
    b.opt.apply(gs, 0.2)
    expect(Array.from(b.w.dataSync())).toEqual(Array.from(a.w.dataSync()))
    expect(Array.from(b.b.dataSync())).toEqual(Array.from(a.b.dataSync()))
    tf.dispose(gs)
    expect(() => b.opt.setState({ ...state, type: 'sgd' })).toThrow(/for sgd/)
    dispose(a)
    dispose(b)
  })
})

describe('planParams', () => {
  function model(): tf.LayersModel {
    const input = tf.input({ shape: [4, 4, 1] })
    let h = tf.layers.conv2d({ name: 'conv1', filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor
    h = tf.layers.batchNormalization({ name: 'bn1' }).apply(h) as tf.SymbolicTensor
    h = tf.layers.flatten({ name: 'flat' }).apply(h) as tf.SymbolicTensor
    h = tf.layers.dense({ name: 'fc1', units: 3 }).apply(h) as tf.SymbolicTensor
    const out = tf.layers.dense({ name: 'fc2', units: 2 }).apply(h) as tf.SymbolicTensor
    return tf.model({ inputs: input, outputs: out })
  }

  it('excludes biases and normalization gamma/beta from decay by default, includes them on request', () => {
    const m = model()
    const plan = planParams(m)
    const decay = Object.fromEntries(plan.params.map((p) => [p.name, p.decay]))
    expect(decay).toEqual({
      'conv1/kernel': true,
      'conv1/bias': false,
      'bn1/gamma': false,
      'bn1/beta': false,
      'fc1/kernel': true,
      'fc1/bias': false,
      'fc2/kernel': true,
      'fc2/bias': false,
    })
    expect(plan.nonTrainable).toEqual(['bn1/moving_mean', 'bn1/moving_variance'])
    expect(planParams(m, { decayBiasAndNorm: true }).params.every((p) => p.decay)).toBe(true)
    m.dispose()
  })

  it('groups: first match wins, frozen and layer.trainable = false are never planned', () => {
    const m = model()
    m.getLayer('fc2').trainable = false
    const plan = planParams(m, {
      groups: [
        { match: '^conv1/', lrMultiplier: 1, frozen: true },
        { match: '^(bn1|fc1)/', lrMultiplier: 0.1, frozen: false },
      ],
    })
    expect(plan.frozen.map((p) => p.name)).toEqual(['conv1/kernel', 'conv1/bias'])
    expect(plan.params.map((p) => [p.name, p.lrMultiplier])).toEqual([
      ['bn1/gamma', 0.1],
      ['bn1/beta', 0.1],
      ['fc1/kernel', 0.1],
      ['fc1/bias', 0.1],
    ])
    expect(plan.nonTrainable).toContain('fc2/kernel')
    m.dispose()
  })
})
