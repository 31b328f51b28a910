/**
 * Stand-ins for a Worker in tests, speaking the shared worker protocol (renderer/src/workers/protocol.ts):
 *  - channelWorker: the worker's side (`serve`) runs in this process on one end of a real MessageChannel
 *    (structured clone and transfer lists as between a page and a worker);
 *  - scriptedTrainWorker: a training worker the test plays by hand, synchronously (events, end, failure), that
 *    records the request and the controls it was sent.
 */
import { vi } from 'vitest'
import type { WorkerLike } from '../../renderer/src/workers/client'
import type { CallMessage, ReplyMessage } from '../../renderer/src/workers/protocol'
import type { WorkerPort } from '../../renderer/src/workers/serve'
import type { TrainControl, TrainEvent, TrainMethods, TrainRequest } from '../../renderer/src/train/protocol'

export type ChannelWorker = WorkerLike & { terminated: boolean; crash(message: string): void }

/** `start(port)` serves on the worker's end (e.g. `serve(handlers, { port })`). */
export function channelWorker(start: (port: WorkerPort) => void): ChannelWorker {
  const channel = new MessageChannel()
  start(channel.port1 as unknown as WorkerPort)
  const worker: ChannelWorker = {
    terminated: false,
    onmessage: null,
    onerror: null,
    postMessage: (message, transfer) => channel.port2.postMessage(message, transfer),
    terminate() {
      this.terminated = true
      channel.port1.close()
      channel.port2.close()
    },
    crash(message) {
      this.onerror?.({ message, preventDefault() {} } as ErrorEvent)
    },
  }
  channel.port2.onmessage = (event) => worker.onmessage?.(event)
  return worker
}

export function scriptedTrainWorker() {
  const requests: TrainRequest[] = []
  const controls: TrainControl[] = []
  const posts: { message: CallMessage<TrainMethods>; transfer: Transferable[] }[] = []
  let id = 0
  const port: WorkerLike & { terminate: ReturnType<typeof vi.fn<() => void>> } = {
    onmessage: null,
    onerror: null,
    postMessage(message: unknown, transfer: Transferable[]) {
      const m = message as CallMessage<TrainMethods>
      posts.push({ message: m, transfer })
      if (m.kind === 'call') {
        id = m.id
        requests.push(m.request)
      } else if (m.kind === 'control') controls.push(m.control as TrainControl)
    },
    terminate: vi.fn<() => void>(),
  }
  const reply = (data: ReplyMessage) => port.onmessage?.({ data } as MessageEvent)
  return {
    port,
    requests,
    controls,
    /** Everything the page posted (the call, its controls, a cancel). */
    posts,
    emit: (event: TrainEvent) => reply({ kind: 'progress', id, progress: event }),
    /** The worker is done (the call's result). */
    exit: () => reply({ kind: 'result', id, result: undefined }),
    /** The setup failed (the call's error). */
    fail: (message: string) => reply({ kind: 'error', id, message }),
  }
}
