/**
 * The page's side of ./protocol.ts: `workerClient(create, options).call(method, request, { transfer, signal,
 * onProgress, timeoutMs })` posts the call with an id and resolves with the worker's result for that id (rejects
 * with its error, a CancelledError when `signal` aborts, a TimeoutError after `timeoutMs`). `open(...)` starts the
 * same call and also returns `send(control)`, for a long job the page steers while it runs (training: pause,
 * resume, stop, checkpoint). A crashed worker (or one whose message cannot be read) fails every call it had with
 * `options.crashed(...)`; the next call starts a fresh one.
 */
import { CancelledError, TimeoutError, type CallMessage, type MethodName, type Methods, type ReplyMessage } from './protocol'

/** What the client needs of a Worker (a real one, or a MessagePort-backed stand-in in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void
  onmessage: ((event: MessageEvent) => void) | null
  onerror: ((event: ErrorEvent) => void) | null
  /** A message that could not be deserialized (a real Worker has it; stand-ins may leave it out). */
  onmessageerror?: ((event: MessageEvent) => void) | null
  terminate(): void
}

export interface CallOptions<Progress> {
  /** Buffers moved to the worker, not copied (the caller's copies become empty). */
  readonly transfer?: Transferable[]
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: Progress) => void
  readonly timeoutMs?: number
}

export interface WorkerClientOptions {
  /**
   * One worker per call, terminated when the call ends (a job that holds much memory or cannot stop between steps:
   * cancelling it or a timeout ends the worker). Otherwise one worker serves every call, in its own order.
   */
  readonly perCall?: boolean
  /** The error text when the worker crashes (`detail`: the browser's message). */
  readonly crashed: (detail: string) => string
}

/** A call in flight, started with `open`. */
export interface OpenCall<Result, Control> {
  readonly result: Promise<Result>
  /** Tells the running call something (its handler's `ctx.onControl`); does nothing once the call has ended. */
  send(control: Control, transfer?: Transferable[]): void
}

export interface WorkerClient<M extends Methods> {
  call<K extends MethodName<M>>(method: K, request: M[K]['request'], options?: CallOptions<M[K]['progress']>): Promise<M[K]['result']>
  open<K extends MethodName<M>>(method: K, request: M[K]['request'], options?: CallOptions<M[K]['progress']>): OpenCall<M[K]['result'], M[K]['control']>
  /** Ends the worker; its calls reject with a CancelledError. */
  terminate(): void
}

interface Pending {
  readonly worker: WorkerLike
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
  readonly onProgress: ((progress: never) => void) | undefined
  readonly cleanup: () => void
}

/** `create` makes the worker (`new Worker(new URL('./x.worker.ts', import.meta.url), ...)` stays in the feature, where Vite finds it). */
export function workerClient<M extends Methods>(create: (method: MethodName<M>, request: unknown) => WorkerLike, options: WorkerClientOptions): WorkerClient<M> {
  let shared: WorkerLike | null = null
  let nextId = 1
  const pending = new Map<number, Pending>()

  const settle = (id: number, outcome: { ok: true; value: unknown } | { ok: false; error: Error }) => {
    const p = pending.get(id)
    if (!p) return
    pending.delete(id)
    p.cleanup()
    if (options.perCall) p.worker.terminate()
    if (outcome.ok) p.resolve(outcome.value)
    else p.reject(outcome.error)
  }

  const drop = (worker: WorkerLike, error: Error) => {
    for (const [id, p] of pending) if (p.worker === worker) settle(id, { ok: false, error })
    worker.terminate()
    if (shared === worker) shared = null
  }

  const start = (method: MethodName<M>, request: unknown): WorkerLike => {
    const worker = create(method, request)
    worker.onmessage = (event: MessageEvent<ReplyMessage>) => {
      const m = event.data
      const p = pending.get(m.id)
      if (!p) return // answered after it was cancelled or timed out
      if (m.kind === 'progress') p.onProgress?.(m.progress as never)
      else if (m.kind === 'result') settle(m.id, { ok: true, value: m.result })
      else settle(m.id, { ok: false, error: new Error(m.message) })
    }
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault()
      drop(worker, new Error(options.crashed(event.message || 'see the console')))
    }
    worker.onmessageerror = () => drop(worker, new Error(options.crashed('a message from the worker could not be read')))
    return worker
  }

  const open = <K extends MethodName<M>>(method: K, request: M[K]['request'], callOptions: CallOptions<M[K]['progress']> = {}): OpenCall<M[K]['result'], M[K]['control']> => {
    const { transfer = [], signal, onProgress, timeoutMs } = callOptions
    if (signal?.aborted) return { result: Promise.reject(new CancelledError()), send: () => undefined }
    const worker = options.perCall ? start(method, request) : (shared ??= start(method, request))
    const id = nextId++
    const send = (control: M[K]['control'], list: Transferable[] = []) => {
      if (pending.has(id)) worker.postMessage({ kind: 'control', id, control } satisfies CallMessage<M>, list)
    }
    const result = new Promise<M[K]['result']>((resolve, reject) => {
      const stop = (error: Error) => {
        // A shared worker is told (its handler sees its signal abort); a per-call worker is simply ended.
        if (!options.perCall) worker.postMessage({ kind: 'cancel', id } satisfies CallMessage<M>, [])
        settle(id, { ok: false, error })
      }
      const onAbort = () => stop(new CancelledError())
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop(new TimeoutError(timeoutMs)), timeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      pending.set(id, {
        worker,
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress: onProgress as ((progress: never) => void) | undefined,
        cleanup: () => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
        },
      })
      worker.postMessage({ kind: 'call', id, method, request } as CallMessage<M>, transfer)
    })
    return { result, send }
  }

  return {
    open,
    call: (method, request, callOptions) => open(method, request, callOptions).result,
    terminate() {
      const workers = new Set([...pending.values()].map((p) => p.worker))
      if (shared) workers.add(shared)
      for (const worker of workers) drop(worker, new CancelledError())
    },
  }
}
