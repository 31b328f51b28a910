/**
 * Transfer learning at the engine level (the lectures: train on a large dataset; with little data freeze all
 * but a new, re-initialized last layer; with more data fine-tune more or all layers with a smaller LR).
 *
 * - `transferWeights(source, target, { newClasses })`: copies every weight of a target layer whose NAME exists
 *   in the source with the SAME weight shapes (graph-compiled layers are named after their node ids, so a model
 *   built from the same or an edited graph matches); the classifier head (the last layer with a kernel, i.e. the
 *   graph's Output) is never copied and is re-initialized with the Output node's own small init (`OUTPUT_INIT`:
 *   N(0, 0.01^2), bias 0, seeded) for the new class count, so the initial loss after a transfer is about ln(C). The source is a model, or a checkpoint + the graph it was trained from; the target is a
 *   model, or a graph (its Output units set to `newClasses` and compiled here).
 * - `freezePlan(model, spec)`: per layer frozen / fine-tune / new, and the shared/train `groups` that implement
 *   it: `{ match: '^<layer>/', frozen: true }` for frozen layers, `lrMultiplier: pretrainedLrMultiplier`
 *   (default 0.1) for unfrozen pretrained layers, new layers at 1. Specs: 'all-but-last' k (the last k layers
 *   with weights train), explicit frozen layer names, or none. A frozen BatchNorm layer trains in inference mode:
 *   gamma, beta AND its moving statistics stay fixed (shared/train/batchnorm); unfreeze it to let them adapt.
 * - `adviceFor(dataSize, similarity)`: the lectures' table.
 */
import * as tf from '@tensorflow/tfjs'
import { OUTPUT_INIT } from '../graph/layers'
import type { GraphDocument } from '../graph/types'
import { compileGraph } from '../tfjs/compile'
import { restoreCheckpoint, variableName } from '../train'
import type { Checkpoint, ParamGroup } from '../train'
import type { FreezeSpec } from '../train/run-snapshot'
import { reinitialize } from './init-lab'

export type TransferSource = tf.LayersModel | { checkpoint: Checkpoint; graph: GraphDocument }
export type TransferTarget = tf.LayersModel | GraphDocument

export interface TransferReport {
  /** Layers whose every weight was copied from the source. */
  readonly copied: string[]
  /** Re-initialized (the head). */
  readonly reinitialized: string[]
  /** Target layers with weights that kept their own initialization, with why. */
  readonly skipped: { layer: string; reason: string }[]
  /** The head layer's name (null when the target has no layer with a kernel). */
  readonly head: string | null
}

export interface TransferResult {
  /** The target model (built here when the target was a graph: the caller owns it). */
  readonly model: tf.LayersModel
  readonly report: TransferReport
}

function isModel(x: unknown): x is tf.LayersModel {
  return typeof x === 'object' && x !== null && 'layers' in x && 'predict' in x
}

/** A copy of `doc` with every Output node's `units` set to `classes`. */
export function withClasses(doc: GraphDocument, classes: number): GraphDocument {
  return { ...doc, nodes: doc.nodes.map((n) => (n.kind === 'Output' ? { ...n, params: { ...n.params, units: classes } } : n)) }
}

/** Builds the source model from a checkpoint + graph (caller disposes). */
export function modelFromCheckpoint(checkpoint: Checkpoint, graph: GraphDocument): tf.LayersModel {
  const { model } = compileGraph(graph)
  try {
    restoreCheckpoint(model, null, checkpoint)
  } catch (e) {
    model.dispose()
    throw e
  }
  return model
}

/** The classifier head: the last layer that has a kernel. */
export function headLayer(model: tf.LayersModel): tf.layers.Layer | null {
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i] as tf.layers.Layer
    if (l.weights.some((w) => /kernel/.test(variableName(w)))) return l
  }
  return null
}

export function transferWeights(source: TransferSource, target: TransferTarget, options: { newClasses?: number; seed?: number | string } = {}): TransferResult {
  const src = isModel(source) ? source : modelFromCheckpoint(source.checkpoint, source.graph)
  let built: tf.LayersModel | null = null
  try {
    if (!isModel(target)) {
      built = compileGraph(options.newClasses !== undefined ? withClasses(target, options.newClasses) : target).model
    }
    const model = built ?? (target as tf.LayersModel)
    const head = headLayer(model)
    const byName = new Map(src.layers.map((l) => [l.name, l]))
    const copied: string[] = []
    const skipped: TransferReport['skipped'] = []
    for (const layer of model.layers) {
      if (layer.weights.length === 0 || layer === head) continue
      const s = byName.get(layer.name)
      if (s === undefined) {
        skipped.push({ layer: layer.name, reason: 'no layer of that name in the source' })
        continue
      }
      const sw = s.weights
      const tw = layer.weights
      const same = sw.length === tw.length && tw.every((w, i) => JSON.stringify(w.shape) === JSON.stringify((sw[i] as tf.LayerVariable).shape))
      if (!same) {
        skipped.push({ layer: layer.name, reason: `weight shapes differ (source ${sw.map((w) => `[${w.shape.join(',')}]`).join(' ')}, target ${tw.map((w) => `[${w.shape.join(',')}]`).join(' ')})` })
        continue
      }
      tw.forEach((w, i) => w.write((sw[i] as tf.LayerVariable).read()))
      copied.push(layer.name)
    }
    const reinitialized: string[] = []
    if (head !== null) {
      reinitialize(model, { type: 'normal', std: OUTPUT_INIT.stddev }, options.seed ?? 'transfer-head', new Set([head.name]))
      reinitialized.push(head.name)
    }
    const result: TransferResult = { model, report: { copied, reinitialized, skipped, head: head?.name ?? null } }
    built = null
    return result
  } finally {
    built?.dispose()
    if (!isModel(source)) src.dispose()
  }
}

/** How the source's layers are frozen: one home with the run snapshot that records it. */
export type { FreezeSpec }

export interface FreezePlanLayer {
  readonly layer: string
  readonly state: 'frozen' | 'fine-tune' | 'new'
  readonly lrMultiplier: number
  readonly params: number
}

export interface FreezePlan {
  readonly layers: FreezePlanLayer[]
  /** For TrainingConfig.groups. */
  readonly groups: ParamGroup[]
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Per layer with trainable weights: frozen, fine-tune (pretrained, lr x `pretrainedLrMultiplier`) or new (lr x 1;
 * default new layers: the head).
 */
export function freezePlan(model: tf.LayersModel, spec: FreezeSpec, options: { pretrainedLrMultiplier?: number; newLayers?: readonly string[] } = {}): FreezePlan {
  const mult = options.pretrainedLrMultiplier ?? 0.1
  const head = headLayer(model)
  const fresh = new Set(options.newLayers ?? (head ? [head.name] : []))
  const withWeights = model.layers.filter((l) => l.trainableWeights.length > 0)
  const layers: FreezePlanLayer[] = []
  const groups: ParamGroup[] = []
  withWeights.forEach((l, i) => {
    const params = l.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0)
    const frozen =
      !fresh.has(l.name) && (spec.mode === 'all-but-last' ? i < withWeights.length - Math.max(0, spec.k) : spec.mode === 'layers' ? spec.frozen.includes(l.name) : false)
    const state: FreezePlanLayer['state'] = fresh.has(l.name) ? 'new' : frozen ? 'frozen' : 'fine-tune'
    const lrMultiplier = state === 'frozen' ? 0 : state === 'new' ? 1 : mult
    layers.push({ layer: l.name, state, lrMultiplier, params })
    const match = `^${escapeRe(l.name)}/`
    if (state === 'frozen') groups.push({ match, lrMultiplier: 0, frozen: true })
    else if (state === 'fine-tune' && mult !== 1) groups.push({ match, lrMultiplier: mult, frozen: false })
  })
  return { layers, groups }
}

export type DataSize = 'little' | 'lots'
export type Similarity = 'similar' | 'different'

export interface TransferAdvice {
  readonly dataSize: DataSize
  readonly similarity: Similarity
  readonly title: string
  readonly advice: string
  /** A starting freeze spec for freezePlan. */
  readonly freeze: FreezeSpec
}

/**
 * The lectures' table (CS231n lecture 6): rows very little / quite a lot of data, columns very similar / very
 * different dataset. 002 adds: with little, different data, features from earlier layers.
 */
export function adviceFor(dataSize: DataSize, similarity: Similarity): TransferAdvice {
  if (dataSize === 'little' && similarity === 'similar') {
    return { dataSize, similarity, title: 'Linear classifier on the final layer', advice: 'Freeze every pretrained layer and train only a new, re-initialized last layer (a linear classifier on the pretrained features).', freeze: { mode: 'all-but-last', k: 1 } }
  }
  if (dataSize === 'little') {
    return {
      dataSize,
      similarity,
      title: 'Try another pretrained model or collect more data',
      advice: 'Features of the upper layers are specific to the source task: try a model pretrained on more similar data, collect more data, or train a linear classifier on features from earlier (more generic) layers.',
      freeze: { mode: 'all-but-last', k: 1 },
    }
  }
  if (similarity === 'similar') {
    return { dataSize, similarity, title: 'Fine-tune all model layers', advice: 'Initialize from the pretrained weights, re-initialize the head, and fine-tune every layer with a smaller learning rate for the pretrained layers (e.g. 0.1x).', freeze: { mode: 'none' } }
  }
  return { dataSize, similarity, title: 'Fine-tune all layers or train from scratch', advice: 'With lots of different data, either fine-tune all model layers (smaller LR for pretrained layers) or train from scratch; compare both.', freeze: { mode: 'none' } }
}
