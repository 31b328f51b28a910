/**
 * Transfer learning: pick a checkpoint of any run (any project), see which layers of the design chosen on the left
 * would be copied, which get a new head for the dataset's classes, and the freeze plan (frozen / fine-tuned at a
 * smaller rate / new) that becomes the training config's parameter groups; the lectures' advice table guides the
 * choice. "Start transfer run" trains the design from that checkpoint through the Train controller with the Train form's
 * settings (dataset, augmentation, optimizer, schedule...) and the freeze plan, with the same live charts as any run.
 */
import { useEffect, useRef, useState } from 'react'
import type { ProjectSummary, RunSummary } from '@shared/api'
import { adviceFor, type DataSize, type FreezeSpec, type Similarity } from '@shared/procedure'
import { api } from '../api/client'
import { useApp } from '../app/store'
import type { RunSnapshot } from '../train/controller'
import { arrayBufferOf } from '@shared/api'
import { trainingController } from '../train/instance'
import { RunCharts } from '../train/RunCharts'
import type { BackendChoice } from '../train/protocol'
import { designGraph } from './client'
import { useJob } from './client'
import { fmt } from './logic'
import { Card, Field, JobStatus, Verdict } from './card-parts'
import type { ProcedureContext } from './context'
import { RunCheckpointPicker, useRunCheckpoints } from './RunCheckpointPicker'

export function TransferCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  const [projects, setProjects] = useState<ProjectSummary[]>([])
  const [projectId, setProjectId] = useState<number>(ctx.projectId)
  const [runs, setRuns] = useState<RunSummary[]>([])
  const [runId, setRunId] = useState<number | null>(null)
  const { checkpoints, checkpointId, setCheckpointId } = useRunCheckpoints(runId, 'best')
  const [size, setSize] = useState<DataSize>('little')
  const [sim, setSim] = useState<Similarity>('similar')
  const [mode, setMode] = useState<'all-but-last' | 'layers' | 'none'>('all-but-last')
  const [frozen, setFrozen] = useState<readonly string[]>([])
  const [k, setK] = useState('1')
  const [mult, setMult] = useState('0.1')
  const job = useJob('transfer-plan')
  const [startedRunId, setStartedRunId] = useState<number | null>(null)
  const [starting, setStarting] = useState(false)
  const [startError, setStartError] = useState<string | null>(null)
  // Import of a TF.js model folder: a design + a completed run whose checkpoint becomes the source.
  const canPick = useApp((s) => s.info?.capabilities.canPickFolder ?? false)
  const [importPath, setImportPath] = useState<string | null>(null)
  const [importing, setImporting] = useState(false)
  const [importNote, setImportNote] = useState<{ ok: boolean; text: string } | null>(null)
  const pendingRun = useRef<number | null>(null)
  useEffect(() => {
    void api().projects.list({}).then(setProjects, () => undefined)
  }, [])
  useEffect(() => {
    setRunId(pendingRun.current)
    pendingRun.current = null
    void api().runs.list({ projectId }).then(setRuns, () => setRuns([]))
  }, [projectId])
  const importFolder = async (path: string) => {
    setImporting(true)
    setImportNote(null)
    try {
      const r = await api().models.importFolder({ path, projectId: ctx.projectId })
      setImportPath(null)
      if (projectId === ctx.projectId) {
        setRuns(await api().runs.list({ projectId }))
        setRunId(r.run.id)
      } else {
        pendingRun.current = r.run.id
        setProjectId(ctx.projectId)
      }
      setImportNote({
        ok: true,
        text: `Imported “${r.designName}” (${r.nodes} nodes, ${r.parameters.toLocaleString('en-US')} parameters): a new design of this project and the source below.${r.notes.length ? ` ${r.notes.join('; ')}.` : ''}`,
      })
    } catch (e) {
      setImportNote({ ok: false, text: e instanceof Error ? e.message : String((e as { message?: unknown }).message ?? e) })
    } finally {
      setImporting(false)
    }
  }
  const pickImport = async () => {
    if (!canPick) return setImportPath((p) => p ?? '')
    const folder = await api().host.pickFolder({ title: 'Choose a TF.js model folder (model.json + weight files)' })
    if (folder) await importFolder(folder)
  }
  const advice = adviceFor(size, sim)
  const applyAdvice = () => {
    setMode(advice.freeze.mode === 'all-but-last' ? 'all-but-last' : 'none')
    if (advice.freeze.mode === 'all-but-last') setK(String(advice.freeze.k))
  }
  const freeze: FreezeSpec = mode === 'none' ? { mode: 'none' } : mode === 'layers' ? { mode: 'layers', frozen: [...frozen] } : { mode: 'all-but-last', k: Number(k) }
  const valid = checkpointId !== null && ctx.architectureId !== null && ctx.datasetId !== null && (mode === 'none' || Number(k) >= 0) && Number(mult) >= 0
  const training = ctx.live !== null && ctx.live.phase !== 'ended'
  const canStart = valid && ctx.configOk && !training && !starting
  const startRun = async () => {
    setStartError(null)
    setStarting(true)
    try {
      const run = await trainingController().start({
        projectId: ctx.projectId,
        architectureId: ctx.architectureId!,
        datasetId: ctx.datasetId!,
        pipelineId: ctx.pipelineId,
        config: ctx.config,
        backend,
        transfer: { fromCheckpointId: checkpointId!, ...(runId !== null ? { sourceRunId: runId } : {}), freeze, pretrainedLrMultiplier: Number(mult) },
      })
      setStartedRunId(run.id)
    } catch (e) {
      setStartError(e instanceof Error ? e.message : String((e as { message?: unknown }).message ?? e))
    } finally {
      setStarting(false)
    }
  }
  const live = ctx.live !== null && ctx.live.runId === startedRunId ? ctx.live : null
  const preview = () =>
    void job.run(async () => {
      const cp = await api().runs.loadCheckpoint({ id: checkpointId! })
      const run = await api().runs.get({ id: cp.runId })
      const snap = run.config as Partial<RunSnapshot>
      if (!snap.architecture?.document) throw new Error(`Run “${run.name}” has no design snapshot: it was not started from the Train section`)
      const [graph, dataset] = await Promise.all([designGraph(ctx.architectureId!), api().datasets.get({ id: ctx.datasetId! })])
      const weights = arrayBufferOf(cp.weights)
      const optimizerState = arrayBufferOf(cp.optimizer)
      return {
        job: { kind: 'transfer-plan', graph: graph.document, backend, seed: 'transfer', classes: dataset.classes.length, source: { graph: snap.architecture.document, meta: cp.meta, weights, optimizerState }, freeze, lrMultiplier: Number(mult) },
        transfer: [weights, optimizerState],
      }
    })
  const r = job.state.result
  return (
    <Card
      id="transfer"
      step="·"
      wide
      title="Transfer learning"
      lecture="Start from a network trained on a large dataset: with little similar data train only a new last layer; with more data fine-tune more layers, the pretrained ones at a smaller rate."
    >
      <table className="proc-table advice" data-testid="advice-table">
        <thead>
          <tr>
            <th>
              <span className="sr-only">Amount of data</span>
            </th>
            <th>Very similar dataset</th>
            <th>Very different dataset</th>
          </tr>
        </thead>
        <tbody>
          {(['little', 'lots'] as const).map((d) => (
            <tr key={d}>
              <th>{d === 'little' ? 'Very little data' : 'Quite a lot of data'}</th>
              {(['similar', 'different'] as const).map((s) => {
                const a = adviceFor(d, s)
                const on = d === size && s === sim
                return (
                  <td key={s} className={on ? 'on' : ''}>
                    <button className="advice-cell" onClick={() => { setSize(d); setSim(s) }} aria-pressed={on}>
                      <strong>{a.title}</strong>
                      <span>{a.advice}</span>
                    </button>
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="proc-fields">
        <label className="proc-field">
          <span>Project</span>
          <select aria-label="Source project" value={projectId} onChange={(e) => setProjectId(Number(e.target.value))}>
            {(projects.length ? projects : [{ id: ctx.projectId, name: 'This project' } as ProjectSummary]).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <RunCheckpointPicker
          runs={runs}
          runId={runId}
          setRunId={setRunId}
          checkpoints={checkpoints}
          checkpointId={checkpointId}
          setCheckpointId={setCheckpointId}
          runLabel="Pretrained run"
          ariaPrefix="Source"
        />
        <button className="btn" onClick={() => void pickImport()} disabled={importing} data-testid="transfer-import">
          {importing ? 'Importing…' : 'Import a TF.js model folder…'}
        </button>
      </div>
      {importPath !== null && (
        <div className="proc-fields">
          <label className="proc-field">
            <span>Model folder (absolute path)</span>
            <input aria-label="TF.js model folder" value={importPath} onChange={(e) => setImportPath(e.target.value)} placeholder="/path/to/model (model.json + weights)" style={{ width: 360 }} />
          </label>
          <button className="btn btn-primary" onClick={() => void importFolder(importPath.trim())} disabled={importing || importPath.trim() === ''}>
            Import
          </button>
          <button className="btn" onClick={() => setImportPath(null)}>
            Cancel
          </button>
        </div>
      )}
      {importNote && (
        <p className={importNote.ok ? 'proc-note' : 'field-error'} role={importNote.ok ? undefined : 'alert'} data-testid="transfer-import-result">
          {importNote.text}
        </p>
      )}
      <div className="proc-fields">
        <label className="proc-field">
          <span>Freeze</span>
          <select aria-label="Freeze" value={mode} onChange={(e) => setMode(e.target.value as 'all-but-last' | 'layers' | 'none')}>
            <option value="all-but-last">All but the last k layers</option>
            <option value="layers">Chosen layers</option>
            <option value="none">Nothing (fine-tune all)</option>
          </select>
        </label>
        {mode === 'all-but-last' && <Field label="k" value={k} onChange={setK} width={60} />}
        <Field label="LR multiplier, pretrained layers" value={mult} onChange={setMult} width={200} />
        <button className="btn" onClick={applyAdvice}>
          Use the advice
        </button>
        <button className="btn btn-primary" onClick={preview} disabled={!valid || job.state.running} data-testid="transfer-preview">
          Plan
        </button>
        <button
          className="btn btn-primary"
          onClick={() => void startRun()}
          disabled={!canStart}
          title={training ? 'A run is training: wait for it or stop it' : !ctx.configOk ? 'The Train form has errors' : undefined}
          data-testid="transfer-start"
        >
          {starting ? 'Preparing…' : 'Start transfer run'}
        </button>
      </div>
      {mode === 'layers' && (
        <div className="proc-result" data-testid="freeze-layers">
          {r === null ? (
            <p className="proc-note">Press Plan to list the design's weighted layers, then tick the ones to freeze (the new head always trains).</p>
          ) : (
            <div className="proc-row" style={{ flexWrap: 'wrap' }}>
              <span className="muted">Freeze:</span>
              {r.plan.layers
                .filter((l) => l.state !== 'new')
                .map((l) => (
                  <label key={l.layer} className="proc-check">
                    <input
                      type="checkbox"
                      aria-label={`Freeze ${l.layer}`}
                      checked={frozen.includes(l.layer)}
                      onChange={(e) => setFrozen((f) => (e.target.checked ? [...f.filter((x) => x !== l.layer), l.layer] : f.filter((x) => x !== l.layer)))}
                    />
                    {l.layer} <span className="muted">({l.params.toLocaleString('en-US')})</span>
                  </label>
                ))}
            </div>
          )}
        </div>
      )}
      <p className="proc-note">
        The run uses the Train form's settings (dataset, augmentation, optimizer, schedule, epochs) and the backend chosen above; matching layers start from the
        checkpoint, the head is new, and the freeze plan becomes its parameter groups.
      </p>
      {startError && (
        <p className="field-error" role="alert" data-testid="transfer-start-error">
          {startError}
        </p>
      )}
      {live && (
        <div className="proc-result" data-testid="transfer-live">
          <Verdict kind={live.outcome === 'failed' ? 'bad' : live.outcome === 'completed' ? 'ok' : 'info'}>
            Transfer run “{live.name}”: {live.phase === 'ended' ? (live.outcome ?? 'ended') : live.phase}
            {live.totalSteps > 0 ? ` · step ${live.step} / ${live.totalSteps}` : ''}
            {live.message ? ` · ${live.message}` : ''}
          </Verdict>
          <RunCharts steps={live.steps} epochs={live.epochRows} />
        </div>
      )}
      <JobStatus state={job.state} onCancel={job.cancel} />
      {r && (
        <div className="proc-result" data-testid="transfer-plan">
          <Verdict kind={r.report.copied.length > 0 ? 'ok' : 'warn'}>
            {r.report.copied.length} layer{r.report.copied.length === 1 ? '' : 's'} copied from the checkpoint; new head {r.report.head ?? '—'} for the dataset's classes
            {r.report.skipped.length ? `; ${r.report.skipped.length} kept their own initialization (${r.report.skipped.map((s) => `${s.layer}: ${s.reason}`).join('; ')})` : ''}.
          </Verdict>
          <table className="proc-table compact">
            <thead>
              <tr>
                <th>Layer</th>
                <th>State</th>
                <th>LR ×</th>
                <th>Parameters</th>
              </tr>
            </thead>
            <tbody>
              {r.plan.layers.map((l) => (
                <tr key={l.layer} className={`st-${l.state}`}>
                  <td>{l.layer}</td>
                  <td>
                    <span className={`chip s-${l.state}`}>{l.state}</span>
                  </td>
                  <td className="num">{fmt(l.lrMultiplier)}</td>
                  <td className="num">{l.params.toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="proc-note">
            Training config groups: <code>{JSON.stringify(r.plan.groups)}</code> (put before the form's own groups when the run starts).
          </p>
        </div>
      )}
    </Card>
  )
}
