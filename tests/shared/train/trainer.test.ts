import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createStep, emptyPipeline } from '../../../shared/augment'
import type { AugmentPipeline } from '../../../shared/augment'
import { compileGraph } from '../../../shared/tfjs/compile'
import { analyzeGraph, GraphBuilder, plainBlock, resnet20, toyConvnet } from '../../../shared/graph'
import {
  batchToTensors,
  evaluate,
  initialLoss,
  InMemoryDataSource,
  logitsFunction,
  restoreCheckpoint,
  Trainer,
  trainMessageSchema,
} from '../../../shared/train'
import type { Checkpoint, TrainingConfigInput } from '../../../shared/train'
import { CLASSES, ofType, recorder, setWeights, syntheticData, tinyModel, weightsOf } from './helpers'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const pipeline: AugmentPipeline = {
  ...emptyPipeline(),
  steps: [createStep('horizontalFlip', 'flip'), createStep('normalize', 'norm', { params: { mean: [0.3], std: [0.25] } })],
}

const config: TrainingConfigInput = {
  epochs: 3,
  batchSize: 8,
  seed: 'resume-test',
  learningRate: 0.01,
  optimizer: { type: 'adamw' },
  weightDecay: 0.01,
  clipGradNorm: 5,
  schedule: { type: 'cosine', warmupEpochs: 1 },
  checkpoint: { keepEvery: 2 },
}

describe('Trainer', () => {
  it('trains, emits valid messages, and resuming from a checkpoint continues bit-exactly with no gap or duplicate', async () => {
    const data = syntheticData(44, 12) // 6 steps per epoch, the last batch partial (4)
    // A: 3 epochs straight.
    const modelA = tinyModel()
    const initial = await weightsOf(modelA)
    const recA = recorder()
    const trainerA = new Trainer({ model: modelA, data, pipeline, config, sink: recA })
    expect(trainerA.stepsPerEpoch).toBe(6)
    const outA = await trainerA.run()
    expect(outA).toMatchObject({ status: 'done', step: 18, epoch: 3 })
    for (const m of recA.messages) expect(trainMessageSchema.safeParse(m).success).toBe(true)
    const stepsA = ofType(recA.messages, 'step')
    expect(stepsA.map((m) => m.step)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1))
    expect(stepsA.map((m) => m.epoch)).toEqual(Array.from({ length: 18 }, (_, i) => Math.floor(i / 6) + 1))
    expect(stepsA[0]?.lr).toBeCloseTo(0.01 / 6, 12) // warmup
    const epochsA = ofType(recA.messages, 'epoch')
    expect(epochsA.map((m) => m.epoch)).toEqual([1, 2, 3])
    expect(epochsA.at(-1)?.valAcc).toBeGreaterThan(0.5)
    const cps = ofType(recA.messages, 'checkpoint')
    expect(cps.map((c) => [c.epoch, c.step, c.keep])).toEqual([
      [1, 6, false],
      [2, 12, true],
      [3, 18, true],
    ])
    expect(cps[0]?.best).toBe(true)
    expect(recA.messages[0]?.type).toBe('started')
    expect(recA.messages.at(-1)?.type).toBe('done')
    const finalA = await weightsOf(modelA)

    // B: 1 epoch, checkpoint, then a FRESH model + trainer for the remaining 2.
    const modelB = tinyModel()
    setWeights(modelB, initial)
    const recB = recorder()
    const outB = await new Trainer({ model: modelB, data, pipeline, config: { ...config }, sink: recB }).run().then(async (r) => r)
    expect(outB.status).toBe('done')
    const cp1 = ofType(recB.messages, 'checkpoint')[0] as Checkpoint
    // Structured clone (what a worker's postMessage does) keeps it usable.
    const cloned = structuredClone({ meta: cp1.meta, weights: cp1.weights, optimizerState: cp1.optimizerState })
    expect(cloned.meta.step).toBe(6)
    expect(cloned.meta.variables.map((v) => v.name)).toContain('bn1/moving_mean')

    const modelC = tinyModel() // fresh: different tfjs variable names (suffixes), different initial weights
    const recC = recorder()
    const trainerC = new Trainer({ model: modelC, data, pipeline, config, sink: recC, resumeFrom: cloned })
    expect(trainerC.step).toBe(6)
    const outC = await trainerC.run()
    expect(outC).toMatchObject({ status: 'done', step: 18, epoch: 3 })
    expect(recC.messages[0]).toMatchObject({ type: 'started', startStep: 6, startEpoch: 1 })
    expect(ofType(recC.messages, 'step').map((m) => m.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 7))
    expect(ofType(recC.messages, 'epoch').map((m) => m.epoch)).toEqual([2, 3])
    const finalC = await weightsOf(modelC)
    finalC.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(finalA[i] as Float32Array)))
    // same losses at the same steps
    const lossA = ofType(recA.messages, 'step').slice(6).map((m) => m.loss)
    expect(ofType(recC.messages, 'step').map((m) => m.loss)).toEqual(lossA)
    expect(ofType(recC.messages, 'epoch').map((m) => m.valAcc)).toEqual(epochsA.slice(1).map((m) => m.valAcc))
    trainerA.dispose()
    trainerC.dispose()
    tf.dispose([modelA, modelB, modelC].map((m) => m.weights.map((w) => w.read())).flat())
  })

  it('stops between steps on command and resumes mid-epoch bit-exactly', async () => {
    const data = syntheticData(44, 0)
    const cfg: TrainingConfigInput = { ...config, epochs: 2, optimizer: { type: 'sgd', momentum: 0.9, nesterov: true }, weightDecay: 1e-3 }
    const modelA = tinyModel()
    const initial = await weightsOf(modelA)
    const trainerA = new Trainer({ model: modelA, data, pipeline, config: cfg, sink: recorder() })
    await trainerA.run()
    const finalA = await weightsOf(modelA)

    const modelB = tinyModel()
    setWeights(modelB, initial)
    let trainerB: Trainer | null = null
    const recB = recorder((m) => {
      if (m.type === 'step' && m.step === 8) trainerB?.command({ type: 'stop', reason: 'test stop' })
    })
    trainerB = new Trainer({ model: modelB, data, pipeline, config: cfg, sink: recB })
    const outB = await trainerB.run()
    expect(outB).toMatchObject({ status: 'stopped', reason: 'test stop', step: 8, epoch: 1 })
    expect(recB.messages.at(-1)).toMatchObject({ type: 'stopped', step: 8 })
    const cp = await trainerB.checkpoint()
    expect(cp.meta).toMatchObject({ step: 8, epoch: 1, stepInEpoch: 2 })

    const modelC = tinyModel()
    const recC = recorder()
    await new Trainer({ model: modelC, data, pipeline, config: cfg, sink: recC, resumeFrom: cp }).run()
    expect(ofType(recC.messages, 'step').map((m) => m.step)).toEqual([9, 10, 11, 12])
    const finalC = await weightsOf(modelC)
    finalC.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(finalA[i] as Float32Array)))
    // without validation, "best" follows the training loss
    expect(ofType(recC.messages, 'epoch')[0]?.valAcc).toBeNull()
  })

  it('requestCheckpoint: a checkpoint at the next step boundary, without pausing, and resuming from it is bit-exact', async () => {
    const data = syntheticData(44, 0)
    const cfg: TrainingConfigInput = { ...config, epochs: 2 }
    const modelA = tinyModel()
    const initial = await weightsOf(modelA)
    let trainerA: Trainer | null = null
    const recA = recorder((m) => {
      // Asked while step 3 is reported (between steps 3 and 4), and at an epoch's last step (the epoch's checkpoint answers).
      if (m.type === 'step' && (m.step === 3 || m.step === 6)) trainerA?.requestCheckpoint()
    })
    trainerA = new Trainer({ model: modelA, data, pipeline, config: cfg, sink: recA })
    await trainerA.run()
    const finalA = await weightsOf(modelA)
    for (const m of recA.messages) expect(trainMessageSchema.safeParse(m).success).toBe(true)
    expect(recA.messages.some((m) => m.type === 'paused' || m.type === 'resumed')).toBe(false)
    const cps = ofType(recA.messages, 'checkpoint')
    expect(cps.map((c) => [c.step, c.epoch, c.requested ?? false, c.best, c.keep])).toEqual([
      [3, 0, true, false, false],
      [6, 1, false, true, false],
      [12, 2, false, true, true],
    ])
    // It comes right after step 3's message, before step 4 runs.
    const at = recA.messages.indexOf(cps[0]!)
    expect(recA.messages[at - 1]).toMatchObject({ type: 'step', step: 3 })
    expect(recA.messages[at + 1]).toMatchObject({ type: 'step', step: 4 })
    expect(cps[0]!.meta).toMatchObject({ step: 3, epoch: 0, stepInEpoch: 3 })

    const modelB = tinyModel()
    setWeights(modelB, initial)
    const recB = recorder()
    await new Trainer({ model: modelB, data, pipeline, config: cfg, sink: recB, resumeFrom: cps[0]! }).run()
    expect(ofType(recB.messages, 'step').map((m) => m.step)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12])
    const finalB = await weightsOf(modelB)
    finalB.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(finalA[i] as Float32Array)))
  })

  it('with Dropout in the design: the same seed gives the same weights, and a resume mid-epoch is bit-exact', async () => {
    const design = () => {
      const b = new GraphBuilder()
      b.add('Input', { shape: [8, 8, 1] }, { id: 'input' })
      b.add('Conv2D', { filters: 4, kernelSize: 3 }, { id: 'conv' })
      b.add('ReLU', {}, { id: 'relu' })
      b.add('Flatten', {}, { id: 'flatten' })
      b.add('Dropout', { rate: 0.5 }, { id: 'drop' })
      b.add('Output', { units: CLASSES }, { id: 'fc' })
      return compileGraph(b.build(), { seed: 9 }).model
    }
    const data = syntheticData(44, 0)
    const cfg: TrainingConfigInput = { ...config, epochs: 2 }
    const straight = async () => {
      const model = design()
      await new Trainer({ model, data, pipeline, config: cfg, sink: recorder() }).run()
      const w = await weightsOf(model)
      model.dispose()
      return w
    }
    const finalA = await straight()
    const finalB = await straight()
    finalB.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(finalA[i] as Float32Array)))

    const modelC = design()
    let trainerC: Trainer | null = null
    const recC = recorder((m) => {
      if (m.type === 'step' && m.step === 8) trainerC?.command({ type: 'stop' })
    })
    trainerC = new Trainer({ model: modelC, data, pipeline, config: cfg, sink: recC })
    expect((await trainerC.run()).status).toBe('stopped')
    const cp = await trainerC.checkpoint()
    modelC.dispose()
    const modelD = design()
    await new Trainer({ model: modelD, data, pipeline, config: cfg, sink: recorder(), resumeFrom: cp }).run()
    const finalD = await weightsOf(modelD)
    finalD.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(finalA[i] as Float32Array)))
    modelD.dispose()
  })

  it('pause holds between steps until resume', async () => {
    const data = syntheticData(24, 0)
    let trainer: Trainer | null = null
    const rec = recorder((m) => {
      if (m.type === 'step' && m.step === 1) trainer?.pause()
      if (m.type === 'paused') setTimeout(() => trainer?.command({ type: 'resume' }), 20)
    })
    trainer = new Trainer({ model: tinyModel(), data, pipeline: null, config: { ...config, epochs: 1 }, sink: rec })
    const out = await trainer.run()
    expect(out.status).toBe('done')
    const types = rec.messages.map((m) => m.type)
    expect(types.slice(0, 5)).toEqual(['started', 'step', 'paused', 'resumed', 'step'])
    expect(rec.messages[2]).toMatchObject({ type: 'paused', step: 1 })
  })

  it('stops on a NaN / infinite loss with a clear message naming the step, epoch, learning rate and last checkpoint', async () => {
    const data = syntheticData(24, 6) // 3 steps per epoch
    const cfg: TrainingConfigInput = { epochs: 20, batchSize: 8, seed: 1, learningRate: 1e4, optimizer: { type: 'sgd', momentum: 0.9 } }
    // Huge rate from the start.
    const rec = recorder()
    const out = await new Trainer({ model: tinyModel(false), data, pipeline: null, config: cfg, sink: rec }).run()
    expect(out.status).toBe('failed')
    const failed = ofType(rec.messages, 'failed')[0]
    expect(failed?.cause).toBe('nan')
    expect(failed?.reason).toMatch(/^Loss became (NaN|infinite) at step \d+ \(epoch \d+\): the learning rate 10000 is probably too high; /)
    expect(rec.messages.at(-1)?.type).toBe('failed')
    expect(ofType(rec.messages, 'step').every((m) => Number.isFinite(m.loss))).toBe(true) // the bad step is not reported as a step

    // One good epoch first (a checkpoint exists), then the huge rate: the message names the kept checkpoint.
    const rec2 = recorder()
    const model = tinyModel(false)
    await new Trainer({ model, data, pipeline: null, config: { ...cfg, epochs: 1, learningRate: 0.01 }, sink: rec2 }).run()
    const cp = ofType(rec2.messages, 'checkpoint')[0] as Checkpoint
    const rec3 = recorder()
    const out3 = await new Trainer({ model, data, pipeline: null, config: { ...cfg, learningRate: 1e38 }, sink: rec3, resumeFrom: cp }).run()
    expect(out3.status).toBe('failed')
    const f3 = ofType(rec3.messages, 'failed')[0]
    expect(f3?.reason).toMatch(
      /^Loss became (NaN|infinite) at step \d+ \(epoch \d+\): the learning rate 1e\+38 is probably too high; the last good checkpoint from epoch 1 is kept$/,
    )
    expect(f3?.lastCheckpointEpoch).toBe(1)
    expect(f3?.epoch).toBeGreaterThanOrEqual(2)
    expect(f3?.reason).toContain(`at step ${f3?.step} (epoch ${f3?.epoch})`)
    expect(f3?.reason).toContain(`from epoch ${f3?.lastCheckpointEpoch} is kept`)

    // Immediate blow-up: no checkpoint yet.
    const rec4 = recorder()
    await new Trainer({ model: tinyModel(false), data, pipeline: null, config: { ...cfg, learningRate: 1e38 }, sink: rec4 }).run()
    expect(ofType(rec4.messages, 'failed')[0]?.reason).toMatch(/at step \d+ \(epoch 1\): the learning rate 1e\+38 is probably too high; no checkpoint was saved yet$/)
  })

  it('does not leak tensors: numTensors after every epoch equals the count after the first', async () => {
    const data = syntheticData(24, 6)
    const counts: number[] = []
    const mixPipeline: AugmentPipeline = { ...pipeline, steps: [createStep('mixup', 'mix', { p: 1 }), ...pipeline.steps] }
    const rec = recorder((m) => {
      if (m.type === 'checkpoint') counts.push(tf.memory().numTensors)
    })
    const trainer = new Trainer({ model: tinyModel(), data, pipeline: mixPipeline, config: { ...config, epochs: 4 }, sink: rec })
    const out = await trainer.run()
    expect(out.status).toBe('done')
    expect(counts).toHaveLength(4)
    expect(new Set(counts).size).toBe(1)
    // mixup gives soft labels: the loss stays finite, accuracy against argmax of the label
    expect(ofType(rec.messages, 'step').every((m) => Number.isFinite(m.loss) && m.acc >= 0 && m.acc <= 1)).toBe(true)
    const before = tf.memory().numTensors
    trainer.dispose()
    expect(tf.memory().numTensors).toBeLessThan(before)
  })

  it('frozen variables (group or layer.trainable = false) stay bit for bit, LR multipliers scale updates', async () => {
    const data = syntheticData(24, 0)
    const model = tinyModel()
    model.getLayer('fc').trainable = false
    const before = await weightsOf(model)
    const names = model.weights.map((w) => w.originalName)
    const trainer = new Trainer({
      model,
      data,
      pipeline: null,
      config: { ...config, epochs: 1, groups: [{ match: '^conv1/' , frozen: true }, { match: '^bn1/', lrMultiplier: 0.5 }] },
      sink: recorder(),
    })
    expect(trainer.plan.params.map((p) => [p.name, p.lrMultiplier])).toEqual([
      ['bn1/gamma', 0.5],
      ['bn1/beta', 0.5],
    ])
    await trainer.run()
    const after = await weightsOf(model)
    for (const name of ['conv1/kernel', 'conv1/bias', 'fc/kernel', 'fc/bias']) {
      const i = names.indexOf(name)
      expect(Array.from(after[i] as Float32Array)).toEqual(Array.from(before[i] as Float32Array))
    }
    const g = names.indexOf('bn1/gamma')
    expect(Array.from(after[g] as Float32Array)).not.toEqual(Array.from(before[g] as Float32Array))
  })

  it('prefetches the next batch while a step runs, and reports a failing data source as failed', async () => {
    const base = syntheticData(24, 0) // 3 steps per epoch
    const calls: number[] = []
    let failAt = -1
    const data = {
      classes: base.classes,
      imageShape: base.imageShape,
      count: (split: 'train' | 'val' | 'test') => base.count(split),
      batch: async (split: 'train' | 'val' | 'test', indices: Int32Array) => {
        calls.push(indices.length)
        if (calls.length === failAt) throw new Error('disk unplugged')
        await new Promise((r) => setTimeout(r, 1))
        return base.batch(split, indices)
      },
    }
    const seen: number[] = []
    const rec = recorder((m) => {
      if (m.type === 'step') seen.push(calls.length)
    })
    await new Trainer({ model: tinyModel(), data, pipeline: null, config: { ...config, epochs: 1 }, sink: rec }).run()
    // when step k (1-based) is reported, batch k + 1 was already requested (within the epoch)
    expect(seen).toEqual([2, 3, 3])

    calls.length = 0
    failAt = 2
    const rec2 = recorder()
    const out = await new Trainer({ model: tinyModel(), data, pipeline: null, config: { ...config, epochs: 1 }, sink: rec2 }).run()
    expect(out.status).toBe('failed')
    expect(rec2.messages.at(-1)).toMatchObject({ type: 'failed', cause: 'error', reason: 'Training failed at step 2 (epoch 1): disk unplugged' })
  })

  it('trains a model compiled from a graph document (softmax Output head) and lowers the loss', async () => {
    const { model } = compileGraph(toyConvnet([8, 8, 1], CLASSES))
    const rec = recorder()
    const out = await new Trainer({
      model,
      data: syntheticData(48, 12),
      pipeline,
      config: { ...config, epochs: 4, learningRate: 3e-3, optimizer: { type: 'adam' }, schedule: { type: 'constant' } },
      sink: rec,
    }).run()
    expect(out.status).toBe('done')
    const epochs = ofType(rec.messages, 'epoch')
    expect((epochs.at(-1)?.trainLoss ?? Infinity) < (epochs[0]?.trainLoss ?? 0)).toBe(true)
    model.dispose()
  })

  it("templates' and blocks' BatchNorms use momentum 0.1: one step moves the moving statistics 10% of the way to the batch's", async () => {
    const template = analyzeGraph(resnet20([8, 8, 1], CLASSES))
    const bns = Object.values(template.nodes).filter((n) => n.kind === 'BatchNorm')
    expect(bns.length).toBe(21) // the stem's, two per basic block (9) and the two projection shortcuts'
    for (const n of bns) expect(n.params!.momentum).toBe(0.1)
    // The same block as the template's (the CIFAR ResNets' plain block), trained one step (resnet20 itself is slow on the CPU backend).
    const b = new GraphBuilder()
    b.add('Input', { shape: [8, 8, 1] }, { id: 'input' })
    b.block(plainBlock({ filters: 4 }), 1, { id: 'stage' })
    b.add('GlobalAveragePool', {}, { id: 'gap' })
    b.add('Output', { units: CLASSES }, { id: 'fc' })
    const { model } = compileGraph(b.build(), { seed: 4 })
    const data = syntheticData(16, 0)
    // The batch statistics bn1 sees in the one step (one batch of all 16 images; initial weights).
    const all = await data.batch('train', Int32Array.from({ length: 16 }, (_, i) => i))
    const bn1 = model.getLayer('stage_0_bn1')
    const toBn1 = tf.model({ inputs: model.inputs, outputs: bn1.input as tf.SymbolicTensor })
    const { mean, variance } = tf.tidy(() => {
      const x = batchToTensors(all, data.imageShape, CLASSES).images
      return tf.moments(toBn1.predict(x) as tf.Tensor, [0, 1, 2])
    })
    const [batchMean, batchVar] = [mean.arraySync() as number[], variance.arraySync() as number[]]
    const out = await new Trainer({ model, data, config: { epochs: 1, batchSize: 16, seed: 1, learningRate: 1e-3, optimizer: { type: 'sgd' } }, sink: recorder(), checkpoints: false }).run()
    expect(out.status).toBe('done')
    const [movingMean, movingVar] = bn1.getWeights().slice(2).map((w) => Array.from(w.dataSync()))
    batchMean.forEach((m, c) => {
      expect(movingMean![c]).toBeCloseTo(0.9 * 0 + 0.1 * m, 5)
      expect(movingVar![c]).toBeCloseTo(0.9 * 1 + 0.1 * batchVar[c]!, 5)
    })
    expect(Math.max(...batchMean.map(Math.abs))).toBeGreaterThan(0.01) // the check above is not trivially 0 = 0
    mean.dispose()
    variance.dispose()
    model.dispose()
  })

  it('refuses a bad config with the quoted value', () => {
    expect(() => new Trainer({ model: tinyModel(), data: syntheticData(8, 0), config: { ...config, batchSize: 0 }, sink: recorder() })).toThrow(
      'batchSize must be an integer >= 1, received 0',
    )
  })
})

describe('evaluation helpers', () => {
  it('logits of a softmax head reproduce the model output', () => {
    const model = tinyModel()
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 5)
    const { fn, outputIsSoftmax } = logitsFunction(model)
    expect(outputIsSoftmax).toBe(true)
    const a = tf.softmax(fn(x, false)).dataSync()
    const b = (model.predict(x) as tf.Tensor).dataSync()
    for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(1e-6)
    expect(logitsFunction(tinyModel(false)).outputIsSoftmax).toBe(false)
    x.dispose()
  })

  it('a design ending in Dense -> Softmax (no Output node) trains on the logits, exactly like the Output-node design', async () => {
    // The same head (node id, initializer) once as an Output node and once as Dense + the palette's Softmax node:
    // the same seed gives the same weights, so the logits and the whole training run must agree.
    const design = (softmaxNode: boolean) => {
      const b = new GraphBuilder()
      b.add('Input', { shape: [8, 8, 1] }, { id: 'input' })
      b.add('Conv2D', { filters: 4, kernelSize: 3 }, { id: 'conv' })
      b.add('ReLU', {}, { id: 'relu' })
      b.add('Flatten', {}, { id: 'flatten' })
      b.add(softmaxNode ? 'Dense' : 'Output', { units: CLASSES, kernelInitializer: 'normal', stddev: 0.01 }, { id: 'head' })
      if (softmaxNode) b.add('Softmax', {}, { id: 'softmax' })
      return compileGraph(b.build(), { seed: 3 }).model
    }
    const withOutput = design(false)
    const withSoftmax = design(true)
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 5)
    const a = logitsFunction(withSoftmax)
    expect(a.outputIsSoftmax).toBe(true)
    const za = a.fn(x, false).arraySync()
    const zb = logitsFunction(withOutput).fn(x, false).arraySync()
    // Logits are not probabilities: rows do not sum to 1, and they match the Output design's logits.
    expect(Math.abs(za[0]!.reduce((s, v) => s + v, 0) - 1)).toBeGreaterThan(0.5)
    za.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(zb[i]![j]!, 5)))
    const losses = async (model: tf.LayersModel) => {
      const rec = recorder()
      const out = await new Trainer({ model, data: syntheticData(24, 0), config: { ...config, epochs: 1, schedule: { type: 'constant' } }, sink: rec, checkpoints: false }).run()
      expect(out.status).toBe('done')
      return ofType(rec.messages, 'step').map((m) => m.loss)
    }
    const la = await losses(withSoftmax)
    const lb = await losses(withOutput)
    expect(Math.abs(la[0]! - Math.log(CLASSES))).toBeLessThan(0.1)
    la.forEach((l, i) => expect(l).toBeCloseTo(lb[i]!, 4))
    x.dispose()
    withOutput.dispose()
    withSoftmax.dispose()
  })

  it('evaluate returns loss, accuracy, a C x C confusion matrix and per-sample predictions; test needs allowTest', async () => {
    const base = syntheticData(12, 9)
    const split = async (s: 'train' | 'val') => base.batch(s, Int32Array.from({ length: base.count(s) }, (_, i) => i))
    const data = new InMemoryDataSource({ classes: base.classes, imageShape: base.imageShape, train: await split('train'), val: await split('val'), test: await split('val') })
    const model = tinyModel()
    const r = await evaluate(model, data, 'val', { batchSize: 4, pipeline })
    expect(r.count).toBe(9)
    expect(r.confusion).toHaveLength(CLASSES)
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(9)
    expect(r.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([3, 3, 3])
    expect(r.predictions.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(r.predictions.map((p) => p.label)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2])
    const diag = r.confusion.reduce((a, row, i) => a + (row[i] as number), 0)
    expect(r.accuracy).toBeCloseTo(diag / 9, 12)
    expect(r.predictions.every((p) => p.confidence > 1 / CLASSES - 1e-6 && p.confidence <= 1)).toBe(true)
    expect(Number.isFinite(r.loss)).toBe(true)
    await expect(evaluate(model, data, 'test')).rejects.toThrow(/allowTest/)
    expect((await evaluate(model, data, 'test', { allowTest: true })).count).toBe(9)
  })

  it("initial loss of an untrained 10-class network is within 0.1 of ln(10)", async () => {
    const { model } = compileGraph(toyConvnet([28, 28, 1], 10))
    const n = 128
    let s = 7
    const images = new Uint8Array(n * 28 * 28).map(() => {
      s = (s * 1103515245 + 12345) & 0x7fffffff
      return s % 256
    })
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10)
    const data = new InMemoryDataSource({ classes: Array.from({ length: 10 }, (_, i) => String(i)), imageShape: [28, 28, 1], train: { images, labels } })
    const r = await initialLoss(model, data, 2, { batchSize: 64 })
    expect(r.samples).toBe(128)
    expect(r.expected).toBeCloseTo(Math.log(10), 12)
    expect(Math.abs(r.loss - Math.log(10))).toBeLessThan(0.1)
    model.dispose()
  })

  it('restoreCheckpoint refuses a different architecture', async () => {
    const trainer = new Trainer({ model: tinyModel(), data: syntheticData(8, 0), config: { ...config, epochs: 1 }, sink: recorder() })
    const cp = await trainer.checkpoint()
    const other = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] })
    expect(() => restoreCheckpoint(other, null, cp)).toThrow(/saved from a different architecture/)
  })
})
