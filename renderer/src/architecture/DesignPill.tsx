import type { ArchitectureSummary } from '@shared/api'
import { api } from '../api/client'
import { changes, useLive } from '../ui/live'

/** The top bar's design status: the project's most recently edited design and its newest version. */
export function DesignPill({ projectId }: { projectId: number }) {
  // A failed list reads as "no design saved" (the pill is a hint; the editor reports the error).
  const latest: ArchitectureSummary | null | undefined = useLive(
    () => api().architectures.list({ projectId }).then((list) => list[0] ?? null, () => null),
    [projectId],
    { on: [changes(api().architectures, 'onDidChange', (e) => e.projectId === projectId)] },
  ).value
  if (latest === undefined) return null
  return (
    <span className="pill" data-testid="design-pill" title={latest ? `${latest.versionCount} saved version(s)` : undefined}>
      {latest ? `${latest.name} · v${latest.latestVersion}` : 'No design saved'}
    </span>
  )
}
