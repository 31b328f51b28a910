/**
 * Reading a run's config snapshot (`runs.create`'s `config`) without depending on who wrote it. Two writers
 * exist: the Train view (`{ kind: 'cnn-studio/train', architecture: { name, version, document }, dataset: { name },
 * training, ... }`) and the CLI (`{ graph: { template | file, document }, dataset: { name }, training, params }`);
 * hand-written snapshots (`{ optimizer: { kind, lr }, batchSize }`) are read too. Missing values are null.
 */

import { analyzeGraph } from '../graph/analyze'
import { parseGraphDocument } from '../graph/schema'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Splits `a.b[0].c` / `a.b.0.c` into ['a', 'b', 0, 'c']. Returns null for an empty or malformed path. */
export function parsePath(path: string): (string | number)[] | null {
  if (!path) return null
  const out: (string | number)[] = []
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part)
    if (!m) return null
    const [, key, indices] = m as unknown as [string, string, string]
    if (key === '' && indices === '') return null
    if (key !== '') out.push(/^\d+$/.test(key) ? Number(key) : key)
    for (const i of indices.matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]))
  }
  return out
}

/** The value at a dotted path (undefined when absent). */
export function getPath(value: unknown, path: string | readonly (string | number)[]): unknown {
  const parts = typeof path === 'string' ? parsePath(path) : path
  if (!parts) return undefined
  let v: unknown = value
  for (const p of parts) {
    if (Array.isArray(v) && typeof p === 'number') v = v[p]
    else if (isObject(v) && typeof p === 'string') v = v[p]
    else if (isObject(v) && typeof p === 'number') v = v[String(p)]
    else return undefined
  }
  return v
}

/**
 * A config path as the runs table reads it: at the snapshot's root first, then under `training` (where the
 * Train view and the CLI keep the hyperparameters), so `learningRate` and `training.learningRate` both work.
 */
export function configValue(config: unknown, path: string): unknown {
  const v = getPath(config, path)
  return v !== undefined ? v : getPath(getPath(config, 'training'), path)
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null)
const first = <T>(...vs: (T | null)[]): T | null => {
  for (const v of vs) if (v !== null) return v
  return null
}

export interface SnapshotFacts {
  readonly datasetName: string | null
  readonly architectureName: string | null
  readonly architectureVersion: number | null
  readonly optimizer: string | null
  readonly learningRate: number | null
  readonly batchSize: number | null
  readonly epochs: number | null
  readonly weightDecay: number | null
  /** Schedule type (`constant`, `cosine`, `step`, ...). */
  readonly schedule: string | null
  /** Total parameter count when the snapshot records it (the CLI does). */
  readonly paramCount: number | null
  /** The engine that trained it: the snapshot's `engine.name` ('pytorch'), else 'tfjs' for a training snapshot. */
  readonly engine: string | null
  /** The architecture's graph document, when the snapshot has one. */
  readonly graphDocument: unknown
}

/** The facts the runs table shows, read from a snapshot of any writer. */
export function snapshotFacts(config: unknown): SnapshotFacts {
  const c = isObject(config) ? config : {}
  const t = isObject(c.training) ? c.training : c
  const opt = t.optimizer ?? c.optimizer
  const arch = isObject(c.architecture) ? c.architecture : null
  const graph = isObject(c.graph) ? c.graph : null
  const fileName = (p: unknown) => (typeof p === 'string' ? (p.split(/[\\/]/).pop() ?? p) : null)
  const schedule = t.schedule ?? c.schedule
  return {
    datasetName: first(str(getPath(c, 'dataset.name')), str(c.dataset)),
    architectureName: first(str(arch?.name), str(graph?.name), str(graph?.template), fileName(graph?.file), str(c.architecture)),
    architectureVersion: num(arch?.version),
    optimizer: isObject(opt) ? first(str(opt.type), str(opt.kind), str(opt.name)) : str(opt),
    learningRate: first(num(t.learningRate), num(t.lr), isObject(opt) ? first(num(opt.lr), num(opt.learningRate)) : null),
    batchSize: first(num(t.batchSize), num(t.batch_size)),
    epochs: num(t.epochs),
    weightDecay: first(num(t.weightDecay), num(t.weight_decay), isObject(opt) ? first(num(opt.weightDecay), num(opt.weight_decay)) : null),
    schedule: isObject(schedule) ? first(str(schedule.type), str(schedule.kind)) : str(schedule),
    paramCount: first(num(c.params), num(c.paramCount), num(getPath(c, 'summary.params'))),
    engine: first(str(getPath(c, 'engine.name')), str(c.engine), isObject(c.training) || c.kind === 'cnn-studio/train' ? 'tfjs' : null),
    graphDocument: arch?.document ?? graph?.document ?? (isObject(c.document) ? c.document : undefined),
  }
}

/** Total parameters of a graph document (null when it does not analyse cleanly). */
export function graphParamCount(document: unknown): number | null {
  try {
    const analysis = analyzeGraph(parseGraphDocument(document))
    return analysis.ok ? analysis.totals.params : null
  } catch {
    return null
  }
}

/**
 * A run's parameter count: the snapshot's own (the CLI records it), else the run summary's (the app records it
 * once the model is built), else counted from the snapshot's graph.
 */
export function runParamCount(config: unknown, summary: Record<string, unknown> | null | undefined): number | null {
  const f = snapshotFacts(config)
  if (f.paramCount !== null) return f.paramCount
  const s = summary?.params
  if (typeof s === 'number' && Number.isFinite(s)) return s
  return f.graphDocument !== undefined ? graphParamCount(f.graphDocument) : null
}
