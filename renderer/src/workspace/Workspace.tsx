import { useEffect, useState } from 'react'
import type { Project } from '@shared/api'
import { api } from '../api/client'
import { ArchitectureEditor } from '../architecture/ArchitectureEditor'
import { useApp, type Section } from '../app/store'
import { DataView } from '../data/DataView'
import { RunsView } from '../runs/RunsView'
import { TrainingPill } from '../train/TrainingPill'
import { DesignPill } from '../architecture/DesignPill'
import { TrainView } from '../train/TrainView'
import { reportError } from '../ui/dialogs'
import { Icon, type IconName } from '../ui/icons'
import { changes, useLive } from '../ui/live'

export const SECTION_META: Record<Section, { label: string; icon: IconName; key: string }> = {
  architecture: { label: 'Architecture', icon: 'architecture', key: '1' },
  data: { label: 'Data', icon: 'data', key: '2' },
  train: { label: 'Train', icon: 'train', key: '3' },
  runs: { label: 'Runs', icon: 'runs', key: '4' },
}

const EMPTY: Record<Section, { title: string; body: string; next: string }> = {
  architecture: {
    title: 'No network designed yet',
    body: 'Build a CNN from layers in the node editor, or start from a template: LeNet-5, the lecture’s toy ConvNet, AlexNet, VGG, ResNet, or plain nets for the degradation experiment. Shapes, parameters and FLOPs update as you edit.',
    next: 'The editor arrives here: drag layers from the palette, connect them, and watch the output shapes.',
  },
  data: {
    title: 'No dataset yet',
    body: 'Import a folder of images with one subfolder per class, or use the built-in MNIST digits. The studio computes per-channel mean and standard deviation and lets you preview augmentations exactly as training will see them.',
    next: 'Dataset import and the augmentation previewer appear here.',
  },
  train: {
    title: 'Nothing to train yet',
    body: 'Once you have a network and a dataset, train here with the lectures’ procedure built in: check the initial loss, overfit a tiny subset, sweep the learning rate, then search.',
    next: 'Design a network and import a dataset first.',
  },
  runs: {
    title: 'No runs yet',
    body: 'Every training run is kept with its configuration, curves and checkpoints. Select runs here to overlay their curves, diff their hyperparameters and architectures, and inspect their mistakes.',
    next: 'Start a run from the Train section.',
  },
}

export function Workspace({ projectId, section }: { projectId: number; section: Section }) {
  const navigate = useApp((s) => s.navigate)
  const [missing, setMissing] = useState(false)

  const project: Project | null =
    useLive(() => api().projects.get({ id: projectId }), [projectId], {
      on: [changes(api().projects, 'onDidChange', (event) => event.id === projectId)],
      onError: (e) => ((e as { code?: string }).code === 'not_found' ? setMissing(true) : reportError(e)),
    }).value ?? null

  if (missing) {
    return (
      <div className="empty-state">
        <h2>This project no longer exists</h2>
        <p>It may have been deleted in another window.</p>
        <button className="btn btn-primary" onClick={() => navigate({ name: 'projects' })}>Back to projects</button>
      </div>
    )
  }

  const empty = EMPTY[section]
  return (
    <div className="workspace">
      <nav className="activity-bar" aria-label="Sections">
        <button className="activity-btn" title="All projects (Ctrl+Shift+O)" aria-label="All projects" onClick={() => navigate({ name: 'projects' })}>
          <Icon name="projects" size={20} />
        </button>
        <div className="activity-sep" />
        {(Object.keys(SECTION_META) as Section[]).map((s) => (
          <button
            key={s}
            className={`activity-btn${s === section ? ' active' : ''}`}
            title={`${SECTION_META[s].label} (Ctrl+${SECTION_META[s].key})`}
            aria-label={SECTION_META[s].label}
            aria-current={s === section ? 'page' : undefined}
            onClick={() => navigate({ name: 'workspace', projectId, section: s })}
          >
            <Icon name={SECTION_META[s].icon} size={20} />
          </button>
        ))}
      </nav>
      <div className="workspace-main">
        <header className="top-bar">
          <div className="breadcrumbs">
            <button className="link" onClick={() => navigate({ name: 'projects' })}>Projects</button>
            <Icon name="chevron" size={14} />
            <span className="project-title" data-testid="project-title">{project?.name ?? '…'}</span>
            <Icon name="chevron" size={14} />
            <span>{SECTION_META[section].label}</span>
          </div>
          <div className="top-status">
            <DesignPill projectId={projectId} />
            <TrainingPill />
          </div>
        </header>
        <section className="section-body" aria-label={SECTION_META[section].label}>
          {section === 'architecture' ? (
            <ArchitectureEditor projectId={projectId} />
          ) : section === 'data' ? (
            <DataView projectId={projectId} />
          ) : section === 'train' ? (
            <TrainView projectId={projectId} />
          ) : section === 'runs' ? (
            <RunsView projectId={projectId} />
          ) : (
            <div className="empty-state">
              <Icon name={SECTION_META[section as Section].icon} size={40} />
              <h2>{empty.title}</h2>
              <p>{empty.body}</p>
              <p className="muted small">{empty.next}</p>
            </div>
          )}
        </section>
      </div>
    </div>
  )
}
