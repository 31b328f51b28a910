/**
 * The optimizer kinds, one `defineOptimizer` each (see ./optimizer-registry). To add one: write its definition
 * here, append it to OPTIMIZER_KINDS, and add its case to tests/shared/train/optimizer-registry.test.ts.
 *
 * For each updated variable w with gradient g and effective learning rate a = lr * lrMultiplier (after clipping and,
 * for 'l2' kinds, g <- g + lambda * w):
 *   sgd:        w <- w - a * g
 *   momentum:   v <- mu * v + g;  w <- w - a * v                  (PyTorch convention, v starts at 0)
 *   nesterov:   v <- mu * v + g;  w <- w - a * (g + mu * v)
 *   adam:       m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  t counts updates from 1
 *               w <- w - a * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *   adamw:      adam, then decoupled decay: w <- w - a * lambda * w_old
 *   lion:       w <- w - a * sign(b1 m + (1 - b1) g);  m <- b2 m + (1 - b2) g;  then decoupled decay
 */
import type * as tfTypes from '@tensorflow/tfjs'
import { z } from 'zod'
import { ADAM_UPDATE, ADAM_UPDATE_MAX_SIZE } from '../tfjs/wasm/kernel-names'
import type { AdamUpdateAttrs } from '../tfjs/wasm/kernel-names'
import { bool, num } from './fields'
import { defineOptimizer, type FormField, type Hyperparameter, type UpdateContext } from './optimizer-registry'

const unit = (what: string, fallback: number) => num(what, (v) => v >= 0 && v < 1, 'in [0, 1)').default(fallback)

const adamShape = {
  beta1: unit('beta1', 0.9),
  beta2: unit('beta2', 0.999),
  epsilon: num('epsilon', (v) => v > 0, '> 0').default(1e-8),
}
const adamHyper: readonly Hyperparameter[] = [
  { name: 'beta1', label: 'β1', default: 0.9, help: 'Decay of the running mean of the gradient (first moment).' },
  { name: 'beta2', label: 'β2', default: 0.999, help: 'Decay of the running mean of the squared gradient (second moment).' },
  { name: 'epsilon', label: 'ε', default: 1e-8, help: 'Added to the square root of the second moment, against division by zero.' },
]
const adamFields = [
  { param: 'beta1', formKey: 'beta1', label: 'β1', default: '0.9' },
  { param: 'beta2', formKey: 'beta2', label: 'β2', default: '0.999' },
] as const

type AdamSpec = z.output<z.ZodObject<typeof adamShape>>

function adamStep({ tf, spec, w, g, lr, t, slots }: UpdateContext<AdamSpec>): tfTypes.Tensor {
  const m = slots.m as tfTypes.Variable
  const v = slots.v as tfTypes.Variable
  if (w.dtype === 'float32' && g.dtype === 'float32' && w.size <= ADAM_UPDATE_MAX_SIZE && tf.getKernel(ADAM_UPDATE, tf.getBackend()) !== undefined) {
    // One kernel for the whole update (shared/tfjs/wasm/optimizer-kernels.ts), bit-identical to the ops below.
    const attrs: AdamUpdateAttrs = { beta1: spec.beta1, beta2: spec.beta2, epsilon: spec.epsilon, lr, t }
    const [wNew, mNew, vNew] = tf.engine().runKernel(ADAM_UPDATE, { w, g, m, v }, attrs as unknown as tfTypes.NamedAttrMap) as tfTypes.Tensor[]
    m.assign(mNew as tfTypes.Tensor)
    v.assign(vNew as tfTypes.Tensor)
    return wNew as tfTypes.Tensor
  }
  const mNew = tf.add(tf.mul(m, spec.beta1), tf.mul(g, 1 - spec.beta1))
  const vNew = tf.add(tf.mul(v, spec.beta2), tf.mul(tf.square(g), 1 - spec.beta2))
  m.assign(mNew)
  v.assign(vNew)
  const mHat = tf.div(mNew, 1 - Math.pow(spec.beta1, t))
  const vHat = tf.div(vNew, 1 - Math.pow(spec.beta2, t))
  const update = tf.div(mHat, tf.add(tf.sqrt(vHat), spec.epsilon))
  return tf.sub(w, tf.mul(update, lr))
}

export const sgd = defineOptimizer({
  type: 'sgd',
  label: 'SGD',
  description: 'Stochastic gradient descent, optionally with (Nesterov) momentum: the baseline; needs a tuned learning rate and usually a schedule.',
  reference: 'Robbins & Monro 1951; Polyak 1964 (momentum); Sutskever et al. 2013 (Nesterov)',
  formula: 'v <- mu v + g; w <- w - lr v (Nesterov: w <- w - lr (g + mu v)); without momentum w <- w - lr g',
  schema: z.strictObject({
    type: z.literal('sgd'),
    momentum: unit('momentum', 0),
    nesterov: bool('nesterov').default(false),
  }),
  hyperparameters: [
    { name: 'momentum', label: 'Momentum', default: 0, help: 'Decay of the velocity (0 = plain SGD).' },
    { name: 'nesterov', label: 'Nesterov', default: false, help: 'Look-ahead step: the gradient plus momentum times the new velocity.' },
  ],
  weightDecay: 'l2',
  defaultLearningRate: 1e-2,
  slots: (spec) => (spec.momentum > 0 ? ['momentum'] : []),
  update({ tf, spec, w, g, lr, slots }) {
    if (spec.momentum <= 0) return tf.sub(w, tf.mul(g, lr))
    const v = slots.momentum as tfTypes.Variable
    const vNew = tf.add(tf.mul(v, spec.momentum), g)
    v.assign(vNew)
    const step = spec.nesterov ? tf.add(g, tf.mul(vNew, spec.momentum)) : vNew
    return tf.sub(w, tf.mul(step, lr))
  },
  describe: (s) => (s.momentum > 0 ? `SGD + ${s.nesterov ? 'Nesterov ' : ''}momentum ${s.momentum}` : 'SGD'),
  choices: [
    { value: 'sgd', label: 'SGD', preset: { momentum: 0, nesterov: false }, fields: [] },
    { value: 'momentum', label: 'SGD + momentum', preset: { nesterov: false }, fields: [{ param: 'momentum', formKey: 'momentum', label: 'Momentum', default: '0.9' }] },
    { value: 'nesterov', label: 'SGD + Nesterov momentum', preset: { nesterov: true }, fields: [{ param: 'momentum', formKey: 'momentum', label: 'Momentum', default: '0.9' }] },
  ],
  torch: { className: 'SGD', args: (s) => ({ momentum: s.momentum, nesterov: s.nesterov }) },
})

export const adam = defineOptimizer({
  type: 'adam',
  label: 'Adam',
  description: 'Adaptive moments: per-weight step sizes from running means of the gradient and its square; a robust default.',
  reference: 'Kingma & Ba 2015, Adam: A Method for Stochastic Optimization',
  formula: 'm <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)',
  schema: z.strictObject({ type: z.literal('adam'), ...adamShape }),
  hyperparameters: adamHyper,
  weightDecay: 'l2',
  defaultLearningRate: 1e-3,
  slots: () => ['m', 'v'],
  update: adamStep,
  describe: (s) => `Adam (β1 ${s.beta1}, β2 ${s.beta2})`,
  choices: [{ value: 'adam', label: 'Adam', preset: {}, fields: adamFields }],
  torch: { className: 'Adam', args: (s) => ({ betas: [s.beta1, s.beta2], eps: s.epsilon }) },
})

export const adamw = defineOptimizer({
  type: 'adamw',
  label: 'AdamW',
  description: 'Adam with weight decay decoupled from the adaptive step, so decay acts the same on every weight.',
  reference: 'Loshchilov & Hutter 2019, Decoupled Weight Decay Regularization',
  formula: 'the Adam step, then w <- w - lr lambda w_old',
  schema: z.strictObject({ type: z.literal('adamw'), ...adamShape }),
  hyperparameters: adamHyper,
  weightDecay: 'decoupled',
  defaultLearningRate: 1e-3,
  slots: () => ['m', 'v'],
  update: adamStep,
  describe: (s) => `AdamW (β1 ${s.beta1}, β2 ${s.beta2})`,
  choices: [{ value: 'adamw', label: 'AdamW (decoupled decay)', preset: {}, fields: adamFields }],
  torch: { className: 'AdamW', args: (s) => ({ betas: [s.beta1, s.beta2], eps: s.epsilon }) },
})

export const lion = defineOptimizer({
  type: 'lion',
  label: 'Lion',
  description: 'Evolved sign momentum: every weight moves by the learning rate times the sign of an interpolated momentum; one state tensor, use a 3-10x smaller learning rate than AdamW.',
  reference: 'Chen et al. 2023, Symbolic Discovery of Optimization Algorithms',
  formula: 'c = sign(b1 m + (1 - b1) g); w <- w - lr c; m <- b2 m + (1 - b2) g; then w <- w - lr lambda w_old',
  schema: z.strictObject({ type: z.literal('lion'), beta1: unit('beta1', 0.9), beta2: unit('beta2', 0.99) }),
  hyperparameters: [
    { name: 'beta1', label: 'β1', default: 0.9, help: 'Weight of the momentum in the interpolation whose sign is the step.' },
    { name: 'beta2', label: 'β2', default: 0.99, help: 'Decay of the momentum.' },
  ],
  weightDecay: 'decoupled',
  defaultLearningRate: 1e-4,
  slots: () => ['m'],
  update({ tf, spec, w, g, lr, slots }) {
    const m = slots.m as tfTypes.Variable
    const c = tf.sign(tf.add(tf.mul(m, spec.beta1), tf.mul(g, 1 - spec.beta1)))
    m.assign(tf.add(tf.mul(m, spec.beta2), tf.mul(g, 1 - spec.beta2)))
    return tf.sub(w, tf.mul(c, lr))
  },
  describe: (s) => `Lion (β1 ${s.beta1}, β2 ${s.beta2})`,
  choices: [
    {
      value: 'lion',
      label: 'Lion (sign momentum)',
      preset: {},
      fields: [
        { param: 'beta1', formKey: 'beta1', label: 'β1', default: '0.9' },
        { param: 'beta2', formKey: 'lionBeta2', label: 'β2', default: '0.99', says: 'beta2' },
      ],
    },
  ],
  torch: null,
})

/** Every kind, in the order of the form's list; the config union is built from it. */
export const OPTIMIZER_KINDS = [sgd, adam, adamw, lion] as const

export type OptimizerType = (typeof OPTIMIZER_KINDS)[number]['type']
/** The saved Train form's keys for optimizer hyperparameters. */
export type OptimizerFormKey = (typeof OPTIMIZER_KINDS)[number]['choices'][number]['fields'][number]['formKey']
export const OPTIMIZER_TYPES = OPTIMIZER_KINDS.map((d) => d.type) as [OptimizerType, ...OptimizerType[]]
/** Every form field of every choice (kinds sharing a form key list it once per choice). */
export const OPTIMIZER_FORM_FIELDS = OPTIMIZER_KINDS.flatMap((d) => d.choices as readonly { readonly fields: readonly FormField<OptimizerFormKey>[] }[]).flatMap((c) => c.fields)

/** The registry's lookups, from here so that the kinds are registered whenever they are used. */
export { choiceOfSpec, findOptimizerChoice, getOptimizer, listOptimizers, optimizerChoices, specOfChoice } from './optimizer-registry'
