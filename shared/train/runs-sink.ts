/**
 * The recorder's sink over the runs service, through any typed client of it: the renderer's API client (over
 * IPC or HTTP) and the CLI's direct client alike. The one place that turns a CheckpointRecord into a runs service
 * call: one saveCheckpoint for all its kinds, the bytes as Uint8Array (binary on every transport).
 */
import type { ServiceClient } from '../api/contract'
import type { runsContract } from '../api/services/runs'
import type { RecordSink } from './recorder'

export type RunsWriter = Pick<ServiceClient<typeof runsContract>, 'update' | 'appendMetrics' | 'saveCheckpoint'>

export function runsSink(runs: RunsWriter, runId: number): RecordSink {
  return {
    update: (fields) => runs.update({ id: runId, ...fields }),
    appendMetrics: (points) => runs.appendMetrics({ runId, points }),
    async saveCheckpoint(c) {
      if (c.kinds.length === 0) return
      await runs.saveCheckpoint({
        runId,
        kinds: [...c.kinds],
        epoch: c.epoch,
        step: c.step,
        meta: c.meta,
        ...(c.metrics ? { metrics: c.metrics } : {}),
        weights: new Uint8Array(c.weights),
        optimizer: new Uint8Array(c.optimizerState),
      })
    },
  }
}
