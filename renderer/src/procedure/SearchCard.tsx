/** Step 4-5: random (or grid) search, coarse to fine, with its results table, scatter plots and parallel coordinates. */
import { useEffect, useMemo, useState } from 'react'
import { bestTrial, describeSpace } from '@shared/procedure'
import { ParallelCoords, type PcAxis, type PcLine } from '../charts/ParallelCoords'
import { useTraining } from '../train/controller'
import type { BackendChoice } from '../train/protocol'
import {
  DEFAULT_SETUP,
  fmt,
  metricText,
  newSearch,
  PARAM_LABEL,
  paramText,
  SEARCH_STORAGE_NOTE,
  searchParams,
  spaceOfSetup,
  tableRows,
  type SearchParam,
  type SearchSetup,
} from './logic'
import { Card, Field, palette, Verdict } from './card-parts'
import type { ProcedureContext } from './context'
import { Scatter } from './Scatter'
import { designGraph } from './client'
import { countDropout } from './design-variants'
import { flushSearch, loadSearch, pauseSearch, refine, runPending, setSaved, stopTrial, useSearch } from './search-runner'


export function SearchCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  useEffect(() => void loadSearch(ctx.projectId), [ctx.projectId])
  const search = useSearch()
  const here = search.projectId === ctx.projectId
  const saved = here ? search.saved : null
  const loading = !here || search.loading
  const [setup, setSetup] = useState<SearchSetup>(DEFAULT_SETUP)
  const [editing, setEditing] = useState(false)
  const showSetup = saved === null || editing
  return (
    <Card
      id="search"
      step="4–5"
      wide
      title="Hyperparameter search, coarse to fine"
      lecture="Random search (it beats grid search) with log-uniform rates and decays, 1–5 epochs per trial, stopping a trial early when its loss exceeds 3× the initial loss; then refine around the best and train longer."
    >
      {here && search.loadError && (
        <div className="field-error proc-persist-error" role="alert">
          <p>{search.loadError}</p>
          <button className="btn" onClick={() => void loadSearch(ctx.projectId, { force: true })}>
            Try again
          </button>
        </div>
      )}
      {here && search.saveError && (
        <div className="field-error proc-persist-error" role="alert">
          <p>{search.saveError}</p>
          <button className="btn" onClick={() => void flushSearch()}>
            Save again
          </button>
        </div>
      )}
      {loading ? (
        <p className="muted" data-testid="search-loading">
          Loading the saved search…
        </p>
      ) : showSetup ? (
        <SearchSetupForm
          setup={setup}
          onChange={setSetup}
          ctx={ctx}
          onStart={() => {
            const made = newSearch(
              setup,
              { base: ctx.config, architectureId: ctx.architectureId!, datasetId: ctx.datasetId!, pipelineId: ctx.pipelineId, backend },
              new Date().toISOString().slice(5, 16).replace('T', ' '),
            )
            if ('error' in made) return
            setSaved(made)
            setEditing(false)
            void runPending()
          }}
          onCancel={saved ? () => setEditing(false) : null}
        />
      ) : (
        <SearchRun ctx={ctx} onNew={() => setEditing(true)} />
      )}
      <p className="proc-note small">{SEARCH_STORAGE_NOTE}</p>
    </Card>
  )
}

function SearchSetupForm({ setup, onChange, ctx, onStart, onCancel }: { setup: SearchSetup; onChange: (s: SearchSetup) => void; ctx: ProcedureContext; onStart: () => void; onCancel: (() => void) | null }) {
  const check = spaceOfSetup(setup)
  const training = useTraining((s) => s.live !== null && s.live.phase !== 'ended')
  const ready = ctx.architectureId !== null && ctx.datasetId !== null && ctx.configOk
  const setParam = (name: SearchParam, patch: Partial<SearchSetup['params'][SearchParam]>) => onChange({ ...setup, params: { ...setup.params, [name]: { ...setup.params[name], ...patch } } })
  const [dropouts, setDropouts] = useState<number | null>(null)
  useEffect(() => {
    setDropouts(null)
    if (ctx.architectureId === null) return
    let live = true
    void designGraph(ctx.architectureId).then((g) => live && setDropouts(countDropout(g.document)), () => undefined)
    return () => {
      live = false
    }
  }, [ctx.architectureId])
  const width = setup.params.width
  return (
    <div className="search-setup" data-testid="search-setup">
      <div className="search-params">
        {(['lr', 'weightDecay'] as const).map((name) => (
          <div key={name} className="search-param">
            <label className="proc-check">
              <input type="checkbox" checked={setup.params[name].enabled} onChange={(e) => setParam(name, { enabled: e.target.checked })} aria-label={`Vary ${PARAM_LABEL[name]}`} />
              <strong>{PARAM_LABEL[name]}</strong> <span className="muted">log-uniform</span>
            </label>
            <Field label={`${PARAM_LABEL[name]} from`} value={setup.params[name].min} onChange={(v) => setParam(name, { min: v })} width={90} />
            <Field label={`${PARAM_LABEL[name]} to`} value={setup.params[name].max} onChange={(v) => setParam(name, { max: v })} width={90} />
          </div>
        ))}
        <div className="search-param">
          <label className="proc-check">
            <input type="checkbox" checked={setup.params.batchSize.enabled} onChange={(e) => setParam('batchSize', { enabled: e.target.checked })} aria-label="Vary batch size" />
            <strong>batch size</strong> <span className="muted">one of</span>
          </label>
          <Field label="batch sizes" value={setup.params.batchSize.values} onChange={(v) => setParam('batchSize', { values: v })} width={190} />
        </div>
        <div className="search-param" data-testid="search-param-dropout">
          <label className="proc-check">
            <input type="checkbox" checked={setup.params.dropout.enabled} onChange={(e) => setParam('dropout', { enabled: e.target.checked })} aria-label="Vary dropout" />
            <strong>dropout</strong> <span className="muted">uniform, every Dropout layer</span>
          </label>
          <Field label="dropout from" value={setup.params.dropout.min} onChange={(v) => setParam('dropout', { min: v })} width={90} />
          <Field label="dropout to" value={setup.params.dropout.max} onChange={(v) => setParam('dropout', { max: v })} width={90} />
          {setup.params.dropout.enabled && dropouts === 0 && (
            <span className="proc-note" data-testid="no-dropout-note">
              The design has no Dropout layer: this value is recorded but changes nothing (add one in the editor).
            </span>
          )}
        </div>
        <div className="search-param" data-testid="search-param-width">
          <label className="proc-check">
            <input type="checkbox" checked={width.enabled} onChange={(e) => setParam('width', { enabled: e.target.checked })} aria-label="Vary width multiplier" />
            <strong>width multiplier</strong> <span className="muted">Conv2D filters and Dense units × m (not the output head)</span>
          </label>
          <label className="proc-field">
            <span>Width sampling</span>
            <select aria-label="Width sampling" value={width.sampling ?? 'log'} onChange={(e) => setParam('width', { sampling: e.target.value as 'log' | 'choice' })}>
              <option value="log">log-uniform</option>
              <option value="choice">one of</option>
            </select>
          </label>
          {(width.sampling ?? 'log') === 'log' ? (
            <>
              <Field label="width from" value={width.min} onChange={(v) => setParam('width', { min: v })} width={80} />
              <Field label="width to" value={width.max} onChange={(v) => setParam('width', { max: v })} width={80} />
            </>
          ) : (
            <Field label="width multipliers" value={width.values} onChange={(v) => setParam('width', { values: v })} width={160} />
          )}
        </div>
      </div>
      <div className="proc-fields">
        <label className="proc-field">
          <span>Sampling</span>
          <select aria-label="Sampling" value={setup.mode} onChange={(e) => onChange({ ...setup, mode: e.target.value as SearchSetup['mode'] })}>
            <option value="random">Random (default)</option>
            <option value="grid">Grid</option>
          </select>
        </label>
        <Field label={setup.mode === 'grid' ? 'Points per parameter' : 'Trials'} value={setup.trials} onChange={(v) => onChange({ ...setup, trials: v })} width={90} testId="search-trials" />
        <Field label="Epochs per trial" value={setup.epochs} onChange={(v) => onChange({ ...setup, epochs: v })} width={110} testId="search-epochs" />
        <label className="proc-field">
          <span>Rank by</span>
          <select aria-label="Rank by" value={setup.metric} onChange={(e) => onChange({ ...setup, metric: e.target.value as SearchSetup['metric'] })}>
            <option value="valLoss">Validation loss (lower)</option>
            <option value="valAcc">Validation accuracy (higher)</option>
          </select>
        </label>
        <Field label="Search seed" value={setup.seed} onChange={(v) => onChange({ ...setup, seed: v })} width={80} />
      </div>
      <p className="proc-note">
        Everything else (optimizer, schedule, augmentation, backend of the runs: the one chosen above) comes from the Train form. A trial that varies dropout or the
        width trains its own copy of the design (filters and units rounded, at least 1); the run's snapshot records that copy and the trial's values, so the runs
        table and the compare views show them.
      </p>
      {!check.ok && <p className="field-error">{check.error}</p>}
      <div className="proc-row">
        <button className="btn btn-primary" disabled={!check.ok || !ready || training} onClick={onStart} data-testid="start-search">
          Start search
        </button>
        {onCancel && (
          <button className="btn" onClick={onCancel}>
            Back to the current search
          </button>
        )}
        {training && <span className="proc-note">A run is training: the search starts when it is done.</span>}
      </div>
    </div>
  )
}

function SearchRun({ ctx, onNew }: { ctx: ProcedureContext; onNew: () => void }) {
  const { saved, running, pausing, current, error } = useSearch()
  const live = useTraining((s) => s.live)
  const [refTrials, setRefTrials] = useState('4')
  const [refEpochs, setRefEpochs] = useState('')
  const state = saved!.state
  const metricKind = saved!.setup.metric
  const rows = useMemo(() => tableRows(state), [state])
  const params = searchParams(state)
  const best = bestTrial(state)
  const total = state.done.length + state.pending.length
  const lastEpochs = saved!.epochsByRound.at(-1) ?? 1
  const nextEpochs = refEpochs.trim() === '' ? Math.min(20, lastEpochs * 2) : Number(refEpochs)
  const liveTrial = current && live && live.runId === current.runId ? live : null
  const canRefine = !running && state.pending.length === 0 && state.done.some((d) => d.status !== 'failed')
  const doneRows = rows.filter((r) => r.status !== 'pending')
  const pal = palette()
  const roundColors = [pal[3]!, pal[2]!, pal[1]!, pal[4]!]
  const pc = useMemo(() => {
    const list = doneRows.filter((r) => Number.isFinite(r.metric))
    const axes: PcAxis[] = [
      ...params.map((p) => ({ key: p, label: PARAM_LABEL[p] ?? p, values: list.map((r) => (typeof r.params[p] === 'number' ? (r.params[p] as number) : null)), format: (v: number) => paramText(p, v) })),
      { key: 'metric', label: metricKind === 'valAcc' ? 'val accuracy' : 'val loss', values: list.map((r) => (metricKind === 'valAcc' ? 1 - r.metric : r.metric)), metric: true, format: (v: number) => (metricKind === 'valAcc' ? `${(v * 100).toFixed(1)}%` : fmt(v)) },
    ]
    const lines: PcLine[] = list.map((r) => ({ id: r.id, label: `stage ${r.round + 1} · trial ${r.id + 1}`, color: roundColors[Math.min(r.round, 3)]!, emphasized: r.id === best?.id }))
    return { axes, lines }
  }, [doneRows, params.join(','), metricKind, best?.id, pal.join(',')])
  return (
    <div className="search-run" data-testid="search-run">
      <div className="search-status">
        <div className="search-facts">
          <span className="chip">stage {state.round + 1}</span>
          <span data-testid="search-progress">
            {state.done.length} of {total} trials done
          </span>
          <span className="muted">· {saved!.setup.mode === 'grid' ? 'grid' : 'random'} · {lastEpochs} epoch{lastEpochs === 1 ? '' : 's'} per trial</span>
          {running && current && (
            <span className="search-current" data-testid="search-current">
              <span className="spinner" /> Trial {current.trialId + 1}
              {liveTrial ? ` · step ${liveTrial.step}${liveTrial.totalSteps ? ` of ${liveTrial.totalSteps}` : ''}${liveTrial.steps.loss.length ? ` · loss ${(liveTrial.steps.loss.at(-1) as number).toFixed(3)}` : ''}` : ' · starting'}
            </span>
          )}
          {!running && state.pending.length > 0 && <span className="chip warn">{saved!.paused ? 'paused' : 'interrupted'}</span>}
          {!running && state.pending.length === 0 && <span className="chip ok" data-testid="search-finished">stage finished</span>}
        </div>
        <div className="proc-row">
          {running ? (
            <>
              <button className="btn" onClick={pauseSearch} disabled={pausing} data-testid="pause-search" title="Finish the current trial, then pause">
                {pausing ? 'Pausing after this trial…' : 'Pause'}
              </button>
              <button className="btn btn-stop" onClick={stopTrial} data-testid="stop-trial" title="Stop the current trial now; it goes back to the queue">
                Stop now
              </button>
            </>
          ) : (
            <>
              {state.pending.length > 0 && (
                <button className="btn btn-primary" onClick={() => void runPending()} disabled={live !== null && live.phase !== 'ended'} data-testid="resume-search">
                  Resume ({state.pending.length} to go)
                </button>
              )}
              <button className="btn" onClick={onNew} data-testid="new-search">
                New search
              </button>
            </>
          )}
        </div>
      </div>
      {error && <p className="field-error">{error}</p>}
      <div className="search-space">
        {describeSpace(state.space).map((l) => (
          <code key={l}>{l}</code>
        ))}
      </div>
      {best && (
        <Verdict kind="ok" testId="search-best">
          <strong>Best so far: trial {best.id + 1}</strong> (stage {best.round + 1}) with {params.map((p) => `${PARAM_LABEL[p] ?? p} ${paramText(p, best.params[p])}`).join(', ')} →{' '}
          {metricKind === 'valAcc' ? 'val accuracy' : 'val loss'} {metricText(metricKind, best.metric)}.
        </Verdict>
      )}
      <div className="search-table-wrap">
        <table className="proc-table" data-testid="search-table">
          <thead>
            <tr>
              <th>#</th>
              <th>Stage</th>
              <th>Trial</th>
              {params.map((p) => (
                <th key={p}>{PARAM_LABEL[p] ?? p}</th>
              ))}
              <th>{metricKind === 'valAcc' ? 'Val acc ↓' : 'Val loss ↑'}</th>
              <th>{metricKind === 'valAcc' ? 'Val loss' : 'Val acc'}</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="search-row" data-status={r.status} className={`${r.id === best?.id ? 'best' : ''} ${r.status}`}>
                <td>{r.rank ?? ''}</td>
                <td>{r.round + 1}</td>
                <td>{r.id + 1}</td>
                {params.map((p) => (
                  <td key={p} className="num">
                    {paramText(p, r.params[p])}
                  </td>
                ))}
                <td className="num">{r.status === 'pending' ? '' : metricText(metricKind, r.metric)}</td>
                <td className="num">{metricKind === 'valAcc' ? fmt(r.valLoss, 4) : r.valAcc === null ? '—' : `${(r.valAcc * 100).toFixed(1)}%`}</td>
                <td title={r.note ?? undefined}>
                  <span className={`chip s-${r.status}`}>{r.status === 'early-stopped' ? 'early stop' : r.status === 'pending' ? (current?.trialId === r.id && running ? 'training' : 'queued') : r.status}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {doneRows.length > 0 && (
        <div className="search-charts" data-testid="search-charts">
          <div className="search-scatters">
            {params.map((p) => (
              <Scatter
                key={p}
                testId="search-scatter"
                title={`${metricKind === 'valAcc' ? 'Val accuracy' : 'Val loss'} vs ${PARAM_LABEL[p] ?? p}`}
                xLabel={PARAM_LABEL[p] ?? p}
                yLabel={metricKind === 'valAcc' ? 'val acc' : 'val loss'}
                formatY={metricKind === 'valAcc' ? (v) => `${(v * 100).toFixed(0)}%` : undefined}
                points={doneRows
                  .filter((r) => typeof r.params[p] === 'number' && Number.isFinite(r.metric))
                  .map((r) => ({ x: r.params[p] as number, y: metricKind === 'valAcc' ? 1 - r.metric : r.metric, round: r.round, best: r.id === best?.id }))}
              />
            ))}
          </div>
          {pc.lines.length > 1 && (
            <figure className="search-pc">
              <figcaption>Parallel coordinates (stage 1 blue, stage 2 green; the best trial emphasized)</figcaption>
              <ParallelCoords axes={pc.axes} lines={pc.lines} height={200} testId="search-parallel" />
            </figure>
          )}
        </div>
      )}
      <div className="search-refine">
        <h4>Refine</h4>
        <p className="proc-note">Narrows every range around the 3 best trials (at least half the old width, log scale for rates) and queues a new stage that trains longer.</p>
        <div className="proc-fields">
          <Field label="Trials in the new stage" value={refTrials} onChange={setRefTrials} width={150} testId="refine-trials" />
          <Field label="Epochs per trial" value={refEpochs} onChange={setRefEpochs} width={110} testId="refine-epochs" />
          <button
            className="btn btn-primary"
            disabled={!canRefine || !(Number(refTrials) >= 1 && Number(refTrials) <= 200) || !(Number.isInteger(nextEpochs) && nextEpochs >= 1 && nextEpochs <= 50)}
            onClick={() => {
              refine(Number(refTrials), nextEpochs)
              void runPending()
            }}
            data-testid="refine-search"
          >
            Refine and run ({nextEpochs} epoch{nextEpochs === 1 ? '' : 's'})
          </button>
        </div>
      </div>
    </div>
  )
}
