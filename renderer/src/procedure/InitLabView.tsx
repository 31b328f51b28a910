/** The init lab's results side by side: the verdicts, std per layer, and per-layer histograms with mean/std/dead ReLUs. */
import { useMemo } from 'react'
import type { InitLabResult } from '@shared/procedure'
import { LineChart, type ChartSeries } from '../charts/LineChart'
import { fmt, labLayers, labVerdict } from './logic'
import { MiniHistogram } from './Scatter'
import { palette, Verdict } from './card-parts'

/** `shown`: a layer's name for people (the editor's node name, see shared/graph/names editorNames); default as is. */
export function InitLabView({ results, shown = (name) => name }: { results: readonly InitLabResult[]; shown?: (layerName: string) => string }) {
  const pal = palette()
  const layers = labLayers(results[0]!)
  const names = layers.map((l) => l.layer)
  const chart = useMemo(() => {
    const x = names.map((_, i) => i + 1)
    const series = results.map((r, i) => {
      const by = new Map(labLayers(r).map((l) => [l.layer, l.std]))
      return { label: r.label, color: pal[i % pal.length]!, values: names.map((n) => { const v = by.get(n)
        return v !== undefined && v > 0 ? Math.log10(v) : null }), width: 2 } as ChartSeries
    })
    return { x, series }
  }, [results, names.join(','), pal.join(',')])
  return (
    <div className="init-lab" data-testid="init-lab-result">
      <div className="lab-verdicts">
        {results.map((r) => {
          const v = labVerdict(r)
          return (
            <Verdict key={r.label} kind={v.kind === 'stays' ? 'ok' : v.kind === 'drifts' ? 'warn' : 'bad'} testId="lab-verdict">
              <strong>{v.kind === 'collapses' ? 'Collapses. ' : v.kind === 'explodes' ? 'Explodes. ' : v.kind === 'stays' ? 'Stays. ' : 'Drifts. '}</strong>
              {v.text}
            </Verdict>
          )
        })}
      </div>
      <LineChart testId="lab-std-chart" title="Activation std per layer (log scale)" xLabel="layer" yLabel="std" x={chart.x} series={chart.series} height={190} formatY={(v) => fmt(Math.pow(10, v), 2)} formatX={(v) => (Number.isInteger(v) && names[v - 1] ? shown(names[v - 1]!) : '')} />
      <div className="lab-grid" style={{ gridTemplateColumns: `110px repeat(${results.length}, minmax(0, 1fr))` }}>
        <div className="lab-head" />
        {results.map((r, i) => (
          <div key={r.label} className="lab-head">
            <span className="swatch" style={{ background: pal[i % pal.length] }} />
            {r.label}
          </div>
        ))}
        {names.map((name) => (
          <LabRow key={name} name={name} label={shown(name)} results={results} />
        ))}
      </div>
    </div>
  )
}

function LabRow({ name, label, results }: { name: string; label: string; results: readonly InitLabResult[] }) {
  return (
    <>
      <div className="lab-layer">{label}</div>
      {results.map((r) => {
        const l = r.layers.find((x) => x.layer === name)
        if (!l) return <div key={r.label} className="lab-cell muted">—</div>
        const dead = l.deadFraction
        return (
          <div key={r.label} className="lab-cell">
            <MiniHistogram counts={l.histogram.counts} />
            <div className="lab-stats">
              <span>μ {fmt(l.mean, 2)}</span>
              <span>σ {fmt(l.std, 2)}</span>
              {dead !== null && <span className={dead > 0.5 ? 'bad' : ''}>dead {(dead * 100).toFixed(0)}%</span>}
            </div>
            <div className="lab-range muted">
              [{fmt(l.min, 2)}, {fmt(l.max, 2)}]
            </div>
          </div>
        )
      })}
    </>
  )
}
