import type { ProjectSummary } from '@shared/api'
import { api } from '../api/client'
import { changes, useLive } from '../ui/live'

/** The project list, refreshed on every change event (from this window or another). */
export function useProjects(search: string) {
  const live = useLive(() => api().projects.list(search.trim() ? { search } : {}), [search], { on: [changes(api().projects, 'onDidChange')] })
  const projects: ProjectSummary[] | null = live.value ?? null
  return { projects, refresh: live.reload }
}
