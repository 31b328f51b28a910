/** Step 3: the learning-rate sweep and the LR range test. */
import { useMemo, useState } from 'react'
import { rangeTestAdvice, sweepTooHigh } from '@shared/procedure'
import { LineChart, type ChartSeries } from '../charts/LineChart'
import type { BackendChoice } from '../train/protocol'
import { Card, Field, JobStatus, palette, Verdict } from './card-parts'
import { useJob } from './client'
import { prepareData, seedOf, type ProcedureContext } from './context'
import { DEFAULT_RATES, fmt, formatRate, parseRates, sweepChartData, VERDICT_LABEL, type PointsBySeries } from './logic'

export function LrSweepCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  const sweep = useJob('lr-sweep')
  const range = useJob('range-test')
  const [rates, setRates] = useState(DEFAULT_RATES.map(formatRate).join(', '))
  const [iterations, setIterations] = useState('50')
  const [decay, setDecay] = useState('1e-4')
  const [logY, setLogY] = useState(true)
  const [copied, setCopied] = useState<number | null>(null)
  const parsed = parseRates(rates)
  const it = Number(iterations)
  const wd = Number(decay)
  const valid = parsed !== null && Number.isInteger(it) && it >= 5 && it <= 2000 && wd >= 0
  const r = sweep.state.result
  const pal = palette()
  const keys = (r ? r.runs.map((x) => String(x.lr)) : (parsed ?? []).map(String)).slice(0, 8)
  const points: PointsBySeries = useMemo(() => {
    const out: PointsBySeries = {}
    if (r) for (const run of r.runs) out[String(run.lr)] = run.curve.map((p) => ({ step: p.step, loss: p.dataLoss }))
    else for (const p of sweep.state.points) if ('series' in p) (out[p.series] ??= []).push({ step: p.step, loss: p.loss })
    return out
  }, [r, sweep.state.points])
  const chart = useMemo(() => {
    const { x, curves, cap } = sweepChartData(points, keys, r?.initialLoss ?? null)
    return {
      x,
      cap,
      diverged: curves.filter((c) => c.divergedAt !== null).length,
      series: curves.map((c, i) => {
        const run = r?.runs.find((q) => String(q.lr) === c.key)
        const rec = run?.verdict === 'recommended'
        const notes = [run ? VERDICT_LABEL[run.verdict] : null, c.divergedAt !== null ? `diverged at iteration ${c.divergedAt}` : null].filter(Boolean)
        return { label: `lr ${formatRate(Number(c.key))}${notes.length ? ` (${notes.join(', ')})` : ''}`, color: pal[i % pal.length]!, values: c.values, width: rec ? 3 : 1.5, dash: run?.verdict === 'too-low' } as ChartSeries
      }),
    }
  }, [points, keys.join(','), r, pal.join(',')])
  const batchSize = Number(ctx.config.batchSize) || 32
  const start = () =>
    void sweep.run(async () => {
      const { graph, data, pipeline, transfer } = await prepareData(ctx)
      return { job: { kind: 'lr-sweep', graph, data, pipeline, backend, seed: seedOf(ctx.config), rates: parsed!, iterations: it, batchSize, weightDecay: wd, optimizer: ctx.config.optimizer ?? { type: 'adam' } }, transfer }
    })
  const startRange = () =>
    void range.run(async () => {
      const { graph, data, pipeline, transfer } = await prepareData(ctx)
      return { job: { kind: 'range-test', graph, data, pipeline, backend, seed: seedOf(ctx.config), minLr: 1e-6, maxLr: 1, steps: Math.max(20, it * 2), batchSize, optimizer: ctx.config.optimizer ?? { type: 'adam' } }, transfer }
    })
  const use = (lr: number) => {
    ctx.onUseLearningRate(lr)
    setCopied(lr)
  }
  const rr = range.state.result
  // The advice is recomputed with the sweep's verdicts, so it never names a rate the sweep found too high.
  const advice = useMemo(() => (rr ? rangeTestAdvice(rr.points, { diverged: rr.diverged, tooHigh: r ? sweepTooHigh(r.runs) : null }) : null), [rr, r])
  const rangeChart = useMemo(() => {
    if (!rr) return null
    const pts = rr.points.filter((p) => p.lr > 0)
    const start = pts.find((p) => Number.isFinite(p.smoothed))?.smoothed
    return {
      x: pts.map((p) => p.lr),
      // The test stops once the smoothed loss passes 4x its best: keep the blow-up from flattening the curve.
      cap: start !== undefined ? 4 * start : null,
      series: [
        { label: 'loss (batch)', color: pal[7]!, values: pts.map((p) => (Number.isFinite(p.loss) ? p.loss : null)), width: 1 },
        { label: 'loss (smoothed)', color: pal[3]!, values: pts.map((p) => (Number.isFinite(p.smoothed) ? p.smoothed : null)), width: 2 },
      ] as ChartSeries[],
    }
  }, [rr, pal.join(',')])
  const opt = ctx.config.optimizer?.type ?? 'adam'
  return (
    <Card
      id="lr-sweep"
      step="3"
      wide
      title="Learning-rate sweep"
      lecture="Find a rate that makes the loss drop within ~100 iterations: try 1e-1 … 1e-5 with a small weight decay. NaN or a blow-up: too high; flat: too low."
      actions={
        <>
          <button className="btn" onClick={startRange} disabled={range.state.running || sweep.state.running || !valid} data-testid="run-range-test" title="One pass with the rate raised exponentially from 1e-6 to 1 every step (Smith's LR range test)">
            Range test
          </button>
          <button className="btn btn-primary" onClick={start} disabled={sweep.state.running || range.state.running || !valid} data-testid="run-lr-sweep">
            Sweep
          </button>
        </>
      }
    >
      <div className="proc-fields">
        <Field label="Rates" value={rates} onChange={setRates} width={260} testId="sweep-rates" />
        <Field label="Iterations per rate" value={iterations} onChange={setIterations} width={130} testId="sweep-iterations" />
        <Field label="Weight decay" value={decay} onChange={setDecay} width={100} />
        <label className="proc-check">
          <input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} /> log loss axis
        </label>
      </div>
      <p className="proc-note">
        Each rate starts from the same initial weights; {opt === 'sgd' ? 'SGD' : opt === 'adam' ? 'Adam' : 'AdamW'} as in the form, batch {batchSize}. The lecture suggests ~100 iterations; fewer are quicker and coarser.
      </p>
      <JobStatus state={sweep.state} onCancel={sweep.cancel} />
      {chart.x.length > 0 && (
        <LineChart testId="sweep-chart" title="Training loss per rate" xLabel="iteration" yLabel="loss" x={chart.x} series={chart.series} height={230} logY={logY} yMax={chart.cap} />
      )}
      {chart.diverged > 0 && (
        <p className="proc-note" data-testid="sweep-chart-note">
          The loss axis stops at 3× the initial loss{chart.cap !== null ? ` (${fmt(chart.cap)})` : ''}; a rate that went past it diverged and is drawn up to that iteration only.
        </p>
      )}
      {r && (
        <div className="proc-result" data-testid="sweep-result">
          <div className="proc-rates">
            {r.runs.map((run, i) => (
              <div key={run.lr} className={`proc-rate v-${run.verdict}`} data-testid="sweep-rate" data-verdict={run.verdict}>
                <span className="swatch" style={{ background: pal[i % pal.length] }} />
                <strong>{formatRate(run.lr)}</strong>
                <span className="chip">{VERDICT_LABEL[run.verdict]}</span>
                <span className="muted small">{run.classification.reason}</span>
              </div>
            ))}
          </div>
          <Verdict kind={r.recommended === null ? 'warn' : 'ok'} testId="sweep-recommendation">
            {r.recommended !== null ? (
              <>
                <strong>Use {formatRate(r.recommended)}.</strong> {r.explanation}
              </>
            ) : (
              r.explanation
            )}
          </Verdict>
          {r.recommended !== null && (
            <div className="proc-row">
              <button className="btn btn-primary" onClick={() => use(r.recommended!)} data-testid="use-rate">
                Use this rate
              </button>
              {copied === r.recommended && <span className="proc-note">The Train form's learning rate is now {String(r.recommended)}.</span>}
            </div>
          )}
        </div>
      )}
      <JobStatus state={range.state} onCancel={range.cancel} testId="range-progress" />
      {rr && rangeChart && (
        <div className="proc-result" data-testid="range-result">
          <LineChart testId="range-chart" title="LR range test: loss while the rate rises" xLabel="learning rate" yLabel="loss" x={rangeChart.x} series={rangeChart.series} height={200} logX formatX={(v) => formatRate(v)} yMax={rangeChart.cap} />
          <Verdict kind={advice?.recommended == null ? 'warn' : 'ok'} testId="range-advice">
            {advice?.explanation}
          </Verdict>
          {advice?.recommended != null && (
            <div className="proc-row">
              <button className="btn" onClick={() => use(Number(advice.recommended!.toPrecision(2)))} data-testid="use-range-rate">
                Use {fmt(advice.recommended, 2)}
              </button>
            </div>
          )}
        </div>
      )}
    </Card>
  )
}
