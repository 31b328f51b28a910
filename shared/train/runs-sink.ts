/**
 * The recorder's sink over the runs service, through any typed client of it: the renderer's API client (over
 * IPC or HTTP) and the CLI's direct client alike. The one place that turns a CheckpointRecord into runs service
 * calls (today one saveCheckpoint per kind, the bytes as base64).
 */
import type { ServiceClient } from '../api/contract'
import type { runsContract } from '../api/services/runs'
import { toBase64 } from '../base64'
import type { RecordSink } from './recorder'

export type RunsWriter = Pick<ServiceClient<typeof runsContract>, 'update' | 'appendMetrics' | 'saveCheckpoint'>

export function runsSink(runs: RunsWriter, runId: number): RecordSink {
  return {
    update: (fields) => runs.update({ id: runId, ...fields }),
    appendMetrics: (points) => runs.appendMetrics({ runId, points }),
    async saveCheckpoint(c) {
      const weights = toBase64(c.weights)
      const optimizer = toBase64(c.optimizerState)
      for (const kind of c.kinds) {
        await runs.saveCheckpoint({ runId, kind, epoch: c.epoch, step: c.step, meta: c.meta, ...(c.metrics ? { metrics: c.metrics } : {}), weights, optimizer })
      }
    },
  }
}
