/**
 * The Train form's "does the design fit the dataset?" panel: each problem in the editor's words, and one click
 * that sets the design's Input shape and Output classes for the dataset (a new version of the design, undoable).
 */
import { useEffect, useState } from 'react'
import { reportError } from '../ui/dialogs'
import { datasetFacts, datasetWords, type FitState, type FitUndo } from './fit'

interface Props {
  readonly state: FitState
  readonly fix: () => Promise<FitUndo | null>
  readonly undo: (u: FitUndo) => Promise<void>
  readonly onOpenDesign: () => void
}

export function FitPanel({ state, fix, undo, onOpenDesign }: Props) {
  const [done, setDone] = useState<FitUndo | null>(null)
  const [working, setWorking] = useState(false)
  const designId = state.design?.id ?? null
  // An undo offer belongs to the design it changed.
  useEffect(() => {
    if (done && done.architectureId !== designId) setDone(null)
  }, [done, designId])
  const act = async (f: () => Promise<void>) => {
    setWorking(true)
    try {
      await f()
    } catch (e) {
      reportError(e)
    } finally {
      setWorking(false)
    }
  }
  if (state.status === 'error') {
    return (
      <div className="fit-panel fit-bad" role="alert">
        <p>The design could not be read: {state.error}</p>
      </div>
    )
  }
  const { fit, design, dataset, version } = state
  if (state.status !== 'ready' || !fit || !design || !dataset) return null
  if (fit.ok) {
    return done ? (
      <div className="fit-panel fit-good" role="status" data-testid="fit-panel">
        <p>
          “{design.name}” now fits “{dataset.name}” ({datasetWords(datasetFacts(dataset))}) as version {version}.
        </p>
        <button className="btn btn-small" disabled={working} onClick={() => void act(async () => (await undo(done), setDone(null)))}>
          Undo the fit
        </button>
      </div>
    ) : null
  }
  return (
    <section className="fit-panel fit-bad" aria-label="Design and dataset" data-testid="fit-panel">
      <h3>The design does not fit the dataset</h3>
      <p className="small">
        “{design.name}” (version {version}) and “{dataset.name}” ({datasetWords(datasetFacts(dataset))}):
      </p>
      <ul>
        {fit.problems.map((p) => (
          <li key={p.message}>{p.message}</li>
        ))}
      </ul>
      <div className="fit-actions">
        {fit.fixed ? (
          <button className="btn btn-primary btn-small" disabled={working} onClick={() => void act(async () => setDone(await fix()))}>
            Fit the design to the dataset
          </button>
        ) : (
          <span className="small">These need a change of the design itself.</span>
        )}
        <button className="btn btn-small" onClick={onOpenDesign}>
          Open the design
        </button>
      </div>
      {fit.fixed && <p className="tf-hint">Saves a new version of the design with the Input and Output set for the dataset; you can undo it.</p>}
    </section>
  )
}
