import { useEffect, useState } from 'react'
import type { ArchitectureSummary } from '@shared/api'
import { api } from '../api/client'

/** The top bar's design status: the project's most recently edited design and its newest version. */
export function DesignPill({ projectId }: { projectId: number }) {
  const [latest, setLatest] = useState<ArchitectureSummary | null | undefined>(undefined)
  useEffect(() => {
    let live = true
    const load = () =>
      api()
        .architectures.list({ projectId })
        .then(
          (list) => live && setLatest(list[0] ?? null),
          () => live && setLatest(null),
        )
    void load()
    const off = api().architectures.on('onDidChange', (e) => {
      if (e.projectId === projectId) void load()
    })
    return () => {
      live = false
      off()
    }
  }, [projectId])
  if (latest === undefined) return null
  return (
    <span className="pill" data-testid="design-pill" title={latest ? `${latest.versionCount} saved version(s)` : undefined}>
      {latest ? `${latest.name} · v${latest.latestVersion}` : 'No design saved'}
    </span>
  )
}
