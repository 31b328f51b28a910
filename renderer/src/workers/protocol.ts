/**
 * The one protocol between the page and its workers (all six: training, evaluation, procedure, preview, probe,
 * diagnostics): the page calls a method by name with an id, the worker answers that id with progress (any number:
 * a long job's event stream), then one result or one error; while the call runs the page may send it control
 * messages (pause, stop...) and may cancel it. Each worker names its methods in a `Methods` map (request, result,
 * progress and control types per method); ./client.ts is the page's side, ./serve.ts the worker's.
 */

/** One method of a worker: what it is sent, what it answers, what it reports while it runs, what it can be told meanwhile. */
export interface Method<Request, Result, Progress = never, Control = never> {
  readonly request: Request
  readonly result: Result
  readonly progress: Progress
  readonly control: Control
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any method shape: each worker's map names its own.
export type Methods = Record<string, Method<any, any, any, any>>

export type MethodName<M extends Methods> = keyof M & string

/** Page -> worker. */
export type CallMessage<M extends Methods> =
  | { [K in MethodName<M>]: { readonly kind: 'call'; readonly id: number; readonly method: K; readonly request: M[K]['request'] } }[MethodName<M>]
  | { readonly kind: 'cancel'; readonly id: number }
  /** A message to a running call (its handler's `ctx.onControl`); ignored once the call has ended. */
  | { readonly kind: 'control'; readonly id: number; readonly control: unknown }

/** Worker -> page. */
export type ReplyMessage =
  | { readonly kind: 'progress'; readonly id: number; readonly progress: unknown }
  | { readonly kind: 'result'; readonly id: number; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly message: string }

/** A call that was cancelled (by the page's AbortSignal): its promise rejects with this. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled')
    this.name = 'CancelledError'
  }
}

/** A call that got no answer in time. */
export class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms / 1000} s`)
    this.name = 'TimeoutError'
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
