/**
 * Optimizers as an explicit update loop (no model.fit, no tf.train optimizers), so that weight decay, bias/norm
 * exclusion, per-group learning rates, frozen variables and the state layout are ours and serializable. The update
 * rules, their state slots and weight-decay conventions are the registered kinds (./optimizer-kinds); this engine
 * applies them to every updated variable with gradient g, effective learning rate a = lr * lrMultiplier:
 *   clipping (optional):  g <- g * min(1, maxNorm / ||G||), ||G|| the global L2 norm over all updated variables
 *   'l2' kinds, decayed variables:        g <- g + lambda * w        (= gradient of lambda/2 ||W||^2)
 *   the kind's update:                    w <- update(w, g, a, t, slots)
 *   'decoupled' kinds, decayed variables: w <- w - a * lambda * w_old
 * Variables that are not passed in (frozen, non-trainable) are never touched.
 */
import * as tf from '@tensorflow/tfjs'
import type { OptimizerSpec } from './config'
import { OPTIMIZER_TYPES } from './optimizer-kinds'
import { getOptimizer } from './optimizer-registry'

export interface OptimizerParam {
  /** Key of the variable in the optimizer state (canonical variable name). */
  readonly name: string
  readonly variable: tf.Variable
  readonly lrMultiplier: number
  /** Weight decay applies to it. */
  readonly decay: boolean
}

export interface OptimizerHyper {
  readonly spec: OptimizerSpec
  /** lambda (0 = none), applied as the kind's weightDecay convention says (coupled L2 or decoupled). */
  readonly weightDecay: number
  readonly clipGradNorm: number | null
}

/** Serializable optimizer state: plain typed arrays keyed by variable name, then slot name. */
export interface OptimizerState {
  readonly type: OptimizerSpec['type']
  /** Number of updates applied so far (Adam's t). */
  readonly t: number
  readonly slots: Record<string, Record<string, Float32Array>>
}

/** The registered definition of a spec's kind. */
function definitionOf(spec: OptimizerSpec) {
  const def = getOptimizer(spec.type)
  if (!def) throw new Error(`Optimizer type ${JSON.stringify(spec.type)} is not registered (known: ${OPTIMIZER_TYPES.join(', ')})`)
  return def
}

/** State slot names of a spec (the kind's `slots`). */
export function slotNames(spec: OptimizerSpec): readonly string[] {
  return definitionOf(spec).slots(spec)
}

export class TrainOptimizer {
  readonly hyper: OptimizerHyper
  readonly params: readonly OptimizerParam[]
  readonly #def: ReturnType<typeof definitionOf>
  #t = 0
  readonly #slots: Map<string, Map<string, tf.Variable>> = new Map()
  #disposed = false

  constructor(params: readonly OptimizerParam[], hyper: OptimizerHyper) {
    this.params = params
    this.hyper = hyper
    this.#def = definitionOf(hyper.spec)
    const names = new Set<string>()
    for (const p of params) {
      if (names.has(p.name)) throw new Error(`Optimizer: variable name ${JSON.stringify(p.name)} appears twice`)
      names.add(p.name)
      const slots = new Map<string, tf.Variable>()
      for (const s of slotNames(hyper.spec)) slots.set(s, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)))
      this.#slots.set(p.name, slots)
    }
  }

  /** Updates applied so far. */
  get iterations(): number {
    return this.#t
  }

  /** Weight-decay penalty lambda/2 * sum ||w||^2 over decayed variables when decay is coupled (else 0 scalar). */
  l2Penalty(): tf.Scalar {
    const { spec, weightDecay } = this.hyper
    return tf.tidy(() => {
      const decayed = this.params.filter((p) => p.decay)
      if (this.#def.weightDecay === 'decoupled' || weightDecay === 0 || decayed.length === 0) return tf.scalar(0)
      return tf.mul(tf.addN(decayed.map((p) => tf.sum(tf.square(p.variable)))), weightDecay / 2) as tf.Scalar
    })
  }

  /**
   * Applies one update. `grads[i]` is the gradient of `params[i]` (not disposed). `lr` is the scheduled base
   * learning rate. Returns the global gradient norm before clipping when clipping is on (caller disposes).
   */
  apply(grads: readonly tf.Tensor[], lr: number): tf.Scalar | null {
    if (this.#disposed) throw new Error('Optimizer: used after dispose()')
    if (grads.length !== this.params.length) throw new Error(`Optimizer: ${grads.length} gradients for ${this.params.length} variables`)
    this.#t += 1
    const t = this.#t
    const { spec, weightDecay: wd, clipGradNorm } = this.hyper
    const def = this.#def
    let normOut: tf.Scalar | null = null
    tf.tidy(() => {
      let gs = grads as tf.Tensor[]
      let norm: tf.Scalar | null = null
      if (clipGradNorm !== null && gs.length > 0) {
        norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g))))) as tf.Scalar
        const factor = tf.div(clipGradNorm, tf.maximum(norm, clipGradNorm))
        gs = gs.map((g) => tf.mul(g, factor))
      }
      this.params.forEach((p, i) => {
        const w = p.variable
        let g = gs[i] as tf.Tensor
        const a = lr * p.lrMultiplier
        const slots = Object.fromEntries(this.#slots.get(p.name) as Map<string, tf.Variable>)
        const decay = p.decay && wd > 0
        if (decay && def.weightDecay === 'l2') g = tf.add(g, tf.mul(w, wd))
        let next = def.update({ tf, spec, w, g, lr: a, t, slots })
        if (decay && def.weightDecay === 'decoupled') next = tf.sub(next, tf.mul(w, a * wd))
        w.assign(next)
      })
      if (norm !== null) normOut = tf.keep(norm)
    })
    return normOut
  }

  /** Copies the state out (async: works on every backend). */
  async getState(): Promise<OptimizerState> {
    const slots: Record<string, Record<string, Float32Array>> = {}
    for (const [name, map] of this.#slots) {
      const entry: Record<string, Float32Array> = {}
      for (const [slot, v] of map) entry[slot] = new Float32Array((await v.data()) as Float32Array)
      slots[name] = entry
    }
    return { type: this.hyper.spec.type, t: this.#t, slots }
  }

  /**
   * Restores a state from getState (or a checkpoint). Every variable and slot of this optimizer must be present
   * with the right size; extra entries are refused too, so a mismatched model fails loudly.
   */
  setState(state: OptimizerState): void {
    if (state.type !== this.hyper.spec.type) {
      throw new Error(`Optimizer state is for ${state.type}, this optimizer is ${this.hyper.spec.type}`)
    }
    const extra = Object.keys(state.slots).filter((k) => !this.#slots.has(k))
    if (extra.length > 0) throw new Error(`Optimizer state has variables this model does not update: ${extra.join(', ')}`)
    for (const [name, map] of this.#slots) {
      const entry = state.slots[name]
      if (entry === undefined && map.size > 0) throw new Error(`Optimizer state lacks variable ${JSON.stringify(name)}`)
      for (const [slot, v] of map) {
        const data = entry?.[slot]
        if (data === undefined) throw new Error(`Optimizer state lacks slot ${slot} of ${JSON.stringify(name)}`)
        if (data.length !== v.size) throw new Error(`Optimizer state slot ${slot} of ${JSON.stringify(name)} has ${data.length} values, expected ${v.size}`)
        tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')))
      }
    }
    this.#t = state.t
  }

  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    for (const map of this.#slots.values()) for (const v of map.values()) v.dispose()
    this.#slots.clear()
  }
}
