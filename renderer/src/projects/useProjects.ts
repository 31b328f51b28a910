import { useCallback, useEffect, useState } from 'react'
import type { ProjectSummary } from '@shared/api'
import { api } from '../api/client'
import { reportError } from '../ui/dialogs'

/** The project list, refreshed on every change event (from this window or another). */
export function useProjects(search: string) {
  const [projects, setProjects] = useState<ProjectSummary[] | null>(null)
  const refresh = useCallback(() => {
    api()
      .projects.list(search.trim() ? { search } : {})
      .then(setProjects, reportError)
  }, [search])
  useEffect(() => {
    refresh()
    return api().projects.on('onDidChange', refresh)
  }, [refresh])
  return { projects, refresh }
}
