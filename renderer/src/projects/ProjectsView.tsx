import { useEffect, useRef, useState } from 'react'
import type { ProjectSummary } from '@shared/api'
import { api } from '../api/client'
import { useApp } from '../app/store'
import { ConfirmDialog, PromptDialog, reportError } from '../ui/dialogs'
import { formatRelativeTime, plural } from '../ui/format'
import { Icon } from '../ui/icons'
import { useProjects } from './useProjects'

type Dialog =
  | { kind: 'create' }
  | { kind: 'rename'; project: ProjectSummary }
  | { kind: 'delete'; project: ProjectSummary }
  | null

export function ProjectsView() {
  const [search, setSearch] = useState('')
  const { projects } = useProjects(search)
  const [dialog, setDialog] = useState<Dialog>(null)
  const navigate = useApp((s) => s.navigate)
  const searchBox = useRef<HTMLInputElement>(null)

  const open = (id: number) => {
    api().projects.open({ id }).then(() => navigate({ name: 'workspace', projectId: id, section: 'architecture' }), reportError)
  }

  useEffect(() => {
    const onCommand = (e: Event) => {
      const command = (e as CustomEvent<string>).detail
      if (command === 'project.new') setDialog({ kind: 'create' })
      if (command === 'project.search') searchBox.current?.focus()
    }
    window.addEventListener('studio-command', onCommand)
    return () => window.removeEventListener('studio-command', onCommand)
  }, [])

  return (
    <div className="projects-view">
      <header className="projects-header">
        <div>
          <h1>Projects</h1>
          <p className="muted">Design, train and compare convolutional networks, all on this machine.</p>
        </div>
        <div className="projects-actions">
          <label className="search">
            <Icon name="search" size={16} />
            <input
              ref={searchBox}
              placeholder="Search projects"
              aria-label="Search projects"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </label>
          <button className="btn btn-primary" onClick={() => setDialog({ kind: 'create' })} title="New project (Ctrl+N)">
            <Icon name="plus" size={16} /> New project
          </button>
        </div>
      </header>

      {projects === null ? null : projects.length === 0 ? (
        search.trim() ? (
          <div className="empty-state">
            <h2>No project matches “{search.trim()}”</h2>
            <p>Check the spelling or clear the search.</p>
            <button className="btn" onClick={() => setSearch('')}>Clear search</button>
          </div>
        ) : (
          <div className="empty-state">
            <Icon name="projects" size={40} />
            <h2>No projects yet</h2>
            <p>
              A project holds your network designs, datasets and augmentation pipelines, and every training run, so
              you can compare them later. Everything stays on this machine.
            </p>
            <button className="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
              <Icon name="plus" size={16} /> Create your first project
            </button>
          </div>
        )
      ) : (
        <ul className="project-list" aria-label="Projects">
          {projects.map((p) => (
            <li key={p.id} className="project-row" data-testid="project-row">
              <button className="project-open" onClick={() => open(p.id)}>
                <span className="sr-only">Open </span>
                <span className="project-name">{p.name}</span>
                <span className="project-meta">
                  {plural(p.architectureCount, 'design')} · {plural(p.runCount, 'run')} · opened {formatRelativeTime(p.lastOpenedAt)}
                </span>
              </button>
              <div className="row-actions">
                <button className="icon-btn" title="Rename" aria-label={`Rename ${p.name}`} onClick={() => setDialog({ kind: 'rename', project: p })}>
                  <Icon name="edit" size={16} />
                </button>
                <button
                  className="icon-btn"
                  title="Duplicate"
                  aria-label={`Duplicate ${p.name}`}
                  onClick={() => api().projects.duplicate({ id: p.id }).catch(reportError)}
                >
                  <Icon name="copy" size={16} />
                </button>
                <button className="icon-btn danger" title="Delete" aria-label={`Delete ${p.name}`} onClick={() => setDialog({ kind: 'delete', project: p })}>
                  <Icon name="trash" size={16} />
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}

      {dialog?.kind === 'create' && (
        <PromptDialog
          title="New project"
          label="Project name"
          initial=""
          confirmLabel="Create"
          onClose={() => setDialog(null)}
          onSubmit={async (name) => {
            const project = await api().projects.create({ name })
            open(project.id)
          }}
        />
      )}
      {dialog?.kind === 'rename' && (
        <PromptDialog
          title="Rename project"
          label="Project name"
          initial={dialog.project.name}
          confirmLabel="Rename"
          onClose={() => setDialog(null)}
          onSubmit={async (name) => {
            await api().projects.rename({ id: dialog.project.id, name })
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title="Delete project?"
          danger
          confirmLabel="Delete project"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api().projects.delete({ id: dialog.project.id })
          }}
          message={
            <p>
              <strong>{dialog.project.name}</strong> and everything in it will be deleted: {plural(dialog.project.architectureCount, 'design')},{' '}
              {plural(dialog.project.runCount, 'run')} with their metrics and checkpoint files. This cannot be undone.
            </p>
          }
        />
      )}
    </div>
  )
}
