/**
 * Reading one layer of a TF.js layers-model topology (model.json): the error type and the small typed reader a
 * layer kind's `fromTfjs` gets (shared/graph/layers.ts). Pure: no tfjs at run time. The importer
 * (import-tfjs.ts) walks the topology and asks the registry which kind reads each layer.
 */
import type { Shape } from './types'

export class TfjsImportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TfjsImportError'
  }
}

/** One layer of the file, as a kind's `fromTfjs` sees it. */
export interface TfjsLayer {
  readonly name: string
  readonly className: string
  readonly config: Readonly<Record<string, unknown>>
  /** The layer is one of the model's outputs (the last layer of a Sequential model). */
  readonly isOutput: boolean
}

/** Typed access to a layer's config; every refusal names the layer and its class. */
export interface TfjsReader {
  readonly config: Readonly<Record<string, unknown>>
  /** A finite number, or the fallback when absent. */
  num(key: string, fallback: number): number
  bool(key: string, fallback: boolean): boolean
  /** A number or an [h, w] pair (a square pair becomes one number), or the fallback. */
  pair(key: string, fallback: number | number[]): number | number[]
  /** 'same' or 'valid' (default 'valid'); refuses anything else. */
  padding(): 'same' | 'valid'
  /** Refuses a channels-first layer. */
  channelsLast(): void
  /** The fused activation as a studio kind (`activation: 'relu'` -> 'ReLU'), null for none or linear. */
  activation(): string | null
  /** The layer's fixed input shape without the batch axis ([H, W, C] or [D]). */
  inputShape(): number[]
  /** Refuses the layer: `Layer "<name>" (<class>) <message>`. */
  fail(message: string): never
}

/** TF.js activation names that are the identity (no node). */
export const IDENTITY_ACTIVATIONS: readonly string[] = ['linear']

/**
 * The reader for one layer. `activationKinds` maps TF.js activation names to the studio's kinds (from the
 * registry's `fromTfjs.activations`).
 */
export function tfjsReader(layer: Pick<TfjsLayer, 'name' | 'className' | 'config'>, activationKinds: ReadonlyMap<string, string>): TfjsReader {
  const c = layer.config
  const fail = (message: string): never => {
    throw new TfjsImportError(`Layer "${layer.name}" (${layer.className}) ${message}`)
  }
  return {
    config: c,
    fail,
    num: (key, fallback) => {
      const v = c[key]
      return typeof v === 'number' && Number.isFinite(v) ? v : fallback
    },
    bool: (key, fallback) => {
      const v = c[key]
      return typeof v === 'boolean' ? v : fallback
    },
    pair: (key, fallback) => {
      const v = c[key]
      if (typeof v === 'number') return v
      if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return v[0] === v[1] ? (v[0] as number) : [v[0] as number, v[1] as number]
      return fallback
    },
    padding: () => {
      const p = c.padding ?? 'valid'
      if (p !== 'same' && p !== 'valid') fail(`uses padding ${JSON.stringify(p)} (only 'same' and 'valid')`)
      return p as 'same' | 'valid'
    },
    channelsLast: () => {
      const f = c.data_format
      if (f !== undefined && f !== null && f !== 'channels_last') fail(`uses data_format '${String(f)}'; the studio is channels-last only`)
    },
    activation: () => {
      const a = c.activation
      if (a === undefined || a === null) return null
      if (typeof a !== 'string') return fail(`has an activation this importer does not read: ${JSON.stringify(a)}`)
      if (IDENTITY_ACTIVATIONS.includes(a)) return null
      const kind = activationKinds.get(a)
      if (kind === undefined) {
        fail(`uses the activation '${a}', which the studio does not have (supported: ${[...IDENTITY_ACTIVATIONS, ...activationKinds.keys()].join(', ')})`)
      }
      return kind as string
    },
    inputShape: () => {
      const batch = c.batch_input_shape ?? c.batch_shape
      const shape: unknown = Array.isArray(batch) ? batch.slice(1) : Array.isArray(c.input_shape) ? c.input_shape : null
      if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
        fail(`has no fixed input shape (${JSON.stringify(shape)}); the studio needs [H, W, C] or [D]`)
      }
      return shape as number[]
    },
  }
}

/** How a layer kind reads TF.js layers (the `fromTfjs` of a LayerDef). */
export interface TfjsImport<P> {
  /** The TF.js classes this kind reads (`Conv2D`, `MaxPooling2D`, ...). */
  readonly classNames?: readonly string[]
  /** TF.js activation names that mean this kind: a fused `activation: 'relu'` and an `Activation('relu')` layer. */
  readonly activations?: readonly string[]
  /** Only layers for which this is true are read by this kind (Output: a softmax Dense that is an output); tried before kinds without it. */
  readonly when?: (layer: TfjsLayer) => boolean
  /** The node's params, and a fused activation to put after it; refuses what the studio cannot represent (`r.fail`). */
  readonly read?: (layer: TfjsLayer, r: TfjsReader) => { params: P; activation?: string | null }
  /** A check that needs the node's input shape, run once the graph is built (LayerNorm's axes). */
  readonly check?: (layer: TfjsLayer, inputShape: Shape | undefined, r: TfjsReader) => void
}
