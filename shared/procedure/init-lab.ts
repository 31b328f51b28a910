/**
 * Init lab: the lectures' weight-initialization experiment on any model.
 *
 * `reinitialize(model, init, seed)` rewrites every kernel (Dense, Conv2D, DepthwiseConv2D, SeparableConv2D...)
 * in place with the lecture's formulas, seeded from shared/random (so the experiment is reproducible):
 *   normal:STD   W ~ STD * randn               (0.01: activations collapse; 0.05: they blow up)
 *   xavier       W ~ randn * sqrt(1 / Din)     (Glorot for tanh/sigmoid, Din = fan-in)
 *   kaiming      W ~ randn * sqrt(2 / Din)     (He for ReLU)
 * Biases are set to 0. Normalization layers are left alone.
 *
 * `initLab(model, { input })` runs ONE forward pass (inference mode) on a batch and returns, for every layer
 * after the input, the activation mean, std, min/max, a histogram (default 30 bins over [min, max]) and, for
 * ReLU outputs, the fraction of dead units (an output element that is zero for every sample of the batch).
 * `compareInitializers` re-initializes ONE model with several schemes and runs the lab for each (building a
 * model like the 84M-parameter 6x4096 MLP once, not once per scheme).
 *
 * Reproducing the lecture (tests/shared/procedure/init-lab.test.ts): the 6x4096 ReLU MLP on 16 samples of
 * N(0, 1) in 4096-d. A ReLU layer multiplies the activation scale by about std * sqrt(Din / 2): 0.01 * sqrt(2048)
 * = 0.45 per layer with normal 0.01, so the last (6th) ReLU layer's std is about 0.45^5 = 0.02 of the first's
 * and below 0.01 in absolute terms (collapse: the test asserts < 0.05 x the first layer's and < 0.01); with 0.05
 * it is 2.3 per layer (blow-up: > 20x the first layer's); with Kaiming exactly 1, so every ReLU layer's std
 * stays within a factor of 2 of the first one's.
 *
 * `updateRatios(before, after)`: per weight (kernel) variable, ||W_after - W_before|| / ||W_before||, the
 * update-to-weight ratio (a common rule of thumb, not in the lectures: around 1e-3 per update; much larger
 * means the LR is too high, much smaller too low).
 */
import * as tf from '@tensorflow/tfjs'
import { createRng } from '../random'
import { variableName } from '../train'

export type InitScheme = { type: 'normal'; std: number } | { type: 'xavier' } | { type: 'kaiming' }

/** Parses `normal:0.01`, `xavier`/`glorot`, `kaiming`/`he`. */
export function parseInitScheme(text: string): InitScheme {
  const t = text.trim().toLowerCase()
  if (t === 'xavier' || t === 'glorot') return { type: 'xavier' }
  if (t === 'kaiming' || t === 'he') return { type: 'kaiming' }
  const m = /^normal:([0-9.eE+-]+)$/.exec(t)
  if (m) {
    const std = Number(m[1])
    if (Number.isFinite(std) && std > 0) return { type: 'normal', std }
  }
  throw new Error(`Unknown initializer ${JSON.stringify(text)}: use normal:STD (e.g. normal:0.01), xavier or kaiming`)
}

export function initSchemeLabel(s: InitScheme): string {
  return s.type === 'normal' ? `normal ${s.std}` : s.type === 'xavier' ? 'Xavier sqrt(1/Din)' : 'Kaiming sqrt(2/Din)'
}

/** The lecture's four: 0.01*randn, 0.05*randn, Xavier, Kaiming. */
export const LECTURE_SCHEMES: readonly InitScheme[] = [{ type: 'normal', std: 0.01 }, { type: 'normal', std: 0.05 }, { type: 'xavier' }, { type: 'kaiming' }]

/**
 * Fills `out` with N(0, std^2) samples (Box-Muller, both outputs used). The stream is shared/random's sfc32,
 * keyed by `createRng(seed)`: its first four words seed a local copy of the same generator, because millions of
 * draws through the class's private fields cost 3x more (a 4096x4096 kernel is 16.7M draws).
 */
export function fillNormal(out: Float32Array, std: number, seed: number | string): Float32Array {
  const rng = createRng(seed)
  let a = rng.uint32() | 0
  let b = rng.uint32() | 0
  let c = rng.uint32() | 0
  let d = rng.uint32() | 0
  const TWO_PI = 2 * Math.PI
  const INV = 1 / 4294967296
  for (let i = 0; i < out.length; i += 2) {
    let t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    const u1 = ((t >>> 0) + 1) * INV // (0, 1]
    t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    const u2 = (t >>> 0) * INV
    const r = std * Math.sqrt(-2 * Math.log(u1))
    out[i] = r * Math.cos(TWO_PI * u2)
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(TWO_PI * u2)
  }
  return out
}

const KERNEL_LEAVES = /^(kernel|depthwise_kernel|pointwise_kernel)(_\d+)?$/

interface LayerWeightLike {
  readonly name: string
  readonly originalName?: string
  readonly shape: number[]
  read(): tf.Variable
  write(v: tf.Tensor): unknown
}

function fanIn(leaf: string, shape: readonly number[]): number {
  if (shape.length === 2) return shape[0] as number
  if (shape.length === 4) {
    const [kh, kw, cin] = shape as [number, number, number, number]
    // depthwise kernels [kh, kw, cin, mult]: each output sees kh*kw inputs.
    return leaf.startsWith('depthwise') ? kh * kw : kh * kw * cin
  }
  return shape.slice(0, -1).reduce((a, b) => a * b, 1)
}

/** Std of a scheme for a kernel with fan-in `din`. */
export function schemeStd(s: InitScheme, din: number): number {
  return s.type === 'normal' ? s.std : s.type === 'xavier' ? Math.sqrt(1 / din) : Math.sqrt(2 / din)
}

/**
 * Rewrites the model's kernels (of the layers in `only`, default all) with `scheme` and zeroes their biases;
 * returns the layers touched. A kernel is std x Z where Z ~ N(0, 1) is drawn from the stream
 * `<seed>/<variable name>`: the same Z for every scheme (only the scale differs). `cache` keeps the Z tensors
 * between calls (compareInitializers), so a second scheme costs no new draws; the caller disposes them.
 */
export function reinitialize(
  model: tf.LayersModel,
  scheme: InitScheme,
  seed: number | string = 0,
  only?: ReadonlySet<string>,
  cache?: Map<string, tf.Tensor>,
): string[] {
  const touched: string[] = []
  for (const layer of model.layers) {
    if (only !== undefined && !only.has(layer.name)) continue
    const ws = layer.weights as unknown as LayerWeightLike[]
    const kernels = ws.filter((w) => KERNEL_LEAVES.test(leafOf(w)))
    if (kernels.length === 0) continue
    touched.push(layer.name)
    for (const w of ws) {
      const leaf = leafOf(w)
      if (KERNEL_LEAVES.test(leaf)) {
        const key = `${String(seed)}/${variableName(w)}`
        let z = cache?.get(key)
        if (z === undefined) {
          const size = w.shape.reduce((a, b) => a * b, 1)
          z = tf.tensor(fillNormal(new Float32Array(size), 1, key), w.shape)
          cache?.set(key, z)
        }
        const t = tf.mul(z, schemeStd(scheme, fanIn(leaf, w.shape)))
        w.write(t)
        t.dispose()
        if (cache === undefined) z.dispose()
      } else if (/^bias(_\d+)?$/.test(leaf)) {
        const t = tf.zeros(w.shape)
        w.write(t)
        t.dispose()
      }
    }
  }
  return touched
}

function leafOf(w: { name: string; originalName?: string }): string {
  const n = variableName(w)
  return n.slice(n.lastIndexOf('/') + 1)
}

export interface LayerActivationStats {
  readonly layer: string
  readonly className: string
  readonly shape: number[]
  readonly mean: number
  readonly std: number
  readonly min: number
  readonly max: number
  /** `bins` counts over [min, max] (equal widths); edges has bins + 1 entries. */
  readonly histogram: { edges: number[]; counts: number[] }
  /** For ReLU outputs: fraction of output elements that are zero for every sample; null otherwise. */
  readonly deadFraction: number | null
  /** Fraction of all activation values that are exactly zero. */
  readonly zeroFraction: number
}

export interface InitLabResult {
  readonly scheme: InitScheme | null
  readonly label: string
  readonly input: { mean: number; std: number }
  readonly layers: LayerActivationStats[]
}

interface ActLike {
  getClassName(): string
  readonly activation?: { getClassName(): string }
}

function isRelu(layer: ActLike): boolean {
  const cls = layer.getClassName()
  if (cls === 'ReLU') return true
  const act = layer.activation?.getClassName()
  return act === 'relu' || act === 'relu6'
}

/** `samples` x `dims` values from N(0, 1), seeded (the lecture's `x = np.random.randn(16, 4096)`). */
export function gaussianBatch(shape: readonly number[], seed: number | string = 0): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1)
  return tf.tensor(fillNormal(new Float32Array(size), 1, `input/${String(seed)}`), [...shape])
}

export interface InitLabOptions {
  /** Draw cache for reinitialize (see there). */
  readonly cache?: Map<string, tf.Tensor>
  /** The batch; default 16 samples of N(0, 1) in the model's input shape (seeded by `seed`). */
  readonly input?: tf.Tensor
  readonly samples?: number
  /** Re-initialize first (in place). */
  readonly scheme?: InitScheme
  readonly seed?: number | string
  readonly bins?: number
}

function stats(data: Float32Array, bins: number): { mean: number; std: number; min: number; max: number; histogram: { edges: number[]; counts: number[] }; zeroFraction: number } {
  let sum = 0
  let min = Infinity
  let max = -Infinity
  let zeros = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number
    sum += v
    if (v < min) min = v
    if (v > max) max = v
    if (v === 0) zeros++
  }
  const mean = sum / data.length
  let ss = 0
  for (let i = 0; i < data.length; i++) ss += ((data[i] as number) - mean) ** 2
  const std = Math.sqrt(ss / data.length)
  const lo = Number.isFinite(min) ? min : 0
  const hi = Number.isFinite(max) ? max : 0
  const width = hi > lo ? (hi - lo) / bins : 1
  const counts = new Array<number>(bins).fill(0)
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number
    if (!Number.isFinite(v)) continue
    const b = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))
    counts[b] = (counts[b] as number) + 1
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width)
  return { mean, std, min: lo, max: hi, histogram: { edges, counts }, zeroFraction: zeros / Math.max(1, data.length) }
}

/** One forward pass at the current (or re-initialized) weights; per-layer activation statistics. */
export async function initLab(model: tf.LayersModel, options: InitLabOptions = {}): Promise<InitLabResult> {
  if (options.scheme) reinitialize(model, options.scheme, options.seed ?? 0, undefined, options.cache)
  const bins = options.bins ?? 30
  const inputShape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[]
  const x = options.input ?? gaussianBatch([options.samples ?? 16, ...inputShape], options.seed ?? 0)
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer')
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tf.SymbolicTensor) })
  const out: LayerActivationStats[] = []
  try {
    const inData = (await x.data()) as Float32Array
    const inStats = stats(inData, bins)
    const results = tf.tidy(() => {
      const r = probe.predict(x)
      return Array.isArray(r) ? r : [r]
    })
    try {
      for (let i = 0; i < layers.length; i++) {
        const layer = layers[i] as tf.layers.Layer
        const t = results[i] as tf.Tensor
        const data = (await t.data()) as Float32Array
        const s = stats(data, bins)
        let deadFraction: number | null = null
        if (isRelu(layer as unknown as ActLike)) {
          const n = t.shape[0] as number
          const per = data.length / n
          let dead = 0
          for (let k = 0; k < per; k++) {
            let alive = false
            for (let b = 0; b < n && !alive; b++) if ((data[b * per + k] as number) !== 0) alive = true
            if (!alive) dead++
          }
          deadFraction = dead / Math.max(1, per)
        }
        out.push({ layer: layer.name, className: layer.getClassName(), shape: t.shape.slice(1), ...s, deadFraction })
      }
    } finally {
      tf.dispose(results)
    }
    return { scheme: options.scheme ?? null, label: options.scheme ? initSchemeLabel(options.scheme) : 'current weights', input: { mean: inStats.mean, std: inStats.std }, layers: out }
  } finally {
    if (options.input === undefined) x.dispose()
  }
}

/** Runs the lab for each scheme on the same model, the same input batch and the same unit-normal draws. */
export async function compareInitializers(
  model: tf.LayersModel,
  schemes: readonly InitScheme[] = LECTURE_SCHEMES,
  options: Omit<InitLabOptions, 'scheme'> = {},
): Promise<InitLabResult[]> {
  const inputShape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[]
  const x = options.input ?? gaussianBatch([options.samples ?? 16, ...inputShape], options.seed ?? 0)
  const cache = options.cache ?? new Map<string, tf.Tensor>()
  try {
    const out: InitLabResult[] = []
    for (const scheme of schemes) out.push(await initLab(model, { ...options, input: x, scheme, cache }))
    return out
  } finally {
    if (options.input === undefined) x.dispose()
    if (options.cache === undefined) tf.dispose([...cache.values()])
  }
}

/** Kernel values by canonical variable name (copies). */
export async function kernelSnapshot(model: tf.LayersModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>()
  for (const w of model.trainableWeights as unknown as LayerWeightLike[]) {
    if (!KERNEL_LEAVES.test(leafOf(w))) continue
    out.set(variableName(w), new Float32Array(await w.read().data()))
  }
  return out
}

export interface UpdateRatio {
  readonly name: string
  readonly weightNorm: number
  readonly updateNorm: number
  /** ||dW|| / ||W||. */
  readonly ratio: number
}

/** Per weight variable present in both snapshots: the update-to-weight ratio. */
export function updateRatios(before: ReadonlyMap<string, Float32Array>, after: ReadonlyMap<string, Float32Array>): UpdateRatio[] {
  const out: UpdateRatio[] = []
  for (const [name, a] of before) {
    const b = after.get(name)
    if (b === undefined || b.length !== a.length) continue
    let w = 0
    let d = 0
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number
      w += x * x
      d += ((b[i] as number) - x) ** 2
    }
    const weightNorm = Math.sqrt(w)
    const updateNorm = Math.sqrt(d)
    out.push({ name, weightNorm, updateNorm, ratio: weightNorm > 0 ? updateNorm / weightNorm : updateNorm > 0 ? Infinity : 0 })
  }
  return out
}
