/**
 * Dataset statistics: split counts (test locked), class counts per split as a grouped bar chart, the original
 * image sizes, and the per-channel mean / std of the training split (what Normalize uses).
 */
import type { DatasetDetail } from '@shared/api'
import { useApp } from '../app/store'
import { BarChart } from '../charts/BarChart'
import { classImbalance } from '@shared/train/balance'

const SPLIT_COLORS = { train: '--split-train', val: '--split-val', test: '--split-test' } as const

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

const fmt4 = (v: number) => v.toFixed(4)
const channelNames = (c: number) => (c === 1 ? ['Gray'] : ['R', 'G', 'B'])

function Swatch({ value, channel, channels }: { value: number; channel: number; channels: number }) {
  const v = Math.round(Math.max(0, Math.min(1, value)) * 255)
  const rgb = channels === 1 ? [v, v, v] : [channel === 0 ? v : 0, channel === 1 ? v : 0, channel === 2 ? v : 0]
  return <span className="swatch" style={{ background: `rgb(${rgb.join(',')})` }} title={`${(value * 255).toFixed(1)} / 255`} />
}

export function StatisticsTab({ detail }: { detail: DatasetDetail }) {
  const theme = useApp((s) => s.theme)
  const stats = detail.stats
  const totals = detail.splitTotals
  const all = totals.train + totals.val + totals.test
  const pct = (n: number) => (all > 0 ? `${((n / all) * 100).toFixed(1)}%` : '—')
  if (!stats) return <div className="loading">This dataset has no statistics.</div>
  const sizes = stats.originalSizes
  const names = channelNames(detail.channels)
  const meanColor = stats.mean.length === 3 ? `rgb(${stats.mean.map((m) => Math.round(m * 255)).join(',')})` : `rgb(${[0, 0, 0].map(() => Math.round((stats.mean[0] ?? 0) * 255)).join(',')})`
  const maxBucket = Math.max(1, ...sizes.longerSide.map((b) => b.count))

  return (
    <div className="stats-tab" data-testid="statistics">
      <div className="stat-cards">
        {(['train', 'val', 'test'] as const).map((s) => (
          <div key={s} className={`stat-card split-${s}`} data-testid={`split-${s}`}>
            <span className="stat-label"><span className="split-dot" />{s === 'train' ? 'Train' : s === 'val' ? 'Validation' : 'Test'}</span>
            <span className="stat-value">{totals[s].toLocaleString('en-US')}</span>
            <span className="stat-sub">{pct(totals[s])} of {all.toLocaleString('en-US')}{detail.split ? ` · ratio ${detail.split.ratios[s]}` : ''}</span>
            {s === 'test' && (
              <span className="locked" data-testid="test-locked">
                <svg width="12" height="12" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" aria-hidden="true"><path d="M6 11h12v9H6zM8.5 11V8a3.5 3.5 0 0 1 7 0v3" /></svg>
                locked: evaluated only on request
              </span>
            )}
          </div>
        ))}
        <div className="stat-card">
          <span className="stat-label">Split seed</span>
          <span className="stat-value">{detail.split?.seed ?? '—'}</span>
          <span className="stat-sub">stratified per class</span>
        </div>
      </div>

      {(() => {
        const imbalance = classImbalance(detail.classes.map((_, i) => (stats.counts.train[i] ?? 0) + (stats.counts.val[i] ?? 0) + (stats.counts.test[i] ?? 0)), detail.classes)
        return imbalance?.unbalanced ? (
          <p className="stats-note" role="note" data-testid="class-imbalance">
            {imbalance.words}. A model can score well by favouring “{imbalance.largest.name}”: the Train form can weight the loss by class.
          </p>
        ) : null
      })()}

      {stats.transparency && (
        <p className="stats-note stats-info" role="note" data-testid="transparency-note">
          {stats.transparency.images.toLocaleString('en-US')} image{stats.transparency.images === 1 ? '' : 's'} had transparency (an alpha channel); transparent pixels were filled with{' '}
          {stats.transparency.background === '#ffffff' ? 'white' : stats.transparency.background === '#000000' ? 'black' : stats.transparency.background} before the statistics and training.
        </p>
      )}

      <BarChart
        title="Images per class and split"
        testId="class-counts-chart"
        categories={detail.classes}
        yLabel="images"
        styleKey={theme}
        height={Math.max(200, Math.min(300, 160 + detail.classes.length * 6))}
        series={[
          { label: 'Train', color: cssVar(SPLIT_COLORS.train), values: stats.counts.train },
          { label: 'Validation', color: cssVar(SPLIT_COLORS.val), values: stats.counts.val },
          { label: 'Test (locked)', color: cssVar(SPLIT_COLORS.test), values: stats.counts.test },
        ]}
      />

      <div className="stats-columns">
        <section className="panel">
          <h3>Per-channel mean and std <span className="muted">(training split, pixels in [0, 1])</span></h3>
          <table className="num-table" data-testid="channel-stats">
            <thead>
              <tr><th>Channel</th><th>Mean</th><th><span className="sr-only">Mean colour</span></th><th>Std</th></tr>
            </thead>
            <tbody>
              {names.map((n, i) => (
                <tr key={n}>
                  <td>{n}</td>
                  <td className="mono">{fmt4(stats.mean[i] ?? 0)}</td>
                  <td><Swatch value={stats.mean[i] ?? 0} channel={i} channels={detail.channels} /></td>
                  <td className="mono">{fmt4(stats.std[i] ?? 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="mean-color">
            <span className="swatch large" style={{ background: meanColor }} />
            <span className="muted small">Mean colour · over {stats.pixelCount.toLocaleString('en-US')} pixels per channel. Normalize steps start from these values.</span>
          </div>
        </section>
        <section className="panel">
          <h3>Original image sizes <span className="muted">(before resizing to {detail.size.height}×{detail.size.width})</span></h3>
          <dl className="kv" data-testid="size-summary">
            <dt>Width</dt><dd>{sizes.minWidth === sizes.maxWidth ? `${sizes.minWidth} px` : `${sizes.minWidth}–${sizes.maxWidth} px`} <span className="muted">(mean {sizes.meanWidth.toFixed(1)})</span></dd>
            <dt>Height</dt><dd>{sizes.minHeight === sizes.maxHeight ? `${sizes.minHeight} px` : `${sizes.minHeight}–${sizes.maxHeight} px`} <span className="muted">(mean {sizes.meanHeight.toFixed(1)})</span></dd>
            <dt>Aspect policy</dt><dd>{detail.aspect}</dd>
          </dl>
          <div className="buckets" aria-label="Images by longer side">
            {sizes.longerSide.filter((b) => b.count > 0).map((b, i) => (
              <div key={i} className="bucket">
                <span className="bucket-label">{b.upTo === null ? 'larger' : `≤ ${b.upTo} px`}</span>
                <span className="bucket-bar"><span style={{ width: `${(b.count / maxBucket) * 100}%` }} /></span>
                <span className="bucket-count mono">{b.count.toLocaleString('en-US')}</span>
              </div>
            ))}
          </div>
        </section>
      </div>
    </div>
  )
}
