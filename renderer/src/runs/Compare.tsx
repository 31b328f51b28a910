/**
 * Compare: the selected runs' curves overlaid (train/val loss, train/val accuracy, learning rate) against step,
 * epoch or wall time, with EMA smoothing and a log scale; values at a step / epoch / each run's best epoch; the
 * hyperparameter table (differences only); the architecture diff of two runs; parallel coordinates of
 * hyperparameters against a metric for the runs of the table (sweeps).
 */
import { useEffect, useMemo, useState } from 'react'
import type { MetricNameInfo, Run, RunSeries, RunTableRow, ValueAtResult } from '@shared/api'
import { snapshotFacts } from '@shared/compare'
import type { GraphDocument } from '@shared/graph'
import { api } from '../api/client'
import { LineChart } from '../charts/LineChart'
import { ParallelCoords, type PcAxis } from '../charts/ParallelCoords'
import { reportError } from '../ui/dialogs'
import { changes, useLive } from '../ui/live'
import { ArchDiff } from './ArchDiff'
import { runColor } from './colors'
import { buildOverlay, spansDecades, X_LABEL, type CurveSpec, type XAxis } from './overlay'
import { RunSwatch } from './RunsTable'
import { diffRunSettings } from './settings'
import { formatNumber, formatPercent } from './table-state'

export const CHARTS: readonly { id: string; title: string; yLabel: string; specs: CurveSpec[]; percent?: boolean; rate?: boolean }[] = [
  {
    id: 'loss',
    title: 'Loss',
    yLabel: 'Cross-entropy',
    specs: [
      { name: 'train/loss', label: 'train', smooth: true },
      { name: 'val/loss', label: 'val', dash: true },
    ],
  },
  {
    id: 'acc',
    title: 'Accuracy',
    yLabel: 'Accuracy (%)',
    percent: true,
    specs: [
      { name: 'train/acc', label: 'train', smooth: true },
      { name: 'val/acc', label: 'val', dash: true },
    ],
  },
  { id: 'lr', title: 'Learning rate', yLabel: 'Learning rate', rate: true, specs: [{ name: 'lr', label: 'lr' }] },
]

const METRIC_NAMES = [...new Set(CHARTS.flatMap((c) => c.specs.map((s) => s.name)))]

const NO_RUNS = new Map<number, Run>()
const NO_SERIES: RunSeries[] = []

export function useRuns(ids: readonly number[]): Map<number, Run> {
  // A run that cannot be read (deleted meanwhile) is left out of the comparison.
  const runs = useLive(
    () =>
      Promise.all(ids.map((id) => api().runs.get({ id }).catch(() => null))).then((list) => {
        const m = new Map<number, Run>()
        for (const r of list) if (r) m.set(r.id, r)
        return m
      }),
    [ids.join(',')],
    { on: [changes(api().runs, 'onDidChange', (e) => ids.includes(e.runId))] },
  ).value
  return runs ?? NO_RUNS
}

export function useSeries(ids: readonly number[], names: readonly string[]): RunSeries[] {
  const series = useLive(() => api().runs.metricsMany({ runIds: [...ids].slice(0, 50), names: [...names], downsample: { maxPoints: 2000 } }), [ids.join(','), names.join(',')], {
    enabled: ids.length > 0,
    on: [changes(api().runs, 'onDidAppendMetrics', (e) => ids.includes(e.runId))],
    debounceMs: 1000,
  }).value
  return series ?? NO_SERIES
}

export function CurveCharts(props: { runIds: readonly number[]; nameOf: (id: number) => string; testId?: string }) {
  const [axis, setAxis] = useState<XAxis>('step')
  const [smoothing, setSmoothing] = useState(0.6)
  const [logLoss, setLogLoss] = useState(false)
  const series = useSeries(props.runIds, METRIC_NAMES)
  const overlays = useMemo(
    () => CHARTS.map((c) => ({ chart: c, overlay: buildOverlay(series, c.specs, axis, { smoothing, colorOf: runColor, labelOf: props.nameOf }) })),
    [series, axis, smoothing, props.nameOf],
  )
  const fmtX = axis === 'time' ? (v: number) => `${Number(v.toFixed(1))}s` : axis === 'epoch' ? (v: number) => String(Number(v.toFixed(2))) : (v: number) => String(Math.round(v))
  return (
    <div className="curves" data-testid={props.testId}>
      <div className="curves-controls">
        <div className="segmented" role="radiogroup" aria-label="X axis">
          {(['step', 'epoch', 'time'] as const).map((a) => (
            <button key={a} role="radio" aria-checked={axis === a} className={axis === a ? 'on' : ''} onClick={() => setAxis(a)}>
              {a === 'time' ? 'Wall time' : X_LABEL[a]}
            </button>
          ))}
        </div>
        <label className="inline-field slider" title="Exponential moving average of the per-step curves (validation points are per epoch and never smoothed)">
          <span>Smoothing</span>
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} aria-label="Smoothing" onChange={(e) => setSmoothing(Number(e.target.value))} />
          <span className="mono">{smoothing.toFixed(2)}</span>
        </label>
        <label className="check">
          <input type="checkbox" checked={logLoss} onChange={(e) => setLogLoss(e.target.checked)} /> Log scale (loss)
        </label>
        <span className="muted small">Solid: training (per step) · dashed: validation (per epoch)</span>
      </div>
      <div className="curves-grid">
        {overlays.map(({ chart, overlay }) => {
          const logY = chart.rate ? spansDecades(overlay.series.flatMap((s) => s.values), 1.5) : chart.id === 'loss' ? logLoss : false
          const hasData = overlay.series.length > 0
          return hasData ? (
            <LineChart
              key={`${chart.id}-${axis}`}
              testId={`chart-${chart.id}`}
              title={`${chart.title}${logY ? ' (log scale)' : ''}`}
              xLabel={X_LABEL[axis]}
              yLabel={chart.yLabel}
              x={overlay.x}
              series={overlay.series.map((s) => ({ label: s.label, color: s.color, values: chart.percent ? s.values.map((v) => (v === null ? null : v * 100)) : s.values, dash: s.dash, width: s.dash ? 1.8 : 1.5 }))}
              logY={logY}
              height={230}
              formatX={fmtX}
              formatY={chart.percent ? (v) => `${Number(v.toFixed(1))}%` : chart.rate ? formatNumber : (v) => String(Number(v.toPrecision(3)))}
            />
          ) : (
            <figure key={chart.id} className="chart chart-empty">
              <figcaption>{chart.title}</figcaption>
              <div className="muted small">No {chart.specs.map((s) => s.name).join(' / ')} recorded yet.</div>
            </figure>
          )
        })}
      </div>
    </div>
  )
}

function CompareAt(props: { runIds: readonly number[]; metricNames: readonly MetricNameInfo[]; nameOf: (id: number) => string }) {
  const names = props.metricNames.length > 0 ? props.metricNames.map((m) => m.name) : ['val/acc']
  const [name, setName] = useState(names.includes('val/acc') ? 'val/acc' : (names[0] as string))
  const [mode, setMode] = useState<'best' | 'epoch' | 'step'>('best')
  const [at, setAt] = useState(1)
  const [rows, setRows] = useState<ValueAtResult[]>([])
  const key = props.runIds.join(',')
  useEffect(() => {
    if (props.runIds.length === 0) return
    let live = true
    const q = mode === 'best' ? ('best' as const) : mode === 'epoch' ? { epoch: at } : { step: Math.max(0, Math.round(at)) }
    api()
      .runs.valueAt({ runIds: [...props.runIds].slice(0, 50), name, at: q })
      .then((r) => live && setRows(r), reportError)
    return () => {
      live = false
    }
  }, [key, name, mode, at])
  const pct = /acc/.test(name)
  return (
    <section className="cmp-card" aria-label="Compare at">
      <header className="cmp-head">
        <h3>Compare at</h3>
        <select aria-label="Metric" value={name} onChange={(e) => setName(e.target.value)}>
          {names.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
        <div className="segmented" role="radiogroup" aria-label="Where">
          {(['best', 'epoch', 'step'] as const).map((m) => (
            <button key={m} role="radio" aria-checked={mode === m} className={mode === m ? 'on' : ''} onClick={() => setMode(m)}>
              {m === 'best' ? 'Best epoch' : m === 'epoch' ? 'Epoch' : 'Step'}
            </button>
          ))}
        </div>
        {mode !== 'best' && <input className="num-input" type="number" min={0} aria-label={mode === 'epoch' ? 'Epoch' : 'Step'} value={at} onChange={(e) => setAt(Number(e.target.value))} />}
      </header>
      <table className="mini-table" data-testid="compare-at">
        <thead>
          <tr>
            <th>Run</th>
            <th className="num">Step</th>
            <th className="num">Epoch</th>
            <th className="num">{name}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.runId}>
              <td>
                <RunSwatch id={r.runId} /> {props.nameOf(r.runId)}
              </td>
              <td className="num">{formatNumber(r.step)}</td>
              <td className="num">{r.epoch === null ? '—' : formatNumber(Number(r.epoch.toFixed(2)))}</td>
              <td className="num">
                <b>{r.value === null ? '—' : pct ? formatPercent(r.value, 2) : formatNumber(r.value)}</b>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function HyperTable(props: { runs: readonly Run[] }) {
  const [differencesOnly, setDifferencesOnly] = useState(true)
  const diff = useMemo(() => diffRunSettings(props.runs, { differencesOnly }), [props.runs, differencesOnly])
  return (
    <section className="cmp-card" aria-label="Settings">
      <header className="cmp-head">
        <h3>Settings</h3>
        <label className="rv-toggle">
          <span className="switch">
            <input type="checkbox" role="switch" aria-label="Differences only" checked={differencesOnly} onChange={(e) => setDifferencesOnly(e.target.checked)} />
            <span />
          </span>
          Differences only
        </label>
        <span className="muted small" data-testid="hyper-count">
          {diff.differing} of {diff.total} settings differ
        </span>
      </header>
      <div className="hyper-scroll">
        <table className="mini-table hyper-table" data-testid="hyper-table">
          <thead>
            <tr>
              <th scope="col">Section</th>
              <th scope="col">Setting</th>
              {props.runs.map((r) => (
                <th key={r.id} scope="col">
                  <RunSwatch id={r.id} /> {r.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {diff.rows.map((row) => (
              <tr key={row.id} className={row.differs ? 'differs' : undefined} data-testid="hyper-row" data-path={row.id}>
                <td className="muted small">{row.section}</td>
                <th scope="row" className="setting-label">
                  {row.label}
                </th>
                {row.values.map((v, i) => (
                  <td key={i} title={v.text}>
                    {v.text}
                  </td>
                ))}
              </tr>
            ))}
            {diff.rows.length === 0 && (
              <tr>
                <td colSpan={props.runs.length + 2} className="muted">
                  {props.runs.length < 2 ? 'Select a second run to see what differs.' : 'The runs were trained with the same settings.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  )
}

function ArchitectureSection(props: { runs: readonly Run[] }) {
  const withGraph = props.runs.filter((r) => snapshotFacts(r.config).graphDocument)
  const [aId, setA] = useState<number | null>(null)
  const [bId, setB] = useState<number | null>(null)
  const a = withGraph.find((r) => r.id === aId) ?? withGraph[0]
  const b = withGraph.find((r) => r.id === bId) ?? withGraph.find((r) => r !== a)
  const pick = (label: string, value: Run | undefined, set: (id: number) => void) => (
    <label className="inline-field">
      <span>{label}</span>
      <select aria-label={`Architecture diff run ${label}`} value={value?.id ?? ''} onChange={(e) => set(Number(e.target.value))}>
        {withGraph.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <section className="cmp-card" aria-label="Architecture diff">
      <header className="cmp-head">
        <h3>Architecture</h3>
        {withGraph.length >= 2 && (
          <>
            {pick('A', a, setA)}
            {pick('B', b, setB)}
          </>
        )}
      </header>
      {a && b ? (
        <ArchDiff a={snapshotFacts(a.config).graphDocument as GraphDocument} b={snapshotFacts(b.config).graphDocument as GraphDocument} aName={a.name} bName={b.name} />
      ) : (
        <p className="muted small">Select two runs whose snapshots hold a graph to compare their architectures.</p>
      )}
    </section>
  )
}

const PC_PARAMS: readonly { key: keyof RunTableRow; label: string }[] = [
  { key: 'learningRate', label: 'Learning rate' },
  { key: 'batchSize', label: 'Batch' },
  { key: 'weightDecay', label: 'Weight decay' },
  { key: 'epochs', label: 'Epochs' },
  { key: 'paramCount', label: 'Params' },
]

const PC_METRICS: readonly { key: 'bestValAccuracy' | 'finalLoss'; label: string }[] = [
  { key: 'bestValAccuracy', label: 'Best val acc' },
  { key: 'finalLoss', label: 'Final loss' },
]

function Sweep(props: { rows: readonly RunTableRow[]; selected: readonly number[] }) {
  const [metric, setMetric] = useState<'bestValAccuracy' | 'finalLoss'>('bestValAccuracy')
  const rows = props.rows
  const axes = useMemo(() => {
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
    const params: PcAxis[] = PC_PARAMS.map((p) => ({ key: p.key, label: p.label, values: rows.map((r) => num(r[p.key])) })).filter(
      (a) => new Set(a.values.filter((v) => v !== null)).size > 1,
    )
    const shown = params.length > 0 ? params : PC_PARAMS.slice(0, 2).map((p) => ({ key: p.key, label: p.label, values: rows.map((r) => num(r[p.key])) }))
    const m = PC_METRICS.find((x) => x.key === metric) as (typeof PC_METRICS)[number]
    const metricAxis: PcAxis = {
      key: m.key,
      label: m.label,
      metric: true,
      values: rows.map((r) => num(r[m.key])),
      ...(m.key === 'bestValAccuracy' ? { format: (v: number) => `${Number((v * 100).toFixed(1))}%` } : {}),
    }
    return [...shown, metricAxis]
  }, [rows, metric])
  const lines = rows.map((r) => ({ id: r.id, label: r.name, color: runColor(r.id), emphasized: props.selected.includes(r.id) }))
  return (
    <section className="cmp-card" aria-label="Sweep">
      <header className="cmp-head">
        <h3>Hyperparameters vs metric</h3>
        <select aria-label="Metric axis" value={metric} onChange={(e) => setMetric(e.target.value as typeof metric)}>
          {PC_METRICS.map((m) => (
            <option key={m.key} value={m.key}>
              {m.label}
            </option>
          ))}
        </select>
        <span className="muted small">All {rows.length} runs of the table; the selected ones in bold. Axes spanning decades are logarithmic.</span>
      </header>
      <ParallelCoords axes={axes} lines={lines} testId="parallel-coords" />
    </section>
  )
}

export function Compare(props: {
  runIds: readonly number[]
  tableRows: readonly RunTableRow[]
  metricNames: readonly MetricNameInfo[]
  onRemove: (id: number) => void
  onOpen: (id: number) => void
}) {
  const runsById = useRuns(props.runIds)
  const runs = props.runIds.map((id) => runsById.get(id)).filter((r): r is Run => r !== undefined)
  const nameOf = useMemo(() => {
    const names = new Map(runs.map((r) => [r.id, r.name]))
    return (id: number) => names.get(id) ?? `run ${id}`
  }, [runs.map((r) => `${r.id}:${r.name}`).join('|')])
  return (
    <div className="compare" data-testid="compare">
      <div className="compare-bar">
        <h2>Compare</h2>
        <div className="run-chips">
          {props.runIds.map((id) => (
            <span key={id} className="run-chip" style={{ borderColor: runColor(id) }}>
              <RunSwatch id={id} />
              <button className="link" onClick={() => props.onOpen(id)}>
                {nameOf(id)}
              </button>
              <button className="chip-x" aria-label={`Remove ${nameOf(id)} from the comparison`} onClick={() => props.onRemove(id)}>
                ×
              </button>
            </span>
          ))}
        </div>
      </div>
      <CurveCharts runIds={props.runIds} nameOf={nameOf} testId="compare-curves" />
      <div className="cmp-row">
        <CompareAt runIds={props.runIds} metricNames={props.metricNames} nameOf={nameOf} />
        <HyperTable runs={runs} />
      </div>
      <ArchitectureSection runs={runs} />
      {props.tableRows.length >= 2 && <Sweep rows={props.tableRows} selected={props.runIds} />}
    </div>
  )
}
