/**
 * Compare: the selected runs' curves overlaid (train/val loss, train/val accuracy, learning rate) against step,
 * epoch or wall time, with EMA smoothing and a log scale; values at a step / epoch / each run's best epoch; the
 * hyperparameter table (differences only); the architecture diff of two runs; parallel coordinates of
 * hyperparameters against a metric for the runs of the table (sweeps).
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react'
import type { MetricNameInfo, Run, RunTableRow, ValueAtResult } from '@shared/api'
import { CURVE_AXES, paretoFront, settingsDiffMarkdown, snapshotFacts, unpackCurves, type BandKind, type Curves, type Goals } from '@shared/compare'
import { analyzeGraph, type GraphDocument } from '@shared/graph'
import { columnLabel, groupRuns, HYPERPARAMETER_COLUMNS, type GroupBy, type GroupableRun } from '@shared/runs'
import { api } from '../api/client'
import { fileStem, saveExport } from '../api/save-file'
import { LineChart } from '../charts/LineChart'
import { ParallelCoords, type PcAxis } from '../charts/ParallelCoords'
import { ScatterChart } from '../charts/ScatterChart'
import { reportError, useToasts } from '../ui/dialogs'
import { changes, useLive } from '../ui/live'
import { ArchDiff } from './ArchDiff'
import { groupColor, runColor } from './colors'
import { ConfusionDiffSection } from './ConfusionDiff'
import { planChart, spansDecades, X_LABEL, type CurveSpec, type XAxis } from './overlay'
import { RunSwatch } from './RunsTable'
import { diffRunSettings } from './settings'
import { formatDuration, formatNumber, formatPercent } from './table-state'

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
const SMOOTHED = [...new Set(CHARTS.flatMap((c) => c.specs.filter((s) => s.smooth).map((s) => s.name)))]

/** Runs a comparison draws at most (runs.curves' limit). */
export const MAX_COMPARED = 10_000
/** Pixel columns of a curve chart: each run or group crosses to the page as at most two values per column. */
const COLUMNS = 320

const NO_RUNS = new Map<number, Run>()

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

/** A group of the comparison: its key and label (shared/runs groupRuns) and its runs. */
export interface CompareGroup {
  readonly key: string
  readonly label: string
  readonly runIds: readonly number[]
}

export function useCurves(ids: readonly number[], o: { axis: XAxis; smoothing: number; groups: readonly CompareGroup[] | null; showRuns: boolean }): Curves | null {
  const shown = ids.slice(0, MAX_COMPARED)
  const groupsKey = o.groups ? o.groups.map((g) => `${g.key}=${g.runIds.join(',')}`).join('|') : ''
  return (
    useLive(
      () =>
        api().runs.curves({
          runIds: [...shown],
          names: METRIC_NAMES,
          axis: o.axis,
          columns: COLUMNS,
          runs: !o.groups || o.showRuns,
          ...(o.groups ? { groups: o.groups.map((g) => ({ key: g.key, runIds: g.runIds.filter((id) => shown.includes(id)) })).filter((g) => g.runIds.length > 0) } : {}),
          ...(o.smoothing > 0 ? { smooth: { weight: o.smoothing, names: SMOOTHED } } : {}),
        }).then(unpackCurves),
      [shown.join(','), o.axis, o.smoothing, groupsKey, o.showRuns],
      { enabled: shown.length > 0, on: [changes(api().runs, 'onDidAppendMetrics', (e) => shown.includes(e.runId))], debounceMs: 300 },
    ).value ?? null
  )
}

export function CurveCharts(props: { runIds: readonly number[]; nameOf: (id: number) => string; testId?: string; groups?: readonly CompareGroup[] | null; controls?: ReactNode }) {
  const [axis, setAxis] = useState<XAxis>('step')
  const [smoothing, setSmoothing] = useState(0.6)
  const [logLoss, setLogLoss] = useState(false)
  const [band, setBand] = useState<BandKind>('minmax')
  const [showRuns, setShowRuns] = useState(false)
  const groups = props.groups ?? null
  const result = useCurves(props.runIds, { axis, smoothing, groups, showRuns })
  const planGroups = useMemo(() => (groups ? groups.map((g, i) => ({ key: g.key, label: g.label, color: groupColor(i) })) : undefined), [groups])
  const plans = useMemo(
    () =>
      result
        ? CHARTS.map((c) => ({
            chart: c,
            plan: planChart(result, c.specs, { colorOfRun: runColor, labelOfRun: props.nameOf, ...(c.percent ? { scale: 100 } : {}), ...(planGroups ? { groups: planGroups, band, showRuns } : {}) }),
          }))
        : [],
    [result, props.nameOf, planGroups, band, showRuns],
  )
  const fmtX = axis === 'time' ? (v: number) => `${Number(v.toFixed(1))}s` : axis === 'epoch' ? (v: number) => String(Number(v.toFixed(2))) : (v: number) => formatNumber(Math.round(v))
  const unnamed = result?.unaligned.length ?? 0
  return (
    <div className="curves" data-testid={props.testId}>
      <div className="curves-controls">
        {props.controls}
        <div className="segmented" role="radiogroup" aria-label="X axis">
          {CURVE_AXES.map((a) => (
            <button
              key={a}
              role="radio"
              aria-checked={axis === a}
              className={axis === a ? 'on' : ''}
              title={a === 'examples' ? 'Step × batch size: runs with different batch sizes line up' : a === 'time' ? 'Seconds since each run’s first point' : undefined}
              onClick={() => setAxis(a)}
            >
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
        {groups && (
          <>
            <div className="segmented" role="radiogroup" aria-label="Band">
              {(['minmax', 'std'] as const).map((b) => (
                <button key={b} role="radio" aria-checked={band === b} className={band === b ? 'on' : ''} onClick={() => setBand(b)}>
                  {b === 'minmax' ? 'Min–max' : 'Mean ± std'}
                </button>
              ))}
            </div>
            <label className="check">
              <input type="checkbox" checked={showRuns} onChange={(e) => setShowRuns(e.target.checked)} /> Show runs
            </label>
          </>
        )}
        <span className="muted small">
          Solid: training (per step) · dashed: validation (per epoch){groups ? ' · lines: group means, shaded: the band' : ''}
        </span>
      </div>
      {props.runIds.length > MAX_COMPARED && <p className="muted small">The curves show the first {MAX_COMPARED.toLocaleString('en-US')} of {props.runIds.length.toLocaleString('en-US')} selected runs.</p>}
      {unnamed > 0 && (
        <p className="muted small" data-testid="unaligned">
          {unnamed} run{unnamed > 1 ? 's have' : ' has'} no recorded batch size and cannot be placed by examples seen: {result?.unaligned.slice(0, 5).map(props.nameOf).join(', ')}
          {unnamed > 5 ? ', …' : ''}.
        </p>
      )}
      <div className="curves-grid">
        {(plans.length > 0 ? plans : CHARTS.map((chart) => ({ chart, plan: null }))).map(({ chart, plan }) => {
          const logY = plan && chart.rate ? spansDecades(plan.series.flatMap((s) => s.values), 1.5) : chart.id === 'loss' ? logLoss : false
          return plan && plan.series.length > 0 ? (
            <LineChart
              key={`${chart.id}-${axis}`}
              testId={`chart-${chart.id}`}
              title={`${chart.title}${logY ? ' (log scale)' : ''}`}
              xLabel={X_LABEL[axis]}
              yLabel={chart.yLabel}
              x={plan.x}
              series={plan.series}
              fills={plan.fills}
              logY={logY}
              height={230}
              formatX={fmtX}
              formatY={chart.percent ? (v) => `${Number(v.toFixed(1))}%` : chart.rate ? formatNumber : (v) => String(Number(v.toPrecision(3)))}
              exportName={`${chart.title} by ${X_LABEL[axis].toLowerCase()}`}
            />
          ) : (
            <figure key={chart.id} className="chart chart-empty">
              <figcaption>{chart.title}</figcaption>
              <div className="muted small">{result ? `No ${chart.specs.map((s) => s.name).join(' / ')} recorded yet.` : 'Loading…'}</div>
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
    // valueAt answers 50 runs a call: a large comparison asks in chunks.
    const ids = [...props.runIds]
    const chunks = Array.from({ length: Math.ceil(ids.length / 50) }, (_, i) => ids.slice(i * 50, i * 50 + 50))
    Promise.all(chunks.map((runIds) => api().runs.valueAt({ runIds, name, at: q })))
      .then((r) => live && setRows(r.flat()), reportError)
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
  const exportMarkdown = async () => {
    try {
      const md = settingsDiffMarkdown(
        { runs: props.runs.map((r) => r.name), rows: diff.rows.map((r) => ({ section: r.section, label: r.label, values: r.values.map((v) => v.text), differs: r.differs })), differing: diff.differing, total: diff.total },
        { differencesOnly },
      )
      const said = await saveExport({ name: `${fileStem(`settings ${props.runs.map((r) => r.name).join(' vs ')}`)}.md`, mime: 'text/markdown', bytes: new TextEncoder().encode(md), kind: { name: 'Markdown', extensions: ['md'] } })
      if (said) useToasts.getState().toast('info', said)
    } catch (e) {
      reportError(e)
    }
  }
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
        <button className="btn btn-xs" disabled={props.runs.length === 0} title="Save the settings table (as shown: differences only or all) as a Markdown file" onClick={() => void exportMarkdown()}>
          Export Markdown
        </button>
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

/** How the comparison groups its runs: each run alone, or the grouping model of shared/runs. */
type GroupChoice = 'none' | 'exceptSeed' | 'tags' | `column:${string}`

const GROUP_COLUMNS = HYPERPARAMETER_COLUMNS.filter((c) => c !== 'settingsKey')

function groupByOf(choice: GroupChoice): GroupBy | null {
  if (choice === 'none') return null
  if (choice === 'exceptSeed') return { kind: 'exceptSeed' }
  if (choice === 'tags') return { kind: 'tags' }
  return { kind: 'columns', columns: [choice.slice('column:'.length)] }
}

/** A table row as the grouping model reads it: its hyperparameter columns and its extra columns, by key. */
function groupable(row: RunTableRow): GroupableRun {
  const values: Record<string, string | number | boolean | null> = {}
  const fields = row as unknown as Record<string, unknown>
  for (const k of HYPERPARAMETER_COLUMNS) {
    const v = fields[k]
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') values[k] = v
  }
  for (const [k, v] of Object.entries(row.extra)) values[k] = v
  return { id: row.id, tags: row.tags, values }
}

/** The groups of the compared runs (a run without a table row is a group of its own). */
export function compareGroups(runIds: readonly number[], rows: readonly RunTableRow[], by: GroupBy | null, nameOf: (id: number) => string): CompareGroup[] | null {
  if (!by) return null
  const byId = new Map(rows.map((r) => [r.id, r]))
  const known = runIds.map((id) => byId.get(id)).filter((r): r is RunTableRow => r !== undefined)
  const groups: CompareGroup[] = groupRuns(known.map(groupable), by, []).map((g) => ({ key: g.key, label: g.label, runIds: g.runIds }))
  for (const id of runIds) if (!byId.has(id)) groups.push({ key: `run:${id}`, label: nameOf(id), runIds: [id] })
  return groups
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
  const [groupChoice, setGroupChoice] = useState<GroupChoice>('none')
  const groups = useMemo(
    () => compareGroups(props.runIds, props.tableRows, groupByOf(groupChoice), nameOf),
    [props.runIds.join(','), props.tableRows, groupChoice, nameOf],
  )
  const [showAllChips, setShowAllChips] = useState(false)
  const chips = showAllChips ? props.runIds : props.runIds.slice(0, CHIPS)
  const groupControl = (
    <label className="inline-field">
      <span>Group</span>
      <select aria-label="Group runs" value={groupChoice} onChange={(e) => setGroupChoice(e.target.value as GroupChoice)}>
        <option value="none">Each run alone</option>
        <option value="exceptSeed">Everything except the seed</option>
        <option value="tags">Tags</option>
        {GROUP_COLUMNS.map((c) => (
          <option key={c} value={`column:${c}`}>
            {columnLabel(c)[0]?.toUpperCase()}
            {columnLabel(c).slice(1)}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <div className="compare" data-testid="compare">
      <div className="compare-bar">
        <h2>Compare</h2>
        <div className="run-chips">
          {chips.map((id) => (
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
          {props.runIds.length > CHIPS && (
            <button className="link small" onClick={() => setShowAllChips(!showAllChips)}>
              {showAllChips ? 'Show fewer' : `and ${(props.runIds.length - CHIPS).toLocaleString('en-US')} more`}
            </button>
          )}
        </div>
        {groups && (
          <span className="muted small" data-testid="compare-groups">
            {groups.length} group{groups.length === 1 ? '' : 's'} of {props.runIds.length} runs
          </span>
        )}
      </div>
      <CurveCharts runIds={props.runIds} nameOf={nameOf} testId="compare-curves" groups={groups} controls={groupControl} />
      <Tradeoff runs={runs} rows={props.tableRows} groups={groups} onOpen={props.onOpen} />
      <div className="cmp-row">
        <CompareAt runIds={props.runIds} metricNames={props.metricNames} nameOf={nameOf} />
        <HyperTable runs={runs} />
      </div>
      <ConfusionDiffSection runs={runs} />
      <ArchitectureSection runs={runs} />
      {props.tableRows.length >= 2 && <Sweep rows={props.tableRows} selected={props.runIds} />}
    </div>
  )
}

/** Run chips shown before "and N more". */
const CHIPS = 24

type Axis = { key: string; label: string; read: (row: RunTableRow, run: Run | undefined) => number | null; format: (v: number) => string; goal: 'min' | 'max' }

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const flopsCache = new WeakMap<object, number | null>()
/** FLOPs of a run's architecture, from its snapshot's graph (null without one). */
function flopsOf(run: Run | undefined): number | null {
  if (!run || typeof run.config !== 'object' || run.config === null) return null
  if (flopsCache.has(run.config)) return flopsCache.get(run.config) ?? null
  const doc = snapshotFacts(run.config).graphDocument
  let f: number | null = null
  try {
    f = doc ? analyzeGraph(doc as GraphDocument).totals.flops : null
  } catch {
    f = null // a snapshot whose graph no longer analyses has no FLOPs to show
  }
  flopsCache.set(run.config, f)
  return f
}

const BASE_AXES: Axis[] = [
  { key: 'paramCount', label: 'Parameters', read: (r) => num(r.paramCount), format: formatNumber, goal: 'min' },
  { key: 'flops', label: 'FLOPs', read: (_r, run) => flopsOf(run), format: formatNumber, goal: 'min' },
  { key: 'durationMs', label: 'Training time', read: (r) => (r.durationMs > 0 ? r.durationMs : null), format: (v) => formatDuration(v), goal: 'min' },
  { key: 'bestValAccuracy', label: 'Best val accuracy', read: (r) => num(r.bestValAccuracy), format: (v) => `${Number((v * 100).toFixed(1))}%`, goal: 'max' },
  { key: 'finalLoss', label: 'Last-epoch loss', read: (r) => num(r.finalLoss), format: formatNumber, goal: 'min' },
]

/** Every numeric column the rows carry (base and extra columns), after the named ones. */
function axesOf(rows: readonly RunTableRow[]): Axis[] {
  const out = [...BASE_AXES]
  const seen = new Set(out.map((a) => a.key))
  const add = (key: string, label: string, read: Axis['read']) => {
    if (seen.has(key) || !rows.some((r) => read(r, undefined) !== null)) return
    seen.add(key)
    out.push({ key, label, read, format: formatNumber, goal: 'min' })
  }
  for (const k of ['learningRate', 'batchSize', 'epochs', 'weightDecay', 'bestEpoch', 'architectureVersion'] as const) add(k, columnLabel(k), (r) => num(r[k]))
  for (const k of new Set(rows.flatMap((r) => Object.keys(r.extra)))) add(`extra:${k}`, columnLabel(k), (r) => num(r.extra[k]))
  return out
}

function Tradeoff(props: { runs: readonly Run[]; rows: readonly RunTableRow[]; groups: readonly CompareGroup[] | null; onOpen: (id: number) => void }) {
  const ids = new Set(props.runs.map((r) => r.id))
  const rows = props.rows.filter((r) => ids.has(r.id))
  const axes = useMemo(() => axesOf(rows), [rows])
  const [xKey, setX] = useState('paramCount')
  const [yKey, setY] = useState('bestValAccuracy')
  const [xGoal, setXGoal] = useState<'min' | 'max' | null>(null)
  const [perGroup, setPerGroup] = useState(true)
  const xAxis = axes.find((a) => a.key === xKey) ?? (axes[0] as Axis)
  const yAxis = axes.find((a) => a.key === yKey) ?? (axes[3] as Axis)
  const goals: Goals = { x: xGoal ?? xAxis.goal, y: yAxis.goal }
  const runById = new Map(props.runs.map((r) => [r.id, r]))
  const rowById = new Map(rows.map((r) => [r.id, r]))
  const value = (axis: Axis, id: number) => {
    const row = rowById.get(id)
    return row ? axis.read(row, runById.get(id)) : null
  }
  const grouped = props.groups !== null && perGroup
  const raw = grouped
    ? (props.groups ?? []).flatMap((g, i) => {
        const members = g.runIds.filter((id) => value(xAxis, id) !== null && value(yAxis, id) !== null)
        if (members.length === 0) return []
        const mean = (a: Axis) => members.reduce((s, id) => s + (value(a, id) as number), 0) / members.length
        // Clicking a group opens its best run on the y axis.
        const best = members.reduce((b, id) => ((goals.y === 'max' ? (value(yAxis, id) as number) > (value(yAxis, b) as number) : (value(yAxis, id) as number) < (value(yAxis, b) as number)) ? id : b))
        return [{ id: best, label: `${g.label} (${members.length} run${members.length > 1 ? 's' : ''}, mean)`, x: mean(xAxis), y: mean(yAxis), color: groupColor(i) }]
      })
    : rows.flatMap((r) => {
        const x = value(xAxis, r.id)
        const y = value(yAxis, r.id)
        return x === null || y === null ? [] : [{ id: r.id, label: r.name, x, y, color: runColor(r.id) }]
      })
  const front = paretoFront(raw, goals)
  const onFront = new Set(front.map((p) => p.id))
  const points = raw.map((p) => ({ ...p, front: onFront.has(p.id) }))
  const missing = (grouped ? 0 : props.runs.length) - points.length
  const select = (label: string, value: string, set: (v: string) => void) => (
    <label className="inline-field">
      <span>{label}</span>
      <select aria-label={`Trade-off ${label}`} value={value} onChange={(e) => set(e.target.value)}>
        {axes.map((a) => (
          <option key={a.key} value={a.key}>
            {a.label}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <section className="cmp-card" aria-label="Trade-off">
      <header className="cmp-head tradeoff-controls">
        <h3>Trade-off</h3>
        {select('Y', yAxis.key, setY)}
        {select('X', xAxis.key, (v) => (setX(v), setXGoal(null)))}
        <div className="segmented" role="radiogroup" aria-label="Better x">
          {(['min', 'max'] as const).map((g) => (
            <button key={g} role="radio" aria-checked={goals.x === g} className={goals.x === g ? 'on' : ''} onClick={() => setXGoal(g)}>
              {g === 'min' ? 'Lower x is better' : 'Higher x is better'}
            </button>
          ))}
        </div>
        {props.groups && (
          <label className="check">
            <input type="checkbox" checked={perGroup} onChange={(e) => setPerGroup(e.target.checked)} /> One point per group
          </label>
        )}
        {missing > 0 && <span className="muted small">{missing} run{missing > 1 ? 's have' : ' has'} no value on one of the axes and {missing > 1 ? 'are' : 'is'} left out.</span>}
      </header>
      {points.length > 0 ? (
        <ScatterChart
          title={`${yAxis.label} against ${xAxis.label.toLowerCase()}`}
          xLabel={xAxis.label}
          yLabel={yAxis.label}
          points={points}
          front={front}
          formatX={xAxis.format}
          formatY={yAxis.format}
          onOpen={props.onOpen}
          testId="tradeoff"
          exportName={`Trade-off ${yAxis.label} vs ${xAxis.label}`}
        />
      ) : (
        <p className="muted small">No compared run has both a {yAxis.label.toLowerCase()} and a {xAxis.label.toLowerCase()} yet.</p>
      )}
    </section>
  )
}
