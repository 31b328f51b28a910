/**
 * The init lab after some training: for a run with a checkpoint, the same activation view at the run's initial
 * weights (its graph snapshot compiled with its seed) and at the checkpoint's, plus each weight layer's
 * update-to-weight ratio ||W_trained - W_init|| / ||W_init|| against the lectures' ~1e-3 per update.
 */
import { useEffect, useState } from 'react'
import { api } from '../api/client'
import type { RunSnapshot } from '../train/controller'
import { arrayBufferOf } from '@shared/api'
import { analyzeGraph } from '@shared/graph'
import { editorNames } from '@shared/graph/names'
import type { BackendChoice } from '../train/protocol'
import { useJob } from './client'
import { InitLabView } from './InitLabView'
import { fmt, RATIO_KIND_TEXT, ratioRows } from './logic'
import { Field, JobStatus, Verdict } from './card-parts'
import type { ProcedureContext } from './context'
import { RunCheckpointPicker, useRunCheckpoints } from './RunCheckpointPicker'

export function TrainedLab({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  const job = useJob('trained-lab')
  const [runId, setRunId] = useState<number | null>(ctx.shownRunId)
  const { checkpoints, checkpointId, setCheckpointId } = useRunCheckpoints(runId, 'last')
  const [samples, setSamples] = useState('16')
  const [info, setInfo] = useState<{ steps: number; transfer: boolean; shown: (layerName: string) => string } | null>(null)
  const n = Number(samples)
  const start = () =>
    void job.run(async () => {
      const cp = await api().runs.loadCheckpoint({ id: checkpointId! })
      const run = await api().runs.get({ id: cp.runId })
      const snap = run.config as Partial<RunSnapshot>
      if (!snap.architecture?.document || snap.seed === undefined) throw new Error(`Run “${run.name}” has no design snapshot with a seed: it was not started from the Train section`)
      setInfo({ steps: cp.step, transfer: snap.transfer !== undefined, shown: editorNames(analyzeGraph(snap.architecture.document)) })
      const weights = arrayBufferOf(cp.weights)
      const optimizerState = arrayBufferOf(cp.optimizer)
      return {
        job: { kind: 'trained-lab', graph: snap.architecture.document, seed: snap.seed, backend, samples: n, bins: 30, checkpoint: { meta: cp.meta, weights, optimizerState } },
        transfer: [weights, optimizerState],
      }
    })
  const r = job.state.result
  const rows = r && info ? ratioRows(r.ratios, info.steps) : []
  const max = Math.max(1e-12, ...rows.map((x) => x.ratio))
  const min = Math.min(max / 1e4, ...rows.filter((x) => x.ratio > 0).map((x) => x.ratio))
  const bar = (v: number) => (v <= 0 ? 0 : Math.max(2, (100 * (Math.log10(v) - Math.log10(min))) / Math.max(1e-9, Math.log10(max) - Math.log10(min))))
  return (
    <div className="trained-lab" data-testid="trained-lab">
      <h4>After some training</h4>
      <p className="proc-note">
        The same view for a run's checkpoint, plus each weight layer's update-to-weight ratio ‖W<sub>trained</sub> − W<sub>init</sub>‖ / ‖W<sub>init</sub>‖. W<sub>init</sub> is
        the run's design snapshot compiled with its seed: exactly the weights it started from (for a transfer run the copied layers started elsewhere, so their
        ratios are against the seeded initialization, not the pretrained weights).
      </p>
      <div className="proc-fields">
        <RunCheckpointPicker
          runs={ctx.runs}
          runId={runId}
          setRunId={setRunId}
          checkpoints={checkpoints}
          checkpointId={checkpointId}
          setCheckpointId={setCheckpointId}
          runLabel="Run"
          ariaPrefix="Trained lab"
        />
        <Field label="Samples" value={samples} onChange={setSamples} width={80} />
        <button className="btn btn-primary" onClick={start} disabled={job.state.running || checkpointId === null || !(n >= 1 && n <= 256)} data-testid="run-trained-lab">
          Compare with init
        </button>
      </div>
      <JobStatus state={job.state} onCancel={job.cancel} />
      {r && info && (
        <div className="proc-result" data-testid="trained-lab-result">
          <Verdict kind="info">
            Rule of thumb: one update should change a layer's weights by about 1e-3 of their norm (much less: the rate is too low; much more: too high). This
            checkpoint is {info.steps.toLocaleString('en-US')} updates in: independent updates add up like a random walk, so the whole-run ratio is about
            √{info.steps}·1e-3 ≈ {fmt(Math.sqrt(info.steps) * 1e-3)}, and up to {info.steps}·1e-3 ≈ {fmt(info.steps * 1e-3)} if they all pointed the same way (weight
            decay pulls it back). The per-update columns divide the measured ratio back.
            {info.transfer ? ' This is a transfer run: frozen layers show 0, copied layers are measured against the seeded initialization.' : ''}
          </Verdict>
          <table className="proc-table compact" data-testid="update-ratio-table">
            <thead>
              <tr>
                <th>Layer</th>
                <th>‖ΔW‖ / ‖W<sub>init</sub>‖</th>
                <th>
                  <span className="sr-only">Change, as a bar</span>
                </th>
                <th>per update (random walk)</th>
                <th>per update (aligned)</th>
                <th>Verdict</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((x) => (
                <tr key={x.variable} data-testid="update-ratio-row">
                  <td title={x.variable}>{info.shown(x.layer)}</td>
                  <td className="num">{fmt(x.ratio)}</td>
                  <td style={{ width: 160 }}>
                    <div className="ratio-bar" style={{ width: `${bar(x.ratio)}%`, height: 8, background: x.kind === 'ok' ? 'var(--pc-3, #3ecf8e)' : 'var(--pc-2, #f5a524)', borderRadius: 2 }} />
                  </td>
                  <td className="num">{fmt(x.perStepRandom)}</td>
                  <td className="num">{fmt(x.perStepAligned)}</td>
                  <td>
                    <span className={`chip ${x.kind === 'ok' ? 'ok' : 'warn'}`}>{RATIO_KIND_TEXT[x.kind]}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <InitLabView results={[r.atInit, r.trained]} shown={info.shown} />
        </div>
      )}
    </div>
  )
}
