import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { graphFromTfjsTopology, importedWeightName, TfjsImportError, type TfjsImportResult } from '../../../shared/graph'
import { compileGraph } from '../../../shared/tfjs/compile'
import { variableName } from '../../../shared/train/params'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

interface Saved {
  readonly topology: unknown
  readonly specs: tf.io.WeightsManifestEntry[]
  readonly data: ArrayBuffer
}

async function save(model: tf.LayersModel): Promise<Saved> {
  let saved: Saved | null = null
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData)
      saved = { topology: a.modelTopology, specs: a.weightSpecs ?? [], data }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  return saved!
}

/** Random weights (positive where they are variances) so the comparison is not against initial values. */
function randomize(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((w, i) => {
    const shape = w.shape as number[]
    const positive = /moving_variance|gamma/.test(w.name)
    w.write(positive ? tf.randomUniform(shape, 0.5, 1.5, 'float32', seed + i) : tf.randomNormal(shape, 0, 0.3, 'float32', seed + i))
  })
}

/** Map, compile, load the saved weights by name; returns the rebuilt model and the mapping. */
function rebuild(saved: Saved): { model: tf.LayersModel; result: TfjsImportResult } {
  const result = graphFromTfjsTopology({ modelTopology: saved.topology })
  const { model } = compileGraph(result.document)
  const named = tf.io.decodeWeights(saved.data, saved.specs)
  const values = model.weights.map((w) => {
    const source = importedWeightName(result, variableName(w as unknown as { name: string; originalName?: string }))
    const t = source === null ? undefined : named[source]
    if (t === undefined) throw new Error(`no weight in the file for ${w.name} (${String(source)})`)
    return t
  })
  model.setWeights(values)
  return { model, result }
}

async function expectSamePredictions(a: tf.LayersModel, b: tf.LayersModel, inputShape: number[]) {
  const x = tf.randomNormal([4, ...inputShape], 0, 1, 'float32', 7)
  const ya = await (a.predict(x) as tf.Tensor).data()
  const yb = await (b.predict(x) as tf.Tensor).data()
  expect(yb.length).toBe(ya.length)
  let max = 0
  ya.forEach((v, i) => (max = Math.max(max, Math.abs(v - yb[i]!))))
  expect(max).toBeLessThan(1e-5)
}

describe('graphFromTfjsTopology', () => {
  it('maps a sequential conv net; the compiled document predicts what the original does', async () => {
    const original = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1' }),
        tf.layers.batchNormalization({ name: 'bn1' }),
        tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', name: 'dw' }),
        tf.layers.activation({ activation: 'elu', name: 'act_elu' }),
        tf.layers.averagePooling2d({ poolSize: 2, strides: 1, name: 'avg' }),
        tf.layers.layerNormalization({ axis: [1, 2, 3], name: 'ln' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dropout({ rate: 0.25, name: 'drop' }),
        tf.layers.dense({ units: 16, activation: 'tanh', name: 'fc1' }),
        tf.layers.dense({ units: 5, activation: 'softmax', name: 'head' }),
      ],
    })
    randomize(original, 1)
    const saved = await save(original)
    const { model, result } = rebuild(saved)
    const doc = result.document
    const kinds = Object.fromEntries(doc.nodes.map((n) => [n.id, n.kind]))
    expect(kinds).toMatchObject({
      conv1_input: 'Input',
      conv1: 'Conv2D',
      conv1_relu: 'ReLU',
      bn1: 'BatchNorm',
      pool1: 'MaxPool',
      dw: 'DepthwiseConv2D',
      act_elu: 'ELU',
      avg: 'AvgPool',
      ln: 'LayerNorm',
      flat: 'Flatten',
      drop: 'Dropout',
      fc1: 'Dense',
      fc1_tanh: 'Tanh',
      head: 'Output',
    })
    expect(doc.nodes.find((n) => n.id === 'conv1')!.params).toMatchObject({ filters: 6, kernelSize: 3, padding: 'same', strides: 1, useBias: true })
    expect(doc.nodes.find((n) => n.id === 'dw')!.params).toMatchObject({ depthMultiplier: 2, padding: 'valid' })
    expect(doc.nodes.find((n) => n.id === 'avg')!.params).toMatchObject({ poolSize: 2, strides: 1 })
    expect(doc.nodes.find((n) => n.id === 'head')!.params).toMatchObject({ units: 5 })
    // Left to right.
    const x = (id: string) => doc.nodes.find((n) => n.id === id)!.position.x
    expect(x('conv1_input')).toBeLessThan(x('conv1'))
    expect(x('conv1')).toBeLessThan(x('head'))
    await expectSamePredictions(original, model, [12, 12, 3])
    model.dispose()
    original.dispose()
  })

  it('maps a functional residual net with Add and Concatenate (edge order kept)', async () => {
    const input = tf.input({ shape: [8, 8, 4], name: 'image' })
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'res_conv1' }).apply(input) as tf.SymbolicTensor
    const b1 = tf.layers.batchNormalization({ name: 'res_bn1' }).apply(c1) as tf.SymbolicTensor
    const r1 = tf.layers.reLU({ name: 'res_relu1' }).apply(b1) as tf.SymbolicTensor
    const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'res_conv2' }).apply(r1) as tf.SymbolicTensor
    const sum = tf.layers.add({ name: 'res_add' }).apply([input, c2]) as tf.SymbolicTensor
    const act = tf.layers.leakyReLU({ alpha: 0.2, name: 'res_out' }).apply(sum) as tf.SymbolicTensor
    const side = tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'sigmoid', name: 'side' }).apply(input) as tf.SymbolicTensor
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([side, act]) as tf.SymbolicTensor
    const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(cat) as tf.SymbolicTensor
    const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(gap) as tf.SymbolicTensor
    const original = tf.model({ inputs: input, outputs: out })
    randomize(original, 11)
    const saved = await save(original)
    const { model, result } = rebuild(saved)
    const doc = result.document
    const into = (target: string) =>
      doc.edges
        .filter((e) => e.target === target)
        .sort((a, b) => (a.targetHandle ?? 0) - (b.targetHandle ?? 0))
        .map((e) => e.source)
    expect(into('res_add')).toEqual(['image', 'res_conv2'])
    expect(into('cat')).toEqual(['side_sigmoid', 'res_out'])
    expect(doc.nodes.find((n) => n.id === 'res_out')).toMatchObject({ kind: 'LeakyReLU', params: { alpha: 0.2 } })
    expect(doc.nodes.find((n) => n.id === 'probs')!.kind).toBe('Output')
    expect(result.layers).toMatchObject({ res_conv1: 'res_conv1', probs: 'probs' })
    await expectSamePredictions(original, model, [8, 8, 4])
    model.dispose()
    original.dispose()
  })

  it('keeps a softmax Dense that is not the last layer as Dense + Softmax and sanitizes odd names', () => {
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 'm',
        layers: [
          { class_name: 'Dense', config: { name: 'block.1/fc', units: 4, activation: 'softmax', batch_input_shape: [null, 6] } },
          { class_name: 'Dense', config: { name: 'last', units: 2, activation: 'linear' } },
        ],
      },
    }
    const r = graphFromTfjsTopology(topology)
    expect(r.document.nodes.map((n) => [n.id, n.kind])).toEqual([
      ['block_1_fc_input', 'Input'],
      ['block_1_fc', 'Dense'],
      ['block_1_fc_softmax', 'Softmax'],
      ['last', 'Dense'],
    ])
    expect(r.document.nodes[1]!.name).toBe('block.1/fc')
    expect(importedWeightName(r, 'block_1_fc/kernel')).toBe('block.1/fc/kernel')
  })

  it('refuses unsupported layers, activations and shared layers with the layer named', () => {
    const seq = (layer: object) => ({
      class_name: 'Sequential',
      config: { layers: [{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 8, 8, 3] } }, layer] },
    })
    expect(() => graphFromTfjsTopology(seq({ class_name: 'Conv2DTranspose', config: { name: 'up', filters: 2, kernel_size: 3 } }))).toThrow(
      /Layer "up" \(Conv2DTranspose\) cannot be imported: the studio has no Conv2DTranspose layer/,
    )
    expect(() => graphFromTfjsTopology(seq({ class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: 3, activation: 'selu' } }))).toThrow(
      /Layer "c" \(Conv2D\) uses the activation 'selu'/,
    )
    expect(() => graphFromTfjsTopology(seq({ class_name: 'ReLU', config: { name: 'r6', max_value: 6 } }))).toThrow(/"r6" \(ReLU\).*ReLU6/)
    expect(() => graphFromTfjsTopology({ format: 'graph-model', modelTopology: { node: [] } })).toThrow(TfjsImportError)
    const shared = {
      class_name: 'Model',
      config: {
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 4] }, inbound_nodes: [] },
          { class_name: 'Dense', name: 'd', config: { name: 'd', units: 4 }, inbound_nodes: [[['in', 0, 0, {}]], [['in', 0, 0, {}]]] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['d', 0, 0]],
      },
    }
    expect(() => graphFromTfjsTopology(shared)).toThrow(/Layer "d" \(Dense\) is applied 2 times/)
  })
})
