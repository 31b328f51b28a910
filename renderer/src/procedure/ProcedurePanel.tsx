/**
 * The Procedure area of the Train section: the lectures' training procedure as cards, each with its one-line
 * rule from the lectures, run in a worker with progress and Cancel, and the result explained in words.
 */
import { useEffect, useState } from 'react'
import { BACKEND_LABELS, BACKEND_ORDER } from '../backend/labels'
import type { BackendChoice } from '../train/protocol'
import type { ProcedureContext } from './context'
import { DiagnosisCard } from './DiagnosisCard'
import { InitLabCard } from './InitLabCard'
import { LrSweepCard } from './LrSweepCard'
import { OverfitCard } from './OverfitCard'
import { SanityCard } from './SanityCard'
import { SearchCard } from './SearchCard'
import { TransferCard } from './TransferCard'
import './procedure.css'

const BACKEND_KEY = 'cnn-studio.procedure.backend'

function loadBackend(): BackendChoice {
  const v = localStorage.getItem(BACKEND_KEY)
  return v === 'auto' || (BACKEND_ORDER as readonly string[]).includes(v ?? '') ? (v as BackendChoice) : 'wasm'
}

export function ProcedurePanel(ctx: ProcedureContext) {
  const [backend, setBackend] = useState<BackendChoice>(loadBackend)
  useEffect(() => localStorage.setItem(BACKEND_KEY, backend), [backend])
  const ready = ctx.architectureId !== null && ctx.datasetId !== null
  return (
    <div className="procedure" data-testid="procedure">
      <div className="proc-intro">
        <div>
          <h2>Training procedure</h2>
          <p className="muted">
            The lectures' recipe, step by step, on the design and dataset chosen on the left: check the initial loss, overfit a few examples, find a learning rate,
            search coarse to fine, read the curves.
          </p>
          <p className="muted small" data-testid="procedure-inputs">
            {ctx.pipelineId === null
              ? 'No augmentation pipeline is chosen on the left: the checks see the images scaled to 0–1, as such a run would.'
              : 'The checks see the inputs the run would: the initial loss is measured on images normalized as validation normalizes them, overfitting trains on them without augmentation, and the learning-rate sweep and range test augment every step as training does.'}
          </p>
        </div>
        <label className="proc-backend">
          <span>Backend for these jobs</span>
          <select aria-label="Procedure backend" value={backend} onChange={(e) => setBackend(e.target.value as BackendChoice)}>
            <option value="auto">Auto</option>
            {BACKEND_ORDER.map((b) => (
              <option key={b} value={b}>
                {BACKEND_LABELS[b]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!ready && <p className="proc-warning">Pick a design and a dataset on the left first.</p>}
      <div className="proc-grid">
        <SanityCard ctx={ctx} backend={backend} />
        <OverfitCard ctx={ctx} backend={backend} />
        <LrSweepCard ctx={ctx} backend={backend} />
        <SearchCard ctx={ctx} backend={backend} />
        <DiagnosisCard ctx={ctx} />
        <InitLabCard ctx={ctx} backend={backend} />
        <TransferCard ctx={ctx} backend={backend} />
      </div>
    </div>
  )
}
