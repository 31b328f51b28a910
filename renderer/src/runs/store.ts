/** The Runs view's state, kept while the user visits other sections (reset when the project changes). */
import { create } from 'zustand'
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
    if (get().projectId !== projectId) set({ projectId, table: INITIAL_TABLE_STATE, selected: [], detail: null })
  },
  setTable: (table) => set({ table }),
  setSelected: (selected) => set({ selected }),
  open: (detail) => set({ detail }),
}))
