/**
 * The Procedure area of the Train section: the lectures' training procedure as cards, each with its one-line
 * rule from the lectures, run in a worker with progress and Cancel, and the result explained in words.
 */
import { useEffect, useMemo, useState } from 'react'
import type { RunSummary } from '@shared/api'
import { mlp6x4096 } from '@shared/graph/templates'
import { LECTURE_SCHEMES, rangeTestAdvice, sweepTooHigh } from '@shared/procedure'
import type { TrainingConfigInput } from '@shared/train/config'
import { BACKEND_LABELS, BACKEND_ORDER } from '../backend/labels'
import type { LiveRun } from '../train/controller'
import type { BackendChoice } from '../train/protocol'
import { designGraph, runPipeline, workerData, type JobState } from './client'
import { useJob } from './client'
import { DiagnosisCard } from './DiagnosisCard'
import { InitLabView } from './InitLabView'
import { columns, DEFAULT_RATES, fmt, formatRate, parseRates, sweepChartData, VERDICT_LABEL, type PointsBySeries } from './logic'
import { LineChart, type ChartSeries } from '../charts/LineChart'
import { SearchCard } from './SearchCard'
import { TrainedLab } from './TrainedLabView'
import { TransferCard } from './TransferCard'
import './procedure.css'

export interface ProcedureContext {
  readonly projectId: number
  readonly architectureId: number | null
  readonly datasetId: number | null
  readonly pipelineId: number | null
  readonly config: TrainingConfigInput
  readonly configOk: boolean
  readonly runs: readonly RunSummary[]
  readonly shownRunId: number | null
  readonly live: LiveRun | null
  readonly onUseLearningRate: (lr: number) => void
}

const BACKEND_KEY = 'cnn-studio.procedure.backend'

function loadBackend(): BackendChoice {
  const v = localStorage.getItem(BACKEND_KEY)
  return v === 'auto' || (BACKEND_ORDER as readonly string[]).includes(v ?? '') ? (v as BackendChoice) : 'wasm'
}

/** Series colors for up to 8 curves (theme-aware through CSS variables, with fallbacks). */
export function palette(): string[] {
  const css = getComputedStyle(document.documentElement)
  return ['--pc-1', '--pc-2', '--pc-3', '--pc-4', '--pc-5', '--pc-6', '--pc-7', '--pc-8'].map((v, i) => css.getPropertyValue(v).trim() || ['#e5484d', '#f5a524', '#3ecf8e', '#4c8dff', '#a78bfa', '#ec4899', '#14b8a6', '#94a3b8'][i]!)
}

export function ProcedurePanel(ctx: ProcedureContext) {
  const [backend, setBackend] = useState<BackendChoice>(loadBackend)
  useEffect(() => localStorage.setItem(BACKEND_KEY, backend), [backend])
  const ready = ctx.architectureId !== null && ctx.datasetId !== null
  return (
    <div className="procedure" data-testid="procedure">
      <div className="proc-intro">
        <div>
          <h2>Training procedure</h2>
          <p className="muted">
            The lectures' recipe, step by step, on the design and dataset chosen on the left: check the initial loss, overfit a few examples, find a learning rate,
            search coarse to fine, read the curves.
          </p>
          <p className="muted small" data-testid="procedure-inputs">
            {ctx.pipelineId === null
              ? 'No augmentation pipeline is chosen on the left: the checks see the images scaled to 0–1, as such a run would.'
              : 'The checks see the inputs the run would: the initial loss is measured on images normalized as validation normalizes them, overfitting trains on them without augmentation, and the learning-rate sweep and range test augment every step as training does.'}
          </p>
        </div>
        <label className="proc-backend">
          <span>Backend for these jobs</span>
          <select aria-label="Procedure backend" value={backend} onChange={(e) => setBackend(e.target.value as BackendChoice)}>
            <option value="auto">Auto</option>
            {BACKEND_ORDER.map((b) => (
              <option key={b} value={b}>
                {BACKEND_LABELS[b]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!ready && <p className="proc-warning">Pick a design and a dataset on the left first.</p>}
      <div className="proc-grid">
        <SanityCard ctx={ctx} backend={backend} />
        <OverfitCard ctx={ctx} backend={backend} />
        <LrSweepCard ctx={ctx} backend={backend} />
        <SearchCard ctx={ctx} backend={backend} />
        <DiagnosisCard ctx={ctx} />
        <InitLabCard ctx={ctx} backend={backend} />
        <TransferCard ctx={ctx} backend={backend} />
      </div>
    </div>
  )
}

export function Card(props: { id: string; step?: string; title: string; lecture: string; wide?: boolean; children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <section className={`proc-card${props.wide ? ' wide' : ''}`} data-testid={`proc-${props.id}`} aria-label={props.title}>
      <header className="proc-card-head">
        <div>
          <h3>
            {props.step && <span className="proc-step">{props.step}</span>}
            {props.title}
          </h3>
          <p className="proc-lecture">{props.lecture}</p>
        </div>
        {props.actions && <div className="proc-card-actions">{props.actions}</div>}
      </header>
      <div className="proc-card-body">{props.children}</div>
    </section>
  )
}

/** Progress bar, status text and Cancel while a job runs; the error when it failed. */
export function JobStatus({ state, onCancel, testId }: { state: Pick<JobState<never>, 'running' | 'text' | 'fraction' | 'backend' | 'error'>; onCancel: () => void; testId?: string }) {
  if (state.running) {
    return (
      <div className="proc-progress" data-testid={testId ?? 'job-progress'}>
        <div className="proc-bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={state.fraction === null ? undefined : Math.round(state.fraction * 100)}>
          <div className={state.fraction === null ? 'indeterminate' : ''} style={state.fraction === null ? undefined : { width: `${Math.max(2, state.fraction * 100)}%` }} />
        </div>
        <span className="proc-progress-text">
          {state.text}
          {state.backend ? ` · ${BACKEND_LABELS[state.backend as keyof typeof BACKEND_LABELS] ?? state.backend}` : ''}
        </span>
        <button className="btn btn-small" onClick={onCancel} data-testid="job-cancel">
          Cancel
        </button>
      </div>
    )
  }
  if (state.error) {
    return (
      <p className={state.error === 'Cancelled.' ? 'proc-note' : 'field-error'} role={state.error === 'Cancelled.' ? undefined : 'alert'}>
        {state.error}
      </p>
    )
  }
  return null
}

function Field({ label, value, onChange, width, testId }: { label: string; value: string; onChange: (v: string) => void; width?: number; testId?: string }) {
  return (
    <label className="proc-field" style={width ? { width } : undefined}>
      <span>{label}</span>
      <input aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
    </label>
  )
}
export { Field }

async function prepareData(ctx: ProcedureContext) {
  if (ctx.architectureId === null || ctx.datasetId === null) throw new Error('Pick a design and a dataset on the left first')
  const [graph, data, pipeline] = await Promise.all([designGraph(ctx.architectureId), workerData(ctx.datasetId), runPipeline(ctx.pipelineId)])
  const transfer: Transferable[] = [data.train.indices.buffer, data.train.labels.buffer]
  return { graph: graph.document, data, pipeline, transfer }
}

const seedOf = (c: TrainingConfigInput) => c.seed ?? 1

function Verdict({ kind, children, testId }: { kind: 'ok' | 'warn' | 'bad' | 'info'; children: React.ReactNode; testId?: string }) {
  return (
    <div className={`proc-verdict ${kind}`} data-testid={testId}>
      {children}
    </div>
  )
}
export { Verdict }

function SanityCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  const job = useJob('initial-loss')
  const r = job.state.result
  const start = () =>
    void job.run(async () => {
      const { graph, data, pipeline, transfer } = await prepareData(ctx)
      return { job: { kind: 'initial-loss', graph, data, pipeline, backend, seed: seedOf(ctx.config) }, transfer }
    })
  return (
    <Card
      id="initial-loss"
      step="1"
      title="Initial loss"
      lecture="With small random weights a C-class softmax predicts ~1/C everywhere, so the loss starts at ln(C) (2.30 for 10 classes); raising the regularization must raise it."
      actions={
        <button className="btn" onClick={start} disabled={job.state.running} data-testid="run-initial-loss">
          Check
        </button>
      }
    >
      <JobStatus state={job.state} onCancel={job.cancel} />
      {r && (
        <div className="proc-result" data-testid="initial-loss-result">
          <div className="proc-figures">
            <Figure label="Measured" value={fmt(r.initial.loss, 4)} />
            <Figure label={`ln(${r.initial.classes})`} value={fmt(r.initial.expected, 4)} />
            <Figure label="Difference" value={`${r.initial.difference >= 0 ? '+' : ''}${fmt(r.initial.difference, 3)}`} />
            <Figure label="Logit std" value={fmt(r.initial.logitStd)} />
          </div>
          <Verdict kind={r.initial.severity === 'ok' ? 'ok' : r.initial.severity === 'minor' ? 'warn' : 'bad'}>
            <strong>{r.initial.severity === 'ok' ? 'As expected.' : r.initial.severity === 'minor' ? 'Slightly off.' : r.initial.verdict === 'probabilities' ? 'Probabilities, not logits.' : r.initial.verdict === 'too-low' ? 'Too low.' : 'Too high.'}</strong> {r.initial.message}
          </Verdict>
          <h4>Raise the regularization</h4>
          <table className="proc-table compact">
            <thead>
              <tr>
                <th>Weight decay λ</th>
                <th>Data loss</th>
                <th>λ/2·‖W‖²</th>
                <th>Loss</th>
              </tr>
            </thead>
            <tbody>
              {r.regularization.rows.map((row) => (
                <tr key={row.weightDecay}>
                  <td>{fmt(row.weightDecay)}</td>
                  <td>{fmt(row.dataLoss, 4)}</td>
                  <td>{fmt(row.penalty, 3)}</td>
                  <td>{fmt(row.loss, 4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Verdict kind={r.regularization.rises ? 'ok' : 'bad'}>{r.regularization.message}</Verdict>
        </div>
      )}
    </Card>
  )
}

export function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="proc-figure">
      <span>{label}</span>
      <strong data-testid={testId}>{value}</strong>
    </div>
  )
}

const CAUSE_TEXT: Record<string, string> = {
  'lr-too-low': 'learning rate too low',
  'lr-too-high': 'learning rate too high',
  'model-too-small': 'model too small (or the rate)',
  'labels-broken': 'data or labels broken',
  stopped: 'stopped',
}

function OverfitCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
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

function LrSweepCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
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

type LabModel = 'mlp-6x4096' | 'design'

function InitLabCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  const job = useJob('init-lab')
  const [which, setWhich] = useState<LabModel>('mlp-6x4096')
  const [samples, setSamples] = useState('16')
  const n = Number(samples)
  const results = job.state.result ?? job.state.points.flatMap((p) => ('lab' in p ? [p.lab] : []))
  const start = () =>
    void job.run(async () => {
      const graph = which === 'mlp-6x4096' ? mlp6x4096([4096], 10) : await designGraph(ctx.architectureId ?? -1).then((g) => g.document)
      return { job: { kind: 'init-lab', graph, backend, seed: 0, schemes: LECTURE_SCHEMES, samples: n, bins: 30 } }
    })
  return (
    <Card
      id="init-lab"
      step="·"
      wide
      title="Initialization lab"
      lecture="Forward 16 random inputs through a deep ReLU net: with W = 0.01·randn the activations collapse to zero, 0.05 blows them up, Xavier shrinks them slowly, Kaiming (√(2/Din)) keeps them."
      actions={
        <button className="btn btn-primary" onClick={start} disabled={job.state.running || !(n >= 1 && n <= 256) || (which === 'design' && ctx.architectureId === null)} data-testid="run-init-lab">
          Run
        </button>
      }
    >
      <div className="proc-fields">
        <label className="proc-field">
          <span>Model</span>
          <select aria-label="Init lab model" value={which} onChange={(e) => setWhich(e.target.value as LabModel)}>
            <option value="mlp-6x4096">The lectures' 6×4096 ReLU MLP (84M parameters)</option>
            <option value="design">The design chosen on the left</option>
          </select>
        </label>
        <Field label="Samples" value={samples} onChange={setSamples} width={80} />
      </div>
      {which === 'mlp-6x4096' && <p className="proc-note">84M parameters (~340 MB of weights): the four initializers run one after another on one copy of the model, a forward pass each. WebGL or WASM handle it; it takes a few seconds.</p>}
      <JobStatus state={job.state} onCancel={job.cancel} />
      {results.length > 0 && <InitLabView results={results} />}
      <TrainedLab ctx={ctx} backend={backend} />
    </Card>
  )
}
