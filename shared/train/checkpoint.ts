/**
 * Checkpoints: JSON meta + all model weights (float32, concatenated in model.weights order) + optimizer slots
 * (float32, concatenated in meta.optimizer.slots order). Restoring into a fresh model built from the same graph
 * and a fresh optimizer continues training bit-exactly (same backend): see tests/shared/train/resume.test.ts.
 *
 * Weights are matched by name when the checkpoint holds exactly the model's canonical names (in any order: a
 * checkpoint converted from PyTorch lists them in its own order), else by position in model.weights, and
 * checked by shape, so auto-named tfjs layers (`conv2d_Conv2D3`) of a rebuilt model still restore.
 */
import * as tf from '@tensorflow/tfjs'
import type { CheckpointMeta } from './messages'
import type { OptimizerState, TrainOptimizer } from './optimizers'
import { variableName } from './params'

export interface Checkpoint {
  readonly meta: CheckpointMeta
  readonly weights: ArrayBuffer
  readonly optimizerState: ArrayBuffer
}

/** Everything in the meta except what is read from the model and the optimizer. */
export type CheckpointProgress = Omit<CheckpointMeta, 'format' | 'variables' | 'optimizer'>

interface LayerVariableLike {
  readonly name: string
  readonly originalName?: string
  readonly shape: number[]
  readonly dtype: string
  readonly trainable: boolean
  read(): tf.Variable
  write(v: tf.Tensor): unknown
}

function modelWeights(model: tf.LayersModel): LayerVariableLike[] {
  return model.weights as unknown as LayerVariableLike[]
}

/** Captures model weights, optimizer state and progress. Async (reads tensors back; works on every backend). */
export async function captureCheckpoint(model: tf.LayersModel, optimizer: TrainOptimizer, progress: CheckpointProgress): Promise<Checkpoint> {
  const ws = modelWeights(model)
  const variables: CheckpointMeta['variables'] = []
  let total = 0
  for (const w of ws) {
    variables.push({ name: variableName(w), shape: [...w.shape], dtype: 'float32', trainable: w.trainable })
    total += w.shape.reduce((a, b) => a * b, 1)
  }
  const weights = new Float32Array(total)
  let offset = 0
  for (const w of ws) {
    const data = await w.read().data()
    weights.set(data, offset)
    offset += data.length
  }
  const state = await optimizer.getState()
  const slots: CheckpointMeta['optimizer']['slots'] = []
  let slotTotal = 0
  for (const [variable, entry] of Object.entries(state.slots)) {
    for (const [slot, data] of Object.entries(entry)) {
      slots.push({ variable, slot, length: data.length })
      slotTotal += data.length
    }
  }
  const opt = new Float32Array(slotTotal)
  offset = 0
  for (const s of slots) {
    const data = state.slots[s.variable]?.[s.slot] as Float32Array
    opt.set(data, offset)
    offset += data.length
  }
  const meta: CheckpointMeta = { format: 1, ...structuredCloneJson(progress), variables, optimizer: { type: state.type, t: state.t, slots } }
  return { meta, weights: weights.buffer, optimizerState: opt.buffer }
}

function structuredCloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}

/**
 * Loads weights (and, with an optimizer, its state) from a checkpoint into `model`. Throws with a clear
 * message when the model does not match. Returns the meta.
 */
export function restoreCheckpoint(model: tf.LayersModel, optimizer: TrainOptimizer | null, checkpoint: Checkpoint): CheckpointMeta {
  const { meta } = checkpoint
  if (meta.format !== 1) throw new Error(`Checkpoint format ${String(meta.format)} is not supported (expected 1)`)
  const ws = modelWeights(model)
  if (ws.length !== meta.variables.length) {
    throw new Error(`Checkpoint has ${meta.variables.length} weights, the model has ${ws.length}: it was saved from a different architecture`)
  }
  const all = new Float32Array(checkpoint.weights)
  const expected = meta.variables.reduce((a, v) => a + v.shape.reduce((x, y) => x * y, 1), 0)
  if (all.length !== expected) throw new Error(`Checkpoint weights hold ${all.length} values, its meta describes ${expected}`)
  // Which checkpoint variable each model weight takes: by name when the checkpoint holds exactly this model's
  // canonical names (its order may differ, e.g. a checkpoint written by the PyTorch export's convert.py), else
  // by position. old name -> this model's name, for the optimizer state.
  const modelNames = ws.map((w) => variableName(w))
  const metaIndex = new Map(meta.variables.map((v, i) => [v.name, i]))
  const byName =
    metaIndex.size === meta.variables.length && new Set(modelNames).size === modelNames.length && modelNames.every((n) => metaIndex.has(n))
  const offsets: number[] = []
  let at = 0
  for (const v of meta.variables) {
    offsets.push(at)
    at += v.shape.reduce((x, y) => x * y, 1)
  }
  const rename = new Map<string, string>()
  const source = ws.map((w, i) => {
    const k = byName ? metaIndex.get(modelNames[i]!)! : i
    const v = meta.variables[k] as CheckpointMeta['variables'][number]
    if (v.shape.length !== w.shape.length || v.shape.some((d, j) => d !== w.shape[j])) {
      throw new Error(`Checkpoint weight ${k} (${v.name}) has shape [${v.shape.join(', ')}], the model's ${variableName(w)} has [${w.shape.join(', ')}]`)
    }
    rename.set(v.name, variableName(w))
    return offsets[k]!
  })
  tf.tidy(() => {
    ws.forEach((w, i) => {
      const n = w.shape.reduce((a, b) => a * b, 1)
      w.write(tf.tensor(all.subarray(source[i]!, source[i]! + n), w.shape, 'float32'))
    })
  })
  if (optimizer !== null) optimizer.setState(optimizerStateOf(checkpoint, rename))
  return meta
}

/** The optimizer state stored in a checkpoint (slot keys renamed through `rename` when given). */
export function optimizerStateOf(checkpoint: Checkpoint, rename?: ReadonlyMap<string, string>): OptimizerState {
  const { optimizer } = checkpoint.meta
  const all = new Float32Array(checkpoint.optimizerState)
  const slots: Record<string, Record<string, Float32Array>> = {}
  let offset = 0
  for (const s of optimizer.slots) {
    const key = rename?.get(s.variable) ?? s.variable
    const entry = (slots[key] ??= {})
    entry[s.slot] = all.slice(offset, offset + s.length)
    offset += s.length
  }
  if (offset !== all.length) throw new Error(`Checkpoint optimizer state holds ${all.length} values, its meta describes ${offset}`)
  return { type: optimizer.type, t: optimizer.t, slots }
}
