/**
 * The Train form's fit check: the chosen design's latest version against the chosen dataset (shared/graph/fit),
 * kept fresh as the design changes, and the one-click fix (a new version of the design, undoable by another).
 */
import { useCallback, useEffect, useState } from 'react'
import type { ArchitectureSummary, DatasetSummary } from '@shared/api'
import { checkDatasetFit, shapeWords, type DatasetFacts, type DatasetFit } from '@shared/graph/fit'
import type { GraphDocument } from '@shared/graph/types'
import { api } from '../api/client'

export const datasetFacts = (d: Pick<DatasetSummary, 'size' | 'channels' | 'classes'>): DatasetFacts => ({ shape: [d.size.height, d.size.width, d.channels], classes: d.classes.length })

/** "28×28×1, 6 classes". */
export const datasetWords = (d: DatasetFacts): string => `${shapeWords(d.shape)}, ${d.classes} class${d.classes === 1 ? '' : 'es'}`

export interface FitState {
  readonly status: 'none' | 'loading' | 'ready' | 'error'
  readonly fit: DatasetFit | null
  readonly design: ArchitectureSummary | null
  readonly version: number | null
  readonly document: GraphDocument | null
  readonly dataset: DatasetSummary | null
  readonly error: string | null
}

const NONE: FitState = { status: 'none', fit: null, design: null, version: null, document: null, dataset: null, error: null }

/** What the fix did, to undo it: the design and the document before. */
export interface FitUndo {
  readonly architectureId: number
  readonly before: GraphDocument
  readonly version: number
}

export function useDatasetFit(architectureId: number | null, dataset: DatasetSummary | null): FitState & { fix: () => Promise<FitUndo | null>; undo: (u: FitUndo) => Promise<void> } {
  const [state, setState] = useState<FitState>(NONE)
  const datasetKey = dataset ? `${dataset.id}:${dataset.size.height}x${dataset.size.width}x${dataset.channels}:${dataset.classes.length}` : null
  useEffect(() => {
    if (architectureId === null || dataset === null) {
      setState(NONE)
      return
    }
    let live = true
    const load = () =>
      api()
        .architectures.get({ id: architectureId })
        .then(
          (r) => {
            if (!live) return
            setState({ status: 'ready', fit: checkDatasetFit(r.version.document, datasetFacts(dataset)), design: r.architecture, version: r.version.version, document: r.version.document, dataset, error: null })
          },
          (e: unknown) => live && setState({ ...NONE, status: 'error', error: e instanceof Error ? e.message : String(e) }),
        )
    // A change of design or dataset checks afresh (Start stays off meanwhile); a new dataset list keeps the answer.
    setState((s) => (s.status === 'ready' && s.design?.id === architectureId && s.dataset?.id === dataset.id ? s : { ...NONE, status: 'loading' }))
    void load()
    const off = api().architectures.on('onDidChange', (e) => e.id === architectureId && void load())
    return () => {
      live = false
      off()
    }
    // datasetKey stands for the dataset's facts.
  }, [architectureId, datasetKey])

  const fix = useCallback(async (): Promise<FitUndo | null> => {
    const { fit, design, document, dataset: d, version } = state
    if (!fit?.fixed || !design || !document || !d || version === null) return null
    await api().architectures.save({ id: design.id, document: fit.fixed, label: `Fitted to dataset “${d.name}” (${datasetWords(datasetFacts(d))})` })
    return { architectureId: design.id, before: document, version }
  }, [state])

  const undo = useCallback(async (u: FitUndo) => {
    await api().architectures.save({ id: u.architectureId, document: u.before, label: `Undid the fit to the dataset (back to version ${u.version})` })
  }, [])

  return { ...state, fix, undo }
}
