/**
 * The worker's side of ./protocol.ts: `serve<Methods>({ method: async (request, ctx) => result })` answers each
 * call with its handler's result, or its error's message. A handler reports progress with `ctx.progress(...)`,
 * moves buffers with the result with `ctx.transfer(...)`, may watch `ctx.signal` (the page cancelled), and hears
 * the page's control messages for the call with `ctx.onControl(...)` (those sent before it listens are kept for it).
 */
import { errorMessage, type CallMessage, type MethodName, type Methods, type ReplyMessage } from './protocol'

export interface CallContext<Progress, Control = never> {
  progress(progress: Progress, transfer?: Transferable[]): void
  /** The page's control messages for this call, in the order sent (the first listener only). */
  onControl(listener: (control: Control) => void): void
  /** Buffers to move with the result instead of copying them. */
  transfer(...buffers: Transferable[]): void
  /** Aborted when the page cancels this call. */
  readonly signal: AbortSignal
}

export type Handlers<M extends Methods> = {
  readonly [K in MethodName<M>]: (request: M[K]['request'], ctx: CallContext<M[K]['progress'], M[K]['control']>) => Promise<M[K]['result']> | M[K]['result']
}

/** The worker's global scope as serve uses it (a MessagePort in tests). */
export interface WorkerPort {
  postMessage(message: unknown, transfer: Transferable[]): void
  onmessage: ((event: MessageEvent) => void) | null
}

export interface ServeOptions {
  /** One call at a time, in the order sent (calls that share a model or a backend). */
  readonly sequential?: boolean
  readonly port?: WorkerPort
}

export function serve<M extends Methods>(handlers: Handlers<M>, options: ServeOptions = {}): void {
  const port = options.port ?? (globalThis as unknown as WorkerPort)
  const running = new Map<number, Running>()
  let queue: Promise<void> = Promise.resolve()
  const post = (message: ReplyMessage, transfer: Transferable[] = []) => port.postMessage(message, transfer)

  const run = async (id: number, method: MethodName<M>, request: unknown, call: Running) => {
    const transfer: Transferable[] = []
    const ctx: CallContext<unknown, unknown> = {
      progress: (progress, list = []) => post({ kind: 'progress', id, progress }, list),
      onControl(listener) {
        if (call.listener) return
        call.listener = listener
        for (const control of call.early.splice(0)) listener(control)
      },
      transfer: (...buffers) => void transfer.push(...buffers),
      signal: call.abort.signal,
    }
    try {
      const handler = handlers[method]
      if (!handler) throw new Error(`This worker has no method "${method}"`)
      const result: unknown = await handler(request, ctx as never)
      post({ kind: 'result', id, result }, transfer)
    } catch (error) {
      post({ kind: 'error', id, message: errorMessage(error) })
    } finally {
      running.delete(id)
    }
  }

  port.onmessage = (event: MessageEvent<CallMessage<M>>) => {
    const m = event.data
    if (m.kind === 'cancel') {
      running.get(m.id)?.abort.abort()
      return
    }
    if (m.kind === 'control') {
      const call = running.get(m.id)
      if (call?.listener) call.listener(m.control)
      else call?.early.push(m.control)
      return
    }
    const call: Running = { abort: new AbortController(), listener: null, early: [] }
    running.set(m.id, call)
    if (options.sequential) queue = queue.then(() => run(m.id, m.method, m.request, call))
    else void run(m.id, m.method, m.request, call)
  }
}

/** A call being served: its cancel signal and where its control messages go. */
interface Running {
  readonly abort: AbortController
  listener: ((control: unknown) => void) | null
  /** Control messages that arrived before the handler listened. */
  readonly early: unknown[]
}
