/**
 * The worker's side of ./protocol.ts: `serve<Methods>({ method: async (request, ctx) => result })` answers each
 * call with its handler's result, or its error's message. A handler reports progress with `ctx.progress(...)`,
 * moves buffers with the result with `ctx.transfer(...)`, and may watch `ctx.signal` (the page cancelled).
 */
import { errorMessage, type CallMessage, type MethodName, type Methods, type ReplyMessage } from './protocol'

export interface CallContext<Progress> {
  progress(progress: Progress, transfer?: Transferable[]): void
  /** Buffers to move with the result instead of copying them. */
  transfer(...buffers: Transferable[]): void
  /** Aborted when the page cancels this call. */
  readonly signal: AbortSignal
}

export type Handlers<M extends Methods> = {
  readonly [K in MethodName<M>]: (request: M[K]['request'], ctx: CallContext<M[K]['progress']>) => Promise<M[K]['result']> | M[K]['result']
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
  const running = new Map<number, AbortController>()
  let queue: Promise<void> = Promise.resolve()
  const post = (message: ReplyMessage, transfer: Transferable[] = []) => port.postMessage(message, transfer)

  const run = async (id: number, method: MethodName<M>, request: unknown, abort: AbortController) => {
    const transfer: Transferable[] = []
    const ctx: CallContext<unknown> = {
      progress: (progress, list = []) => post({ kind: 'progress', id, progress }, list),
      transfer: (...buffers) => void transfer.push(...buffers),
      signal: abort.signal,
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
      running.get(m.id)?.abort()
      return
    }
    const abort = new AbortController()
    running.set(m.id, abort)
    if (options.sequential) queue = queue.then(() => run(m.id, m.method, m.request, abort))
    else void run(m.id, m.method, m.request, abort)
  }
}
