/** Step 2: overfit a tiny subset (the loss must reach about zero). */
import { useMemo, useState } from 'react'
import { LineChart, type ChartSeries } from '../charts/LineChart'
import type { BackendChoice } from '../train/protocol'
import { Card, Field, JobStatus, palette, Verdict } from './card-parts'
import { useJob } from './client'
import { prepareData, seedOf, type ProcedureContext } from './context'
import { columns } from './logic'

const CAUSE_TEXT: Record<string, string> = {
  'lr-too-low': 'learning rate too low',
  'lr-too-high': 'learning rate too high',
  'model-too-small': 'model too small (or the rate)',
  'labels-broken': 'data or labels broken',
  stopped: 'stopped',
}

export function OverfitCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  const job = useJob('overfit')
  const [examples, setExamples] = useState('20')
  const [steps, setSteps] = useState('200')
  const [lr, setLr] = useState('')
  const n = Number(examples)
  const s = Number(steps)
  const lrNum = lr.trim() === '' ? Number(ctx.config.learningRate) : Number(lr)
  const valid = Number.isInteger(n) && n >= 10 && n <= 100 && Number.isInteger(s) && s >= 10 && s <= 5000 && lrNum > 0
  const r = job.state.result
  const color = palette()[3]!
  const points = r ? r.curve.map((p) => ({ step: p.step, loss: p.loss })) : job.state.points.flatMap((p) => ('series' in p ? [{ step: p.step, loss: p.loss }] : []))
  const chart = useMemo(() => {
    const { x, values } = columns({ loss: points }, ['loss'])
    return { x, series: [{ label: 'training loss', color, values: values[0]!, width: 2 }] as ChartSeries[] }
  }, [points.length, r, color])
  const start = () =>
    void job.run(async () => {
      const { graph, data, pipeline, transfer } = await prepareData(ctx)
      return { job: { kind: 'overfit', graph, data, pipeline, backend, seed: seedOf(ctx.config), examples: n, maxSteps: s, lr: lrNum, optimizer: ctx.config.optimizer ?? { type: 'adam' } }, transfer }
    })
  return (
    <Card
      id="overfit"
      step="2"
      title="Overfit a tiny subset"
      lecture="Train on 10–100 examples without regularization: the loss must reach about zero. If it cannot, something is broken before any real training."
      actions={
        <button className="btn" onClick={start} disabled={job.state.running || !valid} data-testid="run-overfit">
          Overfit
        </button>
      }
    >
      <div className="proc-fields">
        <Field label="Examples" value={examples} onChange={setExamples} width={90} />
        <Field label="Max steps" value={steps} onChange={setSteps} width={90} />
        <Field label="Learning rate" value={lr} onChange={setLr} width={110} />
      </div>
      {lr.trim() === '' && <p className="proc-note">Empty learning rate: the form's {String(ctx.config.learningRate)} with its optimizer, no weight decay, full batch.</p>}
      <JobStatus state={job.state} onCancel={job.cancel} />
      {(job.state.running || r) && points.length > 0 && <LineChart testId="overfit-chart" title="Loss on the subset" xLabel="step" yLabel="loss" x={chart.x} series={chart.series} height={160} logY />}
      {r && (
        <Verdict kind={r.success ? 'ok' : 'bad'} testId="overfit-result">
          <strong>{r.success ? 'Overfits.' : `Does not overfit: ${CAUSE_TEXT[r.cause ?? ''] ?? 'see below'}.`}</strong> {r.message}
        </Verdict>
      )}
    </Card>
  )
}
