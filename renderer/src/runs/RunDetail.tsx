/**
 * A run's detail: header (name, status, key facts, star, rename, notes), then tabs: curves, configuration,
 * checkpoints & evaluation (evaluate a checkpoint on the validation split, or the test split after an explicit
 * confirmation, in a worker; export as a TF.js model folder), filters & activations.
 */
import { useCallback, useEffect, useMemo, useState } from 'react'
import type { CheckpointInfo, DatasetDetail, EvaluationRecord, Run } from '@shared/api'
import { flattenConfig, runParamCount, snapshotFacts } from '@shared/compare'
import type { GraphDocument } from '@shared/graph'
import { api } from '../api/client'
import { BACKEND_ORDER, type BackendName } from '../backend/labels'
import { setSubPath, subPath, useApp } from '../app/store'
import { ConfirmDialog, Modal, PromptDialog, reportError, useToasts } from '../ui/dialogs'
import { Icon } from '../ui/icons'
import { changes, useLive } from '../ui/live'
import { CurveCharts } from './Compare'
import { cacheSpec, evalRequest, modelSpec, splitRows } from './eval-client'
import { EvaluationView } from './Evaluation'
import { ExportPytorchDialog } from './ExportPytorchDialog'
import { InspectPanel, pipelineOf } from './Inspect'
import { NotesDialog, RunSwatch, StatusChip } from './RunsTable'
import { backendLabel, optimizerLabel } from './settings'
import { formatCount, formatDuration, formatNumber, formatPercent, formatStarted } from './table-state'

type Tab = 'curves' | 'config' | 'evaluation' | 'inspect'
const TABS: { id: Tab; label: string }[] = [
  { id: 'curves', label: 'Curves' },
  { id: 'config', label: 'Configuration' },
  { id: 'evaluation', label: 'Checkpoints & evaluation' },
  { id: 'inspect', label: 'Filters & activations' },
]

const formatBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`)

function ConfigTable({ config }: { config: unknown }) {
  const [q, setQ] = useState('')
  const flat = useMemo(() => Object.entries(flattenConfig(config)), [config])
  const rows = q ? flat.filter(([p, v]) => `${p} ${String(v)}`.toLowerCase().includes(q.toLowerCase())) : flat
  return (
    <div className="config-tab">
      <label className="runs-search narrow">
        <Icon name="search" size={14} />
        <input placeholder="Filter settings" aria-label="Filter settings" value={q} onChange={(e) => setQ(e.target.value)} />
      </label>
      <table className="mini-table config-table" data-testid="config-table">
        <tbody>
          {rows.map(([p, v]) => (
            <tr key={p}>
              <td className="mono path">{p}</td>
              <td className="mono">{typeof v === 'number' ? formatNumber(v) : v === null ? 'null' : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

type Pending = { checkpoint: CheckpointInfo; split: 'val' | 'test' } | null

const NONE: never[] = []

export function RunDetail(props: { runId: number; onBack: () => void }) {
  const [missing, setMissing] = useState(false)
  const [dataset, setDataset] = useState<DatasetDetail | null>(null)
  const [tab, setTabState] = useState<Tab>(() => {
    const [, t] = subPath('runs')
    return TABS.some((x) => x.id === t) ? (t as Tab) : 'curves'
  })
  const setTab = (t: Tab) => {
    setSubPath('runs', [props.runId, t])
    setTabState(t)
  }
  const [shownEval, setShownEval] = useState<number | null>(null)
  const [running, setRunning] = useState<{ checkpointId: number; split: 'val' | 'test'; started: number; done?: number; total?: number } | null>(null)
  const [evalError, setEvalError] = useState<string | null>(null)
  const [confirmTest, setConfirmTest] = useState<CheckpointInfo | null>(null)
  const [exporting, setExporting] = useState<CheckpointInfo | null>(null)
  const [dialog, setDialog] = useState<'rename' | 'notes' | 'delete' | 'pytorch' | null>(null)
  const canPick = useApp((s) => s.info?.capabilities.canPickFolder ?? false)
  const id = props.runId

  const detail = useLive(
    async () => {
      const [run, checkpoints, evaluations] = await Promise.all([api().runs.get({ id }), api().runs.checkpoints({ runId: id }), api().runs.evaluations({ runId: id })])
      return { run, checkpoints, evaluations }
    },
    [id],
    {
      on: [changes(api().runs, 'onDidChange', (e) => e.runId === id)],
      onError: (e) => ((e as { code?: string }).code === 'not_found' ? setMissing(true) : reportError(e)),
    },
  )
  const run: Run | null = detail.value?.run ?? null
  const checkpoints: CheckpointInfo[] = detail.value?.checkpoints ?? NONE
  const evaluations: EvaluationRecord[] = detail.value?.evaluations ?? NONE

  useEffect(() => {
    if (!run?.datasetId) return
    let live = true
    api()
      .datasets.get({ id: run.datasetId })
      .then(
        (d) => live && setDataset(d),
        () => live && setDataset(null),
      )
    return () => {
      live = false
    }
  }, [run?.datasetId])

  const evaluate = async ({ checkpoint, split }: NonNullable<Pending>) => {
    if (!run) return
    const graph = snapshotFacts(run.config).graphDocument as GraphDocument | undefined
    setEvalError(null)
    try {
      if (!graph) throw new Error('This run’s snapshot holds no graph document: it cannot be evaluated')
      if (!dataset) throw new Error('The run’s dataset no longer exists: it cannot be evaluated')
      setRunning({ checkpointId: checkpoint.id, split, started: Date.now() })
      const [rows, model] = await Promise.all([splitRows(dataset.id, split, split === 'test'), modelSpec(checkpoint.id, graph)])
      const classes = ((run.config as { dataset?: { classes?: string[] } }).dataset?.classes ?? dataset.classes).slice()
      const r = await evalRequest(
        'evaluate',
        { model, cache: cacheSpec(dataset), classes, split, rows, pipeline: pipelineOf(run), allowTest: split === 'test' },
        [model.weights, rows.indices.buffer, rows.labels.buffer],
        {
          // The run's own backend (it trained there), else the studio's.
          backend: (BACKEND_ORDER as readonly string[]).includes(run.backend ?? '') ? (run.backend as BackendName) : null,
          onProgress: (done, total) => setRunning((r) => (r ? { ...r, done, total } : r)),
        },
      )
      const predictions = Array.from(r.predicted, (p, i) => ({ index: i, label: r.labels[i] as number, predicted: p, confidence: Math.min(1, r.confidence[i] as number) }))
      const saved = await api().runs.saveEvaluation({
        runId: run.id,
        checkpointId: checkpoint.id,
        split,
        count: r.count,
        loss: Number.isFinite(r.loss) ? r.loss : null,
        accuracy: Number.isFinite(r.accuracy) ? r.accuracy : null,
        classes,
        confusion: r.confusion,
        predictions,
        tta: r.tta ? { views: r.tta.views, loss: Number.isFinite(r.tta.loss) ? r.tta.loss : null, accuracy: Number.isFinite(r.tta.accuracy) ? r.tta.accuracy : null } : null,
      })
      setShownEval(saved.id)
      await detail.reload()
    } catch (e) {
      setEvalError(e instanceof Error ? e.message : String(e))
    } finally {
      setRunning(null)
    }
  }

  const exportTo = async (checkpoint: CheckpointInfo) => {
    if (canPick) {
      const folder = await api().host.pickFolder({ title: 'Choose a folder for the TF.js model' })
      if (folder) await doExport(checkpoint, folder)
    } else setExporting(checkpoint)
  }
  const doExport = async (checkpoint: CheckpointInfo, folder: string, overwrite = false) => {
    const r = await api().runs.exportModel({ checkpointId: checkpoint.id, folder, overwrite })
    useToasts.getState().toast('info', `Exported ${r.files.join(' + ')} (${formatBytes(r.bytes)}) to ${r.folder}`)
  }

  const paramCount = useMemo(() => (run ? runParamCount(run.config, run.summary) : null), [run])
  if (missing) {
    return (
      <div className="empty-state">
        <h2>This run no longer exists</h2>
        <p>It may have been deleted in another window.</p>
        <button className="btn btn-primary" onClick={props.onBack}>Back to runs</button>
      </div>
    )
  }
  if (!run) return <div className="loading">Loading run…</div>
  const facts = snapshotFacts(run.config)
  const shown = evaluations.find((e) => e.id === shownEval) ?? evaluations[0] ?? null
  return (
    <div className="run-detail" data-testid="run-detail">
      <header className="detail-head">
        <button className="btn btn-sm" onClick={props.onBack} aria-label="Back to all runs">
          <Icon name="chevron" size={13} style={{ transform: 'rotate(180deg)' }} /> Runs
        </button>
        <RunSwatch id={run.id} />
        <h2 data-testid="run-title">{run.name}</h2>
        <StatusChip status={run.status} />
        <button className={`star${run.starred ? ' on' : ''}`} aria-pressed={run.starred} aria-label={run.starred ? 'Unstar' : 'Star'} onClick={() => void api().runs.star({ runIds: [run.id], starred: !run.starred }).catch(reportError)}>
          {run.starred ? '★' : '☆'}
        </button>
        {run.tags.map((t) => (
          <span key={t} className="tag-chip">
            #{t}
          </span>
        ))}
        <span className="spacer" />
        <button className="btn btn-sm" onClick={() => setDialog('rename')}>
          <Icon name="edit" size={13} /> Rename
        </button>
        <button className="btn btn-sm" onClick={() => setDialog('notes')}>✎ Notes</button>
        <button className="btn btn-sm" onClick={() => setDialog('pytorch')}>
          <Icon name="folder" size={13} /> Export as PyTorch project…
        </button>
        <button className="btn btn-sm btn-danger-ghost" onClick={() => setDialog('delete')}>
          <Icon name="trash" size={13} /> Delete
        </button>
      </header>
      <dl className="facts">
        <div><dt>Dataset</dt><dd>{facts.datasetName ?? '—'}</dd></div>
        <div><dt>Architecture</dt><dd>{facts.architectureName ?? '—'}{facts.architectureVersion !== null ? ` v${facts.architectureVersion}` : ''}</dd></div>
        <div><dt>Optimizer</dt><dd>{optimizerLabel(facts.optimizer)} · lr {formatNumber(facts.learningRate)}</dd></div>
        <div><dt>Batch · epochs</dt><dd>{formatNumber(facts.batchSize)} · {formatNumber(facts.epochs)}</dd></div>
        <div><dt>Best val acc</dt><dd><b>{formatPercent(run.bestValAccuracy)}</b>{run.bestEpoch !== null ? ` @ epoch ${run.bestEpoch}` : ''}</dd></div>
        <div title="Mean training loss over the last epoch"><dt>Last-epoch loss</dt><dd>{formatNumber(run.finalLoss)}</dd></div>
        <div><dt>Params</dt><dd data-testid="run-params">{formatCount(paramCount)}</dd></div>
        <div><dt>Backend</dt><dd>{backendLabel(run.backend)}</dd></div>
        <div><dt>Started</dt><dd>{formatStarted(run.startedAt ?? run.createdAt)}</dd></div>
        <div><dt>Duration</dt><dd>{formatDuration(run.durationMs)}</dd></div>
      </dl>
      {run.notes && <p className="run-notes">{run.notes}</p>}
      <nav className="tabs detail-tabs" role="tablist" aria-label="Run views">
        {TABS.map((t) => (
          <button key={t.id} role="tab" aria-selected={tab === t.id} className={`tab${tab === t.id ? ' active' : ''}`} onClick={() => setTab(t.id)}>
            {t.label}
          </button>
        ))}
      </nav>
      <div className="detail-body" role="tabpanel" aria-label={TABS.find((t) => t.id === tab)?.label}>
        {tab === 'curves' && <CurveCharts runIds={[run.id]} nameOf={() => run.name} testId="detail-curves" />}
        {tab === 'config' && <ConfigTable config={run.config} />}
        {tab === 'evaluation' && (
          <>
            <section className="cmp-card">
              <header className="cmp-head">
                <h3>Checkpoints</h3>
                <span className="muted small">Evaluation runs in a worker on the run’s dataset with its pipeline’s normalize steps only, and with and without its test-time augmentation when it has one.</span>
              </header>
              {checkpoints.length === 0 ? (
                <p className="muted small">No checkpoint yet: runs save one at the end of each epoch.</p>
              ) : (
                <table className="mini-table" data-testid="checkpoints">
                  <thead>
                    <tr>
                      <th>Kind</th>
                      <th className="num">Epoch</th>
                      <th className="num">Step</th>
                      <th className="num">Val acc</th>
                      <th className="num">Size</th>
                      <th>Saved</th>
                      <th>
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {checkpoints.map((c) => {
                      const busy = running?.checkpointId === c.id
                      return (
                        <tr key={c.id} data-testid="checkpoint-row">
                          <td><span className={`cp-kind cp-${c.kind}`}>{c.kind}</span></td>
                          <td className="num">{c.epoch}</td>
                          <td className="num">{c.step}</td>
                          <td className="num">{formatPercent(c.metrics?.val_acc ?? null)}</td>
                          <td className="num">{formatBytes(c.bytes)}</td>
                          <td className="mono">{formatStarted(c.createdAt)}</td>
                          <td>
                            <div className="cp-actions">
                            <button className="btn btn-sm btn-primary" disabled={running !== null} onClick={() => void evaluate({ checkpoint: c, split: 'val' })}>
                              {busy && running?.split === 'val' ? (running.total ? `Evaluating… ${running.done ?? 0} of ${running.total} images` : 'Evaluating…') : 'Evaluate'}
                            </button>
                            <button className="btn btn-sm" disabled={running !== null} title="The locked test split: asks for confirmation" onClick={() => setConfirmTest(c)}>
                              {busy && running?.split === 'test' ? (running.total ? `Evaluating… ${running.done ?? 0} of ${running.total} images` : 'Evaluating…') : 'Test split…'}
                            </button>
                            <button className="btn btn-sm" onClick={() => void exportTo(c).catch(reportError)}>
                              <Icon name="folder" size={13} /> Export…
                            </button>
                            </div>
                          </td>
                        </tr>
                      )
                    })}
                  </tbody>
                </table>
              )}
              {evalError && (
                <p className="field-error" role="alert">
                  Evaluation failed: {evalError}
                </p>
              )}
            </section>
            {evaluations.length > 0 && (
              <div className="eval-picker" role="tablist" aria-label="Evaluations">
                {evaluations.map((e) => (
                  <button key={e.id} role="tab" aria-selected={shown?.id === e.id} className={`filter-chip${shown?.id === e.id ? ' on' : ''}${e.split === 'test' ? ' test' : ''}`} onClick={() => setShownEval(e.id)}>
                    {e.split === 'test' ? 'TEST' : 'val'} · {e.checkpoint ? `${e.checkpoint.kind} ep ${e.checkpoint.epoch}` : 'deleted checkpoint'} · {formatPercent(e.accuracy)}
                  </button>
                ))}
              </div>
            )}
            {shown ? <EvaluationView key={shown.id} evaluation={shown} dataset={dataset} /> : checkpoints.length > 0 && <p className="muted">Evaluate a checkpoint to see its confusion matrix, per-class scores and mistakes.</p>}
          </>
        )}
        {tab === 'inspect' && <InspectPanel run={run} checkpoints={checkpoints} dataset={dataset} />}
      </div>
      {confirmTest && (
        <ConfirmDialog
          title="Evaluate on the test split?"
          confirmLabel="Evaluate on test"
          message={
            <p>
              The test split is locked so that it stays an honest estimate. Look at it <b>once, at the end</b>, to report a result, never to choose
              hyperparameters or checkpoints. The evaluation is stored and marked as a test-split result.
            </p>
          }
          onConfirm={async () => {
            const c = confirmTest
            setConfirmTest(null)
            await evaluate({ checkpoint: c, split: 'test' })
          }}
          onClose={() => setConfirmTest(null)}
        />
      )}
      {exporting && <ExportDialog checkpoint={exporting} onExport={doExport} onClose={() => setExporting(null)} />}
      {dialog === 'rename' && (
        <PromptDialog title="Rename run" label="Name" initial={run.name} confirmLabel="Rename" onSubmit={async (name) => void (await api().runs.rename({ id: run.id, name }))} onClose={() => setDialog(null)} />
      )}
      {dialog === 'pytorch' && <ExportPytorchDialog target={{ kind: 'run', runId: run.id, name: run.name }} onClose={() => setDialog(null)} />}
      {dialog === 'notes' && <NotesDialog id={run.id} name={run.name} initial={run.notes ?? ''} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && (
        <ConfirmDialog
          title={`Delete “${run.name}”?`}
          danger
          confirmLabel="Delete"
          message={
            <p>
              The run, its metrics and evaluations are removed, and <b>its {checkpoints.length} checkpoint file{checkpoints.length === 1 ? '' : 's'} are deleted from the data folder</b>. This cannot be undone.
            </p>
          }
          onConfirm={async () => {
            await api().runs.delete({ id: run.id })
            props.onBack()
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  )
}

function ExportDialog(props: { checkpoint: CheckpointInfo; onExport: (c: CheckpointInfo, folder: string, overwrite: boolean) => Promise<void>; onClose: () => void }) {
  const [folder, setFolder] = useState('')
  const [overwrite, setOverwrite] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <Modal
      title="Export as a TF.js model"
      onClose={props.onClose}
      footer={
        <>
          <button className="btn" onClick={props.onClose}>Cancel</button>
          <button
            className="btn btn-primary"
            disabled={busy || !folder.trim()}
            onClick={() => {
              setBusy(true)
              setError(null)
              props.onExport(props.checkpoint, folder.trim(), overwrite).then(props.onClose, (e: unknown) => {
                setBusy(false)
                const issues = (e as { issues?: { message: string }[] }).issues
                setError(issues?.[0]?.message ?? (e instanceof Error ? e.message : String(e)))
              })
            }}
          >
            Export
          </button>
        </>
      }
    >
      <p className="muted small">
        Writes model.json and weights.bin of the {props.checkpoint.kind} checkpoint (epoch {props.checkpoint.epoch}) into a folder that tf.loadLayersModel reads.
      </p>
      <label className="field">
        <span>Folder (absolute path on this computer)</span>
        <input autoFocus placeholder="/home/me/models/lenet" value={folder} aria-invalid={error ? true : undefined} onChange={(e) => setFolder(e.target.value)} />
        {error && <span className="field-error" role="alert">{error}</span>}
      </label>
      <label className="check">
        <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} /> Replace model files already there
      </label>
    </Modal>
  )
}
