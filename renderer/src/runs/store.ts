/** The Runs view's state, kept while the user visits other sections (reset when the project changes). */
import { create } from 'zustand'
import { setSubPath, subPath } from '../app/store'
import { INITIAL_TABLE_STATE, type TableState } from './table-state'

interface RunsViewState {
  projectId: number | null
  table: TableState
  selected: number[]
  /** The run whose detail is open. */
  detail: number | null
  forProject(projectId: number): void
  setTable(table: TableState): void
  setSelected(ids: number[]): void
  open(id: number | null): void
}

export const useRunsView = create<RunsViewState>((set, get) => ({
  projectId: null,
  table: INITIAL_TABLE_STATE,
  selected: [],
  detail: null,
  forProject(projectId) {
    if (get().projectId !== projectId) {
      // A reload comes back to the run that was open (`#/p/1/runs/<run id>/<tab>`).
      const [id] = subPath('runs')
      set({ projectId, table: INITIAL_TABLE_STATE, selected: [], detail: id !== undefined && /^\d+$/.test(id) ? Number(id) : null })
    }
  },
  setTable: (table) => set({ table }),
  setSelected: (selected) => set({ selected }),
  open: (detail) => {
    setSubPath('runs', detail === null ? [] : [detail])
    set({ detail })
  },
}))
