/**
 * Curve diagnosis for the run shown in the Train section (the live one while it trains): the findings in words,
 * and their evidence shaded on the step-loss and per-epoch charts.
 */
import { useEffect, useMemo, useState } from 'react'
import { diagnoseCurves } from '@shared/procedure'
import { api } from '../api/client'
import { LineChart, type ChartSeries } from '../charts/LineChart'
import { useSeriesColors } from '../train/RunCharts'
import { seriesFromMetrics, smooth, smoothingFor, type EpochRow, type StepSeries } from '../train/series'
import { bandsFor, curveSetOf, describeEvidence } from './logic'
import { Card, Verdict } from './card-parts'
import type { ProcedureContext } from './context'

function useStoredSeries(runId: number | null, skip: boolean, status: string | undefined) {
  const [series, setSeries] = useState<{ id: number; steps: StepSeries; epochs: EpochRow[] } | null>(null)
  useEffect(() => {
    if (runId === null || skip) return
    let live = true
    api()
      .runs.metrics({ runId })
      .then((m) => live && setSeries({ id: runId, ...seriesFromMetrics(m) }), () => undefined)
    return () => {
      live = false
    }
  }, [runId, skip, status])
  return series?.id === runId ? series : null
}

export function DiagnosisCard({ ctx }: { ctx: ProcedureContext }) {
  const runId = ctx.shownRunId
  const live = ctx.live && ctx.live.runId === runId ? ctx.live : null
  const summary = ctx.runs.find((r) => r.id === runId)
  const stored = useStoredSeries(runId, live !== null && live.phase !== 'ended', `${summary?.status}:${live?.phase}`)
  const steps = live ? live.steps : stored?.steps
  const epochs = live ? live.epochRows : stored?.epochs
  const c = useSeriesColors()
  const findings = useMemo(() => (steps && epochs ? diagnoseCurves(curveSetOf(steps, epochs)) : []), [steps, epochs])
  const stepChart = useMemo(() => {
    if (!steps) return null
    const w = smoothingFor(steps.step.length)
    return {
      x: steps.step,
      series: [
        { label: 'loss (batch)', color: c.trainSoft, values: steps.loss, width: 1 },
        { label: 'loss (smoothed)', color: c.train, values: smooth(steps.loss, w), width: 2 },
      ] as ChartSeries[],
    }
  }, [steps, c])
  const epochCharts = useMemo(() => {
    if (!epochs || epochs.length === 0) return null
    const x = epochs.map((e) => e.epoch)
    const v = (f: (e: EpochRow) => number | null) => epochs.map((e) => { const y = f(e); return y === null || !Number.isFinite(y) ? null : y })
    return {
      x,
      loss: [
        { label: 'train loss', color: c.train, values: v((e) => e.trainLoss), width: 2 },
        { label: 'val loss', color: c.val, values: v((e) => e.valLoss), width: 2 },
      ] as ChartSeries[],
      acc: [
        { label: 'train acc', color: c.train, values: v((e) => e.trainAcc), width: 2 },
        { label: 'val acc', color: c.val, values: v((e) => e.valAcc), width: 2 },
      ] as ChartSeries[],
    }
  }, [epochs, c])
  const stepBands = useMemo(() => bandsFor(findings, 'step'), [findings])
  const lossBands = useMemo(() => bandsFor(findings, 'epoch', ['trainLoss', 'valLoss']), [findings])
  const accBands = useMemo(() => bandsFor(findings, 'epoch', ['trainAcc', 'valAcc']), [findings])
  const name = live?.name ?? summary?.name ?? null
  return (
    <Card
      id="diagnosis"
      step="6"
      wide
      title="Curve diagnosis"
      lecture="Read the curves: a big train/val gap is overfitting (regularize), no gap with poor accuracy is underfitting (bigger model), a slow straight decline means the rate is too low, noise a small batch, an explosion a rate too high."
    >
      {runId === null || !name ? (
        <p className="muted">Select a run in the list on the right (or start one): its curves are diagnosed here, live while it trains.</p>
      ) : !steps ? (
        <p className="muted">Loading the run's curves…</p>
      ) : (
        <div className="proc-result" data-testid="diagnosis-result" data-run-id={runId}>
          <p className="proc-note">
            <strong>{name}</strong> · {steps.step.length} steps, {epochs?.length ?? 0} epochs{live && live.phase !== 'ended' ? ' · live' : ''}
          </p>
          {findings.length === 0 ? (
            <Verdict kind="ok" testId="diagnosis-finding">
              <strong>Nothing to flag.</strong> No explosion, plateau, slow linear decline, train/val gap or excessive noise{steps.step.length < 8 ? ' (few steps so far: the rules need more points)' : ''}.
            </Verdict>
          ) : (
            findings.map((f) => (
              <Verdict key={f.id} kind={f.severity === 'error' ? 'bad' : f.severity === 'warning' ? 'warn' : 'info'} testId="diagnosis-finding">
                <strong>{f.title}.</strong> {f.explanation} <em>{f.advice}</em>
                <span className="evidence">Evidence (shaded): {f.evidence.map(describeEvidence).join('; ')}</span>
              </Verdict>
            ))
          )}
          <div className="proc-charts-3">
            {stepChart && <LineChart testId="diagnosis-step-chart" title="Loss per step" xLabel="step" yLabel="loss" x={stepChart.x} series={stepChart.series} bands={stepBands} height={180} />}
            {epochCharts && (
              <>
                <LineChart testId="diagnosis-epoch-loss" title="Loss per epoch" xLabel="epoch" yLabel="loss" x={epochCharts.x} series={epochCharts.loss} bands={lossBands} height={180} />
                <LineChart testId="diagnosis-epoch-acc" title="Accuracy per epoch" xLabel="epoch" yLabel="accuracy" x={epochCharts.x} series={epochCharts.acc} bands={accBands} height={180} formatY={(v) => `${(v * 100).toFixed(0)}%`} />
              </>
            )}
          </div>
        </div>
      )}
    </Card>
  )
}
