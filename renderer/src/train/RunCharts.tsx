/** The run's live (or stored) curves: loss per step, accuracy per epoch, learning rate and throughput. */
import { useMemo } from 'react'
import { LineChart, type ChartSeries } from '../charts/LineChart'
import { useApp } from '../app/store'
import { smooth, smoothingFor } from './series'
import type { EpochRow, StepSeries } from './series'

export interface SeriesColors {
  train: string
  trainSoft: string
  val: string
  lr: string
  ips: string
  ipsSoft: string
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

/** Series colors from the theme (recomputed when the theme changes). */
export function useSeriesColors(): SeriesColors {
  const theme = useApp((s) => s.theme)
  return useMemo(
    () => ({
      train: cssVar('--series-train', '#4c8dff'),
      trainSoft: cssVar('--series-train-soft', 'rgba(76,141,255,0.3)'),
      val: cssVar('--series-val', '#f2994a'),
      lr: cssVar('--series-lr', '#a78bfa'),
      ips: cssVar('--series-ips', '#3ecf8e'),
      ipsSoft: cssVar('--series-ips-soft', 'rgba(62,207,142,0.3)'),
    }),
    // The colors are read from CSS variables, which change with the theme.
    [theme],
  )
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`
/** Steps are whole: fractional ticks (few points) stay unlabelled. */
const int = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : '')
const lrFmt = (v: number) => (v === 0 ? '0' : v.toExponential(1))

/** Per-epoch values held over the steps of their epoch (an epoch's value is known once it ends). */
function perEpochOverSteps(steps: readonly number[], rows: readonly EpochRow[], pick: (r: EpochRow) => number | null): (number | null)[] {
  const out: (number | null)[] = []
  let r = 0
  for (const s of steps) {
    while (r < rows.length && (rows[r] as EpochRow).step < s) r++
    const row = rows[r]
    const v = row ? pick(row) : null
    out.push(v === null || !Number.isFinite(v) ? null : v)
  }
  return out
}

export function RunCharts({ steps, epochs }: { steps: StepSeries; epochs: readonly EpochRow[] }) {
  const c = useSeriesColors()
  const w = smoothingFor(steps.step.length)
  const loss = useMemo<ChartSeries[]>(
    () => [
      { label: 'loss (batch)', color: c.trainSoft, values: steps.loss, width: 1 },
      { label: 'loss (smoothed)', color: c.train, values: smooth(steps.loss, w), width: 2 },
    ],
    [steps.loss, w, c],
  )
  const acc = useMemo<ChartSeries[]>(
    () => [
      { label: 'train (batch, smoothed)', color: c.trainSoft, values: smooth(steps.acc, w), width: 1 },
      { label: 'train (epoch)', color: c.train, values: perEpochOverSteps(steps.step, epochs, (r) => r.trainAcc), width: 2 },
      { label: 'val (epoch)', color: c.val, values: perEpochOverSteps(steps.step, epochs, (r) => r.valAcc), width: 2 },
    ],
    [steps.acc, steps.step, epochs, w, c],
  )
  const lrValues = steps.lr
  const logLr = useMemo(() => {
    let min = Infinity
    let max = 0
    for (const v of lrValues) {
      if (v > 0) {
        min = Math.min(min, v)
        max = Math.max(max, v)
      }
    }
    return max > 0 && max / min > 20
  }, [lrValues])
  const lr = useMemo<ChartSeries[]>(() => [{ label: 'learning rate', color: c.lr, values: lrValues, width: 2 }], [lrValues, c])
  const ips = useMemo<ChartSeries[]>(
    () => [
      { label: 'images/s', color: c.ipsSoft, values: steps.ips, width: 1 },
      { label: 'images/s (smoothed)', color: c.ips, values: smooth(steps.ips, w), width: 2 },
    ],
    [steps.ips, w, c],
  )
  return (
    <div className="train-charts" data-points={steps.step.length}>
      <LineChart testId="chart-loss" title="Loss per step" xLabel="step" yLabel="cross-entropy" x={steps.step} series={loss} height={200} formatX={int} />
      <LineChart testId="chart-acc" title="Accuracy" xLabel="step" yLabel="accuracy" x={steps.step} series={acc} height={200} formatX={int} formatY={pct} />
      <LineChart testId="chart-lr" title="Learning rate" xLabel="step" yLabel="learning rate" x={steps.step} series={lr} height={170} logY={logLr} formatX={int} formatY={lrFmt} />
      <LineChart testId="chart-ips" title="Throughput" xLabel="step" yLabel="images / s" x={steps.step} series={ips} height={170} formatX={int} formatY={(v) => v.toFixed(v < 10 ? 1 : 0)} />
    </div>
  )
}

export function EpochTable({ rows }: { rows: readonly EpochRow[] }) {
  if (rows.length === 0) return null
  const f = (v: number | null, p: boolean) => (v === null || !Number.isFinite(v) ? '—' : p ? pct(v) : v.toFixed(4))
  return (
    <table className="epoch-table" data-testid="epoch-table">
      <thead>
        <tr>
          <th>Epoch</th>
          <th>Step</th>
          <th>Train loss</th>
          <th>Train acc</th>
          <th>Val loss</th>
          <th>Val acc</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.epoch}>
            <td>{r.epoch}</td>
            <td>{r.step.toLocaleString('en-US')}</td>
            <td>{f(r.trainLoss, false)}</td>
            <td>{f(r.trainAcc, true)}</td>
            <td>{f(r.valLoss, false)}</td>
            <td>{f(r.valAcc, true)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
