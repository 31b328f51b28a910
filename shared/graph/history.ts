/**
 * Undo/redo history over immutable values (pure: every function returns a new history).
 *
 *   let h = createHistory(doc)
 *   h = pushHistory(h, nextDoc)                          // after each edit
 *   h = pushHistory(h, dragged, { coalesce: 'move:n1' }) // consecutive pushes with the same key merge (drags, typing)
 *   if (canUndo(h)) h = undo(h)                          // h.present is the value to show
 */
export interface History<T> {
  readonly past: readonly T[]
  readonly present: T
  readonly future: readonly T[]
  /** Maximum number of undo steps kept. */
  readonly limit: number
  /** Key of the last push, for coalescing. */
  readonly lastKey?: string
}

export function createHistory<T>(initial: T, options: { limit?: number } = {}): History<T> {
  return { past: [], present: initial, future: [], limit: options.limit ?? 200 }
}

/** Record a new present. Pushing the same value (===) is a no-op. Clears the redo stack. */
export function pushHistory<T>(h: History<T>, next: T, options: { coalesce?: string } = {}): History<T> {
  if (next === h.present) return h
  if (options.coalesce !== undefined && options.coalesce === h.lastKey && h.past.length > 0) {
    return { ...h, present: next, future: [] }
  }
  const past = [...h.past, h.present].slice(-h.limit)
  const base = { past, present: next, future: [] as T[], limit: h.limit }
  return options.coalesce !== undefined ? { ...base, lastKey: options.coalesce } : base
}

export const canUndo = <T>(h: History<T>): boolean => h.past.length > 0
export const canRedo = <T>(h: History<T>): boolean => h.future.length > 0

export function undo<T>(h: History<T>): History<T> {
  if (!canUndo(h)) return h
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1]!, future: [h.present, ...h.future], limit: h.limit }
}

export function redo<T>(h: History<T>): History<T> {
  if (!canRedo(h)) return h
  return { past: [...h.past, h.present], present: h.future[0]!, future: h.future.slice(1), limit: h.limit }
}
