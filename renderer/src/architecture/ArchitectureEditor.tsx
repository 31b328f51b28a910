import { useEffect } from 'react'
import { ReactFlowProvider } from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import './architecture.css'
import { api } from '../api/client'
import { Canvas } from './Canvas'
import { Inspector } from './InspectorPanel'
import { Palette } from './Palette'
import { editor, session, useEditor, useSession } from './session'
import { LayersTable, SummaryBar } from './SummaryBar'
import { TemplateGallery } from './TemplateGallery'
import { Toolbar } from './Toolbar'
import { Glyph } from './glyphs'

function NoticeBar() {
  const notice = useEditor((s) => s.notice)
  useEffect(() => {
    if (!notice) return
    const t = setTimeout(() => {
      if (editor.getState().notice?.seq === notice.seq) editor.setState({ notice: null })
    }, 6000)
    return () => clearTimeout(t)
  }, [notice])
  if (!notice) return null
  return (
    <div className={`notice notice-${notice.kind}`} role="alert" data-testid="editor-notice" onClick={() => editor.setState({ notice: null })}>
      <Glyph name={notice.kind === 'error' ? 'alert' : 'check'} size={13} />
      <span>{notice.text}</span>
    </div>
  )
}

/** The Architecture section: design toolbar, palette, canvas, inspector and summary bar. */
export function ArchitectureEditor({ projectId }: { projectId: number }) {
  const loading = useSession((s) => s.loading)
  const gallery = useSession((s) => s.gallery)
  const layersOpen = useSession((s) => s.layersOpen)
  const current = useSession((s) => s.current)

  useEffect(() => {
    void session.open(projectId)
    const off = api().architectures.on('onDidChange', (e) => {
      if (e.projectId === projectId) void session.refresh()
    })
    const flush = () => void editor.flush()
    window.addEventListener('beforeunload', flush)
    return () => {
      off()
      window.removeEventListener('beforeunload', flush)
      void editor.flush()
    }
  }, [projectId])

  if (loading) return <div className="arch arch-loading muted">Loading designs…</div>
  if (gallery || !current)
    return (
      <div className="arch">
        <TemplateGallery />
      </div>
    )
  return (
    <ReactFlowProvider>
      <div className="arch" data-testid="architecture-editor">
        <Toolbar />
        <div className="arch-body">
          <Palette />
          <div className="arch-center">
            <Canvas key={current.id} />
            <NoticeBar />
            {layersOpen && <LayersTable />}
          </div>
          <Inspector />
        </div>
        <SummaryBar />
      </div>
    </ReactFlowProvider>
  )
}
