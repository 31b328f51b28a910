/**
 * The editor instance of the app and the design session around it (which design of the project is open, its
 * versions), talking to the back end through `api()` only.
 */
import { useStore } from 'zustand'
import { create } from 'zustand'
import type { ArchitectureSummary, ArchitectureVersionInfo } from '@shared/api'
import { emptyDocument, type GraphAnalysis, type GraphDocument } from '@shared/graph'
import { api } from '../api/client'
import { reportError } from '../ui/dialogs'
import { analysisOf, createEditorStore, type EditorState } from './store'

export const editor = createEditorStore({
  save: (id, document) => api().architectures.save({ id, document }),
})

export function useEditor<T>(selector: (s: EditorState) => T): T {
  return useStore(editor, selector)
}

export function useAnalysis(): GraphAnalysis {
  const doc = useEditor((s) => s.doc)
  const batch = useEditor((s) => s.batchSize)
  return analysisOf(doc, batch)
}

interface SessionState {
  projectId: number | null
  loading: boolean
  designs: ArchitectureSummary[]
  current: ArchitectureSummary | null
  versions: ArchitectureVersionInfo[]
  /** The template gallery is shown (no design yet, or "New design"). */
  gallery: boolean
  layersOpen: boolean
  snap: boolean
  /** Incremented to ask the canvas to fit the view (after a design or version is opened). */
  fitRequest: number
}

export const useSession = create<SessionState>(() => ({
  projectId: null,
  loading: true,
  designs: [],
  current: null,
  versions: [],
  gallery: false,
  layersOpen: false,
  snap: true,
  fitRequest: 0,
}))

const newest = (list: readonly ArchitectureSummary[]) => [...list].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id - a.id)[0]

async function refreshLists(): Promise<void> {
  const { projectId, current } = useSession.getState()
  if (projectId === null) return
  const designs = await api().architectures.list({ projectId })
  const fresh = current ? designs.find((d) => d.id === current.id) ?? null : null
  const versions = fresh ? await api().architectures.history({ id: fresh.id }) : []
  if (useSession.getState().projectId === projectId) useSession.setState({ designs, current: fresh, versions })
}

export const session = {
  /** Open the project's most recently updated design, or the template gallery when there is none. */
  async open(projectId: number): Promise<void> {
    await editor.flush()
    useSession.setState({ projectId, loading: true, designs: [], current: null, versions: [], gallery: false })
    editor.load(null, emptyDocument())
    try {
      const designs = await api().architectures.list({ projectId })
      if (useSession.getState().projectId !== projectId) return
      const pick = newest(designs)
      useSession.setState({ designs })
      if (pick) await session.openDesign(pick.id)
      else useSession.setState({ gallery: true })
    } catch (e) {
      reportError(e)
    } finally {
      if (useSession.getState().projectId === projectId) useSession.setState({ loading: false })
    }
  },
  async openDesign(id: number, version?: number): Promise<void> {
    await editor.flush()
    const { architecture, version: v } = await api().architectures.get(version === undefined ? { id } : { id, version })
    const versions = await api().architectures.history({ id })
    if (version !== undefined && version !== architecture.latestVersion) editor.viewVersion(id, v.document, v.version)
    else editor.load(id, v.document)
    useSession.setState((s) => ({ current: architecture, versions, gallery: false, fitRequest: s.fitRequest + 1 }))
  },
  async create(name: string, document: GraphDocument): Promise<void> {
    const { projectId } = useSession.getState()
    if (projectId === null) return
    await editor.flush()
    const v = await api().architectures.create({ projectId, name, document })
    await refreshLists()
    await session.openDesign(v.architectureId)
  },
  async rename(name: string): Promise<void> {
    const { current } = useSession.getState()
    if (!current) return
    await api().architectures.rename({ id: current.id, name })
    await refreshLists()
  },
  async remove(): Promise<void> {
    const { current, projectId } = useSession.getState()
    if (!current || projectId === null) return
    editor.dispose()
    await api().architectures.delete({ id: current.id })
    await session.open(projectId)
  },
  async saveVersion(label: string): Promise<void> {
    const { current } = useSession.getState()
    if (!current) return
    await editor.flush()
    await api().architectures.save({ id: current.id, document: editor.getState().doc, label })
    await refreshLists()
  },
  /** Make the version shown read-only the newest version (a named version "Restored from version N"). */
  async restore(): Promise<void> {
    const { current } = useSession.getState()
    const ro = editor.getState().readOnly
    if (!current || !ro) return
    await api().architectures.save({ id: current.id, document: editor.getState().doc, label: `Restored from version ${ro.version}` })
    await session.openDesign(current.id)
  },
  refresh: () => refreshLists().catch(reportError),
}
