/**
 * The Train section: configuration form and Start (left), the live or opened run with its curves (center), the
 * project's runs (right). Training itself lives in the controller, so it goes on while the user is elsewhere.
 */
import { getOptimizer } from '@shared/train/optimizer-kinds'
import { getSchedule } from '@shared/train/schedules'
import { useCallback, useEffect, useMemo, useState } from 'react'
import type { ArchitectureSummary, DatasetSummary, PipelineSummary, Run, RunSummary } from '@shared/api'
import { api } from '../api/client'
import { useApp } from '../app/store'
import { backendWords } from '../backend/labels'
import { reportError } from '../ui/dialogs'
import { formatRelativeTime } from '../ui/format'
import { Icon } from '../ui/icons'
import { changes, useLive } from '../ui/live'
import { ConfigForm } from './ConfigForm'
import { FitPanel } from './FitPanel'
import { checkDatasetFit } from '@shared/graph/fit'
import { useDatasetFit } from './fit'
import { displayStatus, elapsedMs, etaMs, isResumable, liveActivity, useTraining, type LiveRun, type RunSnapshot } from './controller'
import { validateForm, type TrainForm } from './form'
import { flushTrainForm, loadTrainForm, updateTrainForm, useTrainForm } from './form-store'
import { resumeAfterReload, trainingController } from './instance'
import { ProcedurePanel } from '../procedure/ProcedurePanel'
import { ExportPytorchDialog } from '../runs/ExportPytorchDialog'
import { EpochTable, RunCharts } from './RunCharts'
import { emptySteps, seriesFromMetrics, type EpochRow, type StepSeries } from './series'
import './train.css'

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—'
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)}%`)
const backendLabel = (b: string | null | undefined) => backendWords(b)

/** "Auto requested · WASM used (software WebGPU adapter (SwiftShader), WASM is faster here)". */
function backendUsed(requested: string | undefined, run: Run): string {
  const reason = (run.summary as { backendReason?: unknown } | null)?.backendReason
  return `${backendLabel(requested)} requested · ${backendLabel(run.backend)} used${typeof reason === 'string' && reason ? ` (${reason})` : ''}`
}

const STATUS_LABEL: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  completed: 'Completed',
  failed: 'Failed',
  interrupted: 'Interrupted',
  preparing: 'Preparing',
  backend: 'Starting backend',
  data: 'Loading data',
  compile: 'Compiling',
  stopping: 'Stopping',
  validating: 'Validating…',
  finishing: 'Saving…',
}

export function StatusChip({ status }: { status: string }) {
  return (
    <span className={`status-chip status-${status}`} data-testid="run-status">
      {STATUS_LABEL[status] ?? status}
    </span>
  )
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    const t = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(t)
  }, [active])
  return now
}

function liveStatus(live: LiveRun): string {
  if (live.phase === 'ended') return live.outcome ?? 'failed'
  if (live.phase === 'running') return liveActivity(live) ?? 'running'
  if (live.phase === 'paused' || live.phase === 'stopping') return live.phase
  return live.phase
}

const NO_RUNS: RunSummary[] = []

/** The project's designs, datasets, pipelines and runs, kept fresh through the services' events. */
function useProjectLists(projectId: number) {
  const architectures: ArchitectureSummary[] | null =
    useLive(() => api().architectures.list({ projectId }), [projectId], { on: [changes(api().architectures, 'onDidChange', (e) => e.projectId === projectId)] }).value ?? null
  const datasets: DatasetSummary[] | null =
    useLive(() => api().datasets.list({ projectId }).then((r) => r.filter((x) => x.status === 'ready')), [projectId], { on: [changes(api().datasets, 'onDidChange')] }).value ?? null
  // null until loaded: an empty list would read as "the chosen pipeline was deleted" and clear the choice.
  const pipelines: PipelineSummary[] | null =
    useLive(() => api().pipelines.list({ projectId }), [projectId], { on: [changes(api().pipelines, 'onDidChange', (e) => e.projectId === projectId)] }).value ?? null
  const runs: RunSummary[] = useLive(() => api().runs.list({ projectId }), [projectId], { on: [changes(api().runs, 'onDidChange', (e) => e.projectId === projectId)] }).value ?? NO_RUNS
  return { architectures, datasets, pipelines, runs }
}

export function TrainView({ projectId }: { projectId: number }) {
  const navigate = useApp((s) => s.navigate)
  const { architectures, datasets, pipelines, runs } = useProjectLists(projectId)
  const stored = useTrainForm()
  const formReady = stored.projectId === projectId && stored.status === 'ready'
  const form = stored.form
  const live = useTraining((s) => s.live)
  const busy = useTraining((s) => s.busy)
  const [selected, setSelected] = useState<number | null>(null)
  const [startError, setStartError] = useState<string | null>(null)
  const [mainTab, setMainTab] = useState<'run' | 'procedure'>('run')
  const [exporting, setExporting] = useState(false)
  const [startingEngine, setStartingEngine] = useState(false)
  const liveHere = live && live.projectId === projectId ? live : null
  const training = liveHere !== null && liveHere.phase !== 'ended'
  const otherProjectTraining = live !== null && live.phase !== 'ended' && live.projectId !== projectId

  useEffect(() => {
    void loadTrainForm(projectId)
    // Leaving Train saves what is still waiting for its save.
    return () => void flushTrainForm()
  }, [projectId])
  useEffect(() => resumeAfterReload(), [])
  // Pick the first design / dataset when none (or a deleted one) is chosen; forget a deleted pipeline.
  useEffect(() => {
    if (formReady && architectures && architectures.length > 0 && !architectures.some((a) => a.id === form.architectureId)) updateTrainForm({ architectureId: architectures[0]!.id })
  }, [formReady, architectures, form.architectureId])
  useEffect(() => {
    if (formReady && datasets && datasets.length > 0 && !datasets.some((d) => d.id === form.datasetId)) updateTrainForm({ datasetId: datasets[0]!.id })
  }, [formReady, datasets, form.datasetId])
  useEffect(() => {
    if (formReady && pipelines && form.pipelineId !== null && !pipelines.some((p) => p.id === form.pipelineId)) updateTrainForm({ pipelineId: null })
  }, [formReady, pipelines, form.pipelineId])

  const set = useCallback((patch: Partial<TrainForm>) => updateTrainForm(patch), [])
  const validation = useMemo(() => validateForm(form), [form])
  const missing = architectures !== null && datasets !== null && (architectures.length === 0 || datasets.length === 0)
  const fit = useDatasetFit(form.architectureId, datasets?.find((d) => d.id === form.datasetId) ?? null)
  const fits = fit.status === 'ready' && fit.fit?.ok === true
  const canStart = formReady && validation.ok && form.architectureId !== null && form.datasetId !== null && fits && !training && !busy && !otherProjectTraining && !startingEngine
  const openDesign = () => navigate({ name: 'workspace', projectId, section: 'architecture' })

  const request = () => ({
    projectId,
    architectureId: form.architectureId!,
    datasetId: form.datasetId!,
    pipelineId: form.pipelineId,
    config: validation.config,
    backend: form.backend,
  })
  const canExport = formReady && validation.ok && form.architectureId !== null && form.datasetId !== null && fits
  const start = async () => {
    setStartError(null)
    try {
      if (form.engine === 'pytorch') {
        // The main side runs the exported project as a child process; the run records itself (engines service).
        setStartingEngine(true)
        try {
          const { snapshot, arch, dataset, pipeline } = await trainingController().snapshotOf(request())
          const started = await api().engines.startPytorch({
            projectId,
            config: snapshot as unknown as Record<string, unknown>,
            architectureVersionId: arch.version.id,
            datasetId: dataset.id,
            ...(pipeline ? { pipelineVersionId: pipeline.version.id } : {}),
          })
          setSelected(started.run.id)
        } finally {
          setStartingEngine(false)
        }
        return
      }
      const run = await trainingController().start(request())
      setSelected(run.id)
    } catch (e) {
      setStartError(e instanceof Error ? e.message : String((e as { message?: unknown }).message ?? e))
    }
  }

  const resume = async (runId: number) => {
    setSelected(runId)
    try {
      // A PyTorch run goes on in the main side's child process (train.py --resume), not in this window's engine.
      if (runs.find((r) => r.id === runId)?.backend?.startsWith('pytorch-')) await api().engines.resumePytorch({ runId })
      else await trainingController().resumeRun(runId)
    } catch (e) {
      reportError(e)
    }
  }

  // What the center shows: the chosen run, else the live one, else the newest.
  const shownId = selected ?? liveHere?.runId ?? runs[0]?.id ?? null

  return (
    <div className="train-view" data-testid="train-view">
      <aside className="train-config" aria-label="Training configuration">
        <div className="train-config-scroll">
          <FitPanel state={fit} fix={fit.fix} undo={fit.undo} onOpenDesign={openDesign} />
          <ConfigForm
            form={form}
            set={set}
            validation={validation}
            architectures={architectures ?? []}
            datasets={datasets ?? []}
            pipelines={pipelines ?? []}
            disabled={!formReady}
          />
        </div>
        {stored.loadError && (
          <div className="field-error train-form-error" role="alert">
            <p>{stored.loadError}</p>
            <button className="btn" onClick={() => void loadTrainForm(projectId, { force: true })}>
              Try again
            </button>
          </div>
        )}
        {stored.saveError && (
          <div className="field-error train-form-error" role="alert">
            <p>{stored.saveError}</p>
            <button className="btn" onClick={() => void flushTrainForm()}>
              Save again
            </button>
          </div>
        )}
        <div className="train-start">
          {startError && (
            <p className="field-error" role="alert" data-testid="start-error">
              {startError}
            </p>
          )}
          {otherProjectTraining && <p className="muted small">Another project is training in this window; one run trains at a time.</p>}
          {fit.status === 'ready' && fit.fit && !fit.fit.ok && !training && (
            <p className="field-error" data-testid="start-reason">
              Start is off: the design does not fit the dataset (see above).
            </p>
          )}
          <button className="btn btn-primary btn-start" disabled={!canStart} onClick={() => void start()} data-testid="start-training">
            <Icon name="train" size={16} />
            {busy || startingEngine ? 'Preparing…' : training ? 'Training…' : form.engine === 'pytorch' ? 'Start training with PyTorch' : 'Start training'}
          </button>
          <button className="btn btn-sm" disabled={!canExport} onClick={() => setExporting(true)} data-testid="export-pytorch" title="The design, pipeline and settings above as a PyTorch project (model.py, train.py, ...)">
            Export as PyTorch project…
          </button>
          {exporting && (
            <ExportPytorchDialog
              target={{
                kind: 'design',
                name: architectures?.find((a) => a.id === form.architectureId)?.name ?? 'design',
                snapshot: async () => (await trainingController().snapshotOf(request())).snapshot as unknown as Record<string, unknown>,
              }}
              onClose={() => setExporting(false)}
            />
          )}
        </div>
      </aside>
      <div className="train-main">
        <div className="train-tabs" role="tablist" aria-label="Train views">
          <button role="tab" aria-selected={mainTab === 'run'} className={mainTab === 'run' ? 'on' : ''} onClick={() => setMainTab('run')} data-testid="tab-run">
            Run
          </button>
          <button role="tab" aria-selected={mainTab === 'procedure'} className={mainTab === 'procedure' ? 'on' : ''} onClick={() => setMainTab('procedure')} data-testid="tab-procedure">
            Procedure
          </button>
        </div>
        {mainTab === 'procedure' ? (
          <ProcedurePanel
            projectId={projectId}
            architectureId={form.architectureId}
            datasetId={form.datasetId}
            pipelineId={form.pipelineId}
            config={validation.config}
            configOk={validation.ok}
            runs={runs}
            shownRunId={shownId}
            live={liveHere}
            onUseLearningRate={(lr) => set({ learningRate: String(lr) })}
          />
        ) : missing ? (
          <MissingState
            noDesign={architectures!.length === 0}
            noDataset={datasets!.length === 0}
            onDesign={() => navigate({ name: 'workspace', projectId, section: 'architecture' })}
            onData={() => navigate({ name: 'workspace', projectId, section: 'data' })}
          />
        ) : shownId === null ? (
          <div className="empty-state train-empty">
            <Icon name="train" size={40} />
            <h2>No runs yet</h2>
            <p>
              Choose a design and a dataset, set the optimizer and the schedule, and press <strong>Start training</strong>. Loss, accuracy, learning
              rate and throughput are charted live; every run is kept with its configuration and checkpoints.
            </p>
          </div>
        ) : liveHere && liveHere.runId === shownId ? (
          <LivePanel live={liveHere} onResume={(id) => void resume(id)} onOpenDesign={openDesign} busy={busy} />
        ) : (
          <StoredPanel runId={shownId} live={false} onResume={(id) => void resume(id)} onOpenDesign={openDesign} busy={busy || training} />
        )}
      </div>
      <aside className="train-runs" aria-label="Runs">
        <RunsList runs={runs} selected={shownId} live={liveHere} onSelect={setSelected} onResume={(id) => void resume(id)} busy={busy || training || otherProjectTraining} />
      </aside>
    </div>
  )
}

function MissingState(props: { noDesign: boolean; noDataset: boolean; onDesign: () => void; onData: () => void }) {
  return (
    <div className="empty-state train-empty" data-testid="train-missing">
      <Icon name="train" size={40} />
      <h2>{props.noDesign && props.noDataset ? 'Nothing to train yet' : props.noDesign ? 'No design to train' : 'No dataset to train on'}</h2>
      <p>Training needs a network and labelled images. Once both exist, pick them on the left and press Start.</p>
      <ul className="missing-list">
        <li className={props.noDesign ? 'todo' : 'done'}>
          <span>{props.noDesign ? 'Design a network (or start from a template such as the toy ConvNet or LeNet-5).' : 'A design is ready.'}</span>
          {props.noDesign && (
            <button className="btn" onClick={props.onDesign}>
              Open Architecture
            </button>
          )}
        </li>
        <li className={props.noDataset ? 'todo' : 'done'}>
          <span>{props.noDataset ? 'Import a dataset: a folder with one subfolder per class, or the built-in MNIST digits.' : 'A dataset is ready.'}</span>
          {props.noDataset && (
            <button className="btn" onClick={props.onData}>
              Open Data
            </button>
          )}
        </li>
      </ul>
    </div>
  )
}

/** Run facts shared by the live and the stored panel. */
interface PanelFacts {
  readonly runId: number
  readonly name: string
  readonly status: string
  readonly backend: string | null
  readonly adapter: string | null
  readonly step: number
  readonly totalSteps: number
  readonly epoch: number
  readonly epochs: number
  readonly elapsed: number | null
  readonly eta: number | null
  readonly bestValAcc: number | null
  readonly bestEpoch: number | null
  readonly message: string | null
  readonly steps: StepSeries
  readonly epochRows: readonly EpochRow[]
}

/**
 * A failed run's way on: why it failed is in its message; when its design cannot train on its dataset, resuming
 * would fail again, so the offer is to open the design (a new run starts once it fits); else to try again.
 */
function FailedActions({ run, onResume, onOpenDesign, busy }: { run: Run | null; onResume: () => void; onOpenDesign: () => void; busy: boolean }) {
  if (!run) return null
  const snap = run.config as Partial<RunSnapshot>
  const doc = snap.architecture?.document
  const fit = doc && snap.dataset ? checkDatasetFit(doc, { shape: snap.dataset.shape, classes: snap.dataset.classes.length }) : null
  if (fit && !fit.ok) {
    return (
      <button className="btn btn-primary" onClick={onOpenDesign} data-testid="failed-open-design" title={`This run cannot train: ${fit.problems.map((p) => p.message).join('; ')}`}>
        Open the design
      </button>
    )
  }
  return (
    <button className="btn" onClick={onResume} disabled={busy} data-testid="resume-run" title="Continue this run from its last checkpoint (or from the start when it has none)">
      Try again
    </button>
  )
}

/** Why a failed run's design cannot be resumed, in the editor's words (nothing when it could be). */
function FailedFit({ run }: { run: Run | null }) {
  const snap = (run?.config ?? {}) as Partial<RunSnapshot>
  const doc = snap.architecture?.document
  const fit = doc && snap.dataset ? checkDatasetFit(doc, { shape: snap.dataset.shape, classes: snap.dataset.classes.length }) : null
  if (!fit || fit.ok) return null
  return (
    <div className="run-failed" role="alert" data-testid="failed-fit">
      <p>
        Its design (version {snap.architecture?.version}) does not fit its dataset, so resuming it would fail again. Fit the design in the Train form or in
        Architecture, then start a new run:
      </p>
      <ul>
        {fit.problems.map((p) => (
          <li key={p.message}>{p.message}</li>
        ))}
      </ul>
    </div>
  )
}

function LivePanel({ live, onResume, onOpenDesign, busy }: { live: LiveRun; onResume: (id: number) => void; onOpenDesign: () => void; busy: boolean }) {
  const ended = live.phase === 'ended'
  const now = useNow(!ended)
  const run = useRun(live.runId)
  const c = trainingController()
  const notice = useTraining((s) => (s.notice?.runId === live.runId ? s.notice.text : null))
  const facts: PanelFacts = {
    runId: live.runId,
    name: live.name,
    status: liveStatus(live),
    backend: live.backend,
    adapter: live.adapter,
    step: live.step,
    totalSteps: live.totalSteps,
    epoch: live.epoch,
    epochs: live.epochs,
    elapsed: elapsedMs(live, now),
    eta: etaMs(live),
    bestValAcc: live.bestValAcc,
    bestEpoch: live.bestEpoch,
    message: live.message,
    steps: live.steps,
    epochRows: live.epochRows,
  }
  const setup = live.phase === 'preparing' || live.phase === 'backend' || live.phase === 'data' || live.phase === 'compile'
  const actions = ended ? (
    live.outcome === 'failed' ? (
      <FailedActions run={run} onResume={() => onResume(live.runId)} onOpenDesign={onOpenDesign} busy={busy} />
    ) : live.outcome === 'stopped' ? (
      <button className="btn btn-primary" onClick={() => onResume(live.runId)} disabled={busy} data-testid="resume-run">
        Resume
      </button>
    ) : null
  ) : (
    <>
      {live.phase === 'paused' ? (
        <button className="btn" onClick={() => c.unpause()} data-testid="resume-training">
          Resume
        </button>
      ) : (
        <button className="btn" onClick={() => c.pause()} disabled={live.phase !== 'running'} data-testid="pause-training">
          Pause
        </button>
      )}
      <button className="btn btn-stop" onClick={() => c.stop()} disabled={live.phase === 'stopping'} data-testid="stop-training">
        Stop
      </button>
    </>
  )
  return (
    <RunPanel facts={facts} actions={actions} run={run} live>
      {ended && live.outcome === 'failed' && <FailedFit run={run} />}
      {notice && (
        <p className="run-notice" role="status" data-testid="run-notice">
          {notice}
        </p>
      )}
      {setup && (
        <div className="setup-note" data-testid="setup-note">
          <span className="spinner" />
          {live.phase === 'backend'
            ? 'Starting the backend…'
            : live.phase === 'data'
              ? 'Loading the dataset into the worker…'
              : live.phase === 'compile'
                ? 'Compiling the design…'
                : 'Preparing the run…'}
          {live.backend === 'webgpu' || (live.backend === null && live.backendRequested === 'webgpu') ? ' The first WebGPU step compiles shaders and can take a while.' : ''}
        </div>
      )}
      {live.persistError && (
        <p className="field-error" role="alert">
          {live.persistError}
        </p>
      )}
    </RunPanel>
  )
}

function useRun(runId: number): Run | null {
  return (
    useLive(() => api().runs.get({ id: runId }), [runId], {
      on: [changes(api().runs, 'onDidChange', (e) => e.runId === runId)],
      resetOnChange: true,
      // A run deleted while shown: the panel shows nothing (the list no longer offers it).
      onError: () => undefined,
    }).value ?? null
  )
}

function StoredPanel({ runId, onResume, onOpenDesign, busy }: { runId: number; live: boolean; onResume: (id: number) => void; onOpenDesign: () => void; busy: boolean }) {
  const run = useRun(runId)
  const status = run?.status
  // Reloaded when the run's status changes (e.g. it finished training in this window) and as points arrive from a
  // run training elsewhere (a PyTorch run of the engines service): the same charts, live.
  const series =
    useLive(() => api().runs.metrics({ runId }).then(seriesFromMetrics), [runId, status], {
      on: [changes(api().runs, 'onDidAppendMetrics', (e) => e.runId === runId)],
      debounceMs: 300,
      resetOnChange: true,
    }).value ?? null
  if (!run) return <div className="train-loading muted">Loading the run…</div>
  const snap = run.config as Partial<RunSnapshot>
  // A PyTorch run trains in the main side's child process, not in this window: 'running' is live there.
  const engine = (snap as { engine?: { name?: string } }).engine?.name === 'pytorch' ? 'pytorch' : 'tfjs'
  const shown = displayStatus(run.status, engine === 'pytorch')
  const summary = (run.summary ?? {}) as { steps?: number; totalSteps?: number; message?: string; adapter?: string }
  const steps = series?.steps ?? emptySteps()
  const lastStep = steps.step.at(-1) ?? 0
  // A PyTorch run training now: its time so far and what is left at its pace (redrawn as its points arrive).
  const totalSteps = summary.totalSteps ?? 0
  const pytorchLive =
    engine === 'pytorch' && run.status === 'running' && run.startedAt
      ? (() => {
          const elapsed = Math.max(0, Date.now() - Date.parse(run.startedAt))
          return { elapsed, eta: lastStep > 0 && totalSteps > lastStep ? (elapsed / lastStep) * (totalSteps - lastStep) : null }
        })()
      : null
  const facts: PanelFacts = {
    runId: run.id,
    name: run.name,
    status: shown,
    backend: run.backend,
    adapter: summary.adapter ?? null,
    step: lastStep,
    totalSteps,
    epoch: Math.max(series?.epochs.at(-1)?.epoch ?? 0, series?.stepEpoch ?? 0),
    epochs: snap.training?.epochs ?? 0,
    elapsed: pytorchLive ? pytorchLive.elapsed : run.durationMs,
    eta: pytorchLive ? pytorchLive.eta : null,
    bestValAcc: run.bestValAccuracy,
    bestEpoch: run.bestEpoch,
    message: shown === 'interrupted' ? 'This run was interrupted (the window was closed or the studio stopped) while it trained. Resume continues it from its last checkpoint.' : (summary.message ?? null),
    steps,
    epochRows: series?.epochs ?? [],
  }
  const actions =
    engine === 'pytorch' ? (
      run.status === 'running' ? (
        <button className="btn btn-danger-ghost" onClick={() => void api().engines.stop({ runId: run.id }).catch(reportError)} data-testid="stop-training">
          Stop
        </button>
      ) : run.status === 'stopped' || run.status === 'failed' ? (
        <button
          className="btn btn-primary"
          onClick={() => void api().engines.resumePytorch({ runId: run.id }).catch(reportError)}
          disabled={busy}
          data-testid="resume-run"
          title="Continue this run on PyTorch from its last checkpoint (last.pt), or from the start when it has none"
        >
          Resume
        </button>
      ) : null
    ) : run.status === 'failed' && snap.kind === 'cnn-studio/train' ? (
      <FailedActions run={run} onResume={() => onResume(run.id)} onOpenDesign={onOpenDesign} busy={busy} />
    ) : isResumable(run.status, false) && snap.kind === 'cnn-studio/train' && run.status !== 'queued' ? (
    <button className="btn btn-primary" onClick={() => onResume(run.id)} disabled={busy} data-testid="resume-run">
      Resume
    </button>
  ) : null
  return (
    <RunPanel facts={facts} actions={actions} run={run} live={pytorchLive !== null}>
      {run.status === 'failed' && <FailedFit run={run} />}
    </RunPanel>
  )
}

function RunPanel({ facts, actions, run, live, children }: { facts: PanelFacts; actions: React.ReactNode; run: Run | null; live: boolean; children?: React.ReactNode }) {
  const progress = facts.totalSteps > 0 ? Math.min(1, facts.step / facts.totalSteps) : 0
  return (
    <div className="run-panel" data-testid="run-panel" data-run-id={facts.runId} data-live={live ? 'true' : 'false'}>
      <header className="run-header">
        <div className="run-title">
          <h2>{facts.name}</h2>
          <StatusChip status={facts.status} />
          <span className="backend-chip" title={facts.adapter ?? undefined} data-testid="run-backend">
            <Icon name="gpu" size={13} />
            {backendLabel(facts.backend)}
          </span>
        </div>
        <div className="run-actions">{actions}</div>
      </header>
      <div className="run-stats">
        <Stat label="Step" value={facts.totalSteps > 0 ? `${facts.step.toLocaleString('en-US')} / ${facts.totalSteps.toLocaleString('en-US')}` : facts.step.toLocaleString('en-US')} testId="run-step" />
        <Stat label="Epoch" value={facts.epochs > 0 ? `${facts.epoch} / ${facts.epochs}` : String(facts.epoch)} testId="run-epoch" />
        <Stat label="Elapsed" value={formatDuration(facts.elapsed)} testId="run-elapsed" />
        <Stat label="ETA" value={live && facts.status !== 'completed' ? formatDuration(facts.eta) : '—'} testId="run-eta" />
        <Stat label={facts.bestEpoch ? `Best val acc · ep ${facts.bestEpoch}` : 'Best val acc'} value={pct(facts.bestValAcc)} testId="run-best" />
        <Stat label="Last step loss" value={facts.steps.loss.length ? (facts.steps.loss.at(-1) as number).toFixed(4) : '—'} />
      </div>
      <div className="run-progress" role="progressbar" aria-label="Training progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)}>
        <div style={{ width: `${progress * 100}%` }} className={`status-${facts.status}`} />
      </div>
      {facts.message && (
        <p className={`run-message${facts.status === 'failed' ? ' error' : ''}`} data-testid="run-message">
          {facts.message}
        </p>
      )}
      {children}
      <RunCharts steps={facts.steps} epochs={facts.epochRows} />
      <div className="run-details">
        <section>
          <h3>Epochs</h3>
          {facts.epochRows.length ? <EpochTable rows={facts.epochRows} /> : <p className="muted small">Per-epoch training and validation metrics appear here when the first epoch ends.</p>}
        </section>
        <section>
          <h3>Configuration</h3>
          {run ? <SnapshotView run={run} /> : <p className="muted small">Loading…</p>}
        </section>
      </div>
    </div>
  )
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
    </div>
  )
}

function describeOptimizer(t: RunSnapshot['training']): string {
  return getOptimizer(t.optimizer.type)?.describe(t.optimizer) ?? t.optimizer.type
}

function describeSchedule(t: RunSnapshot['training']): string {
  const s = t.schedule
  const warm = s.warmupEpochs > 0 ? `, warmup ${s.warmupEpochs} epoch${s.warmupEpochs === 1 ? '' : 's'}` : ''
  return `${getSchedule(s.type)?.describe(s) ?? s.type}${warm}`
}

function SnapshotView({ run }: { run: Run }) {
  const snap = run.config as Partial<RunSnapshot>
  if (snap.kind !== 'cnn-studio/train' || !snap.training) {
    return <pre className="snapshot-raw">{JSON.stringify(run.config, null, 2)}</pre>
  }
  const t = snap.training
  const rows: [string, string][] = [
    ['Design', `${snap.architecture?.name} · v${snap.architecture?.version}`],
    ['Dataset', `${snap.dataset?.name} · ${snap.dataset?.shape.join('×')} · ${snap.dataset?.counts.train.toLocaleString('en-US')} train / ${snap.dataset?.counts.val.toLocaleString('en-US')} val`],
    ['Augmentation', snap.pipeline ? `${snap.pipeline.name} · v${snap.pipeline.version}` : 'none'],
    ['Optimizer', describeOptimizer(t)],
    ['Learning rate', String(t.learningRate)],
    ['Schedule', describeSchedule(t)],
    ['Weight decay', `${t.weightDecay}${t.weightDecay > 0 ? (t.decayBiasAndNorm ? ' (all parameters)' : ' (biases and norms excluded)') : ''}`],
    ['Gradient clipping', t.clipGradNorm === null ? 'off' : `global norm ${t.clipGradNorm}`],
    ['Class weights', t.classWeighting === 'balanced' ? 'balanced (rare classes count more)' : 'none (every image alike)'],
    ['Batch size', `${t.batchSize}${t.dropLast ? ' (last partial batch dropped)' : ''}`],
    ['Epochs', String(t.epochs)],
    ['Seed', String(t.seed)],
    ['Backend', backendUsed(snap.backendRequested, run)],
    ['Checkpoints', t.checkpoint.keepEvery > 0 ? `last, best, every ${t.checkpoint.keepEvery} epochs` : 'last and best'],
    ['App version', snap.appVersion ?? run.appVersion],
  ]
  return (
    <dl className="snapshot" data-testid="run-config">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  )
}

function RunsList(props: { runs: RunSummary[]; selected: number | null; live: LiveRun | null; onSelect: (id: number) => void; onResume: (id: number) => void; busy: boolean }) {
  return (
    <div className="runs-list" data-testid="runs-list">
      <h3>Runs</h3>
      {props.runs.length === 0 ? (
        <p className="muted small">Runs you start appear here, newest first.</p>
      ) : (
        <ul>
          {props.runs.map((r) => {
            const liveRow = props.live?.runId === r.id ? props.live : null
            // A PyTorch run trains in the main side's child process (a studio that closed settles its runs at start).
            const pytorch = r.backend?.startsWith('pytorch-') ?? false
            const status = liveRow ? liveStatus(liveRow) : displayStatus(r.status, pytorch)
            // A PyTorch run resumes on PyTorch (stopped or failed); a TF.js one in this window's engine.
            const resumable = liveRow ? liveRow.phase === 'ended' && liveRow.outcome === 'stopped' : pytorch ? status === 'stopped' || status === 'failed' : status === 'interrupted' || status === 'stopped'
            return (
              <li key={r.id} className={`run-item${props.selected === r.id ? ' selected' : ''}`} data-testid="run-item" data-run-id={r.id} data-status={status}>
                <button className="run-open" onClick={() => props.onSelect(r.id)}>
                  <span className="run-item-top">
                    <span className="run-name">{r.name}</span>
                    <StatusChip status={status} />
                  </span>
                  <span className="run-meta">
                    <span>val {pct(liveRow ? liveRow.bestValAcc : r.bestValAccuracy)}</span>
                    <span>{backendLabel(liveRow ? (liveRow.backend ?? r.backend) : r.backend)}</span>
                    <span>{formatRelativeTime(r.createdAt)}</span>
                  </span>
                </button>
                {resumable && (
                  <button className="btn btn-small" disabled={props.busy} onClick={() => props.onResume(r.id)} data-testid="run-item-resume" title="Continue this run from its last checkpoint">
                    Resume
                  </button>
                )}
              </li>
            )
          })}
        </ul>
      )}
    </div>
  )
}
