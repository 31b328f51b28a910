/**
 * The contract every registered optimizer kind keeps (shared/train/optimizer-kinds): described for people, its
 * update lowers a quadratic, its weight-decay convention holds (biases and norm parameters excluded), its state
 * slots go into the checkpoint meta and a resumed run equals the uninterrupted one bit for bit, its schema refuses
 * bad values by name. Plus Lion's update against a float64 reference.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  checkpointMetaSchema,
  choiceOfSpec,
  OPTIMIZER_KINDS,
  optimizerSpecSchema,
  parseTrainingConfig,
  specOfChoice,
  Trainer,
  TrainOptimizer,
} from '../../../shared/train'
import type { Checkpoint, OptimizerSpec, TrainingConfigInput } from '../../../shared/train'
import { ofType, recorder, setWeights, syntheticData, tinyModel, weightsOf } from './helpers'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const CHOICES = OPTIMIZER_KINDS.flatMap((def) => def.choices.map((choice) => ({ def, choice })))
/** A spec of each choice with its form defaults, parsed (defaults filled). */
const specOf = (value: string): OptimizerSpec => optimizerSpecSchema.parse(specOfChoice(value, (f) => Number(f.default)))

describe('every registered optimizer kind', () => {
  it('is described for people and its choices and defaults fit its schema', () => {
    expect(OPTIMIZER_KINDS.map((d) => d.type)).toEqual(['sgd', 'adam', 'adamw', 'lion'])
    for (const def of OPTIMIZER_KINDS) {
      expect(def.label.length, def.type).toBeGreaterThan(1)
      expect(def.description.length, def.type).toBeGreaterThan(20)
      expect(def.reference.length, def.type).toBeGreaterThan(5)
      expect(def.defaultLearningRate).toBeGreaterThan(0)
      expect(['l2', 'decoupled']).toContain(def.weightDecay)
      const filled = def.schema.parse({ type: def.type }) as Record<string, unknown>
      for (const h of def.hyperparameters) expect(filled[h.name], `${def.type}.${h.name}`).toBe(h.default)
    }
    for (const { def, choice } of CHOICES) {
      expect(choice.label.length).toBeGreaterThan(1)
      for (const f of choice.fields) expect(f.label.length, `${choice.value}.${f.param}`).toBeGreaterThan(0)
      // A spec made from a choice reads back as that choice (the Compare view's "Update rule").
      expect(choiceOfSpec(specOf(choice.value))?.value).toBe(choice.value)
      expect(specOf(choice.value).type).toBe(def.type)
    }
  })

  it.each(CHOICES.map((c) => [c.choice.value, c] as const))('%s: its update lowers a quadratic', (_value, { def, choice }) => {
    const target = tf.tensor1d([1, -2, 0.5, 3])
    const w = tf.variable(tf.tensor1d([0, 0, 0, 0]))
    const opt = new TrainOptimizer([{ name: 'q/kernel', variable: w, lrMultiplier: 1, decay: true }], { spec: specOf(choice.value), weightDecay: 0, clipGradNorm: null })
    const loss = () => tf.tidy(() => tf.sum(tf.square(tf.sub(w, target))).dataSync()[0] as number)
    const before = loss()
    for (let i = 0; i < 200; i++) {
      tf.tidy(() => {
        const g = tf.mul(tf.sub(w, target), 2)
        opt.apply([g], def.defaultLearningRate * 10)
      })
    }
    expect(loss()).toBeLessThan(before * 0.9)
    expect(opt.iterations).toBe(200)
    opt.dispose()
    w.dispose()
    target.dispose()
  })

  it.each(OPTIMIZER_KINDS.map((d) => [d.type, d] as const))('%s: weight decay follows its convention and skips excluded variables', (_type, def) => {
    const w = tf.variable(tf.tensor1d([2, -4]))
    const b = tf.variable(tf.tensor1d([1, 1]))
    const opt = new TrainOptimizer(
      [
        { name: 'd/kernel', variable: w, lrMultiplier: 1, decay: true },
        { name: 'd/bias', variable: b, lrMultiplier: 1, decay: false },
      ],
      { spec: specOf(def.choices[def.choices.length - 1]!.value), weightDecay: 0.1, clipGradNorm: null },
    )
    const penalty = opt.l2Penalty()
    // Coupled L2 is lambda/2 ||W||^2 over the decayed variables (biases excluded); decoupled adds nothing to the loss.
    expect(penalty.dataSync()[0]).toBeCloseTo(def.weightDecay === 'l2' ? 0.05 * (4 + 16) : 0, 6)
    penalty.dispose()
    tf.tidy(() => {
      opt.apply([tf.zeros([2]), tf.zeros([2])], 0.5)
    })
    const wAfter = Array.from(w.dataSync())
    if (def.weightDecay === 'decoupled') {
      // With a zero gradient only the decay moves the weights: w <- w - lr * lambda * w.
      wAfter.forEach((v, i) => expect(v).toBeCloseTo([2, -4][i]! * (1 - 0.5 * 0.1), 6))
    } else {
      // Coupled: the same step as the update fed the gradient lambda * w, with no decay.
      const w2 = tf.variable(tf.tensor1d([2, -4]))
      const plain = new TrainOptimizer([{ name: 'd/kernel', variable: w2, lrMultiplier: 1, decay: true }], { spec: specOf(def.choices[def.choices.length - 1]!.value), weightDecay: 0, clipGradNorm: null })
      tf.tidy(() => {
        plain.apply([tf.mul(w2, 0.1)], 0.5)
      })
      expect(wAfter).toEqual(Array.from(w2.dataSync()))
      expect(wAfter).not.toEqual([2, -4])
      plain.dispose()
      w2.dispose()
    }
    // The excluded variable (a bias) is not decayed.
    expect(Array.from(b.dataSync())).toEqual([1, 1])
    opt.dispose()
    w.dispose()
    b.dispose()
  })

  it.each(CHOICES.map((c) => [c.choice.value, c] as const))('%s: state slots go through a checkpoint and a resumed run equals the uninterrupted one bit for bit', async (_value, { def, choice }) => {
    const data = syntheticData(20, 0)
    const spec = specOf(choice.value)
    const config: TrainingConfigInput = { epochs: 2, batchSize: 8, seed: 'registry', learningRate: def.defaultLearningRate * 5, optimizer: spec, weightDecay: 0.01 }
    const modelA = tinyModel()
    const initial = await weightsOf(modelA)
    await new Trainer({ model: modelA, data, pipeline: null, config, sink: recorder() }).run()
    const finalA = await weightsOf(modelA)

    const modelB = tinyModel()
    setWeights(modelB, initial)
    const recB = recorder()
    await new Trainer({ model: modelB, data, pipeline: null, config: { ...config, epochs: 1 }, sink: recB }).run()
    const cp = ofType(recB.messages, 'checkpoint')[0] as Checkpoint
    // The meta names the kind and each updated variable's slots; it survives JSON (as the run files store it).
    const meta = checkpointMetaSchema.parse(JSON.parse(JSON.stringify(cp.meta)))
    expect(meta.optimizer.type).toBe(def.type)
    const slots = def.slots(spec as never)
    const variables = [...new Set(meta.optimizer.slots.map((s) => s.variable))]
    for (const v of variables) expect(meta.optimizer.slots.filter((s) => s.variable === v).map((s) => s.slot)).toEqual([...slots])
    if (slots.length > 0) expect(new Float32Array(cp.optimizerState).some((x) => x !== 0)).toBe(true)
    else expect(cp.optimizerState.byteLength).toBe(0)
    const stored = { meta, weights: cp.weights.slice(0), optimizerState: cp.optimizerState.slice(0) }

    const modelC = tinyModel()
    await new Trainer({ model: modelC, data, pipeline: null, config, sink: recorder(), resumeFrom: stored }).run()
    const finalC = await weightsOf(modelC)
    finalC.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(finalA[i] as Float32Array)))
    for (const m of [modelA, modelB, modelC]) m.dispose()
  })

  it.each(OPTIMIZER_KINDS.map((d) => [d.type, d] as const))('%s: its schema refuses bad values by name', (_type, def) => {
    for (const h of def.hyperparameters) {
      const bad = typeof h.default === 'boolean' ? 1 : typeof h.default === 'number' ? -5 : 'x'
      const r = parseTrainingConfig({ epochs: 1, batchSize: 1, seed: 1, learningRate: 0.1, optimizer: { type: def.type, [h.name]: bad } })
      expect(r.ok, `${def.type}.${h.name}`).toBe(false)
      if (r.ok) continue
      expect(r.errors.join('\n')).toMatch(new RegExp(`^${h.name} must be .*received -?\\S+`, 'm'))
    }
    const unknown = parseTrainingConfig({ epochs: 1, batchSize: 1, seed: 1, learningRate: 0.1, optimizer: { type: def.type, rho: 0.9 } })
    expect(unknown.ok).toBe(false)
    if (!unknown.ok) expect(unknown.errors).toContain('unknown field "optimizer.rho"')
  })
})

describe('Lion (Chen et al. 2023)', () => {
  it('defaults to beta1 0.9, beta2 0.99, lr 1e-4, decoupled decay; the update is the sign of the interpolated momentum', () => {
    const lion = OPTIMIZER_KINDS.find((d) => d.type === 'lion')!
    expect(optimizerSpecSchema.parse({ type: 'lion' })).toEqual({ type: 'lion', beta1: 0.9, beta2: 0.99 })
    expect(lion.defaultLearningRate).toBe(1e-4)
    expect(lion.weightDecay).toBe('decoupled')
    expect(lion.slots(lion.schema.parse({ type: 'lion' }))).toEqual(['m'])

    const W0 = [0.5, -1, 2]
    const G = [
      [0.1, -0.2, 0.3],
      [-0.4, 0.5, -0.05],
      [0.2, -0.6, -0.1],
    ]
    const lrs = [0.1, 0.05, 0.2]
    const wd = 0.3
    const w = tf.variable(tf.tensor1d(W0))
    const opt = new TrainOptimizer([{ name: 'x/kernel', variable: w, lrMultiplier: 1, decay: true }], { spec: { type: 'lion', beta1: 0.9, beta2: 0.99 }, weightDecay: wd, clipGradNorm: null })
    lrs.forEach((lr, t) => tf.tidy(() => void opt.apply([tf.tensor1d(G[t]!)], lr)))
    // float64 reference: c = sign(b1 m + (1 - b1) g); w <- w - lr c - lr wd w; m <- b2 m + (1 - b2) g
    const ref = [...W0]
    const m = [0, 0, 0]
    lrs.forEach((lr, t) => {
      for (let i = 0; i < 3; i++) {
        const g = G[t]![i]!
        const c = Math.sign(0.9 * m[i]! + 0.1 * g)
        ref[i] = ref[i]! - lr * c - lr * wd * ref[i]!
        m[i] = 0.99 * m[i]! + 0.01 * g
      }
    })
    Array.from(w.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 6))
    opt.dispose()
    w.dispose()
  })
})
