/** The Train configuration form: data, model, optimizer, schedule (with its preview), regularization, run, checkpoints. */
import { Fragment, useMemo, type ReactNode } from 'react'
import type { ArchitectureSummary, DatasetSummary, PipelineSummary } from '@shared/api'
import { scheduleCurve } from '@shared/train/schedules'
import { LineChart } from '../charts/LineChart'
import { useApp } from '../app/store'
import { BACKEND_LABELS, BACKEND_ORDER } from '../backend/labels'
import { EngineField } from './EngineField'
import { findOptimizerChoice } from '@shared/train/optimizer-kinds'
import { defaultLearningRate, OPTIMIZERS, optimizerFields, SCHEDULES, scheduleFields, scheduleOf, type FormField, type FormValidation, type TrainForm } from './form'
import { useSeriesColors } from './RunCharts'
import { ClassBalanceField } from './ClassBalanceField'

export function stepsPerEpochFor(dataset: DatasetSummary | undefined, form: TrainForm): number | null {
  const batch = Number(form.batchSize)
  if (!dataset || !(Number.isInteger(batch) && batch >= 1)) return null
  const n = dataset.splitTotals.train
  const spe = form.dropLast ? Math.floor(n / batch) : Math.ceil(n / batch)
  return spe >= 1 ? spe : null
}

function Section({ title, children, aside }: { title: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <fieldset className="tf-section">
      <legend>
        <span>{title}</span>
        {aside}
      </legend>
      {children}
    </fieldset>
  )
}

interface Props {
  form: TrainForm
  set: (patch: Partial<TrainForm>) => void
  validation: FormValidation
  architectures: ArchitectureSummary[]
  datasets: DatasetSummary[]
  pipelines: PipelineSummary[]
  disabled: boolean
}

export function ConfigForm({ form, set, validation, architectures, datasets, pipelines, disabled }: Props) {
  const dataset = datasets.find((d) => d.id === form.datasetId)
  const errors = validation.fields
  // 'auto': the studio's backend setting (the status bar), named with what it gives here.
  const studio = useApp((s) => s.backend)
  const studioOption = studio?.backend ? `Studio setting (${studio.setting === 'auto' ? 'Auto: ' : ''}${BACKEND_LABELS[studio.backend]})` : 'Studio setting'
  const text = (field: FormField, label: string, opts: { hint?: string; placeholder?: string; unit?: string } = {}) => (
    <label className="tf-field">
      <span className="tf-label">{label}</span>
      <span className="tf-input">
        <input
          name={field}
          aria-label={label}
          value={form[field]}
          placeholder={opts.placeholder}
          aria-invalid={errors[field] ? true : undefined}
          disabled={disabled}
          spellCheck={false}
          onChange={(e) => set({ [field]: e.target.value } as Partial<TrainForm>)}
        />
        {opts.unit && <span className="tf-unit">{opts.unit}</span>}
      </span>
      {errors[field] ? (
        <span className="field-error" role="alert">
          {errors[field]}
        </span>
      ) : (
        opts.hint && <span className="tf-hint">{opts.hint}</span>
      )}
    </label>
  )

  const spe = stepsPerEpochFor(dataset, form)
  const epochs = Number(form.epochs)
  const lr = Number(form.learningRate)
  const colors = useSeriesColors()
  const schedule = scheduleOf(form)
  const scheduleKey = JSON.stringify(schedule)
  const curve = useMemo(() => {
    if (spe === null || !(Number.isInteger(epochs) && epochs >= 1) || !(lr > 0) || errors.warmupEpochs || scheduleFields(form).some((f) => errors[f.formKey])) return null
    try {
      const pts = scheduleCurve(schedule, spe, epochs, 160, lr)
      return { x: pts.map((p) => p.step + 1), y: pts.map((p) => p.lr) }
    } catch {
      return null
    }
    // scheduleKey stands for the schedule object (rebuilt every render).
  }, [scheduleKey, spe, epochs, lr, errors])
  const previewSeries = useMemo(() => (curve ? [{ label: 'learning rate', color: colors.lr, values: curve.y, width: 2 }] : []), [curve, colors])

  const optimizer = findOptimizerChoice(form.optimizer)
  // A new update rule brings its own learning rate unless the user typed one.
  const chooseOptimizer = (choice: string) => {
    const untouched = Number(form.learningRate) === defaultLearningRate(form.optimizer)
    const next = defaultLearningRate(choice)
    set(untouched && next !== undefined ? { optimizer: choice, learningRate: String(next) } : { optimizer: choice })
  }
  return (
    <div className="train-form" data-testid="train-form">
      <Section title="Data">
        <label className="tf-field">
          <span className="tf-label">Dataset</span>
          <select aria-label="Dataset" value={form.datasetId ?? ''} disabled={disabled} onChange={(e) => set({ datasetId: e.target.value ? Number(e.target.value) : null })}>
            {datasets.length === 0 && <option value="">No dataset yet</option>}
            {datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
          {dataset && (
            <span className="tf-hint">
              {dataset.size.height}×{dataset.size.width}×{dataset.channels} · {dataset.classes.length} classes · {dataset.splitTotals.train.toLocaleString('en-US')} train / {dataset.splitTotals.val.toLocaleString('en-US')} val
            </span>
          )}
        </label>
        <label className="tf-field">
          <span className="tf-label">Augmentation</span>
          <select aria-label="Augmentation pipeline" value={form.pipelineId ?? ''} disabled={disabled} onChange={(e) => set({ pipelineId: e.target.value ? Number(e.target.value) : null })}>
            <option value="">None (images as they are)</option>
            {pipelines.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} (v{p.latestVersion})
              </option>
            ))}
          </select>
        </label>
        <ClassBalanceField dataset={dataset ?? null} checked={form.balanceClasses} disabled={disabled} onChange={(balanceClasses) => set({ balanceClasses })} />
      </Section>

      <Section title="Model">
        <label className="tf-field">
          <span className="tf-label">Design</span>
          <select aria-label="Design" value={form.architectureId ?? ''} disabled={disabled} onChange={(e) => set({ architectureId: e.target.value ? Number(e.target.value) : null })}>
            {architectures.length === 0 && <option value="">No design yet</option>}
            {architectures.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} (v{a.latestVersion})
              </option>
            ))}
          </select>
          <span className="tf-hint">The newest version is used; the run keeps a copy.</span>
        </label>
      </Section>

      <Section title="Optimizer">
        <label className="tf-field">
          <span className="tf-label">Update rule</span>
          <select aria-label="Optimizer" value={form.optimizer} disabled={disabled} onChange={(e) => chooseOptimizer(e.target.value)}>
            {OPTIMIZERS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          {optimizer && <span className="tf-hint">{optimizer.def.description}</span>}
        </label>
        <div className="tf-row">
          {text('learningRate', 'Learning rate')}
          {optimizerFields(form).map((f) => (
            <Fragment key={f.formKey}>{text(f.formKey, f.label, { hint: f.hint, unit: f.unit })}</Fragment>
          ))}
        </div>
      </Section>

      <Section title="Schedule">
        <div className="tf-row">
          <label className="tf-field">
            <span className="tf-label">Learning-rate schedule</span>
            <select aria-label="Schedule" value={form.schedule} disabled={disabled} onChange={(e) => set({ schedule: e.target.value as TrainForm['schedule'] })}>
              {SCHEDULES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          {text('warmupEpochs', 'Warmup', { unit: 'epochs' })}
        </div>
        <div className="tf-row">
          {scheduleFields(form).map((f) => (
            <Fragment key={f.formKey}>{text(f.formKey, f.label, { hint: f.hint, unit: f.unit })}</Fragment>
          ))}
        </div>
        <div className="schedule-preview" data-testid="schedule-preview">
          {curve ? (
            <LineChart title={`Planned learning rate over ${(spe! * epochs).toLocaleString('en-US')} steps`} xLabel="step" yLabel="lr" x={curve.x} series={previewSeries} height={120} formatY={(v) => (v === 0 ? '0' : v.toExponential(1))} />
          ) : (
            <p className="muted small">The preview appears when a dataset is chosen and the numbers are valid.</p>
          )}
        </div>
      </Section>

      <Section title="Regularization">
        <div className="tf-row">
          {text('weightDecay', 'Weight decay', { hint: optimizer?.def.weightDecay === 'decoupled' ? `Decoupled (${optimizer.def.label})` : 'L2 penalty λ/2·‖W‖²' })}
          {text('clipGradNorm', 'Gradient clipping', { placeholder: 'off', hint: 'Max global L2 norm' })}
        </div>
        <label className="tf-check">
          <input type="checkbox" checked={form.excludeBiasNorm} disabled={disabled} onChange={(e) => set({ excludeBiasNorm: e.target.checked })} />
          <span>Exclude biases and norm parameters from weight decay</span>
        </label>
      </Section>

      <Section title="Run">
        <div className="tf-row">
          {text('batchSize', 'Batch size')}
          {text('epochs', 'Epochs')}
          {text('seed', 'Seed')}
        </div>
        <EngineField value={form.engine} disabled={disabled} onChange={(engine) => set({ engine })} />
        <div className="tf-row">
          {form.engine === 'tfjs' && (
            <label className="tf-field">
              <span className="tf-label">Backend</span>
              <select aria-label="Backend" value={form.backend} disabled={disabled} onChange={(e) => set({ backend: e.target.value as TrainForm['backend'] })}>
                <option value="auto">{studioOption}</option>
                {BACKEND_ORDER.map((b) => (
                  <option key={b} value={b}>
                    {BACKEND_LABELS[b]}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="tf-check tf-check-inline">
            <input type="checkbox" checked={form.dropLast} disabled={disabled} onChange={(e) => set({ dropLast: e.target.checked })} />
            <span>Drop the last partial batch</span>
          </label>
        </div>
        {spe !== null && (
          <p className="tf-hint">
            {spe.toLocaleString('en-US')} steps per epoch
            {Number.isInteger(epochs) && epochs >= 1 ? ` · ${(spe * epochs).toLocaleString('en-US')} steps in all` : ''}
          </p>
        )}
      </Section>

      <Section title="Checkpoints">
        {text('keepEvery', 'Keep every', { unit: 'epochs', hint: 'The last and the best (by val accuracy) are always kept; 0 keeps no others.' })}
      </Section>
      {validation.general.length > 0 && (
        <ul className="tf-general-errors" role="alert">
          {validation.general.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  )
}
